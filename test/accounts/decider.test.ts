import t from 'tap';
import type { AccountCommand, RegisterAccount } from '../../src/accounts/commands.js';
import { accountDecider, uniqueClaims, type AccountState } from '../../src/accounts/decider.js';
import type { AccountEvent } from '../../src/accounts/events.js';
import type { Role } from '../../src/auth/roles.js';
import { specFor } from '../helpers/spec.js';

const spec = specFor(accountDecider);

const accountId = '0192f0c4-7a6b-7d3e-9c1a-2b3c4d5e6f70';
const patientId = '0192f0c4-7a6b-7d3e-9c1a-000000000001';
const otherPatientId = '0192f0c4-7a6b-7d3e-9c1a-000000000002';
const practitionerId = '0192f0c4-7a6b-7d3e-9c1a-000000000003';

const register = (overrides: Partial<RegisterAccount> = {}): RegisterAccount => ({
  type: 'RegisterAccount',
  accountId,
  role: 'patient',
  email: 'Ada@Example.org',
  phone: '+2348012345678',
  username: 'ada',
  firstName: 'Ada',
  lastName: 'Lovelace',
  registeredVia: 'self',
  ...overrides,
});

const registered = (role: Role = 'patient'): AccountEvent[] => [
  {
    type: 'AccountRegistered',
    data: { accountId, email: 'Ada@Example.org', phone: '+2348012345678', username: 'ada', firstName: 'Ada', lastName: 'Lovelace', registeredVia: 'self' },
  },
  { type: 'RoleGranted', data: { accountId, role } },
];
const linkedToPatient: AccountEvent = { type: 'AccountLinkedToPatient', data: { accountId, patientId } };
const deactivated: AccountEvent = { type: 'AccountDeactivated', data: { accountId, reason: 'left the clinic' } };
const verified: AccountEvent = { type: 'EmailVerified', data: { accountId, email: 'Ada@Example.org' } };
const stateAfter = (...events: AccountEvent[]): AccountState => events.reduce(accountDecider.evolve, accountDecider.initialState());

t.test('registering an account', async (t) => {
  t.test('records the person and grants the role, names trimmed', async (t) => {
    spec(t)
      .given()
      .when(register({ firstName: '  Ada ', lastName: 'Lovelace  King' }))
      .then([
        {
          type: 'AccountRegistered',
          data: { accountId, email: 'Ada@Example.org', phone: '+2348012345678', username: 'ada', firstName: 'Ada', lastName: 'Lovelace King', registeredVia: 'self' },
        },
        { type: 'RoleGranted', data: { accountId, role: 'patient' } },
      ]);
  });
  t.test('a blank name is refused', async (t) => {
    spec(t).given().when(register({ lastName: '  ' })).thenRejected({ kind: 'invalid', field: 'lastName' });
  });
  t.test('an existing account cannot be registered again', async (t) => {
    spec(t).given(...registered()).when(register()).thenRejected({ kind: 'conflict' });
  });
  t.test('claims the email (lower-cased), phone and username', async (t) => {
    const events = accountDecider.decide(register({ username: 'Ada_L' }), stateAfter()) as AccountEvent[];
    t.same(uniqueClaims(events, stateAfter()), {
      claims: [
        { scope: 'email', value: 'ada@example.org' },
        { scope: 'phone', value: '+2348012345678' },
        { scope: 'username', value: 'ada_l' },
      ],
      releases: [],
    });
  });
});

t.test('the link rule: one record, of the kind the role allows', async (t) => {
  const linkPatient = (id = patientId): AccountCommand => ({ type: 'LinkAccountToPatient', accountId, patientId: id });
  const linkPractitioner: AccountCommand = { type: 'LinkAccountToPractitioner', accountId, practitionerId };

  t.test('a patient account is linked to a patient record', async (t) => {
    spec(t).given(...registered('patient')).when(linkPatient()).then([linkedToPatient]);
  });
  t.test('a practitioner account is linked to a practitioner profile', async (t) => {
    spec(t)
      .given(...registered('practitioner'))
      .when(linkPractitioner)
      .then([{ type: 'AccountLinkedToPractitioner', data: { accountId, practitionerId } }]);
  });
  for (const role of ['practitioner', 'admin', 'auditor'] as const) {
    t.test(`an account with the ${role} role cannot be linked to a patient record`, async (t) => {
      spec(t).given(...registered(role)).when(linkPatient()).thenRejected({ kind: 'conflict', message: 'patient role' });
    });
  }
  for (const role of ['patient', 'admin', 'auditor'] as const) {
    t.test(`an account with the ${role} role cannot be linked to a practitioner profile`, async (t) => {
      spec(t).given(...registered(role)).when(linkPractitioner).thenRejected({ kind: 'conflict', message: 'practitioner role' });
    });
  }
  t.test('an account is never linked to a second patient record', async (t) => {
    spec(t).given(...registered('patient'), linkedToPatient).when(linkPatient(otherPatientId)).thenRejected({ kind: 'conflict', message: 'one record only' });
  });
  t.test('linking again to the same record changes nothing', async (t) => {
    spec(t).given(...registered('patient'), linkedToPatient).when(linkPatient()).thenNothing();
  });
  t.test('an account without a role cannot be linked at all', async (t) => {
    spec(t).given(registered()[0]!).when(linkPatient()).thenRejected({ kind: 'conflict' });
  });
  t.test('a deactivated account cannot be linked', async (t) => {
    spec(t).given(...registered('patient'), deactivated).when(linkPatient()).thenRejected({ kind: 'conflict', message: 'deactivated' });
  });
  t.test('an account that does not exist cannot be linked', async (t) => {
    spec(t).given().when(linkPatient()).thenRejected({ kind: 'not-found' });
  });
});

t.test('email verification', async (t) => {
  t.test('a link for the current address verifies it, whatever its case', async (t) => {
    spec(t)
      .given(...registered())
      .when({ type: 'VerifyEmail', accountId, email: 'ada@example.ORG' })
      .then([{ type: 'EmailVerified', data: { accountId, email: 'Ada@Example.org' } }]);
  });
  t.test('a link for an address the account no longer uses is refused', async (t) => {
    spec(t)
      .given(...registered(), { type: 'EmailChanged', data: { accountId, email: 'new@example.org' } })
      .when({ type: 'VerifyEmail', accountId, email: 'Ada@Example.org' })
      .thenRejected({ kind: 'conflict', message: 'no longer uses' });
  });
  t.test('verifying a verified address changes nothing, and asks for no new link', async (t) => {
    spec(t).given(...registered(), verified).when({ type: 'VerifyEmail', accountId, email: 'Ada@Example.org' }).thenNothing();
    spec(t).given(...registered(), verified).when({ type: 'RequestEmailVerification', accountId }).thenNothing();
  });
  t.test('a link is requested for the current address', async (t) => {
    spec(t)
      .given(...registered())
      .when({ type: 'RequestEmailVerification', accountId })
      .then([{ type: 'EmailVerificationRequested', data: { accountId, email: 'Ada@Example.org' } }]);
  });
});

t.test('changing the profile', async (t) => {
  t.test('only what changed is recorded; a new email is unverified and moves the claim', async (t) => {
    const given = [...registered(), verified];
    spec(t)
      .given(...given)
      .when({ type: 'UpdateAccountProfile', accountId, passwordConfirmed: true, changes: { firstName: 'Ada', lastName: ' King ', email: 'ada.king@example.org' } })
      .then([
        { type: 'AccountProfileUpdated', data: { accountId, changes: { lastName: 'King' } } },
        { type: 'EmailChanged', data: { accountId, email: 'ada.king@example.org' } },
      ]);
    const state = stateAfter(...given);
    const events = accountDecider.decide({ type: 'UpdateAccountProfile', accountId, passwordConfirmed: true, changes: { email: 'ada.king@example.org', phone: '+2348000000000' } }, state) as AccountEvent[];
    t.same(uniqueClaims(events, state), {
      claims: [
        { scope: 'phone', value: '+2348000000000' },
        { scope: 'email', value: 'ada.king@example.org' },
      ],
      releases: [
        { scope: 'phone', value: '+2348012345678' },
        { scope: 'email', value: 'ada@example.org' },
      ],
    });
    const after = stateAfter(...given, ...events);
    t.match(after, { email: 'ada.king@example.org', emailVerified: false, phone: '+2348000000000' });
  });
  t.test('a change of case only keeps the email claimed', async (t) => {
    const state = stateAfter(...registered());
    const events = accountDecider.decide({ type: 'UpdateAccountProfile', accountId, passwordConfirmed: true, changes: { email: 'ada@example.org' } }, state) as AccountEvent[];
    t.same(uniqueClaims(events, state), { claims: [{ scope: 'email', value: 'ada@example.org' }], releases: [] });
  });
  t.test('sending the same values changes nothing', async (t) => {
    spec(t)
      .given(...registered())
      .when({ type: 'UpdateAccountProfile', accountId, passwordConfirmed: true, changes: { firstName: 'Ada', phone: '+2348012345678', email: 'Ada@Example.org' } })
      .thenNothing();
  });
  t.test('a blank name is refused', async (t) => {
    spec(t).given(...registered()).when({ type: 'UpdateAccountProfile', accountId, passwordConfirmed: true, changes: { firstName: ' ' } }).thenRejected({ kind: 'invalid', field: 'firstName' });
  });
  t.test('a new email or phone needs the current password; names and unchanged values do not', async (t) => {
    const unconfirmed = (changes: object) => ({ type: 'UpdateAccountProfile' as const, accountId, passwordConfirmed: false, changes });
    spec(t).given(...registered()).when(unconfirmed({ email: 'ada.king@example.org' })).thenRejected({ kind: 'invalid', field: 'currentPassword' });
    spec(t).given(...registered()).when(unconfirmed({ phone: '+2348000000000' })).thenRejected({ kind: 'invalid', field: 'currentPassword' });
    spec(t)
      .given(...registered())
      .when(unconfirmed({ lastName: 'King', email: 'Ada@Example.org', phone: '+2348012345678' }))
      .then([{ type: 'AccountProfileUpdated', data: { accountId, changes: { lastName: 'King' } } }]);
  });
});

t.test('passwords', async (t) => {
  t.test('a change and a reset request are recorded, without any secret', async (t) => {
    spec(t).given(...registered()).when({ type: 'ChangePassword', accountId }).then([{ type: 'PasswordChanged', data: { accountId } }]);
    spec(t).given(...registered()).when({ type: 'RequestPasswordReset', accountId }).then([{ type: 'PasswordResetRequested', data: { accountId } }]);
  });
  t.test('a reset through a link to the current, unverified address also verifies it', async (t) => {
    spec(t)
      .given(...registered())
      .when({ type: 'ResetPassword', accountId, email: 'ada@example.org' })
      .then([
        { type: 'PasswordReset', data: { accountId } },
        { type: 'EmailVerified', data: { accountId, email: 'Ada@Example.org' } },
      ]);
    spec(t).given(...registered(), verified).when({ type: 'ResetPassword', accountId, email: 'ada@example.org' }).then([{ type: 'PasswordReset', data: { accountId } }]);
  });
  t.test('a deactivated account can neither change nor reset its password', async (t) => {
    spec(t).given(...registered(), deactivated).when({ type: 'ChangePassword', accountId }).thenRejected({ kind: 'conflict' });
    spec(t).given(...registered(), deactivated).when({ type: 'ResetPassword', accountId, email: 'ada@example.org' }).thenRejected({ kind: 'conflict' });
  });
});

t.test('deactivation', async (t) => {
  t.test('records the reason, trimmed', async (t) => {
    spec(t).given(...registered()).when({ type: 'DeactivateAccount', accountId, reason: ' left ' }).then([{ type: 'AccountDeactivated', data: { accountId, reason: 'left' } }]);
  });
  t.test('is refused twice, and without a reason', async (t) => {
    spec(t).given(...registered(), deactivated).when({ type: 'DeactivateAccount', accountId, reason: 'again' }).thenRejected({ kind: 'conflict' });
    spec(t).given(...registered()).when({ type: 'DeactivateAccount', accountId, reason: '   ' }).thenRejected({ kind: 'invalid', field: 'reason' });
  });
});

t.test('OIDC identities', async (t) => {
  const link: AccountCommand = { type: 'LinkOidcIdentity', accountId, issuer: 'https://id.example.org', subject: 'abc', email: 'ada@example.org' };
  const linked: AccountEvent = { type: 'OidcIdentityLinked', data: { accountId, issuer: 'https://id.example.org', subject: 'abc' } };
  t.test('are linked once to an account that proved its address, and claimed so no other account can take them', async (t) => {
    spec(t).given(...registered(), verified).when(link).then([linked]);
    spec(t).given(...registered(), verified, linked).when(link).thenNothing();
    const events = accountDecider.decide(link, stateAfter(...registered(), verified)) as AccountEvent[];
    t.same(uniqueClaims(events, stateAfter(...registered(), verified)).claims, [{ scope: 'oidc-identity', value: 'https://id.example.org abc' }]);
  });
  t.test("meeting an account that never proved its address, the provider's proof wins: its password is cleared first", async (t) => {
    spec(t)
      .given(...registered())
      .when(link)
      .then([{ type: 'PasswordCleared', data: { accountId } }, { type: 'EmailVerified', data: { accountId, email: 'Ada@Example.org' } }, linked]);
  });
  t.test('are not linked to an account using another address than the provider vouches for', async (t) => {
    spec(t).given(...registered(), verified).when({ ...link, email: 'someone.else@example.org' }).thenRejected({ kind: 'conflict' });
  });
});
