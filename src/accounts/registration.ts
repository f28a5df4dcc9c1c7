import { randomInt } from 'node:crypto';
import { newId } from '../ids.js';
import { handleCommand } from '../event-store/command-handler.js';
import { UniqueValueTaken } from '../event-store/errors.js';
import type { EventStore } from '../event-store/store.js';
import type { Queryable } from '../event-store/types.js';
import type { EventMetadata } from '../event-store/types.js';
import { latestDateOnEarth } from '../http/deps.js';
import type { Transaction } from '../http/idempotency.js';
import { patientDecider } from '../patients/decider.js';
import type { Sex } from '../patients/events.js';
import { practitionerDecider } from '../practitioners/decider.js';
import { savePasswordHash } from './credentials.js';
import { accountDecider } from './decider.js';
import type { AccountCommand, RegisterAccount } from './commands.js';
import { CLAIM_SCOPES, emailKey, usernameKey } from './events.js';
import { loadAccount, readAccount } from './lookup.js';
import { sendPasswordLink, sendVerificationLink, type MailingDeps } from './mailings.js';

/** What RegisterAccount records, and what else comes with a new account. */
export interface NewAccount extends Omit<RegisterAccount, 'type' | 'accountId'> {
  passwordHash?: string;
  /** Whoever created the account already proved the address (the command line's operator, an OIDC provider). */
  emailVerified?: boolean;
  /** For a patient account: what its patient record needs beyond the account's own fields. */
  patient?: { dateOfBirth: string; sex: Sex };
  /** What to mail: a verification link, an invitation to choose a password, or nothing. */
  welcome: 'verify-email' | 'invitation' | 'none';
  /** Further account commands in the same transaction (an OIDC identity to link). */
  then?: (accountId: string, on: Queryable) => Promise<unknown>;
}

export interface CreatedAccount {
  accountId: string;
  patientId?: string;
  practitionerId?: string;
  version: number;
  position: number;
}

/**
 * Refuses, as the append would, a sign-up whose email, phone or username is taken, before anything
 * costly is done for it. The append still claims them: two sign-ups racing for one address are
 * told apart there.
 */
export async function refuseTakenValues(store: EventStore, person: { email: string; phone: string | null; username: string | null }) {
  const wanted = [
    { scope: CLAIM_SCOPES.email, value: emailKey(person.email) },
    ...(person.phone === null ? [] : [{ scope: CLAIM_SCOPES.phone, value: person.phone }]),
    ...(person.username === null ? [] : [{ scope: CLAIM_SCOPES.username, value: usernameKey(person.username) }]),
  ];
  for (const { scope, value } of wanted) {
    if (await store.claimHolder(scope, value)) throw new UniqueValueTaken(scope);
  }
}

// Crockford's base32: no I, L, O or U to misread when an MRN is spoken or copied by hand.
const MRN_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const newMrn = () => `P-${Array.from({ length: 10 }, () => MRN_ALPHABET[randomInt(MRN_ALPHABET.length)]).join('')}`;

/**
 * Creates an account with everything that belongs to it in one transaction: the account stream,
 * the patient record or practitioner profile it is linked to, its password hash, and the first
 * mail. `metadataFor` says who acts: the person themselves when they sign up, else the admin.
 * `transaction` is the store's, or one that also records an Idempotency-Key.
 */
export async function createAccount(
  deps: MailingDeps,
  input: NewAccount,
  metadataFor: (accountId: string) => EventMetadata,
  now: Date,
  transaction: Transaction<CreatedAccount> = (work) => deps.store.transaction(work),
): Promise<CreatedAccount> {
  // 50 random bits make an MRN collision rare, not impossible: the store's claim catches it.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transaction((client) => createIn(client, deps, input, metadataFor, now));
    } catch (error) {
      if (!(error instanceof UniqueValueTaken && error.scope === 'mrn' && attempt < 3)) throw error;
    }
  }
}

async function createIn(
  client: Queryable,
  deps: MailingDeps,
  input: NewAccount,
  metadataFor: (accountId: string) => EventMetadata,
  now: Date,
): Promise<CreatedAccount> {
  const { store } = deps;
  const accountId = newId();
  const metadata = metadataFor(accountId);
  const onAccount = (command: AccountCommand) =>
    handleCommand(store, accountDecider, { streamId: accountId, command, metadata, now }, client);
  await onAccount({
    type: 'RegisterAccount',
    accountId,
    role: input.role,
    email: input.email,
    phone: input.phone,
    username: input.username,
    firstName: input.firstName,
    lastName: input.lastName,
    registeredVia: input.registeredVia,
  });

  const created: Omit<CreatedAccount, 'version' | 'position'> = { accountId };
  if (input.role === 'patient' && input.patient) {
    const patientId = newId();
    await handleCommand(
      store,
      patientDecider,
      {
        streamId: patientId,
        command: {
          type: 'RegisterPatient',
          patientId,
          mrn: newMrn(),
          demographics: {
            firstName: input.firstName,
            lastName: input.lastName,
            dateOfBirth: input.patient.dateOfBirth,
            sex: input.patient.sex,
            phone: input.phone,
            email: input.email,
            address: null,
            bloodGroup: null,
            genotype: null,
            nationality: null,
            emergencyContacts: [],
          },
          today: latestDateOnEarth(now),
        },
        metadata,
        now,
      },
      client,
    );
    await onAccount({ type: 'LinkAccountToPatient', accountId, patientId });
    created.patientId = patientId;
  }
  if (input.role === 'practitioner') {
    const practitionerId = newId();
    await handleCommand(
      store,
      practitionerDecider,
      {
        streamId: practitionerId,
        command: { type: 'RegisterPractitioner', practitionerId, accountId, firstName: input.firstName, lastName: input.lastName },
        metadata,
        now,
      },
      client,
    );
    await onAccount({ type: 'LinkAccountToPractitioner', accountId, practitionerId });
    created.practitionerId = practitionerId;
  }
  if (input.emailVerified) await onAccount({ type: 'VerifyEmail', accountId, email: input.email });
  if (input.passwordHash) await savePasswordHash(client, accountId, input.passwordHash, now);
  await input.then?.(accountId, client);

  const account = (await loadAccount(store, accountId, client))!;
  if (input.welcome === 'verify-email') await sendVerificationLink(deps, client, account, metadata, now);
  if (input.welcome === 'invitation') await sendPasswordLink(deps, client, account, metadata, now, 'invitation');
  const { version, position } = (await readAccount(store, accountId, client))!;
  return { ...created, version, position };
}
