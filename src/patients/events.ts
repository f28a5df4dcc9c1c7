import type { DomainEvent } from '../event-store/types.js';

export const PATIENT_STREAM = 'patient';

export const SEXES = ['male', 'female', 'other', 'unknown'] as const;
export const BLOOD_GROUPS = ['A+', 'A-', 'B+', 'B-', 'O+', 'O-', 'AB+', 'AB-'] as const;
export const GENOTYPES = ['AA', 'AS', 'SS', 'AC', 'SC'] as const;

export type Sex = (typeof SEXES)[number];
export type BloodGroup = (typeof BLOOD_GROUPS)[number];
export type Genotype = (typeof GENOTYPES)[number];

export interface Address {
  line: string;
  city: string;
  state: string | null;
  postalCode: string | null;
  country: string;
}

export interface EmergencyContact {
  name: string;
  relationship: string;
  phone: string;
}

/** Everything about a patient that a clinician may correct later; `null` means "not known". */
export interface Demographics {
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  sex: Sex;
  phone: string | null;
  email: string | null;
  address: Address | null;
  bloodGroup: BloodGroup | null;
  genotype: Genotype | null;
  nationality: string | null;
  emergencyContacts: EmergencyContact[];
}

export const DEMOGRAPHIC_FIELDS = [
  'firstName',
  'lastName',
  'dateOfBirth',
  'sex',
  'phone',
  'email',
  'address',
  'bloodGroup',
  'genotype',
  'nationality',
  'emergencyContacts',
] as const satisfies readonly (keyof Demographics)[];

/** Fields a record cannot be without; the others may be cleared with `null`. */
export const REQUIRED_FIELDS = ['firstName', 'lastName', 'dateOfBirth', 'sex'] as const;

// Payloads are complete facts: every field is present (null when unknown), so a reader years from
// now needs no knowledge of what the defaults were.
export type PatientRegistered = DomainEvent<'PatientRegistered', { patientId: string; mrn: string } & Demographics>;
export type PatientDemographicsUpdated = DomainEvent<
  'PatientDemographicsUpdated',
  { patientId: string; changes: Partial<Demographics> }
>;
export type PatientDeactivated = DomainEvent<'PatientDeactivated', { patientId: string; reason: string }>;
export type PatientReactivated = DomainEvent<'PatientReactivated', { patientId: string; reason: string }>;
// Who assigned or removed the practitioner, and when, is in the event's metadata and recorded-at.
export type PractitionerAssignedToPatient = DomainEvent<
  'PractitionerAssignedToPatient',
  { patientId: string; practitionerId: string }
>;
export type PractitionerUnassignedFromPatient = DomainEvent<
  'PractitionerUnassignedFromPatient',
  { patientId: string; practitionerId: string }
>;

export type PatientEvent =
  | PatientRegistered
  | PatientDemographicsUpdated
  | PatientDeactivated
  | PatientReactivated
  | PractitionerAssignedToPatient
  | PractitionerUnassignedFromPatient;

export const PATIENT_EVENT_VERSIONS: Record<PatientEvent['type'], number> = {
  PatientRegistered: 1,
  PatientDemographicsUpdated: 1,
  PatientDeactivated: 1,
  PatientReactivated: 1,
  PractitionerAssignedToPatient: 1,
  PractitionerUnassignedFromPatient: 1,
};
