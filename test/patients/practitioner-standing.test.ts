import t from 'tap';
import type { StoredEvent } from '../../src/event-store/types.js';
import { ReliedOnStreamChanged } from '../../src/event-store/errors.js';
import type { EventStore } from '../../src/event-store/store.js';
import { createStandingReader, standingOf } from '../../src/patients/practitioner-standing.js';

const practitionerId = '0192f0c4-7a6b-7d3e-9c1a-000000000001';

const stored = (streamType: string, type: string, data: object): StoredEvent => ({
  position: 1,
  transactionId: '1',
  streamId: practitionerId,
  streamType,
  streamVersion: 1,
  eventId: '00000000-0000-4000-8000-000000000000',
  type,
  schemaVersion: 1,
  data,
  metadata: { actorId: null, actorRole: 'admin' },
  recordedAt: new Date(),
});
const registered = stored('practitioner', 'PractitionerRegistered', { practitionerId, accountId: 'a', firstName: 'N', lastName: 'O' });
const verified = stored('practitioner', 'PractitionerVerified', { practitionerId, verifiedBy: 'admin' });

t.test("a practitioner's standing, read from their own stream", async (t) => {
  t.equal(standingOf([]), 'unknown', 'no stream: no practitioner');
  t.equal(standingOf([registered]), 'pending', 'registered, not yet verified');
  t.equal(standingOf([registered, verified]), 'verified');
  t.equal(
    standingOf([stored('patient', 'PatientRegistered', { patientId: practitionerId })]),
    'unknown',
    'a stream of another kind is no practitioner',
  );
});

/** A store holding one practitioner's stream, counting how often it is read. */
function storeWith(history: StoredEvent[]) {
  const store = {
    reads: 0,
    history: history.map((event, index) => ({ ...event, streamVersion: index + 1 })),
    async readStream() {
      store.reads += 1;
      return store.history;
    },
  };
  return store;
}

t.test('the standing reader', async (t) => {
  t.test('reads a verified practitioner once, then relies on that version in every append', async (t) => {
    const store = storeWith([registered, verified]);
    const reader = createStandingReader(store as unknown as EventStore);
    const seen: unknown[] = [];
    for (let call = 0; call < 3; call += 1) {
      await reader.withStanding(practitionerId, async (read, reliesOn) => void seen.push([read.standing, reliesOn]));
    }
    t.equal(store.reads, 1);
    t.same(seen, Array(3).fill(['verified', [{ streamId: practitionerId, version: 2 }]]));
  });

  t.test('when the append finds the record moved, reads it afresh and decides once more', async (t) => {
    const store = storeWith([registered, verified]);
    const reader = createStandingReader(store as unknown as EventStore);
    await reader.withStanding(practitionerId, async () => {});
    store.history = storeWith([registered, verified, verified]).history;
    const attempts: unknown[] = [];
    await reader.withStanding(practitionerId, async (_read, reliesOn) => {
      attempts.push(reliesOn[0]!.version);
      if (reliesOn[0]!.version === 2) throw new ReliedOnStreamChanged(practitionerId);
    });
    t.same(attempts, [2, 3]);
    t.equal(store.reads, 2);
  });

  t.test('does not remember anyone who is not verified', async (t) => {
    const store = storeWith([registered]);
    const reader = createStandingReader(store as unknown as EventStore);
    for (let call = 0; call < 2; call += 1) {
      await reader.withStanding(practitionerId, async (read, reliesOn) => {
        t.same([read.standing, reliesOn], ['pending', [{ streamId: practitionerId, version: 1 }]]);
      });
    }
    t.equal(store.reads, 2);
  });
});
