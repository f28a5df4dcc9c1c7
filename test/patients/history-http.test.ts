import t from 'tap';
import { v4 as uuid } from 'uuid';
import { createTestApp, json, type Caller } from '../helpers/app.js';
import { appendToStream, LONG_STREAM } from '../helpers/long-streams.js';
import { registrationBody } from '../helpers/patients.js';
import { givenPractitioner } from '../helpers/practitioners.js';
import { problem } from '../helpers/problems.js';

interface HistoryPage {
  items: Array<{ version: number; type: string }>;
  nextCursor: string | null;
}

// A chart grows for decades: its history pages and its reach must not depend on how long it is.
t.test('a history longer than any one read', async (t) => {
  const { app, db, token } = await createTestApp(t);
  const as = (caller: Caller) => ({ authorization: `Bearer ${token(caller)}` });
  const admin: Caller = { role: 'admin', id: uuid() };
  const leaving = await givenPractitioner(db.store);
  const joining = await givenPractitioner(db.store);
  const registered = await app.inject({ method: 'POST', url: '/api/v1/patients', headers: as(admin), payload: registrationBody() });
  const patientId = json<{ id: string }>(registered).id;
  const assign = (practitionerId: string) =>
    app.inject({ method: 'POST', url: `/api/v1/patients/${patientId}/care-team`, headers: as(admin), payload: { practitionerId } });
  t.equal((await assign(leaving.practitionerId)).statusCode, 200);
  await appendToStream(
    db.store,
    patientId,
    Array.from({ length: LONG_STREAM }, (_, index) => ({
      type: 'PatientDemographicsUpdated',
      data: { patientId, changes: { nationality: `N${index}` } },
    })),
  );
  const unassigned = await app.inject({
    method: 'DELETE',
    url: `/api/v1/patients/${patientId}/care-team/${leaving.practitionerId}`,
    headers: as(admin),
  });
  t.equal(unassigned.statusCode, 200);
  const lastChange = await assign(joining.practitionerId);
  t.equal(lastChange.statusCode, 200);
  const lastVersion = json<{ version: number }>(lastChange).version;
  const page = (caller: Caller, cursor?: string) =>
    app.inject({
      method: 'GET',
      url: `/api/v1/patients/${patientId}/history?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      headers: as(caller),
    });

  t.test('following the cursor, every event is on one page, in order, to the last', async (t) => {
    const versions: number[] = [];
    let last: HistoryPage | undefined;
    let cursor: string | undefined;
    do {
      const response = await page(admin, cursor);
      t.equal(response.statusCode, 200);
      last = json<HistoryPage>(response);
      versions.push(...last.items.map((item) => item.version));
      cursor = last.nextCursor ?? undefined;
    } while (cursor);
    t.same(versions, Array.from({ length: lastVersion }, (_, index) => index + 1));
    t.same(last.items.slice(-2).map((item) => item.type), ['PractitionerUnassignedFromPatient', 'PractitionerAssignedToPatient']);
  });

  t.test('who reaches it is decided by the care team at the end of the stream', async (t) => {
    problem(t, await page(leaving.caller), 404);
    t.equal((await page(joining.caller)).statusCode, 200, 'a practitioner assigned after event 10,000 reads it');
  });

  t.test('an id naming another kind of record has no history here, even for an admin', async (t) => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/patients/${joining.practitionerId}/history`, headers: as(admin) });
    problem(t, response, 404);
  });
});
