import { Type, type Static } from 'typebox';
import { Nullable, Uuid } from '../http/schemas.js';
import { BLOOD_GROUPS, GENOTYPES, SEXES } from './events.js';

const Name = (maxLength: number) =>
  Type.String({ minLength: 1, maxLength, pattern: '\\S', errorMessage: `must be 1-${maxLength} characters, not blank` });

export const Phone = Type.String({
  pattern: '^\\+[1-9][0-9]{6,14}$',
  errorMessage: 'must be an E.164 phone number, such as +2348012345678',
});

const Email = Type.String({ format: 'email', maxLength: 254, errorMessage: 'must be an email address' });

const CalendarDate = Type.String({ format: 'date', errorMessage: 'must be a date as YYYY-MM-DD' });

export const Address = Type.Object(
  {
    line: Name(200),
    city: Name(100),
    state: Type.Optional(Nullable(Name(100))),
    postalCode: Type.Optional(Nullable(Name(20))),
    country: Type.String({
      pattern: '^[A-Za-z]{2}$',
      errorMessage: 'must be an ISO 3166-1 alpha-2 country code, such as NG',
    }),
  },
  { additionalProperties: false },
);

export const EmergencyContact = Type.Object(
  { name: Name(100), relationship: Name(50), phone: Phone },
  { additionalProperties: false },
);

const demographicFields = {
  firstName: Name(100),
  lastName: Name(100),
  dateOfBirth: CalendarDate,
  sex: Type.Enum([...SEXES]),
  phone: Nullable(Phone),
  email: Nullable(Email),
  address: Nullable(Address),
  bloodGroup: Nullable(Type.Enum([...BLOOD_GROUPS])),
  genotype: Nullable(Type.Enum([...GENOTYPES])),
  nationality: Nullable(Name(60)),
  emergencyContacts: Type.Array(EmergencyContact, { maxItems: 5 }),
};

export const RegisterPatientBody = Type.Object(
  {
    mrn: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,31}$',
      errorMessage: 'must be 1-32 letters, digits or hyphens',
      description: 'Medical record number, unique (case-insensitively) across all patients',
    }),
    firstName: demographicFields.firstName,
    lastName: demographicFields.lastName,
    dateOfBirth: demographicFields.dateOfBirth,
    sex: demographicFields.sex,
    phone: Type.Optional(demographicFields.phone),
    email: Type.Optional(demographicFields.email),
    address: Type.Optional(demographicFields.address),
    bloodGroup: Type.Optional(demographicFields.bloodGroup),
    genotype: Type.Optional(demographicFields.genotype),
    nationality: Type.Optional(demographicFields.nationality),
    emergencyContacts: Type.Optional(demographicFields.emergencyContacts),
  },
  { additionalProperties: false },
);

export const UpdatePatientBody = Type.Object(
  {
    // Required facts cannot be cleared: refusing null here lets a 400 name them with every other bad field.
    firstName: Type.Optional(demographicFields.firstName),
    lastName: Type.Optional(demographicFields.lastName),
    dateOfBirth: Type.Optional(demographicFields.dateOfBirth),
    sex: Type.Optional(demographicFields.sex),
    phone: Type.Optional(demographicFields.phone),
    email: Type.Optional(demographicFields.email),
    address: Type.Optional(demographicFields.address),
    bloodGroup: Type.Optional(demographicFields.bloodGroup),
    genotype: Type.Optional(demographicFields.genotype),
    nationality: Type.Optional(demographicFields.nationality),
    emergencyContacts: Type.Optional(Nullable(demographicFields.emergencyContacts)),
  },
  {
    additionalProperties: false,
    description: 'Only the fields sent change; null clears an optional field',
  },
);

export const StatusChangeBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', errorMessage: 'must be 1-500 characters, not blank' }) },
  { additionalProperties: false },
);

export const PatientParams = Type.Object({ id: Uuid });

export const Patient = Type.Object({
  id: Uuid,
  mrn: Type.String(),
  firstName: Type.String(),
  lastName: Type.String(),
  dateOfBirth: Type.String({ format: 'date' }),
  sex: Type.String(),
  phone: Nullable(Type.String()),
  email: Nullable(Type.String()),
  address: Nullable(
    Type.Object({
      line: Type.String(),
      city: Type.String(),
      state: Nullable(Type.String()),
      postalCode: Nullable(Type.String()),
      country: Type.String(),
    }),
  ),
  bloodGroup: Nullable(Type.String()),
  genotype: Nullable(Type.String()),
  nationality: Nullable(Type.String()),
  emergencyContacts: Type.Array(Type.Object({ name: Type.String(), relationship: Type.String(), phone: Type.String() })),
  active: Type.Boolean(),
  statusReason: Nullable(Type.String({ description: 'Reason given for the last deactivation or reactivation' })),
  version: Type.Integer({ description: 'Stream version this view reflects; also the ETag' }),
  position: Type.Integer({ description: 'Global position of the last event this view reflects' }),
  registeredAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export type RegisterPatientBody = Static<typeof RegisterPatientBody>;
export type UpdatePatientBody = Static<typeof UpdatePatientBody>;

export const CareTeamParams = Type.Object({ id: Uuid, practitionerId: Uuid });

export const AssignPractitionerBody = Type.Object(
  { practitionerId: { ...Uuid, description: 'A verified practitioner profile' } },
  { additionalProperties: false },
);

export const CareTeamMember = Type.Object({
  practitionerId: Uuid,
  assignedAt: Type.String({ format: 'date-time' }),
  assignedBy: Type.Object({ id: Nullable(Type.String()), role: Type.String() }),
});
