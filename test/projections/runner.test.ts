import t from 'tap';
import pg from 'pg';
import { v4 as uuid } from 'uuid';
import { readCheckpoint } from '../../projections/checkpoints.js';
import { createProjectionRunner, runBatch, type ProjectionRunner } from '../../projections/runner.js';
import { createEventStore } from '../../src/event-store/store.js';
import type { NewEvent } from '../../src/event-store/types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { countingProjection, countingProjectionNamed, countsByStream, createCountingTable } from './counting-projection.js';

const counted = (): NewEvent => ({
  eventId: uuid(),
  type: 'Counted',
  data: {},
  schemaVersion: 1,
  metadata: { actorId: null, actorRole: 'system' },
  recordedAt: new Date(),
});

async function appendTo(db: TestDatabase, streamId: string, expectedVersion: number, on?: pg.PoolClient) {
  return db.store.append({ streamId, streamType: 'counter', expectedVersion, events: [counted()] }, on);
}

/**
 * Runs batches until `expected` events are folded in (or nothing more comes within a few seconds).
 * The fence is cluster-wide: a transaction open in another test's database may hold events back
 * for a moment, which must delay them, never lose them.
 */
async function catchUpTo(db: TestDatabase, expected: number) {
  let processed = 0;
  for (const deadline = Date.now() + 5000; processed < expected && Date.now() < deadline; ) {
    processed += await catchUp(db);
    if (processed < expected) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return processed;
}

/** Wakes the runners until every event is counted (the fence may hold some back for a moment). */
async function settle(db: TestDatabase, runners: ProjectionRunner[], expectedTotal: number) {
  for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
    await Promise.all(runners.map((runner) => runner.wake()));
    const total = [...(await countsByStream(db.pool)).values()].reduce((sum, count) => sum + count, 0);
    if (total >= expectedTotal) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function catchUp(db: TestDatabase, batchSize = 100) {
  const client = await db.pool.connect();
  let processed = 0;
  try {
    for (;;) {
      const outcome = await runBatch(client, db.store, [countingProjection], batchSize, { skipIfBusy: false });
      if (outcome.busy || outcome.processed === 0) return processed;
      processed += outcome.processed;
    }
  } finally {
    client.release();
  }
}

async function setUp(t: { teardown(fn: () => unknown): void }) {
  const db = await createTestDatabase(t, 20);
  await createCountingTable(db.pool);
  return db;
}

t.test('no event is skipped when a lower position commits after a higher one', async (t) => {
  const db = await setUp(t);
  const slow = await db.pool.connect();
  try {
    await slow.query('begin');
    const early = uuid();
    const lowPosition = await appendTo(db, early, 0, slow); // takes a position, commits later
    const late = uuid();
    const highPosition = await appendTo(db, late, 0);
    t.ok(lowPosition.position < highPosition.position);

    t.equal(await catchUp(db), 0, 'the committed event waits behind the transaction still in flight');
    await slow.query('commit');
    t.equal(await catchUpTo(db, 2), 2);
    t.same(Object.fromEntries(await countsByStream(db.pool)), { [early]: 1, [late]: 1 });
  } finally {
    slow.release();
  }
});

t.test('no event is skipped when an older transaction commits first with the higher position', async (t) => {
  const db = await setUp(t);
  const older = await db.pool.connect();
  const younger = await db.pool.connect();
  try {
    // `older` gets its transaction id first, but appends last; `younger` appends first and stays open.
    await older.query('begin');
    await older.query('select pg_current_xact_id()');
    await younger.query('begin');
    const youngStream = uuid();
    const youngAppend = await appendTo(db, youngStream, 0, younger);
    const oldStream = uuid();
    const oldAppend = await appendTo(db, oldStream, 0, older);
    t.ok(youngAppend.position < oldAppend.position);
    await older.query('commit');

    t.equal(await catchUpTo(db, 1), 1, 'the finished older transaction is folded in');
    await younger.query('commit');
    t.equal(await catchUpTo(db, 1), 1, 'the lower position committed later is not skipped');
    t.same(Object.fromEntries(await countsByStream(db.pool)), { [youngStream]: 1, [oldStream]: 1 });
  } finally {
    older.release();
    younger.release();
  }
});

t.test('under concurrent appends, every event is folded in exactly once', async (t) => {
  const db = await setUp(t);
  const streams = Array.from({ length: 20 }, () => uuid());
  const runner = createProjectionRunner({ pool: db.pool, store: db.store, projections: [countingProjection], batchSize: 7 });
  let appending = true;
  const waking = (async () => {
    while (appending) {
      await runner.wake();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  await Promise.all(
    streams.map(async (streamId) => {
      for (let version = 0; version < 25; version += 1) await appendTo(db, streamId, version);
    }),
  );
  appending = false;
  await waking;
  await settle(db, [runner], 20 * 25);
  await runner.stop();
  const counts = await countsByStream(db.pool);
  t.same([...counts.values()], streams.map(() => 25));
  t.same(await readCheckpoint(db.pool, 'event_counts'), {
    transactionId: (await db.pool.query('select max(transaction_id)::text as x from events')).rows[0].x,
    position: (await db.pool.query('select position from events order by transaction_id desc, position desc limit 1')).rows[0].position,
  });
});

t.test('duplicate and retried runs change nothing', async (t) => {
  const db = await setUp(t);
  const streamId = uuid();
  for (let version = 0; version < 10; version += 1) await appendTo(db, streamId, version);
  t.equal(await catchUpTo(db, 10), 10);
  t.equal(await catchUp(db), 0, 'a second run finds nothing to do');
  await Promise.all([catchUp(db), catchUp(db), catchUp(db)]);
  t.equal((await countsByStream(db.pool)).get(streamId), 10);
});

t.test('two runners in different processes never work one projection at once, and together apply each event once', async (t) => {
  const db = await setUp(t);
  // Separate pools stand in for separate processes: nothing is shared but the database.
  const otherPool = new pg.Pool({ connectionString: db.url, max: 5 });
  t.teardown(() => otherPool.end());
  const runners = [
    createProjectionRunner({ pool: db.pool, store: db.store, projections: [countingProjection], batchSize: 5 }),
    createProjectionRunner({ pool: otherPool, store: createEventStore(otherPool), projections: [countingProjection], batchSize: 5 }),
  ];
  const streams = Array.from({ length: 10 }, () => uuid());
  await Promise.all(
    streams.map(async (streamId) => {
      for (let version = 0; version < 20; version += 1) {
        await appendTo(db, streamId, version);
        if (version % 3 === 0) for (const runner of runners) void runner.wake();
      }
    }),
  );
  await settle(db, runners, 10 * 20);
  await Promise.all(runners.map((runner) => runner.stop()));
  t.same([...(await countsByStream(db.pool)).values()], streams.map(() => 20));
});

t.test('while one runner holds the projection, another steps aside and applies nothing', async (t) => {
  const db = await setUp(t);
  await appendTo(db, uuid(), 0);
  const holder = await db.pool.connect();
  const contender = await db.pool.connect();
  try {
    await holder.query('begin');
    await holder.query(`select * from projection_checkpoints where name = 'event_counts' for update`);
    t.same(await runBatch(contender, db.store, [countingProjection], 100), { busy: true });
    t.equal((await countsByStream(db.pool)).size, 0);
    await holder.query('rollback');
    const released = await runBatch(contender, db.store, [countingProjection], 100);
    t.match(released, { busy: false });
    await catchUpTo(db, released.busy ? 1 : 1 - released.processed);
    t.same([...(await countsByStream(db.pool)).values()], [1], 'once released, the event is folded in exactly once');
  } finally {
    holder.release();
    contender.release();
  }
});

t.test('a restarted runner resumes from its checkpoint', async (t) => {
  const db = await setUp(t);
  const streamId = uuid();
  for (let version = 0; version < 6; version += 1) await appendTo(db, streamId, version);
  const first = createProjectionRunner({ pool: db.pool, store: db.store, projections: [countingProjection], batchSize: 4 });
  await settle(db, [first], 6);
  await first.stop();
  for (let version = 6; version < 9; version += 1) await appendTo(db, streamId, version);
  const restarted = createProjectionRunner({ pool: db.pool, store: db.store, projections: [countingProjection], batchSize: 4 });
  await settle(db, [restarted], 9);
  await restarted.stop();
  t.equal((await countsByStream(db.pool)).get(streamId), 9, 'each event once: none re-applied, none missed');
});

t.test('a batch that fails leaves neither rows nor checkpoint changed', async (t) => {
  const db = await setUp(t);
  const good = uuid();
  await appendTo(db, good, 0);
  t.equal(await catchUpTo(db, 1), 1);
  const before = await readCheckpoint(db.pool, 'event_counts');
  await appendTo(db, good, 1);
  await db.pool.query('alter table event_counts add constraint at_most_one check (events <= 1)');
  const client = await db.pool.connect();
  try {
    // Until the fence lets the second event through, a batch simply finds nothing to do.
    const failing = async () => {
      for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
        await runBatch(client, db.store, [countingProjection], 100);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await t.rejects(failing(), /at_most_one/);
  } finally {
    client.release();
  }
  t.same(await readCheckpoint(db.pool, 'event_counts'), before);
  t.equal((await countsByStream(db.pool)).get(good), 1);
  await db.pool.query('alter table event_counts drop constraint at_most_one');
  t.equal(await catchUpTo(db, 1), 1, 'once the cause is gone, the same events are applied');
  t.equal((await countsByStream(db.pool)).get(good), 2);
});

t.test('a runner whose events are held back by an aborted transaction looks again by itself', async (t) => {
  const db = await setUp(t);
  const aborted = await db.pool.connect();
  const runner = createProjectionRunner({ pool: db.pool, store: db.store, projections: [countingProjection], batchSize: 100, fenceRetryMs: 10 });
  try {
    await aborted.query('begin');
    await appendTo(db, uuid(), 0, aborted);
    const streamId = uuid();
    await appendTo(db, streamId, 0);
    await runner.wake();
    t.equal((await countsByStream(db.pool)).size, 0, 'held back while the older transaction is open');
    await aborted.query('rollback'); // an abort sends no notification
    for (let attempt = 0; attempt < 100 && !(await countsByStream(db.pool)).has(streamId); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    t.equal((await countsByStream(db.pool)).get(streamId), 1);
  } finally {
    aborted.release();
    await runner.stop();
  }
});

t.test('one pass reads the events once and folds into each projection from its own checkpoint', async (t) => {
  const db = await setUp(t);
  const streamId = uuid();
  for (let version = 0; version < 3; version += 1) await appendTo(db, streamId, version);
  t.equal(await catchUpTo(db, 3), 3, 'event_counts is ahead before the second projection exists');
  const newcomer = countingProjectionNamed('late_counts');
  await createCountingTable(db.pool, 'late_counts');
  for (let version = 3; version < 5; version += 1) await appendTo(db, streamId, version);

  const runner = createProjectionRunner({ pool: db.pool, store: db.store, projections: [countingProjection, newcomer], batchSize: 2 });
  for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
    await runner.wake();
    if ((await countsByStream(db.pool, 'late_counts')).get(streamId) === 5 && (await countsByStream(db.pool)).get(streamId) === 5) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await runner.stop();
  t.equal((await countsByStream(db.pool)).get(streamId), 5, 'the projection that was ahead got only the events it had not seen');
  t.equal((await countsByStream(db.pool, 'late_counts')).get(streamId), 5, 'the newcomer got every event from the start');
  t.same(await readCheckpoint(db.pool, 'late_counts'), await readCheckpoint(db.pool, 'event_counts'), 'both end at the same place');
});

t.test('a projection that keeps failing does not hold the others back', async (t) => {
  const db = await setUp(t);
  const broken = { ...countingProjectionNamed('broken_counts'), apply: () => { throw new Error('a bug in a projection'); } };
  await createCountingTable(db.pool, 'broken_counts');
  const errors: unknown[] = [];
  const runner = createProjectionRunner({
    pool: db.pool,
    store: db.store,
    projections: [broken, countingProjection],
    batchSize: 100,
    errorRetryMs: 10,
    onError: (error) => errors.push(error),
  });
  const streamId = uuid();
  await appendTo(db, streamId, 0);
  for (const deadline = Date.now() + 5000; !(await countsByStream(db.pool)).has(streamId) && Date.now() < deadline; ) {
    await runner.wake();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await runner.stop();
  t.equal((await countsByStream(db.pool)).get(streamId), 1, 'the healthy projection caught up');
  t.equal((await countsByStream(db.pool, 'broken_counts')).size, 0, 'the broken one applied nothing');
  t.same(await readCheckpoint(db.pool, 'broken_counts'), { transactionId: '0', position: 0 }, 'and did not move past the event');
  t.ok(errors.length > 0 && errors.every((error) => /a bug in a projection/.test(String(error))), 'its failure was reported');
});
