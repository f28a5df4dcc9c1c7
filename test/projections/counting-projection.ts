import type pg from 'pg';
import type { Projection } from '../../projections/projection.js';

export interface CountRow {
  stream_id: string;
  events: number;
  last_position: number;
}

/** Counts events per stream: any event applied twice, or skipped, shows in the count. */
export const countingProjection: Projection<CountRow> = {
  name: 'event_counts',
  eventTypes: ['Counted'],
  columns: ['stream_id', 'events', 'last_position'],
  key: 'stream_id',
  jsonColumns: [],
  keyOf: (event) => event.streamId,
  apply: (row, event) => ({ stream_id: event.streamId, events: (row?.events ?? 0) + 1, last_position: event.position }),
};

export async function createCountingTable(pool: pg.Pool) {
  await pool.query(`create table event_counts (stream_id uuid primary key, events integer not null, last_position bigint not null)`);
  await pool.query(`insert into projection_checkpoints (name) values ('event_counts')`);
}

export async function countsByStream(pool: pg.Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ stream_id: string; events: number }>('select stream_id, events from event_counts');
  return new Map(rows.map((row) => [row.stream_id, row.events]));
}
