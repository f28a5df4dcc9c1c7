import t from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { v4 as uuid } from 'uuid';
import { createTestApp, json, type Caller } from '../helpers/app.js';
import { givenPractitioner } from '../helpers/practitioners.js';
import { registrationBody } from '../helpers/patients.js';
import { problem, type Test } from '../helpers/problems.js';

const admin: Caller = { role: 'admin', id: uuid() };
const auditor: Caller = { role: 'auditor', id: uuid() };


/**
 * A small hospital: Dr Okafor cares for Ada and Grace, Dr Bello for Mary; Dr Eze is still pending
 * verification. Ada has a patient account.
 */
async function hospital(t: Test) {
  const context = await createTestApp(t);
  const { app, db, token, project } = context;
  const as = (caller: Caller | null) => (caller ? { authorization: `Bearer ${token(caller)}` } : {});
  const register = async (firstName: string, lastName: string) => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/patients',
      headers: as(admin),
      payload: registrationBody({ firstName, lastName }),
    });
    return json<{ id: string }>(response).id;
  };
  const assign = async (patientId: string, practitionerId: string) => {
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/patients/${patientId}/care-team`,
      headers: as(admin),
      payload: { practitionerId },
    });
    if (response.statusCode !== 200) throw new Error(response.body);
    return json<{ position: number }>(response).position;
  };
  const ada = await register('Ada', 'Lovelace');
  const grace = await register('Grace', 'Hopper');
  const mary = await register('Mary', 'Seacole');
  const okafor = await givenPractitioner(db.store);
  const bello = await givenPractitioner(db.store);
  const eze = await givenPractitioner(db.store, 'pending');
  await assign(ada, okafor.practitionerId);
  await assign(grace, okafor.practitionerId);
  await assign(mary, bello.practitionerId);
  await project();
  const adaAccount: Caller = { role: 'patient', id: uuid(), patientId: ada };
  return { ...context, as, assign, ada, grace, mary, okafor, bello, eze, adaAccount };
}

t.test('a patient changes their own contact details, and nothing else', async (t) => {
  const { app, db, as, ada, mary, adaAccount } = await hospital(t);
  const patch = (patientId: string, payload: object) =>
    app.inject({ method: 'PATCH', url: `/api/v1/patients/${patientId}`, headers: as(adaAccount), payload });

  t.test('phone, email, address and emergency contacts are theirs to keep up to date', async (t) => {
    const response = await patch(ada, {
      phone: '+2348011111111',
      email: 'ada@example.org',
      address: { line: '1 Marina Road', city: 'Lagos', country: 'NG' },
      emergencyContacts: [{ name: 'Byron Lovelace', relationship: 'brother', phone: '+2348098765432' }],
    });
    t.equal(response.statusCode, 200);
    const last = (await db.store.readStream(ada)).at(-1)!;
    t.match(last, { type: 'PatientDemographicsUpdated', metadata: { actorId: adaAccount.id, actorRole: 'patient' } });
  });

  t.test('any other field is refused with 403 naming it, and nothing is appended', async (t) => {
    const before = await db.store.headPosition();
    const one = problem(t, await patch(ada, { firstName: 'Augusta' }), 403);
    t.same(one.errors, [{ in: 'body', field: 'firstName', message: 'may not be changed by a patient' }]);
    const several = problem(t, await patch(ada, { phone: '+2348022222222', dateOfBirth: '1991-01-01', sex: 'male', bloodGroup: 'AB+' }), 403);
    t.same(several.errors.map((error: { field: string }) => error.field), ['dateOfBirth', 'sex', 'bloodGroup']);
    t.match(several.detail, /dateOfBirth, sex, bloodGroup/);
    t.equal(await db.store.headPosition(), before);
  });

  t.test("another patient's record is not found, whatever the body", async (t) => {
    problem(t, await patch(mary, { phone: '+2348011111111' }), 404);
    problem(t, await patch(mary, { firstName: 'Augusta' }), 404);
  });

  t.test('a patient may not deactivate their record nor change its care team', async (t) => {
    const deactivate = await app.inject({
      method: 'POST',
      url: `/api/v1/patients/${ada}/deactivate`,
      headers: as(adaAccount),
      payload: { reason: 'Moving away' },
    });
    problem(t, deactivate, 403);
  });
});

t.test('a practitioner reaches only the patients on their care team', async (t) => {
  const { app, as, project, assign, ada, grace, mary, okafor, eze } = await hospital(t);

  t.test('reads and writes the records of their own patients', async (t) => {
    const read = await app.inject({ method: 'GET', url: `/api/v1/patients/${ada}`, headers: as(okafor.caller) });
    t.equal(read.statusCode, 200);
    const patch = await app.inject({
      method: 'PATCH',
      url: `/api/v1/patients/${grace}`,
      headers: as(okafor.caller),
      payload: { bloodGroup: 'O+' },
    });
    t.equal(patch.statusCode, 200);
  });

  t.test("another practitioner's patient answers exactly as a patient that does not exist", async (t) => {
    const unknown = uuid();
    const strip = (response: LightMyRequestResponse) => {
      const { instance: _, detail, ...rest } = json(response);
      return { ...rest, detail: detail.replace(/[0-9a-f-]{36}/, '<id>') };
    };
    for (const [method, suffix, payload] of [
      ['GET', '', undefined],
      ['GET', '/history', undefined],
      ['GET', '/care-team', undefined],
      ['PATCH', '', { phone: '+2348011111111' }],
      ['POST', '/deactivate', { reason: 'Duplicate record' }],
    ] as const) {
      const theirs = await app.inject({ method, url: `/api/v1/patients/${mary}${suffix}`, headers: as(okafor.caller), payload });
      const missing = await app.inject({ method, url: `/api/v1/patients/${unknown}${suffix}`, headers: as(okafor.caller), payload });
      problem(t, theirs, 404);
      t.same(strip(theirs), strip(missing), `${method} ${suffix || '/'}: same answer as for a missing patient`);
    }
  });

  t.test('If-Match does not give a record away: out of reach is 404 before any 412', async (t) => {
    const response = await app.inject({
      method: 'PATCH',
      url: `/api/v1/patients/${mary}`,
      headers: { ...as(okafor.caller), 'if-match': '"99"' },
      payload: { phone: '+2348011111111' },
    });
    problem(t, response, 404);
  });

  t.test('a pending practitioner reaches no patient at all', async (t) => {
    for (const patientId of [ada, mary]) {
      problem(t, await app.inject({ method: 'GET', url: `/api/v1/patients/${patientId}`, headers: as(eze.caller) }), 404);
    }
    const list = await app.inject({ method: 'GET', url: '/api/v1/patients', headers: as(eze.caller) });
    t.same(json(list).items, []);
  });

  t.test('reaches a patient as soon as assigned, with Consistent-With', async (t) => {
    const position = await assign(mary, okafor.practitionerId);
    // The workers are not running in tests: project in the background, as they would.
    const projected = new Promise((resolve) => setTimeout(resolve, 50)).then(project);
    const read = await app.inject({
      method: 'GET',
      url: `/api/v1/patients/${mary}`,
      headers: { ...as(okafor.caller), 'consistent-with': String(position) },
    });
    await projected;
    t.equal(read.statusCode, 200);
    t.equal(json(read).id, mary);
  });
});

t.test('GET /patients lists only what the caller reaches, decided in the query', async (t) => {
  const { app, as, ada, grace, mary, okafor, bello, eze, adaAccount } = await hospital(t);
  const ids = async (caller: Caller, query = '') => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/patients${query}`, headers: as(caller) });
    t.equal(response.statusCode, 200);
    return json(response).items.map((item: { id: string }) => item.id);
  };

  t.test('an admin and an auditor see every patient', async (t) => {
    t.same(await ids(admin), [grace, ada, mary]);
    t.same(await ids(auditor), [grace, ada, mary]);
  });

  t.test('a practitioner sees the patients on their care team, and no other', async (t) => {
    t.same(await ids(okafor.caller), [grace, ada]);
    t.same(await ids(bello.caller), [mary]);
    t.same(await ids(okafor.caller, '?search=seacole'), [], 'a search cannot reach past the care team');
  });

  t.test('keyset pages stay within the care team', async (t) => {
    const first = json(await app.inject({ method: 'GET', url: '/api/v1/patients?limit=1', headers: as(okafor.caller) }));
    t.same(first.items.map((item: { id: string }) => item.id), [grace]);
    const second = json(
      await app.inject({ method: 'GET', url: `/api/v1/patients?limit=1&cursor=${first.nextCursor}`, headers: as(okafor.caller) }),
    );
    t.same(second.items.map((item: { id: string }) => item.id), [ada]);
    t.equal(second.nextCursor, null);
  });

  t.test('a patient finds only themselves', async (t) => {
    t.same(await ids(adaAccount), [ada]);
    t.same(await ids(adaAccount, '?search=seacole'), []);
    t.same(await ids({ role: 'patient', id: uuid() }), [], 'an account not linked to a record finds nobody');
  });

  t.test('a pending practitioner finds nobody', async (t) => {
    t.same(await ids(eze.caller), []);
  });

  t.test('an anonymous caller is refused', async (t) => {
    problem(t, await app.inject({ method: 'GET', url: '/api/v1/patients' }), 401);
  });
});

t.test("the history names who did each thing, in which role", async (t) => {
  const { app, as, ada, mary, okafor, adaAccount } = await hospital(t);
  await app.inject({ method: 'PATCH', url: `/api/v1/patients/${ada}`, headers: as(okafor.caller), payload: { genotype: 'AS' } });
  await app.inject({ method: 'PATCH', url: `/api/v1/patients/${ada}`, headers: as(adaAccount), payload: { phone: '+2348033333333' } });

  t.test('every event carries the acting account and role', async (t) => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/patients/${ada}/history`, headers: as(auditor) });
    t.equal(response.statusCode, 200);
    t.same(
      json(response).items.map((item: { type: string; actor: unknown }) => [item.type, item.actor]),
      [
        ['PatientRegistered', { id: admin.id, role: 'admin' }],
        ['PractitionerAssignedToPatient', { id: admin.id, role: 'admin' }],
        ['PatientDemographicsUpdated', { id: okafor.accountId, role: 'practitioner' }],
        ['PatientDemographicsUpdated', { id: adaAccount.id, role: 'patient' }],
      ],
    );
  });

  t.test('read by the patient, their practitioner, an admin and an auditor; by nobody else', async (t) => {
    for (const caller of [adaAccount, okafor.caller, admin, auditor]) {
      const response = await app.inject({ method: 'GET', url: `/api/v1/patients/${ada}/history`, headers: as(caller) });
      t.equal(response.statusCode, 200, caller.role);
    }
    problem(t, await app.inject({ method: 'GET', url: `/api/v1/patients/${mary}/history`, headers: as(okafor.caller) }), 404);
    problem(t, await app.inject({ method: 'GET', url: `/api/v1/patients/${mary}/history`, headers: as(adaAccount) }), 404);
  });

  t.test('pages of a long history keep to the reach check', async (t) => {
    const first = json(await app.inject({ method: 'GET', url: `/api/v1/patients/${ada}/history?limit=3`, headers: as(okafor.caller) }));
    t.equal(first.items.length, 3);
    const rest = json(
      await app.inject({ method: 'GET', url: `/api/v1/patients/${ada}/history?limit=3&cursor=${first.nextCursor}`, headers: as(okafor.caller) }),
    );
    t.same(rest.items.map((item: { version: number }) => item.version), [4]);
    t.equal(rest.nextCursor, null);
    problem(
      t,
      await app.inject({ method: 'GET', url: `/api/v1/patients/${mary}/history?cursor=${first.nextCursor}`, headers: as(okafor.caller) }),
      404,
    );
  });
});
