import type pg from 'pg';
import { createRoundTripGroups, MAX_GROUP, type GroupedOutcome } from './round-trip-groups.js';
import type { DomainEvent, Queryable } from './types.js';
import { isUuid } from '../ids.js';

export interface StreamToFold {
  events: DomainEvent[];
  /** The stream's type, version and the position of its last event; absent for a new stream. */
  last?: { streamType: string; version: number; position: number };
}

interface RowToFold {
  stream_type: string;
  stream_version: number;
  position: number;
  event_type: string;
  data: unknown;
}

/** Rows of one stream, in version order. */
function streamToFold(rows: RowToFold[]): StreamToFold {
  const last = rows.at(-1);
  return {
    events: rows.map((row) => ({ type: row.event_type, data: row.data })),
    last: last && { streamType: last.stream_type, version: last.stream_version, position: last.position },
  };
}

/**
 * Reads streams as commands fold them. Outside a transaction, reads made while others are in flight
 * share their round trip.
 */
export function createFoldReader(pool: pg.Pool, lanes: number) {
  async function readOne(streamId: string, on: Queryable): Promise<StreamToFold> {
    const result = await on.query<RowToFold>({
      name: 'pams_read_stream_to_fold',
      text: `select stream_type, stream_version, position, event_type, data from events
             where stream_id = $1 order by stream_version`,
      values: [streamId],
    });
    return streamToFold(result.rows);
  }

  /** Several streams' rows in one round trip, by lower-case id; a stream with no events is absent. */
  async function readRowsToFold(streamIds: string[]): Promise<Map<string, RowToFold[]>> {
    const result = await pool.query<RowToFold & { stream_id: string }>({
      name: 'pams_read_streams_to_fold',
      text: `select stream_id, stream_type, stream_version, position, event_type, data from events
             where stream_id = any($1::uuid[]) order by stream_id, stream_version`,
      values: [streamIds],
    });
    const rowsByStream = new Map<string, RowToFold[]>();
    for (const row of result.rows) {
      const rows = rowsByStream.get(row.stream_id);
      if (rows) rows.push(row);
      else rowsByStream.set(row.stream_id, [row]);
    }
    return rowsByStream;
  }

  const readToFoldGroups = createRoundTripGroups({
    lanes,
    maxGroup: MAX_GROUP,
    sendAlone: (streamId: string) => readOne(streamId, pool),
    sendGroup: async (streamIds: string[]): Promise<GroupedOutcome<StreamToFold>[]> => {
      // One malformed id would fail the whole group's query: it goes alone, to fail on its own.
      const rowsByStream = await readRowsToFold(streamIds.filter(isUuid));
      return streamIds.map((streamId) =>
        isUuid(streamId) ? { result: streamToFold(rowsByStream.get(streamId.toLowerCase()) ?? []) } : { retryAlone: true },
      );
    },
  });

  /**
   * What a command needs to decide on a stream: each event's type and payload, and where the
   * stream ends. Half the columns of readStream, and none of the per-event metadata to parse.
   */
  function readStreamToFold(streamId: string, on: Queryable = pool): Promise<StreamToFold> {
    return on === pool ? readToFoldGroups.send(streamId) : readOne(streamId, on);
  }

  return { readStreamToFold };
}
