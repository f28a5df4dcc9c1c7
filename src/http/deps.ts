import type pg from 'pg';
import type { Config } from '../config.js';
import type { EventStore } from '../event-store/store.js';
import type { PasswordHashing } from '../accounts/password-hashing.js';
import type { RevocationList } from '../sessions/revocations.js';

/** What route plugins are built from: passed explicitly, never looked up. */
export interface AppDeps {
  config: Config;
  pool: pg.Pool;
  store: EventStore;
  clock: () => Date;
}

/**
 * The account and session routes also end sessions, which every process must stop honouring at
 * once, and hash passwords only through the process's shared cap on hashes in flight.
 */
export type AccountDeps = AppDeps & { revocations: RevocationList; passwords: PasswordHashing };

/** The latest calendar date anywhere on Earth (UTC+14): a baby born today in Kiribati is not "in the future". */
export function latestDateOnEarth(now: Date): string {
  return new Date(now.getTime() + 14 * 3_600_000).toISOString().slice(0, 10);
}
