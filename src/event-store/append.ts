import { ConcurrencyConflict, IdempotencyKeyInUse, ReliedOnStreamChanged, UniqueValueTaken } from './errors.js';
import type { GroupedOutcome } from './round-trip-groups.js';
import type { AppendRequest, AppendResult, Queryable } from './types.js';

// A named statement is parsed and planned once per connection, not once per append (bench/README.md).
const APPEND = 'pams_append_events';
const APPEND_SQL = 'select last_position, new_version from append_events($1, $2, $3, $4, $5, $6, $7, $8, $9)';
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
export function groupedAppend(request: AppendRequest) {
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

/** One append's row of append_events_batch: its ordinal in the batch, and its result or error. */
export interface AppendedRow {
  ordinal: number;
  last_position: number | null;
  new_version: number | null;
  error_code: string | null;
  error_message: string | null;
  error_detail: string | null;
}

/** What became of one append of a shared round trip; a deadlock between groups is retried alone. */
export function appendOutcome(row: AppendedRow, request: AppendRequest): GroupedOutcome<AppendResult> {
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
 * Appends atomically through `on` (a pool, or a client in a transaction): all events or none, only
 * if the stream is still at `expectedVersion` (0 for a new stream), with its unique claims and
 * idempotency record. Refusals come back as the domain's errors.
 */
export async function appendAlone(request: AppendRequest, on: Queryable): Promise<AppendResult> {
  try {
    const result = await on.query<{ last_position: number; new_version: number }>({
      name: APPEND,
      text: APPEND_SQL,
      values: appendParameters(request),
    });
    const row = result.rows[0]!;
    return { streamId: request.streamId, version: row.new_version, position: row.last_position };
  } catch (error) {
    throw appendError(error, request);
  }
}
