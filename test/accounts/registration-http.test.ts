import t from 'tap';
import { createTestApp, json } from '../helpers/app.js';
import { bearer, signIn, signUpFields } from '../helpers/accounts.js';

t.test('signing up over HTTP', async (t) => {
  const test = await createTestApp(t);
  const { app, db } = test;
  const register = (payload: object) => app.inject({ method: 'POST', url: '/api/v1/auth/register', payload });
  const eventCount = async () => Number((await db.pool.query('select count(*) from events')).rows[0].count);

  t.test('a patient gets an account and a patient record of their own, linked one to one', async (t) => {
    const fields = signUpFields({ sex: 'female' });
    const response = await register(fields);
    t.equal(response.statusCode, 201);
    const body = json(response);
    t.match(body, { id: String, version: Number, position: Number, patientId: String });
    t.notOk(body.practitionerId);

    const account = await db.store.readStream(body.id);
    t.same(account.map((event) => event.type), ['AccountRegistered', 'RoleGranted', 'AccountLinkedToPatient', 'EmailVerificationRequested']);
    t.match(account[0]!.data, { accountId: body.id, email: fields.email, phone: fields.phone, registeredVia: 'self' });
    t.same(account[1]!.data, { accountId: body.id, role: 'patient' });
    t.match(account[0]!.metadata, { actorId: body.id, actorRole: 'patient' }, 'the person signing up is the actor');

    const record = await db.store.readStream(body.patientId);
    t.same(record.map((event) => event.type), ['PatientRegistered']);
    t.match(record[0]!.data, { firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1990-02-03', sex: 'female', email: fields.email, phone: fields.phone });
    t.match((record[0]!.data as { mrn: string }).mrn, /^P-[0-9A-HJKMNP-TV-Z]{10}$/);

    const tokens = await signIn(test, fields.email);
    const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(tokens.accessToken) });
    t.same(json(me), {
      id: body.id, role: 'patient', email: fields.email, phone: fields.phone, username: null,
      firstName: 'Ada', lastName: 'Lovelace', emailVerified: false, patientId: body.patientId,
    });
    const own = await app.inject({ method: 'GET', url: `/api/v1/patients/${body.patientId}/history`, headers: bearer(tokens.accessToken) });
    t.equal(own.statusCode, 200, 'the token reaches the own patient record');
  });

  t.test('no event, secret or token hash is written with the password in it', async (t) => {
    const fields = signUpFields();
    const { id } = json(await register(fields));
    const events = await db.pool.query('select data::text, metadata::text from events where stream_id = $1', [id]);
    for (const row of events.rows) {
      t.notMatch(row.data, fields.password);
      t.notMatch(row.data, /scrypt|hash|token/i);
    }
    const stored = await db.pool.query('select password_hash from account_credentials where account_id = $1', [id]);
    t.match(stored.rows[0].password_hash, /^scrypt\$10\$8\$1\$[\w-]{22}\$[\w-]{43}$/, 'a salted scrypt hash');
  });

  t.test('a practitioner gets a profile pending verification', async (t) => {
    const fields = signUpFields({ accountType: 'practitioner', dateOfBirth: undefined });
    const body = json(await register(fields));
    t.match(body, { id: String, practitionerId: String });
    t.notOk(body.patientId);
    const profile = await db.store.readStream(body.practitionerId);
    t.same(profile.map((event) => [event.streamType, event.type, event.data]), [
      ['practitioner', 'PractitionerRegistered', { practitionerId: body.practitionerId, accountId: body.id, firstName: 'Ada', lastName: 'Lovelace' }],
    ]);
    const tokens = await signIn(test, fields.email);
    const me = json(await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(tokens.accessToken) }));
    t.equal(me.practitionerId, body.practitionerId, 'a pending practitioner can sign in');
  });

  t.test('email, phone and username are each unique across accounts, email regardless of case', async (t) => {
    const first = signUpFields({ username: `ada_${Date.now()}` });
    t.equal((await register(first)).statusCode, 201);
    const before = await eventCount();
    for (const [field, value] of [
      ['email', first.email.toUpperCase()],
      ['phone', first.phone],
      ['username', (first.username as string).toUpperCase()],
    ] as const) {
      const response = await register(signUpFields({ [field]: value }));
      t.equal(response.statusCode, 409, field);
      t.equal(json(response).field, field);
    }
    t.equal(await eventCount(), before, 'nothing appended');
  });

  t.test('mass assignment: a role (or any unknown field) in the body is refused, naming it', async (t) => {
    const before = await eventCount();
    const response = await register(signUpFields({ role: 'admin' }));
    t.equal(response.statusCode, 400);
    t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.same(json(response).errors, [{ in: 'body', field: 'role', message: 'is not an allowed field' }]);
    const admin = await register(signUpFields({ accountType: 'admin' }));
    t.equal(admin.statusCode, 400, 'nor can one sign up as admin');
    t.match(json(admin).errors, [{ field: 'accountType' }]);
    t.equal(await eventCount(), before);
  });

  t.test('bad input is a 400 naming each field, and appends nothing', async (t) => {
    const before = await eventCount();
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ acceptTerms: false }, 'acceptTerms', /terms/],
      [{ acceptTerms: undefined }, 'acceptTerms', /required/],
      [{ email: 'not-an-email' }, 'email', /email/],
      [{ phone: '08012345678' }, 'phone', /E\.164/],
      [{ password: 'short' }, 'password', /at least 12/],
      [{ password: 'Password2024!!' }, 'password', /common/],
      [{ email: 'grace.hopper@example.org', password: 'grace.hopper-is-me' }, 'password', /email/],
      [{ dateOfBirth: undefined }, 'dateOfBirth', /required for a patient/],
      [{ dateOfBirth: '2999-01-01' }, 'dateOfBirth', /future/],
      [{ accountType: 'practitioner', sex: 'male', dateOfBirth: undefined }, 'sex', /only for patient/],
      [{ firstName: '   ' }, 'firstName', /blank/],
    ];
    for (const [overrides, field, message] of cases) {
      const response = await register(signUpFields(overrides));
      t.equal(response.statusCode, 400, field);
      const errors = json(response).errors as Array<{ field: string; message: string }>;
      t.ok(errors.some((error) => error.field === field && message.test(error.message)), `${field}: ${JSON.stringify(errors)}`);
    }
    t.equal(await eventCount(), before);
  });
});
