import type pg from 'pg';
import { createRoundTripGroups, MAX_GROUP, type GroupedOutcome } from './round-trip-groups.js';
import type { DomainEvent, Queryable } from './types.js';
import { isUuid } from '../ids.js';

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
 * The stream's row first (`part` 0, carrying its snapshot as `data` when it was saved under the
 * name asked for), then its events after that snapshot (`part` = their version). One statement,
 * so the row and the events are read at one moment.
 */
interface RowToFold {
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
function streamToFold(rows: RowToFold[]): StreamToFold {
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

/** The rows to fold of the streams `requested` yields as (stream_id, of), `of` being the snapshot name asked for. */
const streamsAndEventsAfterTheirSnapshots = (requested: string) => `
  with requested (stream_id, of) as (${requested}),
  stream as (
    select s.stream_id, r.of, s.stream_type, s.version,
           case when s.snapshot->>'of' = r.of then s.snapshot end as snapshot
    from streams s join requested r on s.stream_id = r.stream_id
  )
  select stream.stream_id, stream.of, 0 as part, stream.stream_type, stream.version as stream_version,
         null::bigint as position, null::text as event_type, stream.snapshot - 'of' as data
  from stream
  union all
  select stream.stream_id, stream.of, e.stream_version, e.stream_type, e.stream_version,
         e.position, e.event_type, e.data
  from stream join events e on e.stream_id = stream.stream_id
   and e.stream_version > coalesce((stream.snapshot->>'version')::integer, 0)`;

/**
 * Reads streams as commands fold them. Outside a transaction, reads made while others are in flight
 * share their round trip.
 */
export function createFoldReader(pool: pg.Pool, lanes: number) {
  async function readOne({ streamId, snapshotName }: FoldRead, on: Queryable): Promise<StreamToFold> {
    const result = await on.query<RowToFold>({
      name: 'pams_read_stream_to_fold',
      text: `${streamsAndEventsAfterTheirSnapshots('values ($1::uuid, $2::text)')} order by part`,
      values: [streamId, snapshotName ?? null],
    });
    return streamToFold(result.rows);
  }

  /** Several streams' rows in one round trip, by lower-case id and snapshot name; a stream with no events is absent. */
  async function readRowsToFold(reads: FoldRead[]): Promise<Map<string, RowToFold[]>> {
    const distinct = [...new Map(reads.map((read) => [readKey(read.streamId, read.snapshotName), read])).values()];
    const result = await pool.query<RowToFold & { stream_id: string; of: string | null }>({
      name: 'pams_read_streams_to_fold',
      text: `${streamsAndEventsAfterTheirSnapshots('select * from unnest($1::uuid[], $2::text[])')}
             order by stream_id, of, part`,
      values: [distinct.map((read) => read.streamId), distinct.map((read) => read.snapshotName ?? null)],
    });
    const rowsByRead = new Map<string, RowToFold[]>();
    for (const row of result.rows) {
      const key = readKey(row.stream_id, row.of ?? undefined);
      const rows = rowsByRead.get(key);
      if (rows) rows.push(row);
      else rowsByRead.set(key, [row]);
    }
    return rowsByRead;
  }

  const readToFoldGroups = createRoundTripGroups({
    lanes,
    maxGroup: MAX_GROUP,
    sendAlone: (read: FoldRead) => readOne(read, pool),
    sendGroup: async (reads: FoldRead[]): Promise<GroupedOutcome<StreamToFold>[]> => {
      // One malformed id would fail the whole group's query: it goes alone, to fail on its own.
      const rowsByRead = await readRowsToFold(reads.filter((read) => isUuid(read.streamId)));
      return reads.map((read) =>
        isUuid(read.streamId)
          ? { result: streamToFold(rowsByRead.get(readKey(read.streamId, read.snapshotName)) ?? []) }
          : { retryAlone: true },
      );
    },
  });

  /**
   * What a command needs to decide on a stream: the latest snapshot saved under `snapshotName`
   * (if any), each later event's type and payload, and where the stream ends. None of the
   * per-event metadata to parse.
   */
  function readStreamToFold(streamId: string, snapshotName?: string, on: Queryable = pool): Promise<StreamToFold> {
    const read = { streamId, snapshotName };
    return on === pool ? readToFoldGroups.send(read) : readOne(read, on);
  }

  return { readStreamToFold };
}

interface FoldRead {
  streamId: string;
  snapshotName: string | undefined;
}

const readKey = (streamId: string, snapshotName: string | undefined) => `${streamId.toLowerCase()} ${snapshotName ?? ''}`;
