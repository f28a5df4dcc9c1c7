import type pg from 'pg';
import type { Config } from '../config.js';
import type { EventStore } from '../event-store/store.js';

/** What route plugins are built from: passed explicitly, never looked up. */
export interface AppDeps {
  config: Config;
  pool: pg.Pool;
  store: EventStore;
  clock: () => Date;
}

/** The latest calendar date anywhere on Earth (UTC+14): a baby born today in Kiribati is not "in the future". */
export function latestDateOnEarth(now: Date): string {
  return new Date(now.getTime() + 14 * 3_600_000).toISOString().slice(0, 10);
}
