/**
 * Who may call each route: the specification the access matrix (access-matrix.test.ts) holds the
 * app to. One line per route, keyed `METHOD /url` as registered. A route missing here fails the
 * matrix, so no route ships without an authorization rule; an entry whose route is gone fails too.
 *
 * The callers:
 *   patient       a patient account, whose own record is the "own" patient
 *   practitioner  a verified practitioner on the "own" patient's care team (not the other's)
 *   outsider      a verified practitioner on no care team
 *   pending       a practitioner whose profile an admin has not verified yet
 *   admin, auditor, anonymous
 *
 * `allow` lists who may call: `caller` on any patient, or `caller@own` only on the "own" patient
 * (the patient's own record, the practitioner's care-team patient). Everyone else must be refused:
 * anonymous with 401, others with 403, or 404 on a patient record, as if it did not exist. Routes
 * under /api/v1/patients/:id are run against the own and the other patient.
 *
 * An allowed caller must get `status` (200 unless given): the route working for its own users.
 * Give `body`, `params` and `given` so that the request succeeds if allowed; only where the matrix
 * cannot (a link token only a mailbox would hold) does `earns` name the specific problem that
 * request gets instead, and why.
 */
import { v4 as uuid } from 'uuid';
import { signUpFields } from '../helpers/accounts.js';

export const CALLERS = ['patient', 'practitioner', 'outsider', 'pending', 'admin', 'auditor', 'anonymous'] as const;
export type CallerName = (typeof CALLERS)[number];
export type Cell = CallerName | `${Exclude<CallerName, 'anonymous'>}@own`;

/** What a request may use: the fixture's ids. */
export interface Fixture {
  /** A verified practitioner on both patients' care teams, for removing. */
  bystanderId: string;
  /** A verified practitioner on no team, for assigning. */
  candidateId: string;
  /** A practitioner profile no admin has verified yet, for verifying. */
  unverifiedId: string;
  /** An account that signs in with a password, and that may be deactivated. */
  account: { id: string; email: string; password: string };
  /** A refresh token of `account`, fresh for each call. */
  refreshToken(): Promise<string>;
}

/** A request an admin makes before each call, to put the record where the call can succeed. */
export type AsAdmin = (method: 'POST', url: string, payload: object) => Promise<unknown>;

export interface Expectation {
  allow: readonly Cell[];
  status?: number;
  earns?: { status: number; problem: string; field?: string; because: string };
  body?: (fixture: Fixture) => unknown;
  params?: (fixture: Fixture) => Record<string, string>;
  given?: (asAdmin: AsAdmin, patientId: string) => Promise<unknown>;
}

const EVERYONE: readonly Cell[] = CALLERS;
const SIGNED_IN: readonly Cell[] = ['patient', 'practitioner', 'outsider', 'pending', 'admin', 'auditor'];
const READ_RECORD: readonly Cell[] = ['patient@own', 'practitioner@own', 'admin', 'auditor'];
const MANAGE_RECORD: readonly Cell[] = ['practitioner@own', 'admin'];

const registration = () => ({ mrn: `MRN-${uuid().slice(0, 8)}`, firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1990-02-03', sex: 'female' });
const reason = () => ({ reason: 'Access matrix' });
const aLinkToken = () => ({ token: 'a'.repeat(43) });
const NO_MAILBOX = { status: 400, problem: 'invalid-link', because: 'the matrix sends a well-formed link token that no mail carried' };

export const EXPECTATIONS: Record<string, Expectation> = {
  // Documentation and probes
  'GET /docs': { allow: EVERYONE },
  'HEAD /docs/': { allow: EVERYONE },
  'GET /docs/static/index.html': { allow: EVERYONE, status: 302 },
  'GET /docs/static/swagger-initializer.js': { allow: EVERYONE },
  'GET /docs/json': { allow: EVERYONE },
  'GET /docs/yaml': { allow: EVERYONE },
  'GET /docs/static/*': { allow: EVERYONE },
  'GET /openapi.json': { allow: EVERYONE },
  'GET /health/live': { allow: EVERYONE },
  'GET /health/ready': { allow: EVERYONE },
  'GET /health/details': { allow: ['admin'] },

  // The patient record. Admins write registration, demographics, status and the care team (the
  // administrative record); clinical slices to come (allergies, medications, assessments) are for
  // the care team alone. Auditors read everything and write nothing.
  'POST /api/v1/patients': { allow: ['practitioner', 'outsider', 'admin'], status: 201, body: registration },
  'PATCH /api/v1/patients/:id': { allow: ['patient@own', ...MANAGE_RECORD], body: () => ({ phone: '+2348012345678' }) },
  'POST /api/v1/patients/:id/deactivate': {
    allow: MANAGE_RECORD,
    body: reason,
    given: (asAdmin, id) => asAdmin('POST', `/api/v1/patients/${id}/reactivate`, reason()),
  },
  'POST /api/v1/patients/:id/reactivate': {
    allow: MANAGE_RECORD,
    body: reason,
    given: (asAdmin, id) => asAdmin('POST', `/api/v1/patients/${id}/deactivate`, reason()),
  },
  'POST /api/v1/patients/:id/care-team': { allow: MANAGE_RECORD, body: (f) => ({ practitionerId: f.candidateId }) },
  'DELETE /api/v1/patients/:id/care-team/:practitionerId': { allow: MANAGE_RECORD, params: (f) => ({ practitionerId: f.bystanderId }) },
  'GET /api/v1/patients': { allow: SIGNED_IN },
  'GET /api/v1/patients/:id': { allow: READ_RECORD },
  'GET /api/v1/patients/:id/history': { allow: READ_RECORD },
  'GET /api/v1/patients/:id/care-team': { allow: READ_RECORD },

  // Sign-up, sign-in and recovery: open by nature, guarded by their own rules (rate limits, tokens).
  'POST /api/v1/auth/login': { allow: EVERYONE, body: (f) => ({ username: f.account.email, password: f.account.password }) },
  'POST /api/v1/auth/refresh': { allow: EVERYONE, body: async (f) => ({ refreshToken: await f.refreshToken() }) },
  'POST /api/v1/auth/logout': { allow: EVERYONE, status: 204, body: async (f) => ({ refreshToken: await f.refreshToken() }) },
  'POST /api/v1/auth/register': { allow: EVERYONE, status: 201, body: () => signUpFields() },
  'POST /api/v1/auth/verify-email': { allow: EVERYONE, earns: NO_MAILBOX, body: aLinkToken },
  'POST /api/v1/auth/resend-verification': { allow: EVERYONE, status: 202, body: (f) => ({ email: f.account.email }) },
  'POST /api/v1/auth/password/forgot': { allow: EVERYONE, status: 202, body: (f) => ({ email: f.account.email }) },
  'POST /api/v1/auth/password/reset': {
    allow: EVERYONE,
    earns: NO_MAILBOX,
    body: () => ({ ...aLinkToken(), newPassword: 'another long enough passphrase 8' }),
  },
  'POST /api/v1/auth/oidc/exchange': {
    allow: EVERYONE,
    earns: { status: 401, problem: 'oidc-sign-in-failed', because: 'the matrix has no provider to sign in at, so no callback issued the code it sends' },
    body: () => ({ code: 'a-code-no-callback-issued-0000000000000000000' }),
  },

  // Own account
  'GET /api/v1/users/me': { allow: SIGNED_IN },
  'PATCH /api/v1/users/me': { allow: SIGNED_IN, body: () => ({ lastName: 'Byron' }) },
  'PUT /api/v1/users/me/password': {
    allow: SIGNED_IN,
    earns: { status: 400, problem: 'validation', field: 'oldPassword', because: 'the matrix sends a wrong old password: its callers share none' },
    body: () => ({ oldPassword: 'not the password at all', newPassword: 'another long enough passphrase 8' }),
  },

  // Accounts and practitioner profiles: admins manage, auditors may look
  'POST /api/v1/accounts': { allow: ['admin'], status: 201, body: () => ({ role: 'auditor', firstName: 'Ada', lastName: 'Byron', email: signUpFields().email }) },
  'GET /api/v1/accounts': { allow: ['admin', 'auditor'] },
  'POST /api/v1/accounts/:id/deactivate': { allow: ['admin'], body: reason, params: (f) => ({ id: f.account.id }) },
  'POST /api/v1/practitioners/:id/verify': { allow: ['admin'], params: (f) => ({ id: f.unverifiedId }) },
};
