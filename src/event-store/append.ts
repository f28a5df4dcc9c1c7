import type pg from 'pg';
import type { CommitSignal } from './commit-signal.js';
import { ConcurrencyConflict, IdempotencyKeyInUse, ReliedOnStreamChanged, UniqueValueTaken } from './errors.js';
import { createRoundTripGroups, MAX_GROUP, type GroupedOutcome } from './round-trip-groups.js';
import type { AppendRequest, AppendResult, Queryable } from './types.js';

// Named statements are parsed and planned once per connection: measured 44 % faster on appends.
const APPEND = 'pams_append_events';
const APPEND_SQL = 'select last_position, new_version from append_events($1, $2, $3, $4, $5, $6, $7, $8, $9)';
const APPEND_GROUP = 'pams_append_events_batch';
const APPEND_GROUP_SQL = `select ordinal, last_position, new_version, error_code, error_message, error_detail
  from append_events_batch($1)`;
const DEADLOCK_DETECTED = '40P01';

function eventsToAppend(request: AppendRequest) {
  return request.events.map((event) => ({
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  }));
}

/** append_events' parameters by name, defaults filled in: one element of append_events_batch's argument. */
function groupedAppend(request: AppendRequest) {
  return {
    streamId: request.streamId,
    streamType: request.streamType,
    expectedVersion: request.expectedVersion,
    events: eventsToAppend(request),
    claims: request.claims ?? [],
    releases: request.releases ?? [],
    idempotency: request.idempotency ?? null,
    reliesOn: request.reliesOn ?? [],
    snapshot: request.snapshot ?? null,
  };
}

/** The same, in append_events' order, for an append alone. */
function appendParameters(request: AppendRequest): unknown[] {
  const append = groupedAppend(request);
  return [
    append.streamId,
    append.streamType,
    append.expectedVersion,
    JSON.stringify(append.events),
    JSON.stringify(append.claims),
    JSON.stringify(append.releases),
    append.idempotency && JSON.stringify(append.idempotency),
    JSON.stringify(append.reliesOn),
    append.snapshot && JSON.stringify(append.snapshot),
  ];
}

/** append_events' refusals as the domain's errors; anything else as it came. */
function appendError(error: unknown, request: AppendRequest): unknown {
  const { code, detail } = error as { code?: string; detail?: string };
  if (code === 'PAMS1') return new ConcurrencyConflict(request.streamId, request.expectedVersion);
  if (code === 'PAMS2') return new UniqueValueTaken(detail ?? 'value');
  if (code === 'PAMS3') return new IdempotencyKeyInUse();
  if (code === 'PAMS4') return new ReliedOnStreamChanged(detail ?? '');
  return error;
}

interface GroupedRow {
  ordinal: number;
  last_position: number | null;
  new_version: number | null;
  error_code: string | null;
  error_message: string | null;
  error_detail: string | null;
}

function groupedOutcome(row: GroupedRow, request: AppendRequest): GroupedOutcome<AppendResult> {
  if (row.error_code === null) {
    return { result: { streamId: request.streamId, version: row.new_version!, position: row.last_position! } };
  }
  if (row.error_code === DEADLOCK_DETECTED) return { retryAlone: true };
  const error = Object.assign(new Error(row.error_message ?? row.error_code), {
    code: row.error_code,
    detail: row.error_detail ?? undefined,
  });
  return { error: appendError(error, request) };
}

/**
 * The event store's writes: each append alone through a caller's transaction, or, outside one,
 * grouped with concurrent appends (group commit). Every commit of appends made here wakes the
 * projection workers through `signal`.
 */
export function createAppender(pool: pg.Pool, signal: CommitSignal, lanes: number) {
  async function appendAlone(request: AppendRequest, on: Queryable = pool): Promise<AppendResult> {
    try {
      const result = await on.query<{ last_position: number; new_version: number }>({
        name: APPEND,
        text: APPEND_SQL,
        values: appendParameters(request),
      });
      const row = result.rows[0]!;
      if (on === pool) signal.committed();
      return { streamId: request.streamId, version: row.new_version, position: row.last_position };
    } catch (error) {
      throw appendError(error, request);
    }
  }

  async function appendGroup(requests: AppendRequest[]): Promise<GroupedOutcome<AppendResult>[]> {
    // Every group takes its streams' locks in one order, so two groups in flight cannot deadlock on them.
    const order = requests.map((_, index) => index).sort((a, b) => (requests[a]!.streamId < requests[b]!.streamId ? -1 : 1));
    const result = await pool.query<GroupedRow>({
      name: APPEND_GROUP,
      text: APPEND_GROUP_SQL,
      values: [JSON.stringify(order.map((index) => groupedAppend(requests[index]!)))],
    });
    signal.committed();
    const outcomes: GroupedOutcome<AppendResult>[] = [];
    for (const row of result.rows) {
      const index = order[row.ordinal - 1]!;
      outcomes[index] = groupedOutcome(row, requests[index]!);
    }
    return outcomes;
  }

  // Group commit: see round-trip-groups.ts.
  const appendGroups = createRoundTripGroups({
    lanes,
    maxGroup: MAX_GROUP,
    sendAlone: (request: AppendRequest) => appendAlone(request),
    sendGroup: appendGroup,
  });

  /**
   * Appends atomically: all events or none, only if the stream is still at `expectedVersion` (0 for
   * a new stream), with its unique claims and idempotency record, acknowledged once committed.
   * Through `on`, a client in a transaction opened by the store, it commits (and signals) with the
   * rest; otherwise it may share its round trip and commit with concurrent appends.
   */
  function append(request: AppendRequest, on: Queryable = pool): Promise<AppendResult> {
    return on === pool ? appendGroups.send(request) : appendAlone(request, on);
  }

  return { append };
}
