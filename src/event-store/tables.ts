import type { ColumnType, Generated } from 'kysely';
import type { EventMetadata } from './types.js';

export interface EventsTable {
  position: Generated<number>;
  transaction_id: Generated<string>;
  stream_id: string;
  stream_type: string;
  stream_version: number;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: ColumnType<Date, Date | string, never>;
}

export interface StreamsTable {
  stream_id: string;
  stream_type: string;
  version: number;
  updated_at: Generated<Date>;
}

export interface UniqueClaimsTable {
  scope: string;
  value: string;
  stream_id: string;
  claimed_at: Generated<Date>;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  status_code: number;
  response: Record<string, unknown>;
  created_at: Generated<Date>;
}

export interface EventStoreTables {
  events: EventsTable;
  streams: StreamsTable;
  unique_claims: UniqueClaimsTable;
  idempotency_keys: IdempotencyKeysTable;
}
