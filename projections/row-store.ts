import type pg from 'pg';
import type { CommittedEvent } from '../src/event-store/store.js';
import type { StoredEvent } from '../src/event-store/types.js';
import { DELETE_ROW, type AnyProjection } from './projection.js';

export const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

async function loadRows(client: pg.PoolClient, projection: AnyProjection, keys: string[]) {
  const rows = new Map<string, Record<string, unknown>>();
  if (keys.length === 0) return rows;
  const result = await client.query({
    name: `pams_load_${projection.name}`,
    text: `select ${projection.columns.map(quote).join(', ')} from ${quote(projection.name)}
           where ${quote(projection.key)} = any($1)`,
    values: [keys],
  });
  for (const row of result.rows) rows.set(String(row[projection.key]), row);
  return rows;
}

/**
 * One statement and one parameter for any number of rows: the rows travel as one JSON array that
 * PostgreSQL turns into the table's row type: faster than a VALUES list with a parameter per cell
 * (split at PostgreSQL's 65,535-parameter limit), bench/README.md.
 */
async function upsertRows(client: pg.PoolClient, projection: AnyProjection, rows: Record<string, unknown>[]) {
  if (rows.length === 0) return;
  const columns = projection.columns.map(quote).join(', ');
  const updates = projection.columns
    .filter((column) => column !== projection.key)
    .map((column) => `${quote(column)} = excluded.${quote(column)}`);
  await client.query({
    name: `pams_upsert_${projection.name}`,
    text: `insert into ${quote(projection.name)} (${columns})
           select ${columns} from jsonb_populate_recordset(null::${quote(projection.name)}, $1::jsonb)
           on conflict (${quote(projection.key)}) do update set ${updates.join(', ')}`,
    values: [JSON.stringify(rows)],
  });
}

async function deleteRows(client: pg.PoolClient, projection: AnyProjection, keys: string[]) {
  if (keys.length === 0) return;
  await client.query({
    name: `pams_delete_${projection.name}`,
    text: `delete from ${quote(projection.name)} where ${quote(projection.key)} = any($1)`,
    values: [keys],
  });
}

// The statements are named (prepared once per connection) because a worker keeping up with commands
// runs them in many small batches; each projection's text is fixed by its name and columns.

/**
 * Folds a batch of events into the projection's rows with one read and a few writes, whatever the
 * batch size: load every touched row, apply events in order in memory, write the results back.
 */
export async function applyEvents(client: pg.PoolClient, projection: AnyProjection, events: readonly CommittedEvent[]) {
  const wanted = new Set(projection.eventTypes);
  // The runner read these events' metadata if this projection reads it (foldNextEvents), so to it
  // they are whole events; to any other, metadata is absent from ProjectedEvent's type.
  const relevant = events.filter((event) => wanted.has(event.type)) as StoredEvent[];
  if (relevant.length === 0) return;
  const keys = [...new Set(relevant.map((event) => projection.keyOf(event)))];
  const rows = await loadRows(client, projection, keys);
  const touched = new Map<string, Record<string, unknown> | typeof DELETE_ROW>();
  for (const event of relevant) {
    const key = projection.keyOf(event);
    const current = touched.has(key) ? touched.get(key) : rows.get(key);
    const next = projection.apply(current === DELETE_ROW ? undefined : current, event);
    // `undefined` is "no row, and none made": it leaves whatever is there, so only DELETE_ROW removes.
    if (next !== undefined) touched.set(key, next);
  }
  const upserts = [...touched.values()].filter((row) => row !== DELETE_ROW);
  const deletes = [...touched.entries()].filter(([key, row]) => row === DELETE_ROW && rows.has(key)).map(([key]) => key);
  await upsertRows(client, projection, upserts);
  await deleteRows(client, projection, deletes);
}
