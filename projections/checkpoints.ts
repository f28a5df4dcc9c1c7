import type pg from 'pg';
import type { CommitOrderCursor } from '../src/event-store/types.js';

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export const START: CommitOrderCursor = { transactionId: '0', position: 0 };

export async function readCheckpoint(on: Queryable, name: string): Promise<CommitOrderCursor | undefined> {
  const result = await on.query<{ transaction_id: string; position: number }>({
    name: 'pams_read_checkpoint',
    text: `select last_transaction_id::text as transaction_id, last_position as position
           from projection_checkpoints where name = $1`,
    values: [name],
  });
  const row = result.rows[0];
  return row && { transactionId: row.transaction_id, position: row.position };
}

/**
 * Locks the named checkpoints for this transaction and returns them. With `skipIfBusy`, those
 * another runner holds are left out at once: that runner is already doing their work. Locked in
 * name order, so two lockers that wait never deadlock.
 */
export async function lockCheckpoints(
  client: pg.PoolClient,
  names: readonly string[],
  skipIfBusy: boolean,
): Promise<Map<string, CommitOrderCursor>> {
  const result = await client.query<{ name: string; transaction_id: string; position: number }>({
    name: skipIfBusy ? 'pams_lock_checkpoints_skip_busy' : 'pams_lock_checkpoints',
    text: `select name, last_transaction_id::text as transaction_id, last_position as position
           from projection_checkpoints where name = any($1) order by name
           for update ${skipIfBusy ? 'skip locked' : ''}`,
    values: [names],
  });
  return new Map(result.rows.map((row) => [row.name, { transactionId: row.transaction_id, position: row.position }]));
}

export async function lockCheckpoint(client: pg.PoolClient, name: string): Promise<CommitOrderCursor | undefined> {
  return (await lockCheckpoints(client, [name], false)).get(name);
}

/** Moves every given checkpoint in one statement. */
export async function saveCheckpoints(client: pg.PoolClient, cursors: ReadonlyMap<string, CommitOrderCursor>) {
  if (cursors.size === 0) return;
  const entries = [...cursors];
  await client.query({
    name: 'pams_save_checkpoints',
    text: `update projection_checkpoints c
           set last_transaction_id = moved.transaction_id::xid8, last_position = moved.position, updated_at = now()
           from unnest($1::text[], $2::text[], $3::bigint[]) as moved (name, transaction_id, position)
           where c.name = moved.name`,
    values: [entries.map(([name]) => name), entries.map(([, cursor]) => cursor.transactionId), entries.map(([, cursor]) => cursor.position)],
  });
}

/** Whether the event at `target` is already reflected in a projection at `checkpoint`. */
export function hasPassed(checkpoint: CommitOrderCursor, target: CommitOrderCursor): boolean {
  const checkpointTx = BigInt(checkpoint.transactionId);
  const targetTx = BigInt(target.transactionId);
  return checkpointTx > targetTx || (checkpointTx === targetTx && checkpoint.position >= target.position);
}
