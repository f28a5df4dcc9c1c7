import type pg from 'pg';
import type { DomainEvent } from '../../src/event-store/types.js';
import { eventTypes, type Projection } from '../../projections/projection.js';

export interface CountRow {
  stream_id: string;
  events: number;
  last_position: number;
}

export type Counted = DomainEvent<'Counted', Record<string, never>>;

/** Counts events per stream into table `name`: any event applied twice, or skipped, shows in the count. */
export function countingProjectionNamed(name: string): Projection<CountRow, Counted> {
  return {
    name,
    eventTypes: eventTypes<Counted>({ Counted: true }),
    columns: ['stream_id', 'events', 'last_position'],
    key: 'stream_id',
    keyOf: (event) => event.streamId,
    apply: (row, event) => ({ stream_id: event.streamId, events: (row?.events ?? 0) + 1, last_position: event.position }),
  };
}

export const countingProjection = countingProjectionNamed('event_counts');

export async function createCountingTable(pool: pg.Pool, name = 'event_counts') {
  await pool.query(`create table "${name}" (stream_id uuid primary key, events integer not null, last_position bigint not null)`);
  await pool.query(`insert into projection_checkpoints (name) values ($1)`, [name]);
}

export async function countsByStream(pool: pg.Pool, name = 'event_counts'): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ stream_id: string; events: number }>(`select stream_id, events from "${name}"`);
  return new Map(rows.map((row) => [row.stream_id, row.events]));
}
