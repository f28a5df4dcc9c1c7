import t from 'tap';
import PgBoss from 'pg-boss';
import { v4 as uuid } from 'uuid';
import { startProjectionWorkers } from '../../projections/workers.js';
import { createTestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { countingProjection, countsByStream, createCountingTable } from './counting-projection.js';

const silent = { info() {}, error() {} };

t.test('an appended event reaches its projection through the workers, woken by the append itself', async (t) => {
  const db = await createTestDatabase(t, 10);
  await createCountingTable(db.pool);
  // No schedule runs, so the queue stays empty and pg-boss's poll finds nothing to wake the runner
  // with: only the append's NOTIFY can.
  const boss = new PgBoss({ connectionString: db.url, schema: 'pgboss', max: 2, schedule: false });
  await boss.start();
  t.teardown(() => boss.stop({ graceful: false, wait: true }));
  const workers = await startProjectionWorkers({
    boss,
    connectionString: db.url,
    pool: db.pool,
    store: db.store,
    batchSize: 100,
    log: silent,
    projections: [countingProjection],
  });
  t.teardown(() => workers.stop());
  // The pass the listener starts once connected, done before the append: it cannot be what folds it.
  await workers.runner.wake();

  const streamId = uuid();
  await db.store.append({
    streamId,
    streamType: 'counter',
    expectedVersion: 0,
    events: [{ eventId: uuid(), type: 'Counted', data: {}, schemaVersion: 1, metadata: { actorId: null, actorRole: 'system' }, recordedAt: new Date() }],
  });
  t.equal(await eventually(async () => (await countsByStream(db.pool)).get(streamId)), 1);
  const queues = await db.pool.query(`select name, policy from pgboss.queue where name = 'projections'`);
  t.same(queues.rows, [{ name: 'projections', policy: 'stately' }], 'the projections have a pg-boss queue');
  const schedules = await db.pool.query(`select name, cron from pgboss.schedule where name = 'projections'`);
  t.same(schedules.rows, [{ name: 'projections', cron: '* * * * *' }], 'and a schedule as the safety net');
});
