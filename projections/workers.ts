import type pg from 'pg';
import type PgBoss from 'pg-boss';
import { EVENTS_CHANNEL } from '../src/event-store/commit-signal.js';
import type { EventStore } from '../src/event-store/store.js';
import { listen } from './listener.js';
import { projections as allProjections } from './registry.js';
import type { AnyProjection } from './projection.js';
import { createProjectionRunner } from './runner.js';

export interface WorkerOptions {
  /** Started by the caller, who also stops it after these workers. */
  boss: PgBoss;
  connectionString: string;
  pool: pg.Pool;
  store: EventStore;
  batchSize: number;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  projections?: readonly AnyProjection[];
}

/** The pg-boss queue that wakes the runner when no notification does. */
export const CATCH_UP_QUEUE = 'projections';

/**
 * Keeps every projection caught up with one runner: each pass reads new events once for all of
 * them. Appends NOTIFY `pams_events` once committed; the listener wakes the runner at once, so lag
 * is not bounded by polling. pg-boss is the safety net that needs no notification: a queue polled
 * every few seconds and fed by a schedule, so a lost wake-up delays projections by seconds, never
 * forever.
 */
export async function startProjectionWorkers(options: WorkerOptions) {
  const { log, boss } = options;
  const onError = (error: unknown) => log.error({ err: error }, 'projection worker error');
  const runner = createProjectionRunner({
    pool: options.pool,
    store: options.store,
    projections: options.projections ?? allProjections,
    batchSize: options.batchSize,
    onError,
  });

  await boss.createQueue(CATCH_UP_QUEUE, { name: CATCH_UP_QUEUE, policy: 'stately', retryLimit: 0, expireInSeconds: 600 });
  await boss.schedule(CATCH_UP_QUEUE, '* * * * *', { reason: 'scheduled catch-up' });
  await boss.work(CATCH_UP_QUEUE, { pollingIntervalSeconds: 2 }, async () => runner.wake());

  const listener = listen(options.connectionString, EVENTS_CHANNEL, () => void runner.wake(), onError);
  await listener.ready;
  log.info({ projections: runner.projections.map((projection) => projection.name) }, 'projection workers started');

  return {
    runner,
    /** Finishes the current batch, then lets go of every connection. */
    async stop() {
      await listener.stop();
      await runner.stop();
    },
  };
}
