import type pg from 'pg';

/** A pool or a client in a transaction: where a query runs. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** Who caused an event and why: what an auditor asks years later. */
export interface EventMetadata {
  actorId: string | null;
  actorRole: string;
  requestId?: string;
  correlationId?: string;
  causationId?: string;
  reason?: string;
}

/** An event as a domain module declares it: a past-tense type and its payload. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

export interface NewEvent extends DomainEvent {
  eventId: string;
  schemaVersion: number;
  metadata: EventMetadata;
  recordedAt: Date;
}

export interface StoredEvent<E extends DomainEvent = DomainEvent> {
  position: number;
  transactionId: string;
  streamId: string;
  streamType: string;
  streamVersion: number;
  eventId: string;
  type: E['type'];
  schemaVersion: number;
  data: E['data'];
  metadata: EventMetadata;
  recordedAt: Date;
}

/** A value that must be unique across all streams of the store, such as a patient's MRN. */
export interface UniqueClaim {
  scope: string;
  value: string;
}

export interface IdempotencyRecord {
  scope: string;
  key: string;
  requestHash: string;
  statusCode: number;
  /** The response body, without `version` and `position`, which the append fills in. */
  response: Record<string, unknown>;
}

export interface AppendRequest {
  streamId: string;
  streamType: string;
  expectedVersion: number;
  events: NewEvent[];
  claims?: UniqueClaim[];
  releases?: UniqueClaim[];
  idempotency?: IdempotencyRecord;
  /** Other streams the decision was based on, at the versions read (0: absent); any moved, nothing is appended. */
  reliesOn?: StreamVersion[];
  /** The stream's state once these events are folded, saved on the stream's row (migration 0014). */
  snapshot?: { of: string; state: unknown };
}

export interface StreamVersion {
  streamId: string;
  version: number;
}

export interface AppendResult {
  streamId: string;
  version: number;
  position: number;
}

/** Where a reader of the whole store has got to, in commit order. */
export interface CommitOrderCursor {
  transactionId: string;
  position: number;
}
