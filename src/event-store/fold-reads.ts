import type { DomainEvent, Queryable } from './types.js';

/** A state saved with an append (migration 0014): what `evolve` made of the stream up to `version`. */
export interface StreamSnapshot {
  state: unknown;
  version: number;
}

export interface StreamToFold {
  /** The latest snapshot saved under the name asked for; `events` are those after it. */
  snapshot?: StreamSnapshot;
  events: DomainEvent[];
  /** The stream's type, version and the position of its last event; absent for a new stream. */
  last?: { streamType: string; version: number; position: number };
}

/**
 * As streams_to_fold (schema.sql.ts) returns them: the stream's row first (`part` 0, carrying
 * its snapshot as `data` when it was saved under the name asked for), then its events after that
 * snapshot (`part` = their version). One statement, so the row and the events are read at one moment.
 */
export interface RowToFold {
  part: number;
  stream_type: string;
  stream_version: number;
  position: number | null;
  event_type: string | null;
  data: unknown;
}

interface SavedSnapshot {
  version: number;
  position: number;
  state: unknown;
}

/** Rows of one stream, in `part` order. */
export function streamToFold(rows: RowToFold[]): StreamToFold {
  const [head, ...eventRows] = rows;
  if (!head) return { events: [] };
  const saved = head.data as SavedSnapshot | null;
  return {
    ...(saved && { snapshot: { state: saved.state, version: saved.version } }),
    events: eventRows.map((row) => ({ type: row.event_type!, data: row.data })),
    last: {
      streamType: head.stream_type,
      version: head.stream_version,
      position: eventRows.at(-1)?.position ?? saved?.position ?? 0,
    },
  };
}

/** One stream's rows to fold, through `on`: a pool, or a client in a transaction. */
export async function readAlone({ streamId, snapshotName }: FoldRead, on: Queryable): Promise<StreamToFold> {
  const result = await on.query<RowToFold>({
    name: 'pams_read_stream_to_fold',
    text: 'select * from streams_to_fold(array[$1::uuid], array[$2::text])',
    values: [streamId, snapshotName ?? null],
  });
  return streamToFold(result.rows);
}

/** A read's key among others in one round trip: ids match whatever their case. */
export const readKey = (streamId: string, snapshotName: string | undefined) => `${streamId.toLowerCase()} ${snapshotName ?? ''}`;

/** A row of several streams' read in one statement: which stream, under which snapshot name, it answers. */
export type RowOfRead = RowToFold & { stream_id: string; of: string | null };

/** Rows of several streams (as streams_to_fold returns them, in `part` order) by readKey. */
export function rowsByRead(rows: RowOfRead[]): Map<string, RowToFold[]> {
  const byRead = new Map<string, RowToFold[]>();
  for (const row of rows) {
    const key = readKey(row.stream_id, row.of ?? undefined);
    const rowsOfRead = byRead.get(key);
    if (rowsOfRead) rowsOfRead.push(row);
    else byRead.set(key, [row]);
  }
  return byRead;
}

export interface FoldRead {
  streamId: string;
  snapshotName: string | undefined;
}
