import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { CommittedEvent, EventStore } from '../src/event-store/store.js';
import type { CommitOrderCursor } from '../src/event-store/types.js';
import { hasPassed, lockCheckpointsStatement, lockedCheckpoints, saveCheckpointsStatement } from './checkpoints.js';
import type { AnyProjection } from './projection.js';
import { applyEvents } from './row-store.js';

export interface RunnerOptions {
  pool: pg.Pool;
  store: EventStore;
  /** Kept up to date together: each pass reads the new events once for all of them. */
  projections: readonly AnyProjection[];
  batchSize: number;
  onError?: (error: unknown) => void;
  /** How soon to look again when committed events are held back by a transaction still in flight. */
  fenceRetryMs?: number;
  /** How soon to try again after a pass failed. */
  errorRetryMs?: number;
  /**
   * How long to let wake-ups gather before another pass when more arrived during the last one: a
   * burst of commands then costs a few passes instead of one pass (five queries and a commit) each.
   */
  coalesceMs?: number;
}

/**
 * `heldBack`: committed events lie beyond the fence of a transaction still in flight (see
 * EventStore.readCommitted).
 */
export type BatchOutcome = { busy: true } | { busy: false; processed: number; cursor: CommitOrderCursor; heldBack: boolean };

/**
 * At most a batch of events after `from` in commit order: those of `types` with their payload, those
 * of `metadataTypes` with their metadata (EventStore.readCommitted).
 */
export type EventReader = (
  from: CommitOrderCursor,
  types: readonly string[],
  metadataTypes: readonly string[],
) => Promise<{ events: CommittedEvent[]; heldBack: boolean }>;

export interface BatchOptions {
  /** Leave out at once the projections another runner holds (true), or wait for them. */
  skipIfBusy?: boolean;
  /** Where the batch's events come from; by default the batch's own transaction reads them. */
  read?: EventReader;
}

const isBefore = (a: CommitOrderCursor, b: CommitOrderCursor) => !hasPassed(a, b);
const cursorOf = (event: CommittedEvent): CommitOrderCursor => ({ transactionId: event.transactionId, position: event.position });

/**
 * Reads the next events (in commit order) after the earliest of `cursors` once, and folds into
 * each projection those it has not seen yet, inside the caller's transaction. Returns how many
 * events were read, where the read ended, and the new cursor of each projection it moved; the
 * caller saves those.
 */
export async function foldNextEvents(
  client: pg.PoolClient,
  read: EventReader,
  projections: readonly AnyProjection[],
  cursors: ReadonlyMap<string, CommitOrderCursor>,
): Promise<{ processed: number; cursor: CommitOrderCursor; moved: Map<string, CommitOrderCursor>; heldBack: boolean }> {
  const from = [...cursors.values()].reduce((earliest, cursor) => (isBefore(cursor, earliest) ? cursor : earliest));
  const typesOf = (readers: readonly AnyProjection[]) => [...new Set(readers.flatMap((projection) => projection.eventTypes))];
  const metadataTypes = typesOf(projections.filter((projection) => projection.readsMetadata));
  const { events, heldBack } = await read(from, typesOf(projections), metadataTypes);
  const last = events.at(-1);
  const moved = new Map<string, CommitOrderCursor>();
  if (!last) return { processed: 0, cursor: from, moved, heldBack };
  const end = cursorOf(last);
  for (const projection of projections) {
    const cursor = cursors.get(projection.name);
    if (!cursor || !isBefore(cursor, end)) continue;
    await applyEvents(client, projection, cursor === from ? events : events.filter((event) => isBefore(cursor, cursorOf(event))));
    moved.set(projection.name, end);
  }
  return { processed: events.length, cursor: end, moved, heldBack };
}

/** Reads batches of `batchSize` events through `on`. */
export const readerOn =
  (on: pg.PoolClient, store: EventStore, batchSize: number): EventReader =>
  (from, types, metadataTypes) =>
    store.readCommitted(from, batchSize, types, on, metadataTypes);

/**
 * One batch in one transaction: lock the checkpoints, fold the next events, move the checkpoints.
 * Rows and checkpoints commit together, so a batch that fails, is repeated or is lost in a crash
 * leaves no trace, and the locks keep a second runner (in any process) out. Busy only when every
 * projection is locked by another runner.
 *
 * The lock goes in one round trip with BEGIN, and the checkpoints' move with COMMIT: a worker keeps
 * up with commands in many small batches, and each round trip wakes it and a backend.
 */
export async function runBatch(
  client: pg.PoolClient,
  store: EventStore,
  projections: readonly AnyProjection[],
  batchSize: number,
  { skipIfBusy = true, read = readerOn(client, store, batchSize) }: BatchOptions = {},
): Promise<BatchOutcome> {
  // A read model is derived data: its commit need not wait for the WAL to reach disk (and so does
  // not queue behind the commands' commits). A crash can lose only the last passes, rows and
  // checkpoint together, and the runner folds those events again. Readers see the commit at once.
  try {
    const opened = await client.query(
      `begin; set local synchronous_commit = off; ${lockCheckpointsStatement(projections.map((projection) => projection.name), skipIfBusy)}`,
    );
    const cursors = lockedCheckpoints((opened as unknown as pg.QueryResult[]).at(-1)!.rows);
    if (cursors.size === 0) {
      await client.query('rollback');
      return { busy: true };
    }
    const mine = projections.filter((projection) => cursors.has(projection.name));
    const folded = await foldNextEvents(client, read, mine, cursors);
    const save = saveCheckpointsStatement(folded.moved);
    await client.query(save ? `${save}; commit` : 'commit');
    return { busy: false, processed: folded.processed, cursor: folded.cursor, heldBack: folded.heldBack };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}

export type ProjectionRunner = ReturnType<typeof createProjectionRunner>;

/**
 * Keeps a group of projections caught up. Wake-ups coalesce: many notifications, one pass at a
 * time, and each pass reads new events once for the whole group and commits once. A projection
 * that fails does not hold the others back: after a failed pass each is folded on its own.
 */
export function createProjectionRunner(options: RunnerOptions) {
  const { pool, store, projections, batchSize } = options;
  const fenceRetryMs = options.fenceRetryMs ?? 20;
  const errorRetryMs = options.errorRetryMs ?? 1_000;
  const coalesceMs = options.coalesceMs ?? 20;
  const report = options.onError ?? (() => {});
  let running: Promise<void> | undefined;
  let wokenWhileRunning = false;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;

  async function catchUp(group: readonly AnyProjection[]): Promise<void> {
    const client = await pool.connect();
    try {
      while (!stopped) {
        const outcome = await runBatch(client, store, group, batchSize);
        // Another runner holds these projections; it keeps going until they are caught up.
        if (outcome.busy) return;
        if (outcome.processed < batchSize) {
          // Committed events can wait behind an older transaction still in flight. If it aborts,
          // no notification follows, so look again shortly rather than at the next poll.
          if (outcome.heldBack) scheduleRetry(fenceRetryMs);
          return;
        }
      }
    } finally {
      client.release();
    }
  }

  async function catchUpEachAlone() {
    for (const projection of projections) {
      try {
        await catchUp([projection]);
      } catch (error) {
        report(error);
      }
    }
  }

  function scheduleRetry(delayMs: number) {
    if (retryTimer || stopped) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void wake();
    }, delayMs);
  }

  /** Runs a pass now, or right after the one in progress; resolves when the projections are idle. */
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
          await catchUp(projections);
        } catch (error) {
          report(error);
          if (projections.length > 1) await catchUpEachAlone();
          scheduleRetry(errorRetryMs);
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
    projections,
    wake,
    /** Finishes the batch in progress, then stops. */
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      await running;
    },
  };
}
