import { Type } from 'typebox';
import { Nullable, Uuid } from '../http/schemas.js';
import { SEXES } from '../patients/events.js';
import { Phone } from '../patients/schemas.js';
import { MAX_PASSWORD_LENGTH } from './password-policy.js';

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', errorMessage: 'must be 1-100 characters, not blank' });
export const Email = Type.String({ format: 'email', maxLength: 254, errorMessage: 'must be an email address' });
const Username = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$',
  errorMessage: 'must be 3-32 letters, digits, dots, hyphens or underscores, starting with a letter or digit',
  description: 'Unique regardless of case; a sign-in name besides the email and phone',
});
// The rules a new password must meet (length, not personal, not common) are checked in
// password-policy.ts, which can name what is wrong; the schema only bounds the size.
export const NewPassword = Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH, description: 'At least 12 characters; not containing your email or username; not a common password' });
const AnyPassword = Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH });
// Tokens from mail links are 43 base64url characters; anything else is refused before a lookup.
const LinkToken = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', errorMessage: 'is not a token from a PAMS link' });

export const RegisterBody = Type.Object(
  {
    accountType: Type.Enum(['patient', 'practitioner']),
    firstName: Name,
    lastName: Name,
    email: Email,
    phone: Phone,
    username: Type.Optional(Username),
    password: NewPassword,
    acceptTerms: Type.Literal(true, { errorMessage: 'must be true: the terms of use must be accepted' }),
    dateOfBirth: Type.Optional(
      Type.String({ format: 'date', errorMessage: 'must be a date as YYYY-MM-DD', description: 'Required for a patient account: it starts the patient record' }),
    ),
    sex: Type.Optional(Type.Enum([...SEXES], { description: 'Patient accounts only; `unknown` when not given' })),
  },
  { additionalProperties: false },
);

export const TokenBody = Type.Object({ token: LinkToken }, { additionalProperties: false });
export const EmailBody = Type.Object({ email: Email }, { additionalProperties: false });
export const ResetPasswordBody = Type.Object({ token: LinkToken, newPassword: NewPassword }, { additionalProperties: false });
export const ChangePasswordBody = Type.Object({ oldPassword: AnyPassword, newPassword: NewPassword }, { additionalProperties: false });

export const UpdateMeBody = Type.Object(
  {
    firstName: Type.Optional(Name),
    lastName: Type.Optional(Name),
    phone: Type.Optional(Phone),
    email: Type.Optional(Email),
    currentPassword: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH, description: 'Required to change the email or phone' })),
  },
  { additionalProperties: false, description: 'Only the fields sent change. A new email must be verified again.' },
);

export const CreateAccountBody = Type.Object(
  {
    role: Type.Enum(['practitioner', 'auditor', 'admin'], { description: 'Patients sign up themselves' }),
    firstName: Name,
    lastName: Name,
    email: Email,
    phone: Type.Optional(Phone),
    username: Type.Optional(Username),
  },
  { additionalProperties: false },
);

export const DeactivateBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', errorMessage: 'must be 1-500 characters, not blank' }) },
  { additionalProperties: false },
);

export const AccountParams = Type.Object({ id: Uuid });

export const AccountCreated = Type.Object({
  id: Uuid,
  version: Type.Integer(),
  position: Type.Integer(),
  patientId: Type.Optional(Uuid),
  practitionerId: Type.Optional(Uuid),
});

export const Accepted = Type.Object({ detail: Type.String() });

export const Me = Type.Object({
  id: Uuid,
  role: Type.String(),
  email: Type.String(),
  phone: Nullable(Type.String()),
  username: Nullable(Type.String()),
  firstName: Type.String(),
  lastName: Type.String(),
  emailVerified: Type.Boolean(),
  patientId: Type.Optional(Uuid),
  practitionerId: Type.Optional(Uuid),
});

export const AccountListItem = Type.Object({
  id: Uuid,
  role: Nullable(Type.String()),
  email: Type.String(),
  emailVerified: Type.Boolean(),
  phone: Nullable(Type.String()),
  username: Nullable(Type.String()),
  firstName: Type.String(),
  lastName: Type.String(),
  active: Type.Boolean(),
  patientId: Nullable(Uuid),
  practitionerId: Nullable(Uuid),
  registeredAt: Type.String({ format: 'date-time' }),
});
