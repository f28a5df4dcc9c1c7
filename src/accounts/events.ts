import type { Role } from '../auth/roles.js';
import type { DomainEvent } from '../event-store/types.js';

export const ACCOUNT_STREAM = 'account';

/** How the account came to be: who vouched for the person behind it. */
export type RegisteredVia = 'self' | 'admin' | 'command-line' | 'oidc';

// No event carries a password, a password hash or a token: events are kept forever and copied into
// read models. Those live in account_credentials and account_tokens.
export type AccountRegistered = DomainEvent<
  'AccountRegistered',
  {
    accountId: string;
    email: string;
    phone: string | null;
    username: string | null;
    firstName: string;
    lastName: string;
    registeredVia: RegisteredVia;
  }
>;
export type RoleGranted = DomainEvent<'RoleGranted', { accountId: string; role: Role }>;
export type EmailVerificationRequested = DomainEvent<'EmailVerificationRequested', { accountId: string; email: string }>;
export type EmailVerified = DomainEvent<'EmailVerified', { accountId: string; email: string }>;
export type EmailChanged = DomainEvent<'EmailChanged', { accountId: string; email: string }>;
export type AccountProfileUpdated = DomainEvent<
  'AccountProfileUpdated',
  { accountId: string; changes: Partial<{ firstName: string; lastName: string; phone: string }> }
>;
export type PasswordChanged = DomainEvent<'PasswordChanged', { accountId: string }>;
export type PasswordResetRequested = DomainEvent<'PasswordResetRequested', { accountId: string }>;
export type PasswordReset = DomainEvent<'PasswordReset', { accountId: string }>;
/** The account has no password any more: it signs in only another way (an OIDC identity) or after a reset. */
export type PasswordCleared = DomainEvent<'PasswordCleared', { accountId: string }>;
export type AccountDeactivated = DomainEvent<'AccountDeactivated', { accountId: string; reason: string }>;
export type AccountLinkedToPatient = DomainEvent<'AccountLinkedToPatient', { accountId: string; patientId: string }>;
export type AccountLinkedToPractitioner = DomainEvent<
  'AccountLinkedToPractitioner',
  { accountId: string; practitionerId: string }
>;
export type OidcIdentityLinked = DomainEvent<'OidcIdentityLinked', { accountId: string; issuer: string; subject: string }>;

export type AccountEvent =
  | AccountRegistered
  | RoleGranted
  | EmailVerificationRequested
  | EmailVerified
  | EmailChanged
  | AccountProfileUpdated
  | PasswordChanged
  | PasswordResetRequested
  | PasswordReset
  | PasswordCleared
  | AccountDeactivated
  | AccountLinkedToPatient
  | AccountLinkedToPractitioner
  | OidcIdentityLinked;

export const ACCOUNT_EVENT_VERSIONS: Record<AccountEvent['type'], number> = {
  AccountRegistered: 1,
  RoleGranted: 1,
  EmailVerificationRequested: 1,
  EmailVerified: 1,
  EmailChanged: 1,
  AccountProfileUpdated: 1,
  PasswordChanged: 1,
  PasswordResetRequested: 1,
  PasswordReset: 1,
  PasswordCleared: 1,
  AccountDeactivated: 1,
  AccountLinkedToPatient: 1,
  AccountLinkedToPractitioner: 1,
  OidcIdentityLinked: 1,
};

/** Scopes of the event store's unique claims: one account per email, phone, username, OIDC identity. */
export const CLAIM_SCOPES = { email: 'email', phone: 'phone', username: 'username', oidc: 'oidc-identity' } as const;

// Emails and usernames are unique regardless of case; the stored spelling is the person's own.
export const emailKey = (email: string) => email.trim().toLowerCase();
export const usernameKey = (username: string) => username.trim().toLowerCase();
export const oidcKey = (issuer: string, subject: string) => `${issuer} ${subject}`;
