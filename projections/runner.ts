import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { EventStore } from '../src/event-store/store.js';
import type { CommitOrderCursor, StoredEvent } from '../src/event-store/types.js';
import { lockCheckpoint, saveCheckpoint } from './checkpoints.js';
import type { AnyProjection } from './projection.js';
import { applyEvents } from './row-store.js';

export interface RunnerOptions {
  pool: pg.Pool;
  store: EventStore;
  projection: AnyProjection;
  batchSize: number;
  onError?: (error: unknown) => void;
  /** How soon to look again when committed events are held back by a transaction still in flight. */
  fenceRetryMs?: number;
  /**
   * How long to let wake-ups gather before another pass when more arrived during the last one: a
   * burst of commands then costs a few passes instead of one pass (five queries and a commit) each.
   */
  coalesceMs?: number;
}

export type BatchOutcome = { busy: true } | { busy: false; processed: number; cursor: CommitOrderCursor };

/**
 * Folds the next events after `cursor` (in commit order) into the projection's rows, inside the
 * caller's transaction. Returns where it got to; the caller moves the checkpoint.
 */
export async function foldNextEvents(
  client: pg.PoolClient,
  store: EventStore,
  projection: AnyProjection,
  cursor: CommitOrderCursor,
  batchSize: number,
): Promise<{ processed: number; cursor: CommitOrderCursor }> {
  const events: StoredEvent[] = await store.readCommitted(cursor, batchSize, projection.eventTypes, client);
  const last = events.at(-1);
  if (!last) return { processed: 0, cursor };
  await applyEvents(client, projection, events);
  return { processed: events.length, cursor: { transactionId: last.transactionId, position: last.position } };
}

/**
 * One batch in one transaction: lock the checkpoint, fold the next events, move the checkpoint.
 * Rows and checkpoint commit together, so a batch that fails or is repeated leaves no trace, and
 * the lock keeps a second runner (in any process) out.
 */
export async function runBatch(
  client: pg.PoolClient,
  store: EventStore,
  projection: AnyProjection,
  batchSize: number,
  skipIfBusy = true,
): Promise<BatchOutcome> {
  await client.query('begin');
  try {
    const checkpoint = await lockCheckpoint(client, projection.name, skipIfBusy);
    if (!checkpoint) {
      await client.query('rollback');
      return { busy: true };
    }
    const folded = await foldNextEvents(client, store, projection, checkpoint, batchSize);
    if (folded.processed > 0) await saveCheckpoint(client, projection.name, folded.cursor);
    await client.query('commit');
    return { busy: false, ...folded };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}

export type ProjectionRunner = ReturnType<typeof createProjectionRunner>;

/** Keeps one projection caught up. Wake-ups coalesce: many notifications, one pass at a time. */
export function createProjectionRunner(options: RunnerOptions) {
  const { pool, store, projection, batchSize } = options;
  const fenceRetryMs = options.fenceRetryMs ?? 20;
  const coalesceMs = options.coalesceMs ?? 5;
  let running: Promise<void> | undefined;
  let wokenWhileRunning = false;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;

  async function catchUp(): Promise<number> {
    let total = 0;
    const client = await pool.connect();
    try {
      while (!stopped) {
        const outcome = await runBatch(client, store, projection, batchSize);
        // Another runner holds the projection; it keeps going until it is caught up.
        if (outcome.busy) return total;
        total += outcome.processed;
        if (outcome.processed < batchSize) {
          // Committed events can wait behind an older transaction still in flight. If it aborts,
          // no notification follows, so look again shortly rather than at the next poll.
          if (await store.hasEventsAfter(outcome.cursor, client)) scheduleRetry();
          return total;
        }
      }
      return total;
    } finally {
      client.release();
    }
  }

  function scheduleRetry() {
    if (retryTimer || stopped) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void wake();
    }, fenceRetryMs);
  }

  /** Runs a pass now, or right after the one in progress; resolves when the projection is idle. */
  function wake(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      wokenWhileRunning = true;
      return running;
    }
    running = (async () => {
      do {
        wokenWhileRunning = false;
        try {
          await catchUp();
        } catch (error) {
          options.onError?.(error);
          scheduleRetry();
          return;
        }
        if (wokenWhileRunning && !stopped && coalesceMs > 0) await sleep(coalesceMs);
      } while (wokenWhileRunning && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    projection,
    wake,
    /** Finishes the batch in progress, then stops. */
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      await running;
    },
  };
}
