import t from 'tap';
import pg from 'pg';
import { v4 as uuid } from 'uuid';
import { createCommitSignal, EVENTS_CHANNEL } from '../../src/event-store/commit-signal.js';
import type { AppendRequest } from '../../src/event-store/types.js';
import { createTestDatabase } from '../helpers/database.js';

/** A pool whose queries finish only when the test says so. */
function heldPool() {
  const pending: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  return {
    pending,
    pool: {
      query: () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })),
    } as unknown as pg.Pool,
    async finishNext(error?: Error) {
      const next = pending.shift()!;
      if (error) next.reject(error);
      else next.resolve();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

t.test('commits while a NOTIFY is on its way share one more NOTIFY after it', async (t) => {
  const held = heldPool();
  const signal = createCommitSignal(held.pool, { minIntervalMs: 0 });
  signal.committed();
  t.equal(held.pending.length, 1, 'the first commit sends at once');
  signal.committed();
  signal.committed();
  signal.committed();
  t.equal(held.pending.length, 1, 'later commits do not queue their own');
  await held.finishNext();
  t.equal(held.pending.length, 1, 'one more is sent for them, after the first');
  await held.finishNext();
  t.equal(held.pending.length, 0, 'then it is quiet');
  await signal.settled();
  signal.committed();
  t.equal(held.pending.length, 1, 'a later commit sends again');
  await held.finishNext();
});

t.test('NOTIFYs are spaced at least the minimum interval apart, and the last commit is still announced', async (t) => {
  const sentAt: number[] = [];
  const pool = { query: async () => void sentAt.push(performance.now()) } as unknown as pg.Pool;
  const signal = createCommitSignal(pool, { minIntervalMs: 30 });
  let lastCommitAt = 0;
  for (let commit = 0; commit < 20; commit += 1) {
    lastCommitAt = performance.now();
    signal.committed();
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await signal.settled();
  t.ok(sentAt.at(-1)! >= lastCommitAt, 'a NOTIFY went out after the last commit');
  // Lower bounds only, which a slow machine cannot break; timers are millisecond-accurate at best.
  for (let index = 1; index < sentAt.length; index += 1) t.ok(sentAt[index]! - sentAt[index - 1]! >= 28, `spaced ${Math.round(sentAt[index]! - sentAt[index - 1]!)} ms apart`);
});

t.test('a failed NOTIFY is reported and the next commit still signals', async (t) => {
  const held = heldPool();
  const errors: unknown[] = [];
  const signal = createCommitSignal(held.pool, { onError: (error) => errors.push(error), minIntervalMs: 0 });
  signal.committed();
  await held.finishNext(new Error('connection lost'));
  t.equal(errors.length, 1);
  await signal.settled();
  signal.committed();
  t.equal(held.pending.length, 1);
  await held.finishNext();
});

function counted(streamId: string): AppendRequest {
  return {
    streamId,
    streamType: 'counter',
    expectedVersion: 0,
    events: [{ eventId: uuid(), type: 'Counted', data: {}, schemaVersion: 1, metadata: { actorId: null, actorRole: 'system' }, recordedAt: new Date() }],
  };
}

t.test('the event store notifies listeners after a commit, not for a rolled-back transaction', async (t) => {
  const db = await createTestDatabase(t);
  const listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  t.teardown(() => listener.end());
  let notifications = 0;
  listener.on('notification', (message) => {
    if (message.channel === EVENTS_CHANNEL) notifications += 1;
  });
  await listener.query(`listen ${EVENTS_CHANNEL}`);
  const heard = async (count: number) => {
    for (let waited = 0; notifications < count && waited < 2_000; waited += 5) await new Promise((r) => setTimeout(r, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    return notifications;
  };

  await db.store
    .transaction(async (client) => {
      await db.store.append(counted(uuid()), client);
      throw new Error('changed my mind');
    })
    .catch(() => {});
  await db.store.settled();
  t.equal(await heard(0), 0, 'a rolled-back append wakes nobody');

  await db.store.append(counted(uuid()));
  t.equal(await heard(1), 1, 'an append on its own is announced once committed');

  let beforeCommit = -1;
  await db.store.transaction(async (client) => {
    await db.store.append(counted(uuid()), client);
    await new Promise((resolve) => setTimeout(resolve, 100));
    beforeCommit = notifications;
  });
  t.equal(beforeCommit, 1, 'appends in a transaction are not announced before its commit');
  t.equal(await heard(2), 2, 'but at its commit');

  await db.store.appendBatch([counted(uuid()), counted(uuid())]);
  t.equal(await heard(3), 3, 'and so is a batch');
});
