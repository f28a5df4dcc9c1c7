import type pg from 'pg';
import { isUuid } from '../ids.js';
import { appendAlone, appendOutcome, groupedAppend, type AppendedRow } from './append.js';
import type { CommitSignal } from './commit-signal.js';
import { readAlone, readKey, rowsByRead, streamToFold, type FoldRead, type RowOfRead, type StreamToFold } from './fold-reads.js';
import { createRoundTripGroups, MAX_GROUP, type GroupedOutcome } from './round-trip-groups.js';
import type { AppendRequest, AppendResult } from './types.js';

type Request = { append: AppendRequest } | { read: FoldRead };
type Result = AppendResult | StreamToFold;

type SharedRow = AppendedRow & RowOfRead;

const APPEND_AND_READ = {
  name: 'pams_append_and_read',
  text: 'select * from append_and_read($1, $2, $3)',
};

/**
 * The store's reads for commands and its appends, outside a transaction, through one set of lanes
 * (round-trip-groups.ts). What waits for a free lane leaves together, reads and appends alike, in
 * one call of append_and_read (schema.sql.ts): a command's read can then share its round trip
 * with another command's append, and under load one wake-up of the database and of this process
 * serves both, for less CPU per command on both sides than separate read and append lanes
 * (bench/README.md, "PATCH at 10 connections").
 */
export function createSharedRoundTrips(pool: pg.Pool, signal: CommitSignal, lanes: number) {
  async function sendAlone(request: Request): Promise<Result> {
    if ('read' in request) return readAlone(request.read, pool);
    const result = await appendAlone(request.append, pool);
    signal.committed();
    return result;
  }

  async function sendGroup(requests: Request[]): Promise<GroupedOutcome<Result>[]> {
    const outcomes: GroupedOutcome<Result>[] = [];
    const appendAt: number[] = [];
    const readAt: number[] = [];
    requests.forEach((request, index) => {
      if ('append' in request) appendAt.push(index);
      // One malformed id would fail the whole call: it goes alone, to fail on its own.
      else if (isUuid(request.read.streamId)) readAt.push(index);
      else outcomes[index] = { retryAlone: true };
    });
    const appendOf = (index: number) => (requests[index] as { append: AppendRequest }).append;
    const readOf = (index: number) => (requests[index] as { read: FoldRead }).read;
    if (appendAt.length === 0 && readAt.length === 0) return outcomes;
    // Every group takes its streams' locks in one order, so two groups in flight cannot deadlock on them.
    appendAt.sort((a, b) => (appendOf(a).streamId < appendOf(b).streamId ? -1 : 1));

    // A stream asked for twice (with the same snapshot name) is read once and answered twice.
    const reads = [...new Map(readAt.map((index) => readOf(index)).map((read) => [readKey(read.streamId, read.snapshotName), read])).values()];

    const result = await pool.query<SharedRow>({
      ...APPEND_AND_READ,
      values: [
        JSON.stringify(appendAt.map((index) => groupedAppend(appendOf(index)))),
        reads.map((read) => read.streamId),
        reads.map((read) => read.snapshotName ?? null),
      ],
    });
    if (appendAt.length > 0) signal.committed();

    const readRows: SharedRow[] = [];
    for (const row of result.rows) {
      if (row.ordinal === null) {
        readRows.push(row);
      } else {
        const index = appendAt[row.ordinal - 1]!;
        outcomes[index] = appendOutcome(row, appendOf(index));
      }
    }
    const byRead = rowsByRead(readRows);
    for (const index of readAt) {
      const { streamId, snapshotName } = readOf(index);
      outcomes[index] = { result: streamToFold(byRead.get(readKey(streamId, snapshotName)) ?? []) };
    }
    return outcomes;
  }

  const groups = createRoundTripGroups<Request, Result>({ lanes, maxGroup: MAX_GROUP, sendAlone, sendGroup });

  return {
    /** Acknowledged once committed; see appendAlone. */
    append: (request: AppendRequest) => groups.send({ append: request }) as Promise<AppendResult>,
    readStreamToFold: (read: FoldRead) => groups.send({ read }) as Promise<StreamToFold>,
  };
}
