import t from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { v4 as uuid } from 'uuid';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { fullRegistrationBody as fullRegistration, registrationBody as registration } from '../helpers/patients.js';
import { invalidFields, problem, type Test } from '../helpers/problems.js';

const admin = { role: 'admin' as const, id: uuid() };

const UNKNOWN_ID = '0192f0c4-7a6b-7d3e-9c1a-2b3c4d5e6f70';

// Ids that are not UUIDs PostgreSQL accepts, including the `urn:uuid:` form that JSON Schema's
// "uuid" format allows but the database does not.
const BAD_IDS = ['not-a-uuid', '12345', `urn:uuid:${UNKNOWN_ID}`, `${UNKNOWN_ID}0`, 'ZZZZZZZZ-7a6b-7d3e-9c1a-2b3c4d5e6f70'];

function harness(context: TestApp) {
  const { app, db, token } = context;
  const auth = { authorization: `Bearer ${token(admin)}` };
  const countEvents = async () => (await db.pool.query<{ n: number }>('select count(*)::int as n from events')).rows[0]!.n;
  const register = async (body: object = registration(), headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/api/v1/patients', headers: { ...auth, ...headers }, payload: body });
  const registered = async (body: object = registration()) => {
    const response = await register(body);
    if (response.statusCode !== 201) throw new Error(`registration failed: ${response.body}`);
    return json<{ id: string; version: number; position: number }>(response);
  };
  const patch = async (id: string, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'PATCH', url: `/api/v1/patients/${id}`, headers: { ...auth, ...headers }, payload: body as object });
  const statusChange = async (id: string, action: 'deactivate' | 'reactivate', body: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: `/api/v1/patients/${id}/${action}`, headers: { ...auth, ...headers }, payload: body as object });
  /** Asserts the block appends no event at all. */
  const appendsNothing = async (t: Test, work: () => Promise<unknown>) => {
    const before = await countEvents();
    await work();
    t.equal(await countEvents(), before, 'nothing appended');
  };
  return { ...context, auth, countEvents, register, registered, patch, statusChange, appendsNothing };
}

t.test('registering a patient over HTTP', async (t) => {
  const context = harness(await createTestApp(t));
  const { app, db, auth, token, register, registered, appendsNothing } = context;

  t.test('appends PatientRegistered and answers id, version, position with an ETag', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/patients', headers: auth, payload: registration() });
    t.equal(response.statusCode, 201);
    const body = json(response);
    t.match(body, { id: String, version: 1, position: Number });
    t.same(Object.keys(body).sort(), ['id', 'position', 'version']);
    t.equal(response.headers.etag, '"1"');
    t.equal(response.headers.location, `/api/v1/patients/${body.id}`);
    const events = await db.store.readStream(body.id);
    t.same(events.map((event) => event.type), ['PatientRegistered']);
    t.equal(events[0]!.position, body.position, 'the position is that of the appended event');
    t.match(events[0]!.metadata, { actorId: admin.id, actorRole: 'admin', requestId: String });
  });

  t.test('records every field sent, normalised, and null for every optional field not sent', async (t) => {
    const sent = fullRegistration();
    const full = await registered({ ...sent, firstName: '  Ada ', address: { ...sent.address, country: 'ng' } });
    const [event] = await db.store.readStream(full.id);
    t.same(event!.data, { patientId: full.id, ...sent });

    const bare = registration();
    const minimal = await registered(bare);
    const [minimalEvent] = await db.store.readStream(minimal.id);
    t.same(minimalEvent!.data, {
      patientId: minimal.id,
      ...bare,
      phone: null,
      email: null,
      address: null,
      bloodGroup: null,
      genotype: null,
      nationality: null,
      emergencyContacts: [],
    });
  });

  t.test('an address without state or postal code records them as null', async (t) => {
    const { id } = await registered(registration({ address: { line: '1 Marina Road', city: 'Lagos', country: 'NG' } }));
    const [event] = await db.store.readStream(id);
    t.same((event!.data as { address: unknown }).address, {
      line: '1 Marina Road',
      city: 'Lagos',
      state: null,
      postalCode: null,
      country: 'NG',
    });
  });

  t.test('bad input is refused with every offending field listed, and nothing is appended', async (t) => {
    await appendsNothing(t, async () => {
      const response = await register({
        mrn: 'has spaces!',
        firstName: '',
        dateOfBirth: '03/02/1990',
        sex: 'f',
        phone: '08012345678',
        email: 'not-an-email',
        bloodGroup: 'C+',
        genotype: 'XX',
        address: { line: 'x', city: 'y', country: 'Nigeria' },
        emergencyContacts: [{ name: 'Byron', relationship: 'brother', phone: '12' }],
      });
      const errors = invalidFields(t, response, 'body', [
        'mrn',
        'firstName',
        'lastName',
        'dateOfBirth',
        'sex',
        'phone',
        'email',
        'bloodGroup',
        'genotype',
        'address.country',
        'emergencyContacts.0.phone',
      ]);
      t.match(errors, [{ field: 'lastName', message: 'is required' }], 'a missing field is named as required');
      t.match(
        errors.find((error) => error.field === 'phone'),
        { message: /E\.164/ },
        'messages say what is expected',
      );
    });
  });

  t.test('fields a client may not set are refused by name, never silently dropped', async (t) => {
    await appendsNothing(t, async () => {
      const response = await register({
        ...registration(),
        id: UNKNOWN_ID,
        active: false,
        version: 7,
        address: { line: '1 Marina Road', city: 'Lagos', country: 'NG', verified: true },
      });
      const errors = invalidFields(t, response, 'body', ['id', 'active', 'version', 'address.verified']);
      t.ok(errors.every((error) => error.message === 'is not an allowed field'));
    });
  });

  t.test('a name longer than the maximum is refused', async (t) => {
    await appendsNothing(t, async () => {
      invalidFields(t, await register(registration({ lastName: 'x'.repeat(101) })), 'body', ['lastName']);
    });
  });

  t.test('a date of birth in the future or before 1900 is refused', async (t) => {
    await appendsNothing(t, async () => {
      const future = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
      t.match(invalidFields(t, await register(registration({ dateOfBirth: future })), 'body', ['dateOfBirth']), [
        { message: /future/ },
      ]);
      t.match(invalidFields(t, await register(registration({ dateOfBirth: '1899-12-31' })), 'body', ['dateOfBirth']), [
        { message: /1900/ },
      ]);
      invalidFields(t, await register(registration({ dateOfBirth: '1990-02-30' })), 'body', ['dateOfBirth']);
    });
  });

  t.test('malformed JSON is a 400 problem', async (t) => {
    await appendsNothing(t, async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/patients',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '{"mrn": "MRN-1", "firstName": ',
      });
      const body = problem(t, response, 400);
      t.notMatch(body.detail, /at position|stack|node_modules/i, 'says nothing of the parser internals beyond the message');
    });
  });

  t.test('a body that is not a JSON object is a 400 problem', async (t) => {
    await appendsNothing(t, async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/patients',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '[1, 2]',
      });
      problem(t, response, 400);
    });
  });

  t.test('an MRN already in use, in any letter case, is a 409 conflict naming the field', async (t) => {
    const mrn = `MRN-${uuid().slice(0, 8).toUpperCase()}`;
    await registered(registration({ mrn }));
    await appendsNothing(t, async () => {
      const response = await register(registration({ mrn: mrn.toLowerCase(), firstName: 'Someone', lastName: 'Else' }));
      const body = problem(t, response, 409);
      t.equal(body.field, 'mrn');
      t.notMatch(body.detail, mrn.toLowerCase(), 'the value itself is not echoed');
    });
  });

  t.test('an anonymous caller is refused before anything is read', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/patients', payload: { nonsense: true } });
    const body = problem(t, response, 401);
    t.equal(response.headers['www-authenticate'], 'Bearer realm="pams"');
    t.notOk(body.errors, 'an anonymous caller learns nothing from validation');
  });

  t.test('a forged or malformed token is a 401', async (t) => {
    const forged = `${token(admin).slice(0, -4)}AAAA`;
    problem(t, await register(registration(), { authorization: `Bearer ${forged}` }), 401);
    problem(t, await register(registration(), { authorization: 'Basic YWRhOmFkYQ==' }), 401);
  });

  t.test('a patient may not register patients', async (t) => {
    await appendsNothing(t, async () => {
      const patient = token({ role: 'patient', id: uuid(), patientId: uuid() });
      const response = await register(registration(), { authorization: `Bearer ${patient}` });
      problem(t, response, 403);
    });
  });

  t.test('an auditor may not register patients', async (t) => {
    await appendsNothing(t, async () => {
      const response = await register(registration(), { authorization: `Bearer ${token({ role: 'auditor', id: uuid() })}` });
      problem(t, response, 403);
    });
  });
});

t.test('Idempotency-Key on POST commands', async (t) => {
  const context = harness(await createTestApp(t));
  const { db, token, register, registered, statusChange, countEvents, appendsNothing } = context;

  t.test('a retry with the same key and body answers as the first time and appends nothing', async (t) => {
    const key = `register-${uuid()}`;
    const body = registration();
    const first = await register(body, { 'idempotency-key': key });
    t.equal(first.statusCode, 201);
    t.notOk(first.headers['idempotent-replayed'], 'the first answer is not a replay');
    const before = await countEvents();
    const retry = await register(body, { 'idempotency-key': key });
    t.equal(retry.statusCode, 201);
    t.same(json(retry), json(first));
    t.equal(retry.headers['idempotent-replayed'], 'true');
    t.equal(retry.headers.etag, first.headers.etag);
    t.equal(retry.headers.location, first.headers.location, 'including where the new record is');
    t.equal(await countEvents(), before, 'the retry appended nothing');
    t.equal((await db.store.readStream(json(first).id)).length, 1);
  });

  t.test('the same key with the same fields in another order is the same request', async (t) => {
    const key = uuid();
    const body = registration();
    const first = await register(body, { 'idempotency-key': key });
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const retry = await register(reordered, { 'idempotency-key': key });
    t.equal(retry.headers['idempotent-replayed'], 'true');
    t.same(json(retry), json(first));
  });

  t.test('the same key with a different body is refused with 422 and appends nothing', async (t) => {
    const key = uuid();
    await register(registration(), { 'idempotency-key': key });
    await appendsNothing(t, async () => {
      const response = await register(registration(), { 'idempotency-key': key });
      const body = problem(t, response, 422);
      t.match(body.detail, /Idempotency-Key/);
    });
  });

  t.test('concurrent duplicates with the same key append once and all answer the same', async (t) => {
    for (let round = 0; round < 5; round += 1) {
      const key = uuid();
      const body = registration();
      const before = await countEvents();
      const responses = await Promise.all(Array.from({ length: 6 }, () => register(body, { 'idempotency-key': key })));
      t.same(
        responses.map((response) => response.statusCode),
        Array(6).fill(201),
        `round ${round}: every duplicate succeeds`,
      );
      const ids = new Set(responses.map((response) => json(response).id));
      t.equal(ids.size, 1, `round ${round}: one patient`);
      t.equal(await countEvents(), before + 1, `round ${round}: one event`);
      t.equal(responses.filter((response) => response.headers['idempotent-replayed'] === 'true').length, 5);
    }
  });

  t.test("keys belong to their caller: another caller's identical key is a request of its own", async (t) => {
    const key = uuid();
    const first = await register(registration(), { 'idempotency-key': key });
    const other = token({ role: 'admin', id: uuid() });
    const second = await register(registration(), { 'idempotency-key': key, authorization: `Bearer ${other}` });
    t.equal(second.statusCode, 201);
    t.notOk(second.headers['idempotent-replayed']);
    t.not(json(second).id, json(first).id);
  });

  t.test('a retried deactivation replays its answer instead of failing as already inactive', async (t) => {
    const { id } = await registered();
    const key = uuid();
    const first = await statusChange(id, 'deactivate', { reason: 'Duplicate record' }, { 'idempotency-key': key });
    t.equal(first.statusCode, 200);
    const retry = await statusChange(id, 'deactivate', { reason: 'Duplicate record' }, { 'idempotency-key': key });
    t.equal(retry.statusCode, 200);
    t.equal(retry.headers['idempotent-replayed'], 'true');
    t.same(json(retry), json(first));
    t.equal((await db.store.readStream(id)).length, 2);
  });

  t.test('a key used for one patient cannot be replayed against another', async (t) => {
    const [a, b] = [await registered(), await registered()];
    const key = uuid();
    await statusChange(a.id, 'deactivate', { reason: 'Duplicate record' }, { 'idempotency-key': key });
    await appendsNothing(t, async () => {
      problem(t, await statusChange(b.id, 'deactivate', { reason: 'Duplicate record' }, { 'idempotency-key': key }), 422);
    });
  });

  t.test('a failed command does not use up its key', async (t) => {
    const taken = registration();
    await registered(taken);
    const key = uuid();
    const body = registration({ mrn: taken.mrn });
    problem(t, await register(body, { 'idempotency-key': key }), 409);
    const fixed = await register({ ...body, mrn: `MRN-${uuid().slice(0, 8)}` }, { 'idempotency-key': key });
    t.equal(fixed.statusCode, 201, 'the corrected request goes through under the same key');
  });

  t.test('a malformed key is a 400 naming the header', async (t) => {
    await appendsNothing(t, async () => {
      invalidFields(t, await register(registration(), { 'idempotency-key': 'has spaces' }), 'headers', ['idempotency-key']);
    });
  });
});

t.test('correcting demographics: PATCH /api/v1/patients/{id}', async (t) => {
  const context = harness(await createTestApp(t));
  const { app, db, token, auth, registered, patch, statusChange, appendsNothing } = context;

  t.test('appends PatientDemographicsUpdated with only the changed fields, answering the new version and ETag', async (t) => {
    const { id } = await registered(fullRegistration());
    const response = await patch(id, { lastName: 'King', firstName: 'Ada', genotype: 'AS' });
    t.equal(response.statusCode, 200);
    const body = json(response);
    const events = await db.store.readStream(id);
    t.same(body, { id, version: 2, position: events[1]!.position });
    t.equal(response.headers.etag, '"2"');
    t.equal(events[1]!.type, 'PatientDemographicsUpdated');
    t.same(events[1]!.data, { patientId: id, changes: { lastName: 'King', genotype: 'AS' } });
  });

  t.test('null clears an optional field; a field left out keeps its value', async (t) => {
    const { id } = await registered(fullRegistration());
    const response = await patch(id, { phone: null });
    t.equal(response.statusCode, 200);
    const events = await db.store.readStream(id);
    t.same(events[1]!.data, { patientId: id, changes: { phone: null } }, 'email, address and the rest are untouched');
  });

  t.test('null clears the emergency contacts to none', async (t) => {
    const { id } = await registered(fullRegistration());
    t.equal((await patch(id, { emergencyContacts: null, address: null })).statusCode, 200);
    const events = await db.store.readStream(id);
    t.same(events[1]!.data, { patientId: id, changes: { emergencyContacts: [], address: null } });
  });

  t.test('null on a required field is a 400 naming it, and nothing is appended', async (t) => {
    const { id } = await registered();
    await appendsNothing(t, async () => {
      t.match(invalidFields(t, await patch(id, { firstName: null }), 'body', ['firstName']), [
        { field: 'firstName', message: 'must not be null' },
      ]);
    });
  });

  t.test('every required field cleared with null is named at once, alongside other bad fields', async (t) => {
    const { id } = await registered();
    await appendsNothing(t, async () => {
      invalidFields(t, await patch(id, { firstName: null, sex: null, email: 'nope' }), 'body', ['firstName', 'sex', 'email']);
    });
  });

  t.test('a change to nothing answers 200 with the current version and appends nothing', async (t) => {
    const { id, position } = await registered(fullRegistration());
    await appendsNothing(t, async () => {
      const response = await patch(id, { firstName: 'Ada', phone: '+2348012345678' });
      t.equal(response.statusCode, 200);
      t.same(json(response), { id, version: 1, position });
      t.equal(response.headers.etag, '"1"');
    });
    await appendsNothing(t, async () => {
      t.equal((await patch(id, {})).statusCode, 200, 'an empty body changes nothing either');
    });
  });

  t.test('bad input lists every offending field, and nothing is appended', async (t) => {
    const { id } = await registered();
    await appendsNothing(t, async () => {
      invalidFields(t, await patch(id, { lastName: '   ', dateOfBirth: 'yesterday', sex: 'F', phone: '123', bloodGroup: 'Z' }), 'body', [
        'lastName',
        'dateOfBirth',
        'sex',
        'phone',
        'bloodGroup',
      ]);
    });
  });

  t.test('the MRN and other unknown fields cannot be changed through PATCH', async (t) => {
    const { id } = await registered();
    await appendsNothing(t, async () => {
      invalidFields(t, await patch(id, { mrn: 'NEW-1', active: false, patientId: UNKNOWN_ID }), 'body', ['mrn', 'active', 'patientId']);
    });
  });

  t.test('a date of birth in the future is a 400 naming it', async (t) => {
    const { id } = await registered();
    await appendsNothing(t, async () => {
      invalidFields(t, await patch(id, { dateOfBirth: '2999-01-01' }), 'body', ['dateOfBirth']);
    });
  });

  t.test('malformed JSON is a 400 problem', async (t) => {
    const { id } = await registered();
    const response = await app.inject({
      method: 'PATCH',
      url: `/api/v1/patients/${id}`,
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"lastName": King}',
    });
    problem(t, response, 400);
  });

  for (const badId of BAD_IDS) {
    t.test(`an id that is not a UUID (${badId}) is a 400 naming the id, never a 500`, async (t) => {
      invalidFields(t, await patch(encodeURIComponent(badId), { lastName: 'King' }), 'params', ['id']);
    });
  }

  t.test('an unknown patient is a 404 problem', async (t) => {
    await appendsNothing(t, async () => {
      problem(t, await patch(UNKNOWN_ID, { lastName: 'King' }), 404);
    });
  });

  t.test('an inactive record is a 409 conflict until reactivated', async (t) => {
    const { id } = await registered();
    await statusChange(id, 'deactivate', { reason: 'Duplicate record' });
    await appendsNothing(t, async () => {
      problem(t, await patch(id, { lastName: 'King' }), 409);
    });
    await statusChange(id, 'reactivate', { reason: 'Not a duplicate after all' });
    t.equal((await patch(id, { lastName: 'King' })).statusCode, 200);
  });

  t.test('If-Match with the current version applies the change', async (t) => {
    const { id } = await registered();
    const response = await patch(id, { lastName: 'King' }, { 'if-match': '"1"' });
    t.equal(response.statusCode, 200);
    t.equal(json(response).version, 2);
    t.equal((await patch(id, { lastName: 'Byron' }, { 'if-match': 'W/"2"' })).statusCode, 200, 'a weak ETag works too');
  });

  t.test('a stale If-Match is a 412 and appends nothing', async (t) => {
    const { id } = await registered();
    await patch(id, { lastName: 'King' });
    await appendsNothing(t, async () => {
      const body = problem(t, await patch(id, { firstName: 'Augusta' }, { 'if-match': '"1"' }), 412);
      t.match(body.detail, /version 2/);
    });
  });

  t.test('a malformed If-Match is a 400 naming the header', async (t) => {
    const { id } = await registered();
    await appendsNothing(t, async () => {
      invalidFields(t, await patch(id, { lastName: 'King' }, { 'if-match': 'yesterday' }), 'headers', ['if-match']);
    });
  });

  t.test('of two concurrent changes based on one version, exactly one is applied', async (t) => {
    const { id } = await registered();
    const responses = await Promise.all(
      ['King', 'Byron', 'Somerville'].map((lastName) => patch(id, { lastName }, { 'if-match': '"1"' })),
    );
    t.same(responses.map((response) => response.statusCode).sort(), [200, 412, 412]);
    t.equal((await db.store.readStream(id)).length, 2);
  });

  t.test('a patient may correct their own record, but reaches no other', async (t) => {
    const own = await registered();
    const other = await registered();
    const patient = { authorization: `Bearer ${token({ role: 'patient', id: uuid(), patientId: own.id })}` };
    t.equal((await patch(own.id, { phone: '+2348011111111' }, patient)).statusCode, 200);
    await appendsNothing(t, async () => {
      problem(t, await patch(other.id, { phone: '+2348011111111' }, patient), 404);
    });
  });

  t.test('an anonymous caller is refused', async (t) => {
    const response = await app.inject({ method: 'PATCH', url: `/api/v1/patients/${UNKNOWN_ID}`, payload: { lastName: 'King' } });
    problem(t, response, 401);
  });
});

t.test('deactivating and reactivating: POST /api/v1/patients/{id}/deactivate and /reactivate', async (t) => {
  const context = harness(await createTestApp(t));
  const { app, db, token, registered, statusChange, appendsNothing } = context;

  t.test('deactivation appends PatientDeactivated with the reason, in the data and the metadata', async (t) => {
    const { id } = await registered();
    const response = await statusChange(id, 'deactivate', { reason: 'Duplicate of another record' });
    t.equal(response.statusCode, 200);
    const events = await db.store.readStream(id);
    t.same(json(response), { id, version: 2, position: events[1]!.position });
    t.equal(response.headers.etag, '"2"');
    t.equal(events[1]!.type, 'PatientDeactivated');
    t.same(events[1]!.data, { patientId: id, reason: 'Duplicate of another record' });
    t.match(events[1]!.metadata, { reason: 'Duplicate of another record', actorId: admin.id, actorRole: 'admin' });
  });

  t.test('reactivation appends PatientReactivated with its reason', async (t) => {
    const { id } = await registered();
    await statusChange(id, 'deactivate', { reason: 'Duplicate' });
    const response = await statusChange(id, 'reactivate', { reason: 'Not a duplicate' });
    t.equal(response.statusCode, 200);
    t.same(json(response).version, 3);
    t.equal(response.headers.etag, '"3"');
    const events = await db.store.readStream(id);
    t.same(
      events.map((event) => [event.type, event.data]),
      [
        ['PatientRegistered', events[0]!.data],
        ['PatientDeactivated', { patientId: id, reason: 'Duplicate' }],
        ['PatientReactivated', { patientId: id, reason: 'Not a duplicate' }],
      ],
    );
  });

  for (const action of ['deactivate', 'reactivate'] as const) {
    t.test(`${action} without a reason, or with a blank one, is a 400 naming reason`, async (t) => {
      const { id } = await registered();
      if (action === 'reactivate') await statusChange(id, 'deactivate', { reason: 'Duplicate' });
      await appendsNothing(t, async () => {
        invalidFields(t, await statusChange(id, action, {}), 'body', ['reason']);
        invalidFields(t, await statusChange(id, action, { reason: '   ' }), 'body', ['reason']);
        invalidFields(t, await statusChange(id, action, { reason: 'x'.repeat(501) }), 'body', ['reason']);
        invalidFields(t, await statusChange(id, action, { reason: 'ok', active: false }), 'body', ['active']);
      });
    });

    t.test(`${action} of an unknown patient is a 404`, async (t) => {
      await appendsNothing(t, async () => {
        problem(t, await statusChange(UNKNOWN_ID, action, { reason: 'Because' }), 404);
      });
    });

    for (const badId of BAD_IDS) {
      t.test(`${action} with an id that is not a UUID (${badId}) is a 400, never a 500`, async (t) => {
        invalidFields(t, await statusChange(encodeURIComponent(badId), action, { reason: 'Because' }), 'params', ['id']);
      });
    }

    t.test(`a patient may not ${action} a record, not even their own`, async (t) => {
      const { id } = await registered();
      if (action === 'reactivate') await statusChange(id, 'deactivate', { reason: 'Duplicate' });
      const patient = `Bearer ${token({ role: 'patient', id: uuid(), patientId: id })}`;
      await appendsNothing(t, async () => {
        problem(t, await statusChange(id, action, { reason: 'Because' }, { authorization: patient }), 403);
      });
    });

    t.test(`${action} by an anonymous caller is a 401`, async (t) => {
      const response = await app.inject({ method: 'POST', url: `/api/v1/patients/${UNKNOWN_ID}/${action}`, payload: { reason: 'x' } });
      problem(t, response, 401);
    });
  }

  t.test('deactivating twice is a 409 conflict, and the second appends nothing', async (t) => {
    const { id } = await registered();
    t.equal((await statusChange(id, 'deactivate', { reason: 'Duplicate' })).statusCode, 200);
    await appendsNothing(t, async () => {
      const body = problem(t, await statusChange(id, 'deactivate', { reason: 'Duplicate' }), 409);
      t.match(body.detail, /already inactive/);
    });
  });

  t.test('reactivating an active record is a 409 conflict', async (t) => {
    const { id } = await registered();
    await appendsNothing(t, async () => {
      const body = problem(t, await statusChange(id, 'reactivate', { reason: 'Because' }), 409);
      t.match(body.detail, /already active/);
    });
  });

  t.test('a stale If-Match is a 412 and appends nothing; the current one works', async (t) => {
    const { id } = await registered();
    await appendsNothing(t, async () => {
      problem(t, await statusChange(id, 'deactivate', { reason: 'Duplicate' }, { 'if-match': '"5"' }), 412);
    });
    t.equal((await statusChange(id, 'deactivate', { reason: 'Duplicate' }, { 'if-match': '"1"' })).statusCode, 200);
  });
});

t.test('request details that must not change the outcome', async (t) => {
  const { app, db, token } = await createTestApp(t);
  const auth = { authorization: `Bearer ${token({ role: 'admin', id: uuid() })}` };

  t.test('If-Match on a patient that does not exist answers 404, not 412', async (t) => {
    const response = await app.inject({
      method: 'PATCH',
      url: `/api/v1/patients/${uuid()}`,
      headers: { ...auth, 'if-match': '"3"' },
      payload: { phone: null },
    });
    t.equal(response.statusCode, 404);
  });

  t.test('an upper-case id in the path is the same patient, echoed in lower case', async (t) => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/patients', headers: auth, payload: { mrn: `U-${uuid().slice(0, 8)}`, firstName: 'Ada', lastName: 'Byron', dateOfBirth: '1990-01-01', sex: 'female' } });
    const id: string = created.json().id;
    const response = await app.inject({ method: 'PATCH', url: `/api/v1/patients/${id.toUpperCase()}`, headers: auth, payload: { phone: '+2348011111111' } });
    t.equal(response.statusCode, 200);
    t.equal(response.json().id, id);
    const events = await db.store.readStream(id);
    t.equal((events[1]!.data as { patientId: string }).patientId, id, 'the event names the patient in one spelling');
  });
});
