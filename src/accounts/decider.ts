import type { Role } from '../auth/roles.js';
import { rejectConflict, rejectInvalid, rejectNotFound, type Decider, type Rejection } from '../event-store/decider.js';
import type { UniqueClaim } from '../event-store/types.js';
import type {
  AccountCommand,
  LinkAccountToPatient,
  LinkAccountToPractitioner,
  LinkOidcIdentity,
  RegisterAccount,
  UpdateAccountProfile,
} from './commands.js';
import {
  ACCOUNT_EVENT_VERSIONS,
  ACCOUNT_STREAM,
  CLAIM_SCOPES,
  emailKey,
  oidcKey,
  usernameKey,
  type AccountEvent,
  type AccountProfileUpdated,
} from './events.js';

export interface Account {
  status: 'active' | 'deactivated';
  accountId: string;
  role: Role | null;
  email: string;
  emailVerified: boolean;
  phone: string | null;
  username: string | null;
  firstName: string;
  lastName: string;
  patientId: string | null;
  practitionerId: string | null;
  oidcIdentities: string[];
}

export type AccountState = { status: 'none' } | Account;

export const initialState = (): AccountState => ({ status: 'none' });

export function evolve(state: AccountState, event: AccountEvent): AccountState {
  if (event.type === 'AccountRegistered') {
    const { accountId, email, phone, username, firstName, lastName } = event.data;
    return {
      status: 'active',
      accountId,
      role: null,
      email,
      emailVerified: false,
      phone,
      username,
      firstName,
      lastName,
      patientId: null,
      practitionerId: null,
      oidcIdentities: [],
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'RoleGranted':
      return { ...state, role: event.data.role };
    case 'EmailVerified':
      return emailKey(event.data.email) === emailKey(state.email) ? { ...state, emailVerified: true } : state;
    case 'EmailChanged':
      return { ...state, email: event.data.email, emailVerified: false };
    case 'AccountProfileUpdated':
      return { ...state, ...event.data.changes };
    case 'AccountDeactivated':
      return { ...state, status: 'deactivated' };
    case 'AccountLinkedToPatient':
      return { ...state, patientId: event.data.patientId };
    case 'AccountLinkedToPractitioner':
      return { ...state, practitionerId: event.data.practitionerId };
    case 'OidcIdentityLinked':
      return { ...state, oidcIdentities: [...state.oidcIdentities, oidcKey(event.data.issuer, event.data.subject)] };
    case 'EmailVerificationRequested':
    case 'PasswordChanged':
    case 'PasswordResetRequested':
    case 'PasswordReset':
    case 'PasswordCleared':
      return state;
  }
}

const trimmed = (value: string) => value.trim().replace(/\s+/g, ' ');

function register(command: RegisterAccount, state: AccountState): AccountEvent[] | Rejection {
  if (state.status !== 'none') return rejectConflict(`Account ${command.accountId} already exists.`);
  const firstName = trimmed(command.firstName);
  const lastName = trimmed(command.lastName);
  if (firstName === '') return rejectInvalid('firstName', 'must not be blank');
  if (lastName === '') return rejectInvalid('lastName', 'must not be blank');
  const { accountId } = command;
  return [
    {
      type: 'AccountRegistered',
      data: {
        accountId,
        email: command.email.trim(),
        phone: command.phone,
        username: command.username === null ? null : command.username.trim(),
        firstName,
        lastName,
        registeredVia: command.registeredVia,
      },
    },
    { type: 'RoleGranted', data: { accountId, role: command.role } },
  ];
}

/**
 * The rule the system PAMS replaces advertised and never ran: a patient record only for an account
 * with the patient role, a practitioner profile only for a practitioner, and never two records.
 */
function link(command: LinkAccountToPatient | LinkAccountToPractitioner, account: Account): AccountEvent[] | Rejection {
  const toPatient = command.type === 'LinkAccountToPatient';
  const wanted = toPatient ? command.patientId : command.practitionerId;
  const neededRole: Role = toPatient ? 'patient' : 'practitioner';
  if (account.role !== neededRole) {
    return rejectConflict(
      `Only an account with the ${neededRole} role can be linked to a ${toPatient ? 'patient record' : 'practitioner profile'}.`,
    );
  }
  const current = account.patientId ?? account.practitionerId;
  if (current === wanted) return [];
  if (current !== null) return rejectConflict('The account is already linked to another record; an account is linked to one record only.');
  return toPatient
    ? [{ type: 'AccountLinkedToPatient', data: { accountId: account.accountId, patientId: wanted } }]
    : [{ type: 'AccountLinkedToPractitioner', data: { accountId: account.accountId, practitionerId: wanted } }];
}

function updateProfile(command: UpdateAccountProfile, account: Account): AccountEvent[] | Rejection {
  const changes: AccountProfileUpdated['data']['changes'] = {};
  for (const field of ['firstName', 'lastName'] as const) {
    const value = command.changes[field];
    if (value === undefined) continue;
    const name = trimmed(value);
    if (name === '') return rejectInvalid(field, 'must not be blank');
    if (name !== account[field]) changes[field] = name;
  }
  const { phone } = command.changes;
  if (phone !== undefined && phone !== account.phone) changes.phone = phone;
  const email = command.changes.email?.trim();
  const emailChanges = email !== undefined && email !== account.email;
  if ((emailChanges || changes.phone !== undefined) && !command.passwordConfirmed) {
    return rejectInvalid('currentPassword', 'is required to change your email or phone');
  }
  const events: AccountEvent[] = [];
  if (Object.keys(changes).length > 0) {
    events.push({ type: 'AccountProfileUpdated', data: { accountId: account.accountId, changes } });
  }
  // A new address is unproven until its own link is followed, whatever the old one was.
  if (emailChanges) events.push({ type: 'EmailChanged', data: { accountId: account.accountId, email } });
  return events;
}

/**
 * An OIDC identity links to the account using the address its provider vouches for. If that
 * account never proved the address, whoever registered it may not own it (they may have
 * registered it first, to share the owner's sign-ins later): the provider's proof wins, the
 * password chosen at registration goes, and the address counts as proven.
 */
function linkOidcIdentity(command: LinkOidcIdentity, account: Account): AccountEvent[] | Rejection {
  const { accountId } = account;
  if (account.oidcIdentities.includes(oidcKey(command.issuer, command.subject))) return [];
  if (emailKey(command.email) !== emailKey(account.email)) {
    return rejectConflict('The provider vouches for another address than the one this account uses.');
  }
  const linked: AccountEvent = { type: 'OidcIdentityLinked', data: { accountId, issuer: command.issuer, subject: command.subject } };
  if (account.emailVerified) return [linked];
  return [
    { type: 'PasswordCleared', data: { accountId } },
    { type: 'EmailVerified', data: { accountId, email: account.email } },
    linked,
  ];
}

export function decide(command: AccountCommand, state: AccountState): AccountEvent[] | Rejection {
  if (command.type === 'RegisterAccount') return register(command, state);
  if (state.status === 'none') return rejectNotFound(`No account with id ${command.accountId}.`);
  if (state.status === 'deactivated') return rejectConflict('The account is deactivated.');
  const { accountId } = state;
  switch (command.type) {
    case 'LinkAccountToPatient':
    case 'LinkAccountToPractitioner':
      return link(command, state);
    case 'RequestEmailVerification':
      return state.emailVerified ? [] : [{ type: 'EmailVerificationRequested', data: { accountId, email: state.email } }];
    case 'VerifyEmail':
      if (emailKey(command.email) !== emailKey(state.email)) {
        return rejectConflict('This link was sent to an address the account no longer uses.');
      }
      return state.emailVerified ? [] : [{ type: 'EmailVerified', data: { accountId, email: state.email } }];
    case 'UpdateAccountProfile':
      return updateProfile(command, state);
    case 'ChangePassword':
      return [{ type: 'PasswordChanged', data: { accountId } }];
    case 'RequestPasswordReset':
      return [{ type: 'PasswordResetRequested', data: { accountId } }];
    case 'ResetPassword': {
      const proven = !state.emailVerified && emailKey(command.email) === emailKey(state.email);
      return [
        { type: 'PasswordReset', data: { accountId } },
        ...(proven ? [{ type: 'EmailVerified' as const, data: { accountId, email: state.email } }] : []),
      ];
    }
    case 'DeactivateAccount': {
      const reason = trimmed(command.reason);
      if (reason === '') return rejectInvalid('reason', 'must not be blank');
      return [{ type: 'AccountDeactivated', data: { accountId, reason } }];
    }
    case 'LinkOidcIdentity':
      return linkOidcIdentity(command, state);
    default: {
      const unhandled: never = command;
      throw new Error(`Unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Email, phone, username and each OIDC identity belong to one account at a time. */
export function uniqueClaims(events: AccountEvent[], state: AccountState) {
  const claims: UniqueClaim[] = [];
  const releases: UniqueClaim[] = [];
  const account = state.status === 'none' ? undefined : state;
  for (const event of events) {
    switch (event.type) {
      case 'AccountRegistered': {
        const { email, phone, username } = event.data;
        claims.push({ scope: CLAIM_SCOPES.email, value: emailKey(email) });
        if (phone !== null) claims.push({ scope: CLAIM_SCOPES.phone, value: phone });
        if (username !== null) claims.push({ scope: CLAIM_SCOPES.username, value: usernameKey(username) });
        break;
      }
      case 'EmailChanged':
        claims.push({ scope: CLAIM_SCOPES.email, value: emailKey(event.data.email) });
        if (account) releases.push({ scope: CLAIM_SCOPES.email, value: emailKey(account.email) });
        break;
      case 'AccountProfileUpdated':
        if (event.data.changes.phone === undefined) break;
        claims.push({ scope: CLAIM_SCOPES.phone, value: event.data.changes.phone });
        if (account?.phone) releases.push({ scope: CLAIM_SCOPES.phone, value: account.phone });
        break;
      case 'OidcIdentityLinked':
        claims.push({ scope: CLAIM_SCOPES.oidc, value: oidcKey(event.data.issuer, event.data.subject) });
        break;
      default:
        break;
    }
  }
  // The store claims before it releases: a value both claimed and released (a change of case only)
  // must stay claimed.
  const kept = releases.filter((release) => !claims.some((claim) => claim.scope === release.scope && claim.value === release.value));
  return { claims, releases: kept };
}

export const accountDecider: Decider<AccountCommand, AccountEvent, AccountState> = {
  streamType: ACCOUNT_STREAM,
  schemaVersions: ACCOUNT_EVENT_VERSIONS,
  initialState,
  evolve,
  decide,
  uniqueClaims,
};
