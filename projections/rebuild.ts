import type pg from 'pg';
import type { EventStore } from '../src/event-store/store.js';
import { lockCheckpoint, saveCheckpoint, START } from './checkpoints.js';
import type { AnyProjection } from './projection.js';
import { applyEvents } from './row-store.js';

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/**
 * Rebuilds a projection from event zero in one transaction. Readers keep seeing the old rows
 * until the new ones commit all at once (plain DELETE, not TRUNCATE, so no reader is locked out);
 * the live runner skips while the checkpoint is locked and resumes from where the rebuild ends.
 */
export async function rebuildProjection(options: {
  pool: pg.Pool;
  store: EventStore;
  projection: AnyProjection;
  batchSize: number;
  onProgress?: (done: number, total: number) => void | Promise<void>;
}): Promise<{ events: number }> {
  const { pool, store, projection, batchSize } = options;
  const total = await store.headPosition();
  const client = await pool.connect();
  try {
    await client.query('begin');
    await lockCheckpoint(client, projection.name, false);
    await client.query(`delete from ${quote(projection.name)}`);
    let cursor = START;
    let done = 0;
    for (;;) {
      const events = await store.readCommitted(cursor, batchSize, projection.eventTypes, client);
      const last = events.at(-1);
      if (!last) break;
      await applyEvents(client, projection, events);
      cursor = { transactionId: last.transactionId, position: last.position };
      done += events.length;
      await options.onProgress?.(done, Math.max(total, done));
    }
    await saveCheckpoint(client, projection.name, cursor);
    await client.query('commit');
    // Wake the live runners: events appended meanwhile are theirs to fold in.
    await pool.query(`select pg_notify('pams_events', $1)`, [String(cursor.position)]);
    return { events: done };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
