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

/**
 * Keeps every projection caught up. Appends NOTIFY `pams_events` once committed; the listener wakes the
 * runners at once, so lag is not bounded by polling. pg-boss is the safety net that needs no
 * notification: one queue per projection, polled every few seconds and fed by a schedule, so a
 * lost wake-up delays a projection by seconds, never forever.
 */
export async function startProjectionWorkers(options: WorkerOptions) {
  const { log } = options;
  const onError = (error: unknown) => log.error({ err: error }, 'projection worker error');
  const runners = (options.projections ?? allProjections).map((projection) =>
    createProjectionRunner({ pool: options.pool, store: options.store, projection, batchSize: options.batchSize, onError }),
  );
  const wakeAll = () => {
    for (const runner of runners) void runner.wake();
  };

  const { boss } = options;
  for (const runner of runners) {
    const queue = runner.projection.name;
    await boss.createQueue(queue, { name: queue, policy: 'stately', retryLimit: 0, expireInSeconds: 600 });
    await boss.schedule(queue, '* * * * *', { reason: 'scheduled catch-up' });
    await boss.work(queue, { pollingIntervalSeconds: 2 }, async () => runner.wake());
  }

  const listener = listen(options.connectionString, EVENTS_CHANNEL, wakeAll, onError);
  await listener.ready;
  log.info({ projections: runners.map((runner) => runner.projection.name) }, 'projection workers started');

  return {
    runners,
    /** Finishes each projection's current batch, then lets go of every connection. */
    async stop() {
      await listener.stop();
      await Promise.all(runners.map((runner) => runner.stop()));
    },
  };
}
