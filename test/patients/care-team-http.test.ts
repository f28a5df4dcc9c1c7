import t from 'tap';
import { v4 as uuid } from 'uuid';
import { createTestApp, json, type Caller, type TestApp } from '../helpers/app.js';
import { givenPractitioner } from '../helpers/practitioners.js';
import { registrationBody } from '../helpers/patients.js';
import { problem, type Test } from '../helpers/problems.js';

const admin: Caller = { role: 'admin', id: uuid() };
const auditor: Caller = { role: 'auditor', id: uuid() };

function harness({ app, db, token, project }: TestApp) {
  const as = (caller: Caller | null) => (caller ? { authorization: `Bearer ${token(caller)}` } : {});
  const registerPatient = async (by: Caller = admin) => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/patients',
      headers: as(by),
      payload: registrationBody(),
    });
    if (response.statusCode !== 201) throw new Error(`registration failed: ${response.body}`);
    return json<{ id: string; position: number }>(response).id;
  };
  const assign = (patientId: string, practitionerId: unknown, by: Caller | null = admin) =>
    app.inject({ method: 'POST', url: `/api/v1/patients/${patientId}/care-team`, headers: as(by), payload: { practitionerId } });
  const unassign = (patientId: string, practitionerId: string, by: Caller | null = admin) =>
    app.inject({ method: 'DELETE', url: `/api/v1/patients/${patientId}/care-team/${practitionerId}`, headers: as(by) });
  const team = async (patientId: string, by: Caller = admin) => {
    await project();
    const response = await app.inject({ method: 'GET', url: `/api/v1/patients/${patientId}/care-team`, headers: as(by) });
    return response.statusCode === 200 ? json(response).items.map((member: { practitionerId: string }) => member.practitionerId) : response.statusCode;
  };
  const streamTypes = async (patientId: string) => (await db.store.readStream(patientId)).map((event) => event.type);
  return { as, registerPatient, assign, unassign, team, streamTypes };
}


t.test('POST /patients/{id}/care-team', async (t) => {
  const context = await createTestApp(t);
  const { db } = context;
  const { registerPatient, assign, team, streamTypes } = harness(context);

  t.test('an admin assigns a verified practitioner: the event names both, its metadata the admin', async (t) => {
    const patientId = await registerPatient();
    const { practitionerId } = await givenPractitioner(db.store);
    const response = await assign(patientId, practitionerId);
    t.equal(response.statusCode, 200);
    t.match(json(response), { id: patientId, version: 2, position: Number });
    const [, event] = await db.store.readStream(patientId);
    t.match(event, {
      type: 'PractitionerAssignedToPatient',
      data: { patientId, practitionerId },
      metadata: { actorId: admin.id, actorRole: 'admin' },
    });
    t.same(await team(patientId), [practitionerId]);
  });

  t.test('assigning someone already on the team appends nothing', async (t) => {
    const patientId = await registerPatient();
    const { practitionerId } = await givenPractitioner(db.store);
    await assign(patientId, practitionerId);
    const again = await assign(patientId, practitionerId);
    t.equal(again.statusCode, 200);
    t.match(json(again), { version: 2 });
    t.same(await streamTypes(patientId), ['PatientRegistered', 'PractitionerAssignedToPatient']);
  });

  t.test('a practitioner on the team may bring in a colleague', async (t) => {
    const patientId = await registerPatient();
    const lead = await givenPractitioner(db.store);
    const colleague = await givenPractitioner(db.store);
    await assign(patientId, lead.practitionerId);
    const response = await assign(patientId, colleague.practitionerId, lead.caller);
    t.equal(response.statusCode, 200);
    t.same(await team(patientId), [lead.practitionerId, colleague.practitionerId]);
  });

  t.test('an id in upper case names the same practitioner, who then reaches the record', async (t) => {
    const patientId = await registerPatient();
    const { practitionerId, caller } = await givenPractitioner(db.store);
    t.equal((await assign(patientId, practitionerId.toUpperCase())).statusCode, 200);
    t.equal((await assign(patientId, practitionerId)).statusCode, 200);
    t.same(await streamTypes(patientId), ['PatientRegistered', 'PractitionerAssignedToPatient'], 'assigned once');
    const patch = await context.app.inject({
      method: 'PATCH',
      url: `/api/v1/patients/${patientId}`,
      headers: { authorization: `Bearer ${context.token(caller)}` },
      payload: { phone: '+2348011111111' },
    });
    t.equal(patch.statusCode, 200);
  });

  t.test('a practitioner pending verification cannot join: 409, nothing appended', async (t) => {
    const patientId = await registerPatient();
    const { practitionerId } = await givenPractitioner(db.store, 'pending');
    const body = problem(t, await assign(patientId, practitionerId), 409);
    t.match(body.detail, /not verified/);
    t.same(await streamTypes(patientId), ['PatientRegistered']);
  });

  t.test('an id that is no practitioner (or is another kind of record) is refused, naming the field', async (t) => {
    const patientId = await registerPatient();
    const otherPatient = await registerPatient();
    for (const practitionerId of [uuid(), otherPatient]) {
      const body = problem(t, await assign(patientId, practitionerId), 400);
      t.match(body.errors, [{ in: 'body', field: 'practitionerId', message: /not a registered practitioner/ }]);
    }
    t.same(await streamTypes(patientId), ['PatientRegistered']);
  });

  t.test('bad input is a 400 naming the field, and nothing is appended', async (t) => {
    const patientId = await registerPatient();
    const { practitionerId } = await givenPractitioner(db.store);
    const { app, token } = context;
    const cases: Array<[string, unknown, string]> = [
      ['missing', {}, 'practitionerId'],
      ['not a UUID', { practitionerId: 'dr-okafor' }, 'practitionerId'],
      ['not a string', { practitionerId: 42 }, 'practitionerId'],
      ['an unknown field', { practitionerId, role: 'admin' }, 'role'],
    ];
    for (const [label, payload, field] of cases) {
      const response = await app.inject({
        method: 'POST',
        url: `/api/v1/patients/${patientId}/care-team`,
        headers: { authorization: `Bearer ${token(admin)}` },
        payload: payload as object,
      });
      const body = problem(t, response, 400);
      t.match(body.errors, [{ in: 'body', field }], label);
    }
    const badPath = problem(t, await assign('not-a-uuid', practitionerId), 400);
    t.match(badPath.errors, [{ in: 'params', field: 'id' }]);
    t.same(await streamTypes(patientId), ['PatientRegistered']);
  });

  t.test('an inactive record takes no new members', async (t) => {
    const patientId = await registerPatient();
    const { practitionerId } = await givenPractitioner(db.store);
    await context.app.inject({
      method: 'POST',
      url: `/api/v1/patients/${patientId}/deactivate`,
      headers: { authorization: `Bearer ${context.token(admin)}` },
      payload: { reason: 'Duplicate record' },
    });
    problem(t, await assign(patientId, practitionerId), 409);
  });

  t.test('who may not assign: outsiders get 404 as if there were no patient, other roles 403, anonymous 401', async (t) => {
    const patientId = await registerPatient();
    const { practitionerId } = await givenPractitioner(db.store);
    const outsider = await givenPractitioner(db.store);
    const pending = await givenPractitioner(db.store, 'pending');
    const patient: Caller = { role: 'patient', id: uuid(), patientId };
    const missing = problem(t, await assign(uuid(), practitionerId), 404);
    const outside = problem(t, await assign(patientId, practitionerId, outsider.caller), 404);
    t.equal(outside.title, missing.title, 'out of reach reads like missing');
    problem(t, await assign(patientId, outsider.practitionerId, outsider.caller), 404);
    problem(t, await assign(patientId, pending.practitionerId, pending.caller), 404);
    problem(t, await assign(patientId, practitionerId, patient), 403);
    problem(t, await assign(patientId, practitionerId, auditor), 403);
    problem(t, await assign(patientId, practitionerId, null), 401);
    t.same(await streamTypes(patientId), ['PatientRegistered'], 'nothing appended by anyone');
  });
});

t.test('DELETE /patients/{id}/care-team/{practitionerId}', async (t) => {
  const context = await createTestApp(t);
  const { app, db } = context;
  const { as, registerPatient, assign, unassign, team, streamTypes } = harness(context);

  t.test('an admin removes a member; removing them again appends nothing', async (t) => {
    const patientId = await registerPatient();
    const { practitionerId } = await givenPractitioner(db.store);
    await assign(patientId, practitionerId);
    const response = await unassign(patientId, practitionerId);
    t.equal(response.statusCode, 200);
    t.match(json(response), { id: patientId, version: 3 });
    const again = await unassign(patientId, practitionerId);
    t.equal(again.statusCode, 200);
    t.match(json(again), { version: 3 });
    const history = await db.store.readStream(patientId);
    t.match(history.at(-1), {
      type: 'PractitionerUnassignedFromPatient',
      data: { patientId, practitionerId },
      metadata: { actorId: admin.id, actorRole: 'admin' },
    });
    t.same(await team(patientId), []);
  });

  t.test('a practitioner who leaves the team loses the record at once', async (t) => {
    const patientId = await registerPatient();
    const { practitionerId, caller } = await givenPractitioner(db.store);
    await assign(patientId, practitionerId);
    t.equal((await unassign(patientId, practitionerId, caller)).statusCode, 200, 'may remove themselves');
    const patch = await app.inject({
      method: 'PATCH',
      url: `/api/v1/patients/${patientId}`,
      headers: as(caller),
      payload: { phone: '+2348011111111' },
    });
    problem(t, patch, 404);
    await context.project();
    problem(t, await app.inject({ method: 'GET', url: `/api/v1/patients/${patientId}`, headers: as(caller) }), 404);
    problem(t, await unassign(patientId, practitionerId, caller), 404);
  });

  t.test('bad ids in the path are a 400 naming the parameter', async (t) => {
    const patientId = await registerPatient();
    const body = problem(t, await unassign(patientId, 'dr-okafor'), 400);
    t.match(body.errors, [{ in: 'params', field: 'practitionerId' }]);
  });

  t.test('who may not remove: outsiders 404, patients and auditors 403, anonymous 401', async (t) => {
    const patientId = await registerPatient();
    const member = await givenPractitioner(db.store);
    const outsider = await givenPractitioner(db.store);
    await assign(patientId, member.practitionerId);
    problem(t, await unassign(patientId, member.practitionerId, outsider.caller), 404);
    problem(t, await unassign(patientId, member.practitionerId, { role: 'patient', id: uuid(), patientId }), 403);
    problem(t, await unassign(patientId, member.practitionerId, auditor), 403);
    problem(t, await unassign(patientId, member.practitionerId, null), 401);
    t.same(await streamTypes(patientId), ['PatientRegistered', 'PractitionerAssignedToPatient']);
  });
});

t.test('GET /patients/{id}/care-team', async (t) => {
  const context = await createTestApp(t);
  const { app, db } = context;
  const { as, registerPatient, assign, team } = harness(context);

  t.test('lists each member with who assigned them and when, to everyone who reaches the record', async (t) => {
    const patientId = await registerPatient();
    const { practitionerId, caller } = await givenPractitioner(db.store);
    await assign(patientId, practitionerId);
    await context.project();
    const response = await app.inject({ method: 'GET', url: `/api/v1/patients/${patientId}/care-team`, headers: as(caller) });
    t.equal(response.statusCode, 200);
    t.match(json(response), { items: [{ practitionerId, assignedAt: String, assignedBy: { id: admin.id, role: 'admin' } }] });
    t.same(await team(patientId, { role: 'patient', id: uuid(), patientId }), [practitionerId], 'the patient');
    t.same(await team(patientId, auditor), [practitionerId], 'an auditor');
  });

  t.test('out of reach is 404', async (t) => {
    const patientId = await registerPatient();
    const outsider = await givenPractitioner(db.store);
    t.equal(await team(patientId, outsider.caller), 404);
    t.equal(await team(patientId, { role: 'patient', id: uuid(), patientId: uuid() }), 404);
  });
});

t.test('a practitioner who registers a patient', async (t) => {
  const context = await createTestApp(t);
  const { app, db } = context;
  const { as, registerPatient, team, streamTypes } = harness(context);

  t.test('joins the care team in the same append and can read the record at once', async (t) => {
    const { practitionerId, caller } = await givenPractitioner(db.store);
    const patientId = await registerPatient(caller);
    t.same(await streamTypes(patientId), ['PatientRegistered', 'PractitionerAssignedToPatient']);
    t.same(await team(patientId), [practitionerId]);
    const read = await app.inject({ method: 'GET', url: `/api/v1/patients/${patientId}`, headers: as(caller) });
    t.equal(read.statusCode, 200);
    t.equal(read.headers.etag, '"2"', 'the ETag is the stream version, care-team events included');
  });

  t.test('must be verified: a pending practitioner is refused and nothing is appended', async (t) => {
    const pending = await givenPractitioner(db.store, 'pending');
    const before = await db.store.headPosition();
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/patients',
      headers: as(pending.caller),
      payload: registrationBody(),
    });
    const body = problem(t, response, 403);
    t.match(body.detail, /not verified/);
    t.equal(await db.store.headPosition(), before);
  });

  t.test('has their standing checked by the append itself: a change to their record meanwhile is read afresh', async (t) => {
    const { practitionerId, caller } = await givenPractitioner(db.store);
    await registerPatient(caller); // the API has now read the practitioner's standing at version 2
    // Their record moves on (as a suspension would) without the API reading it again.
    await db.store.append({
      streamId: practitionerId,
      streamType: 'practitioner',
      expectedVersion: 2,
      events: [{ eventId: uuid(), type: 'PractitionerVerified', data: { practitionerId, verifiedBy: uuid() }, schemaVersion: 1, metadata: { actorId: uuid(), actorRole: 'admin' }, recordedAt: new Date() }],
    });
    const patientId = await registerPatient(caller);
    t.same(await streamTypes(patientId), ['PatientRegistered', 'PractitionerAssignedToPatient'], 'decided again on the fresh read, appended once');
  });
});
