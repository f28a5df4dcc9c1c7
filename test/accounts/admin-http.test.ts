import t from 'tap';
import { v4 as uuid } from 'uuid';
import { createTestApp, json } from '../helpers/app.js';
import { bearer, linkTokenMailedTo, signIn, signUp } from '../helpers/accounts.js';

t.test('account management by admins', async (t) => {
  const test = await createTestApp(t);
  const { app, db } = test;
  const adminId = uuid();
  const admin = bearer(test.token({ role: 'admin', id: adminId }));
  const create = (payload: object, headers = admin) => app.inject({ method: 'POST', url: '/api/v1/accounts', headers, payload });
  const tag = () => uuid().slice(0, 8);

  t.test('an admin creates a practitioner, who is invited by mail to choose a password', async (t) => {
    const email = `grace.${tag()}@example.org`;
    const response = await create({ role: 'practitioner', firstName: 'Grace', lastName: 'Hopper', email });
    t.equal(response.statusCode, 201);
    const body = json(response);
    t.match(body, { id: String, practitionerId: String });
    const events = await db.store.readStream(body.id);
    t.same(events.map((event) => event.type), ['AccountRegistered', 'RoleGranted', 'AccountLinkedToPractitioner', 'PasswordResetRequested']);
    t.match(events[0]!.metadata, { actorId: adminId, actorRole: 'admin' }, 'the admin is the actor');
    t.match(events[0]!.data, { registeredVia: 'admin', phone: null });

    const token = await linkTokenMailedTo(test, email, /account is ready/);
    t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/password/reset', payload: { token, newPassword: 'compilers are fun 1952' } })).statusCode, 200);
    const { accessToken } = await signIn(test, email, 'compilers are fun 1952');
    const me = json(await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(accessToken) }));
    t.match(me, { role: 'practitioner', emailVerified: true, practitionerId: body.practitionerId });
  });

  t.test('auditors and admins get no practitioner profile; patients cannot be created here', async (t) => {
    for (const role of ['auditor', 'admin']) {
      const body = json(await create({ role, firstName: 'Ida', lastName: 'Audit', email: `ida.${tag()}@example.org` }));
      t.notOk(body.practitionerId, role);
      t.notOk(body.patientId, role);
    }
    const patient = await create({ role: 'patient', firstName: 'P', lastName: 'Q', email: `p.${tag()}@example.org` });
    t.equal(patient.statusCode, 400);
    t.match(json(patient).errors, [{ field: 'role' }]);
  });

  t.test('only admins manage accounts', async (t) => {
    for (const role of ['patient', 'practitioner', 'auditor'] as const) {
      const headers = bearer(test.token({ role, id: uuid() }));
      t.equal((await create({ role: 'admin', firstName: 'A', lastName: 'B', email: `x.${tag()}@example.org` }, headers)).statusCode, 403, role);
      const deactivate = await app.inject({ method: 'POST', url: `/api/v1/accounts/${uuid()}/deactivate`, headers, payload: { reason: 'no' } });
      t.equal(deactivate.statusCode, 403, role);
    }
    t.equal((await create({ role: 'admin', firstName: 'A', lastName: 'B', email: `y.${tag()}@example.org` }, {} as never)).statusCode, 401);
  });

  t.test('deactivation: records the reason; refused twice, for a missing account and for oneself', async (t) => {
    const person = await signUp(test);
    const deactivate = (id: string, payload: object = { reason: 'duplicate account' }) =>
      app.inject({ method: 'POST', url: `/api/v1/accounts/${id}/deactivate`, headers: admin, payload });
    t.same(json(await deactivate(person.id, {})).errors, [{ in: 'body', field: 'reason', message: 'is required' }]);
    t.equal((await deactivate(person.id)).statusCode, 200);
    const last = (await db.store.readStream(person.id)).at(-1)!;
    t.same([last.type, last.data, last.metadata.reason], ['AccountDeactivated', { accountId: person.id, reason: 'duplicate account' }, 'duplicate account']);
    t.equal((await deactivate(person.id)).statusCode, 409);
    t.equal((await deactivate(uuid())).statusCode, 404);
    t.equal((await deactivate(person.patientId!)).statusCode, 404, 'a patient record is not an account');
    const self = await deactivate(adminId);
    t.equal(self.statusCode, 403);
    t.match(json(self), { detail: /your own account/ });
  });

  t.test('GET /accounts lists from the projection, keyset-paginated and filtered', async (t) => {
    const practitioner = await signUp(test, { accountType: 'practitioner', dateOfBirth: undefined });
    await test.project();
    const all: Array<{ id: string }> = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = json(await app.inject({ method: 'GET', url: `/api/v1/accounts?${query}`, headers: admin }));
      t.ok(page.items.length <= 2);
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    t.same(all.map((item) => item.id), [...all.map((item) => item.id)].sort(), 'oldest first, by UUIDv7 id');
    t.equal(new Set(all.map((item) => item.id)).size, all.length, 'no account twice across pages');
    const practitioners = json(await app.inject({ method: 'GET', url: '/api/v1/accounts?role=practitioner&limit=100', headers: admin }));
    t.ok(practitioners.items.every((item: { role: string }) => item.role === 'practitioner'));
    t.match(practitioners.items.find((item: { id: string }) => item.id === practitioner.id), { practitionerId: practitioner.practitionerId, active: true, emailVerified: false });
    t.notMatch(JSON.stringify(practitioners), /scrypt|password/i);

    const auditor = bearer(test.token({ role: 'auditor', id: uuid() }));
    t.equal((await app.inject({ method: 'GET', url: '/api/v1/accounts', headers: auditor })).statusCode, 200, 'auditors may read it');
    const patient = bearer(test.token({ role: 'patient', id: uuid() }));
    t.equal((await app.inject({ method: 'GET', url: '/api/v1/accounts', headers: patient })).statusCode, 403);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/accounts?cursor=nonsense', headers: admin });
    t.equal(bad.statusCode, 400);
    t.match(json(bad).errors, [{ in: 'query', field: 'cursor' }]);
  });

  t.test('an admin verifies a pending practitioner', async (t) => {
    const practitioner = await signUp(test, { accountType: 'practitioner', dateOfBirth: undefined });
    const verify = (id: string, headers = admin) => app.inject({ method: 'POST', url: `/api/v1/practitioners/${id}/verify`, headers });
    const response = await verify(practitioner.practitionerId!);
    t.equal(response.statusCode, 200);
    t.match(json(response), { id: practitioner.practitionerId, version: 2 });
    const last = (await db.store.readStream(practitioner.practitionerId!)).at(-1)!;
    t.same([last.type, last.data], ['PractitionerVerified', { practitionerId: practitioner.practitionerId, verifiedBy: adminId }]);
    t.match(json(await verify(practitioner.practitionerId!)), { version: 2 }, 'verifying again changes nothing');
    t.equal((await verify(uuid())).statusCode, 404);
    t.equal((await verify(practitioner.id)).statusCode, 404, 'an account id is not a practitioner id');
    const self = bearer(test.token({ role: 'practitioner', id: practitioner.id, practitionerId: practitioner.practitionerId }));
    t.equal((await verify(practitioner.practitionerId!, self)).statusCode, 403, 'a practitioner cannot verify themselves');
  });
});
