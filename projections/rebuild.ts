import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { EVENTS_CHANNEL } from '../src/event-store/commit-signal.js';
import type { EventStore } from '../src/event-store/store.js';
import type { CommitOrderCursor } from '../src/event-store/types.js';
import { lockCheckpoint, saveCheckpoints, START } from './checkpoints.js';
import type { AnyProjection } from './projection.js';
import { quote } from './row-store.js';
import { foldNextEvents, readerOn, runBatch, type EventReader } from './runner.js';

export interface RebuildOptions {
  pool: pg.Pool;
  store: EventStore;
  projection: AnyProjection;
  batchSize: number;
  onProgress?: (done: number, total: number) => void | Promise<void>;
  /** How long to wait for events held back by transactions still in flight before swapping. */
  settleMs?: number;
}

/**
 * Rebuilds a projection from event zero without taking it away from readers or stalling the
 * other projections. The same pure projection, under a shadow name, is folded into a shadow table
 * in short transactions; then one short transaction folds the last events, replaces the live rows
 * with the shadow's (readers see the old rows until that commit, the new ones after) and moves
 * the live checkpoint. A plain DELETE + INSERT, not a table swap: no reader is ever locked out.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<{ events: number }> {
  const { pool, store, projection, batchSize } = options;
  const shadow: AnyProjection = { ...projection, name: `${projection.name}__rebuild` };
  const columns = projection.columns.map(quote).join(', ');
  const total = await store.headPosition();

  await pool.query(`drop table if exists ${quote(shadow.name)}`);
  await pool.query(
    `create unlogged table ${quote(shadow.name)} (like ${quote(projection.name)} including defaults including generated)`,
  );
  await pool.query(`alter table ${quote(shadow.name)} add primary key (${quote(projection.key)})`);
  await pool.query(
    `insert into projection_checkpoints (name) values ($1)
     on conflict (name) do update set last_transaction_id = '0', last_position = 0, updated_at = now()`,
    [shadow.name],
  );

  let done = 0;
  const client = await pool.connect();
  const reader = await pool.connect().catch((error: unknown) => {
    client.release();
    throw error;
  });
  const ahead = readingAhead(reader, store, batchSize);
  try {
    for (let settledAt = Date.now() + (options.settleMs ?? 10_000); ; ) {
      const outcome = await runBatch(client, store, [shadow], batchSize, { skipIfBusy: false, read: ahead.read });
      if (outcome.busy) throw new Error(`${shadow.name} is being rebuilt by another process`);
      done += outcome.processed;
      if (outcome.processed > 0) await options.onProgress?.(done, Math.max(total, done));
      if (outcome.processed === batchSize) continue;
      // Events held back by an older transaction still in flight: give it a moment to finish.
      if (!outcome.heldBack || Date.now() > settledAt) break;
      await sleep(20);
    }

    await client.query('begin');
    await lockCheckpoint(client, projection.name);
    let cursor: CommitOrderCursor = (await lockCheckpoint(client, shadow.name)) ?? START;
    const readInTransaction = readerOn(client, store, batchSize);
    for (;;) {
      const folded = await foldNextEvents(client, readInTransaction, [shadow], new Map([[shadow.name, cursor]]));
      if (folded.processed === 0) break;
      done += folded.processed;
      cursor = folded.cursor;
      await options.onProgress?.(done, Math.max(total, done));
    }
    await client.query(`delete from ${quote(projection.name)}`);
    await client.query(`insert into ${quote(projection.name)} (${columns}) select ${columns} from ${quote(shadow.name)}`);
    // Anything after this point in commit order is the live runner's to fold in.
    await saveCheckpoints(client, new Map([[projection.name, cursor]]));
    await client.query('delete from projection_checkpoints where name = $1', [shadow.name]);
    await client.query(`drop table ${quote(shadow.name)}`);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    await ahead.settled();
    reader.release();
    client.release();
  }
  await pool.query(`select pg_notify('${EVENTS_CHANNEL}', $1)`, [String(done)]);
  return { events: done };
}

/**
 * Reads through `reader`, a connection of its own, and once a full batch has come back asks at
 * once for the one after it: PostgreSQL reads the next batch while this process folds and writes
 * the last. A batch asked for from anywhere else (a checkpoint that did not move as expected) is
 * read then. Reading outside the batch's transaction changes nothing: each read takes its own
 * snapshot and fence (EventStore.readCommitted) either way.
 */
function readingAhead(reader: pg.PoolClient, store: EventStore, batchSize: number): { read: EventReader; settled(): Promise<void> } {
  let ahead: { from: CommitOrderCursor; asked: string; batch: ReturnType<EventReader> } | undefined;
  const readFrom: EventReader = (from, types, metadataTypes) => store.readCommitted(from, batchSize, types, reader, metadataTypes);
  return {
    async read(from, types, metadataTypes) {
      const asked = `${types.join()}/${metadataTypes.join()}`;
      const batch = await (ahead && sameCursor(ahead.from, from) && ahead.asked === asked ? ahead.batch : readFrom(from, types, metadataTypes));
      ahead = undefined;
      const last = batch.events.at(-1);
      if (last && batch.events.length === batchSize) {
        const next = { transactionId: last.transactionId, position: last.position };
        ahead = { from: next, asked, batch: readFrom(next, types, metadataTypes) };
        // Awaited, and its failure reported, by the read that takes it (or dropped by settled()).
        ahead.batch.catch(() => {});
      }
      return batch;
    },
    async settled() {
      await ahead?.batch.catch(() => {});
    },
  };
}

const sameCursor = (a: CommitOrderCursor, b: CommitOrderCursor) => a.transactionId === b.transactionId && a.position === b.position;
