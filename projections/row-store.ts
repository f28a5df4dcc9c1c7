import type pg from 'pg';
import type { StoredEvent } from '../src/event-store/types.js';
import type { AnyProjection } from './projection.js';

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

async function loadRows(client: pg.PoolClient, projection: AnyProjection, keys: string[]) {
  const rows = new Map<string, Record<string, unknown>>();
  if (keys.length === 0) return rows;
  const result = await client.query(
    `select ${projection.columns.map(quote).join(', ')} from ${quote(projection.name)}
     where ${quote(projection.key)} = any($1)`,
    [keys],
  );
  for (const row of result.rows) rows.set(String(row[projection.key]), row);
  return rows;
}

async function upsertRows(client: pg.PoolClient, projection: AnyProjection, rows: Record<string, unknown>[]) {
  if (rows.length === 0) return;
  const { columns } = projection;
  const json = new Set<string>(projection.jsonColumns);
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const placeholders = columns.map((column) => {
      const value = row[column];
      // node-postgres would send a JS array as a PostgreSQL array, not as JSON.
      values.push(json.has(column) && value !== null && value !== undefined ? JSON.stringify(value) : value);
      return `$${values.length}`;
    });
    return `(${placeholders.join(', ')})`;
  });
  const updates = columns
    .filter((column) => column !== projection.key)
    .map((column) => `${quote(column)} = excluded.${quote(column)}`);
  await client.query(
    `insert into ${quote(projection.name)} (${columns.map(quote).join(', ')}) values ${tuples.join(', ')}
     on conflict (${quote(projection.key)}) do update set ${updates.join(', ')}`,
    values,
  );
}

async function deleteRows(client: pg.PoolClient, projection: AnyProjection, keys: string[]) {
  if (keys.length === 0) return;
  await client.query(`delete from ${quote(projection.name)} where ${quote(projection.key)} = any($1)`, [keys]);
}

// Bound parameters per statement: PostgreSQL accepts at most 65,535.
const MAX_PARAMETERS = 60_000;

/**
 * Folds a batch of events into the projection's rows with one read and a few writes, whatever the
 * batch size: load every touched row, apply events in order in memory, write the results back.
 */
export async function applyEvents(client: pg.PoolClient, projection: AnyProjection, events: StoredEvent[]) {
  const wanted = new Set(projection.eventTypes);
  const relevant = events.filter((event) => wanted.has(event.type));
  if (relevant.length === 0) return;
  const keys = [...new Set(relevant.map((event) => projection.keyOf(event)))];
  const rows = await loadRows(client, projection, keys);
  const touched = new Map<string, Record<string, unknown> | undefined>();
  for (const event of relevant) {
    const key = projection.keyOf(event);
    const current = touched.has(key) ? touched.get(key) : rows.get(key);
    touched.set(key, projection.apply(current, event));
  }
  const upserts = [...touched.values()].filter((row): row is Record<string, unknown> => row !== undefined);
  const deletes = [...touched.entries()].filter(([key, row]) => row === undefined && rows.has(key)).map(([key]) => key);
  const rowsPerStatement = Math.max(1, Math.floor(MAX_PARAMETERS / projection.columns.length));
  for (let start = 0; start < upserts.length; start += rowsPerStatement) {
    await upsertRows(client, projection, upserts.slice(start, start + rowsPerStatement));
  }
  await deleteRows(client, projection, deletes);
}
