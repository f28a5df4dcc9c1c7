import type pg from 'pg';
import type { CommitOrderCursor, Queryable } from '../src/event-store/types.js';

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

// The checkpoint statements are sent as plain text with their values inlined, so that a batch can
// send one in the same round trip as its BEGIN or its COMMIT. The values are projection names from
// the code and cursors read from the database, checked here all the same.
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

function cursorLiterals({ transactionId, position }: CommitOrderCursor): string {
  if (!/^\d+$/.test(transactionId) || !Number.isSafeInteger(position)) {
    throw new Error(`not a commit-order cursor: ${JSON.stringify({ transactionId, position })}`);
  }
  return `${literal(transactionId)}::xid8, ${position}::bigint`;
}

/**
 * The statement that locks the named checkpoints for the transaction and returns them. With
 * `skipIfBusy`, those another runner holds are left out at once: that runner is already doing their
 * work. Locked in name order, so two lockers that wait never deadlock.
 */
export function lockCheckpointsStatement(names: readonly string[], skipIfBusy: boolean): string {
  return `select name, last_transaction_id::text as transaction_id, last_position as position
          from projection_checkpoints where name in (${names.map(literal).join(', ')}) order by name
          for update${skipIfBusy ? ' skip locked' : ''}`;
}

/** The checkpoints in the rows of `lockCheckpointsStatement`, by name. */
export function lockedCheckpoints(rows: Array<{ name: string; transaction_id: string; position: number }>): Map<string, CommitOrderCursor> {
  return new Map(rows.map((row) => [row.name, { transactionId: row.transaction_id, position: Number(row.position) }]));
}

export async function lockCheckpoint(client: pg.PoolClient, name: string): Promise<CommitOrderCursor | undefined> {
  return lockedCheckpoints((await client.query(lockCheckpointsStatement([name], false))).rows).get(name);
}

/** The statement that moves every given checkpoint; none when there is nothing to move. */
export function saveCheckpointsStatement(cursors: ReadonlyMap<string, CommitOrderCursor>): string | undefined {
  if (cursors.size === 0) return undefined;
  const moved = [...cursors].map(([name, cursor]) => `(${literal(name)}, ${cursorLiterals(cursor)})`);
  return `update projection_checkpoints c
          set last_transaction_id = moved.transaction_id, last_position = moved.position, updated_at = now()
          from (values ${moved.join(', ')}) as moved (name, transaction_id, position)
          where c.name = moved.name`;
}

export async function saveCheckpoints(client: pg.PoolClient, cursors: ReadonlyMap<string, CommitOrderCursor>) {
  const statement = saveCheckpointsStatement(cursors);
  if (statement) await client.query(statement);
}

/** Whether the event at `target` is already reflected in a projection at `checkpoint`. */
export function hasPassed(checkpoint: CommitOrderCursor, target: CommitOrderCursor): boolean {
  const checkpointTx = BigInt(checkpoint.transactionId);
  const targetTx = BigInt(target.transactionId);
  return checkpointTx > targetTx || (checkpointTx === targetTx && checkpoint.position >= target.position);
}
