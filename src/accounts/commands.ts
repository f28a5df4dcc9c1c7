import type { Role } from '../auth/roles.js';
import type { RegisteredVia } from './events.js';

export interface RegisterAccount {
  type: 'RegisterAccount';
  accountId: string;
  role: Role;
  email: string;
  phone: string | null;
  username: string | null;
  firstName: string;
  lastName: string;
  registeredVia: RegisteredVia;
}

export interface LinkAccountToPatient {
  type: 'LinkAccountToPatient';
  accountId: string;
  patientId: string;
}

export interface LinkAccountToPractitioner {
  type: 'LinkAccountToPractitioner';
  accountId: string;
  practitionerId: string;
}

/** A verification link is about to be mailed to the account's current address. */
export interface RequestEmailVerification {
  type: 'RequestEmailVerification';
  accountId: string;
}

/** `email` is the address the link was sent to: proof of that address, not of a later one. */
export interface VerifyEmail {
  type: 'VerifyEmail';
  accountId: string;
  email: string;
}

export interface UpdateAccountProfile {
  type: 'UpdateAccountProfile';
  accountId: string;
  changes: Partial<{ firstName: string; lastName: string; phone: string; email: string }>;
  /** The caller proved the current password: the email and phone, which recover the account, need it. */
  passwordConfirmed: boolean;
}

/** The caller proved the old password (or the reset link) before this is sent; the decider never sees one. */
export interface ChangePassword {
  type: 'ChangePassword';
  accountId: string;
}

export interface RequestPasswordReset {
  type: 'RequestPasswordReset';
  accountId: string;
}

/** `email` is where the reset link was sent: following it also proves that address. */
export interface ResetPassword {
  type: 'ResetPassword';
  accountId: string;
  email: string;
}

export interface DeactivateAccount {
  type: 'DeactivateAccount';
  accountId: string;
  reason: string;
}

/** `email` is the address the provider vouches for: the identity links only to the account using it. */
export interface LinkOidcIdentity {
  type: 'LinkOidcIdentity';
  accountId: string;
  issuer: string;
  subject: string;
  email: string;
}

export type AccountCommand =
  | RegisterAccount
  | LinkAccountToPatient
  | LinkAccountToPractitioner
  | RequestEmailVerification
  | VerifyEmail
  | UpdateAccountProfile
  | ChangePassword
  | RequestPasswordReset
  | ResetPassword
  | DeactivateAccount
  | LinkOidcIdentity;
