import type pg from 'pg';
import { createCommitSignal, type CommitSignal } from './commit-signal.js';
import { appendAlone } from './append.js';
import { readAlone, type StreamToFold } from './fold-reads.js';
import { createRecentStates, RECENT_STATES_PER_DECIDER } from './recent-states.js';
import { ROUND_TRIP_LANES } from './round-trip-groups.js';
import { createSharedRoundTrips } from './round-trips.js';
import type { AppendRequest, AppendResult, CommitOrderCursor, IdempotencyRecord, Queryable, StoredEvent } from './types.js';

export type { StreamToFold } from './fold-reads.js';

const EVENT_COLUMNS = `position, transaction_id::text as transaction_id, stream_id, stream_type, stream_version,
  event_id, event_type, schema_version, data, metadata, recorded_at`;

interface EventRow {
  position: number;
  transaction_id: string;
  stream_id: string;
  stream_type: string;
  stream_version: number;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: StoredEvent['metadata'];
  recorded_at: Date;
}

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    position: row.position,
    transactionId: row.transaction_id,
    streamId: row.stream_id,
    streamType: row.stream_type,
    streamVersion: row.stream_version,
    eventId: row.event_id,
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  };
}

/** An event as readCommitted returns it: its metadata null unless its type was asked for. */
export type CommittedEvent = Omit<StoredEvent, 'metadata'> & { metadata: StoredEvent['metadata'] | null };

export type EventStore = ReturnType<typeof createEventStore>;

export interface EventStoreOptions {
  signal?: CommitSignal;
  /** How many streams' folded states to keep per decider for the next command on them. */
  recentStatesPerDecider?: number;
  /** Appends (and stream reads) outside a transaction in flight at once; more wait and go together (round-trip-groups.ts). */
  roundTripLanes?: number;
}

/**
 * The only writer of the events table, and the read API everything else goes through. Every
 * commit of appends made here wakes the projection workers through `signal`.
 */
export function createEventStore(pool: pg.Pool, options: EventStoreOptions = {}) {
  const signal = options.signal ?? createCommitSignal(pool);
  const lanes = options.roundTripLanes ?? ROUND_TRIP_LANES;
  const shared = createSharedRoundTrips(pool, signal, lanes);

  /**
   * Appends atomically: all events or none, only if the stream is still at `expectedVersion` (0 for
   * a new stream), with its unique claims and idempotency record, acknowledged once committed.
   * Through `on`, a client in a transaction opened by the store, it commits (and signals) with the
   * rest; otherwise it may share its round trip and commit with concurrent appends and reads.
   */
  function append(request: AppendRequest, on: Queryable = pool): Promise<AppendResult> {
    return on === pool ? shared.append(request) : appendAlone(request, on);
  }

  /**
   * What a command needs to decide on a stream: the latest snapshot saved under `snapshotName`
   * (if any), each later event's type and payload, and where the stream ends. None of the
   * per-event metadata to parse.
   */
  function readStreamToFold(streamId: string, snapshotName?: string, on: Queryable = pool): Promise<StreamToFold> {
    const read = { streamId, snapshotName };
    return on === pool ? shared.readStreamToFold(read) : readAlone(read, on);
  }

  /** Runs `work` in one transaction on one client, and signals the appends it made once committed. */
  async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      signal.committed();
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  return {
    append,

    /** Commands' folded states, for handleCommand: see createRecentStates. */
    recentStates: createRecentStates(options.recentStatesPerDecider ?? RECENT_STATES_PER_DECIDER),

    /** Resolves once the wake-ups for every commit so far are sent: before the pool is closed. */
    settled: () => signal.settled(),

    /** Many appends in one transaction: for imports and seeding, not for the command path. */
    appendBatch(requests: AppendRequest[]): Promise<AppendResult[]> {
      return inTransaction(async (client) => {
        const results: AppendResult[] = [];
        for (const request of requests) results.push(await append(request, client));
        return results;
      });
    },

    /**
     * The stream's events after `afterVersion`, with their metadata: to its end, unless `limit` asks
     * for a page. Reads through `on` when given: inside a transaction, its own uncommitted appends are seen.
     */
    async readStream(streamId: string, afterVersion = 0, limit?: number, on: Queryable = pool): Promise<StoredEvent[]> {
      const result = await on.query<EventRow>({
        name: 'pams_read_stream',
        // LIMIT NULL is no limit at all.
        text: `select ${EVENT_COLUMNS} from events
               where stream_id = $1 and stream_version > $2 order by stream_version limit $3`,
        values: [streamId, afterVersion, limit ?? null],
      });
      return result.rows.map(toStoredEvent);
    },

    readStreamToFold,

    /**
     * Runs `work` in one transaction: every append made through the client commits with the rest
     * of `work` (credentials, outbox rows) or not at all.
     */
    transaction: inTransaction,

    /**
     * Events after `cursor` in commit order, from transactions that have all finished: a transaction
     * still in flight may hold a lower position than events already committed, and a reader that
     * went past it would never see it. Payloads are returned only for `types`, and metadata only
     * for `metadataTypes` (by default the same); other events come without (null) so that a reader
     * can still step over them.
     *
     * `heldBack` tells, in the same round trip, whether committed events lie beyond that fence: a
     * reader that got fewer than `limit` events should look again soon, for if the transaction in
     * flight aborts, no notification follows.
     */
    async readCommitted(
      cursor: CommitOrderCursor,
      limit: number,
      types: readonly string[],
      on: Queryable = pool,
      metadataTypes: readonly string[] = types,
    ): Promise<{ events: CommittedEvent[]; heldBack: boolean }> {
      const result = await on.query<Partial<EventRow> & { held_back: boolean }>({
        name: 'pams_read_committed',
        text: `select fence.held_back, next.*
               -- ORDER BY and LIMIT, not EXISTS: PostgreSQL's generic plan for EXISTS can be a
               -- sequential scan, reading the whole table when nothing is held back (0.3-0.6 s at
               -- 1M events, on every pass of every runner); this one walks events_in_commit_order.
               from (select coalesce((select true from events
                                      where transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
                                      order by events.transaction_id limit 1), false) as held_back) fence
               left join lateral (
                 select position, transaction_id::text as transaction_id, stream_id, stream_type, stream_version,
                   event_id, event_type, schema_version,
                   case when event_type = any($4) then data end as data,
                   case when event_type = any($5) then metadata end as metadata,
                   recorded_at, events.transaction_id as commit_order
                 from events
                 where (transaction_id, position) > ($1::xid8, $2)
                   and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                 -- Qualified: a bare name here means the output column, transaction_id::text, and
                 -- sorting that text skips the index (a sort of the whole table per batch) and puts
                 -- xid 100000 before 99999 (events read out of commit order, or skipped).
                 order by events.transaction_id, events.position
                 limit $3
               ) next on true
               order by next.commit_order, next.position`,
        values: [cursor.transactionId, cursor.position, limit, types, metadataTypes],
      });
      const events: CommittedEvent[] = result.rows.filter((row) => row.position !== null).map((row) => toStoredEvent(row as EventRow));
      return { events, heldBack: result.rows[0]?.held_back ?? false };
    },

    /** The commit-order key of the event at `position`, or undefined if there is none (yet). */
    async cursorAt(position: number): Promise<CommitOrderCursor | undefined> {
      const result = await pool.query<{ transaction_id: string }>({
        name: 'pams_cursor_at',
        text: 'select transaction_id::text as transaction_id from events where position = $1',
        values: [position],
      });
      const row = result.rows[0];
      return row ? { transactionId: row.transaction_id, position } : undefined;
    },

    async headPosition(): Promise<number> {
      const result = await pool.query<{ head: number | null }>('select max(position) as head from events');
      return result.rows[0]?.head ?? 0;
    },

    /** Events appended past `cursor` (in commit order), counted up to `cap`. */
    async countAfter(cursor: CommitOrderCursor, cap: number): Promise<number> {
      const result = await pool.query<{ behind: number }>(
        `select count(*)::int as behind from (
           select 1 from events where (transaction_id, position) > ($1::xid8, $2) limit $3) beyond`,
        [cursor.transactionId, cursor.position, cap],
      );
      return result.rows[0]?.behind ?? 0;
    },

    /** The stream holding a unique value (an account's email, say), read where the claims are enforced. */
    async claimHolder(scope: string, value: string, on: Queryable = pool): Promise<string | undefined> {
      const result = await on.query<{ stream_id: string }>({
        name: 'pams_claim_holder',
        text: 'select stream_id from unique_claims where scope = $1 and value = $2',
        values: [scope, value],
      });
      return result.rows[0]?.stream_id;
    },

    /**
     * Claims an Idempotency-Key in the caller's transaction, before its writes: false when it is
     * taken. A duplicate still in flight holds the row, so this waits for it to commit or roll back.
     */
    async claimIdempotencyKey(client: pg.PoolClient, claim: Omit<IdempotencyRecord, 'response'>): Promise<boolean> {
      const result = await client.query({
        name: 'pams_claim_idempotency_key',
        text: `insert into idempotency_keys (scope, key, request_hash, status_code, response)
               values ($1, $2, $3, $4, '{}') on conflict do nothing`,
        values: [claim.scope, claim.key, claim.requestHash, claim.statusCode],
      });
      return result.rowCount === 1;
    },

    /** The answer to replay for a key claimed in this transaction. */
    async recordIdempotentResponse(client: pg.PoolClient, claim: { scope: string; key: string }, response: object): Promise<void> {
      await client.query({
        name: 'pams_record_idempotent_response',
        text: 'update idempotency_keys set response = $3 where scope = $1 and key = $2',
        values: [claim.scope, claim.key, JSON.stringify(response)],
      });
    },

    async findIdempotentResponse(scope: string, key: string): Promise<(IdempotencyRecord & { createdAt: Date }) | undefined> {
      // Named, like the append: every retry under an Idempotency-Key reads its answer here.
      const result = await pool.query({
        name: 'pams_find_idempotent_response',
        text: `select scope, key, request_hash, status_code, response, created_at from idempotency_keys
               where scope = $1 and key = $2`,
        values: [scope, key],
      });
      const row = result.rows[0];
      return row
        ? {
            scope: row.scope,
            key: row.key,
            requestHash: row.request_hash,
            statusCode: row.status_code,
            response: row.response,
            createdAt: row.created_at,
          }
        : undefined;
    },
  };
}
