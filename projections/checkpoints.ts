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
 * Locks the projection's checkpoint for this transaction. With `skipIfBusy`, returns undefined at
 * once when another runner holds it: that runner is already doing the work.
 */
export async function lockCheckpoint(
  client: pg.PoolClient,
  name: string,
  skipIfBusy: boolean,
): Promise<CommitOrderCursor | undefined> {
  const result = await client.query<{ transaction_id: string; position: number }>(
    `select last_transaction_id::text as transaction_id, last_position as position
     from projection_checkpoints where name = $1 for update ${skipIfBusy ? 'skip locked' : ''}`,
    [name],
  );
  const row = result.rows[0];
  return row && { transactionId: row.transaction_id, position: row.position };
}

export async function saveCheckpoint(client: pg.PoolClient, name: string, cursor: CommitOrderCursor) {
  await client.query(
    `update projection_checkpoints set last_transaction_id = $2::xid8, last_position = $3, updated_at = now()
     where name = $1`,
    [name, cursor.transactionId, cursor.position],
  );
}

/** Whether the event at `target` is already reflected in a projection at `checkpoint`. */
export function hasPassed(checkpoint: CommitOrderCursor, target: CommitOrderCursor): boolean {
  const checkpointTx = BigInt(checkpoint.transactionId);
  const targetTx = BigInt(target.transactionId);
  return checkpointTx > targetTx || (checkpointTx === targetTx && checkpoint.position >= target.position);
}
