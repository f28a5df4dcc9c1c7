import t from 'tap';
import { v4 as uuid } from 'uuid';
import { readCheckpoint } from '../../projections/checkpoints.js';
import { rebuildProjection } from '../../projections/rebuild.js';
import { runBatch } from '../../projections/runner.js';
import { createTestDatabase } from '../helpers/database.js';
import type { Test } from '../helpers/problems.js';
import { countingProjection, countsByStream, createCountingTable } from './counting-projection.js';

const counted = () => ({
  eventId: uuid(),
  type: 'Counted',
  data: {},
  schemaVersion: 1,
  metadata: { actorId: null, actorRole: 'system' },
  recordedAt: new Date(),
});

async function thirtyStreamsOfThreeEvents(t: Test) {
  const db = await createTestDatabase(t, 10);
  await createCountingTable(db.pool);
  const streams = Array.from({ length: 30 }, () => uuid());
  await db.store.appendBatch(
    streams.map((streamId) => ({ streamId, streamType: 'counter', expectedVersion: 0, events: [counted(), counted(), counted()] })),
  );
  return { db, streams };
}

t.test('a rebuild refolds every event from zero and drops rows no event supports', async (t) => {
  const { db, streams } = await thirtyStreamsOfThreeEvents(t);
  const client = await db.pool.connect();
  await runBatch(client, db.store, [countingProjection], 1000);
  client.release();
  // A damaged read model: the rebuild must put it right from the events alone.
  await db.pool.query('update event_counts set events = 99');
  await db.pool.query(`insert into event_counts values ($1, 5, 0)`, [uuid()]);

  const progress: number[] = [];
  const result = await rebuildProjection({
    pool: db.pool,
    store: db.store,
    projection: countingProjection,
    batchSize: 20,
    onProgress: (done) => {
      progress.push(done);
    },
  });

  t.equal(result.events, 90);
  t.same(progress, [20, 40, 60, 80, 90], 'progress is reported batch by batch');
  const counts = await countsByStream(db.pool);
  t.equal(counts.size, 30, 'the row no event supports is gone');
  t.ok([...counts.values()].every((count) => count === 3));
  t.equal((await readCheckpoint(db.pool, 'event_counts'))?.position, (await db.store.headPosition()));
  const leftovers = await db.pool.query(`select 1 from pg_tables where tablename like 'event_counts%rebuild'`);
  t.equal(leftovers.rowCount, 0, 'the shadow table is gone');
  t.equal(await readCheckpoint(db.pool, 'event_counts__rebuild'), undefined, 'and so is its checkpoint');
});

t.test('events appended while a rebuild reads ahead are folded in, each once', async (t) => {
  const { db, streams } = await thirtyStreamsOfThreeEvents(t);
  let appended = false;
  const result = await rebuildProjection({
    pool: db.pool,
    store: db.store,
    projection: countingProjection,
    batchSize: 20,
    onProgress: async () => {
      // The batch after this one is already being read: the new event comes after it.
      if (appended) return;
      appended = true;
      await db.store.append({ streamId: streams[0]!, streamType: 'counter', expectedVersion: 3, events: [counted()] });
    },
  });

  t.equal(result.events, 91);
  const counts = await countsByStream(db.pool);
  t.equal(counts.get(streams[0]!), 4);
  t.ok(streams.slice(1).every((streamId) => counts.get(streamId) === 3));
});

t.test('readers see the old rows while a rebuild is in progress', async (t) => {
  const db = await createTestDatabase(t, 10);
  await createCountingTable(db.pool);
  const streamId = uuid();
  await db.store.append({ streamId, streamType: 'counter', expectedVersion: 0, events: [counted(), counted()] });
  await db.pool.query(`insert into event_counts values ($1, 42, 0)`, [streamId]);
  let seenMidway: number | undefined;
  await rebuildProjection({
    pool: db.pool,
    store: db.store,
    projection: countingProjection,
    batchSize: 1,
    onProgress: async () => {
      // Another connection, as the API would read while the rebuild's transaction is open.
      seenMidway ??= (await countsByStream(db.pool)).get(streamId);
    },
  });
  t.equal(seenMidway, 42, 'mid-rebuild, readers still see the old row');
  t.equal((await countsByStream(db.pool)).get(streamId), 2, 'after it, the refolded one');
});
