import type {
  AccountDeactivated,
  AccountLinkedToPatient,
  AccountLinkedToPractitioner,
  AccountProfileUpdated,
  AccountRegistered,
  EmailChanged,
  EmailVerified,
  RoleGranted,
} from '../src/accounts/events.js';
import { eventTypes, type ProjectedEvent, type Projection } from './projection.js';

export interface AccountDirectoryRow {
  account_id: string;
  role: string | null;
  email: string;
  email_verified: boolean;
  phone: string | null;
  username: string | null;
  first_name: string;
  last_name: string;
  active: boolean;
  patient_id: string | null;
  practitioner_id: string | null;
  version: number;
  position: number;
  registered_at: Date;
  updated_at: Date;
}

/** What the directory shows; requests, passwords and sign-in identities are none of its business. */
type DirectoryEvent =
  | AccountRegistered
  | RoleGranted
  | EmailVerified
  | EmailChanged
  | AccountProfileUpdated
  | AccountDeactivated
  | AccountLinkedToPatient
  | AccountLinkedToPractitioner;

function fold(row: AccountDirectoryRow | undefined, event: ProjectedEvent<DirectoryEvent>): AccountDirectoryRow | undefined {
  if (event.type === 'AccountRegistered') {
    const { accountId, email, phone, username, firstName, lastName } = event.data;
    return {
      account_id: accountId,
      role: null,
      email,
      email_verified: false,
      phone,
      username,
      first_name: firstName,
      last_name: lastName,
      active: true,
      patient_id: null,
      practitioner_id: null,
      version: 0,
      position: 0,
      registered_at: new Date(0),
      updated_at: new Date(0),
    };
  }
  if (!row) return row;
  switch (event.type) {
    case 'RoleGranted':
      return { ...row, role: event.data.role };
    case 'EmailVerified':
      return event.data.email.toLowerCase() === row.email.toLowerCase() ? { ...row, email_verified: true } : row;
    case 'EmailChanged':
      return { ...row, email: event.data.email, email_verified: false };
    case 'AccountProfileUpdated': {
      const { firstName, lastName, phone } = event.data.changes;
      return {
        ...row,
        ...(firstName === undefined ? {} : { first_name: firstName }),
        ...(lastName === undefined ? {} : { last_name: lastName }),
        ...(phone === undefined ? {} : { phone }),
      };
    }
    case 'AccountDeactivated':
      return { ...row, active: false };
    case 'AccountLinkedToPatient':
      return { ...row, patient_id: event.data.patientId };
    case 'AccountLinkedToPractitioner':
      return { ...row, practitioner_id: event.data.practitionerId };
    default: {
      const unhandled: never = event;
      throw new Error(`Unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Every account, for admins to list: who, which role, whether active and verified. */
export const accountDirectory: Projection<AccountDirectoryRow, DirectoryEvent> = {
  name: 'account_directory',
  eventTypes: eventTypes<DirectoryEvent>({
    AccountRegistered: true,
    RoleGranted: true,
    EmailVerified: true,
    EmailChanged: true,
    AccountProfileUpdated: true,
    AccountDeactivated: true,
    AccountLinkedToPatient: true,
    AccountLinkedToPractitioner: true,
  }),
  columns: [
    'account_id', 'role', 'email', 'email_verified', 'phone', 'username', 'first_name', 'last_name', 'active',
    'patient_id', 'practitioner_id', 'version', 'position', 'registered_at', 'updated_at',
  ],
  key: 'account_id',
  keyOf: (event) => event.streamId,
  apply(row, stored) {
    const next = fold(row, stored);
    if (!next) return undefined;
    return {
      ...next,
      version: stored.streamVersion,
      position: stored.position,
      registered_at: stored.type === 'AccountRegistered' ? stored.recordedAt : next.registered_at,
      updated_at: stored.recordedAt,
    };
  },
};
