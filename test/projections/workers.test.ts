import t from 'tap';
import PgBoss from 'pg-boss';
import { v4 as uuid } from 'uuid';
import { startProjectionWorkers } from '../../projections/workers.js';
import { createTestDatabase } from '../helpers/database.js';
import { countingProjection, countsByStream, createCountingTable } from './counting-projection.js';

const silent = { info() {}, error() {} };

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - started;
}

t.test('an appended event reaches its projection through the workers, woken by the append itself', async (t) => {
  const db = await createTestDatabase(t, 10);
  await createCountingTable(db.pool);
  const boss = new PgBoss({ connectionString: db.url, schema: 'pgboss', max: 2 });
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

  const streamId = uuid();
  await db.store.append({
    streamId,
    streamType: 'counter',
    expectedVersion: 0,
    events: [{ eventId: uuid(), type: 'Counted', data: {}, schemaVersion: 1, metadata: { actorId: null, actorRole: 'system' }, recordedAt: new Date() }],
  });
  // pg-boss alone polls every 2 s; well under that means the NOTIFY woke the runner.
  const elapsed = await waitFor(async () => (await countsByStream(db.pool)).get(streamId) === 1, 1500);
  t.ok(elapsed < 1500, `visible after ${elapsed} ms`);
  const queues = await db.pool.query(`select name, policy from pgboss.queue where name = 'projections'`);
  t.same(queues.rows, [{ name: 'projections', policy: 'stately' }], 'the projections have a pg-boss queue');
  const schedules = await db.pool.query(`select name, cron from pgboss.schedule where name = 'projections'`);
  t.same(schedules.rows, [{ name: 'projections', cron: '* * * * *' }], 'and a schedule as the safety net');
});
