import t from 'tap';
import { v4 as uuid } from 'uuid';
import { careTeam } from '../../projections/care-team.js';
import type { AnyProjection } from '../../projections/projection.js';
import { applyEvents } from '../../projections/row-store.js';
import type { CommittedEvent } from '../../src/event-store/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { countingProjection, countsByStream, createCountingTable } from './counting-projection.js';

let position = 0;
function committed(streamId: string, type: string, data: Record<string, unknown> = {}): CommittedEvent {
  position += 1;
  return {
    position,
    transactionId: String(position),
    streamId,
    streamType: 'test',
    streamVersion: position,
    eventId: uuid(),
    type,
    schemaVersion: 1,
    data,
    metadata: { actorId: null, actorRole: 'admin' },
    recordedAt: new Date(),
  };
}

// What a fold with no case for an event it names used to hand back: nothing.
const noting: AnyProjection = {
  ...countingProjection,
  eventTypes: [...countingProjection.eventTypes, 'Noted'],
  apply: (row, event) => (event.type === 'Noted' ? undefined : countingProjection.apply(row, event)),
};

async function apply(db: TestDatabase, projection: AnyProjection, events: CommittedEvent[]) {
  const client = await db.pool.connect();
  try {
    await applyEvents(client, projection, events);
  } finally {
    client.release();
  }
}

t.test('an event the fold answers with nothing leaves a stored row as it was', async (t) => {
  const db = await createTestDatabase(t);
  await createCountingTable(db.pool);
  const streamId = uuid();
  await apply(db, noting, [committed(streamId, 'Counted')]);
  await apply(db, noting, [committed(streamId, 'Noted')]);
  t.same(Object.fromEntries(await countsByStream(db.pool)), { [streamId]: 1 });
});

t.test('an event the fold answers with nothing keeps a row made earlier in the same batch', async (t) => {
  const db = await createTestDatabase(t);
  await createCountingTable(db.pool);
  const streamId = uuid();
  await apply(db, noting, [committed(streamId, 'Counted'), committed(streamId, 'Noted'), committed(streamId, 'Counted')]);
  await apply(db, noting, [committed(streamId, 'Counted'), committed(streamId, 'Noted')]);
  t.same(Object.fromEntries(await countsByStream(db.pool)), { [streamId]: 3 });
});

t.test("a practitioner's removal from the care team deletes the membership row, in its own batch or the same one", async (t) => {
  const db = await createTestDatabase(t);
  const patientId = uuid();
  const [stays, leaves, comesAndGoes] = [uuid(), uuid(), uuid()];
  const assigned = (practitionerId: string) => committed(patientId, 'PractitionerAssignedToPatient', { patientId, practitionerId });
  const unassigned = (practitionerId: string) => committed(patientId, 'PractitionerUnassignedFromPatient', { patientId, practitionerId });
  await apply(db, careTeam, [assigned(stays), assigned(leaves)]);
  await apply(db, careTeam, [unassigned(leaves), assigned(comesAndGoes), unassigned(comesAndGoes)]);
  const { rows } = await db.pool.query('select practitioner_id from care_team where patient_id = $1', [patientId]);
  t.same(rows, [{ practitioner_id: stays }]);
});
