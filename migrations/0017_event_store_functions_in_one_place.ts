import type { Kysely } from 'kysely';
import { installEventStoreFunctions } from '../src/event-store/schema.sql.js';

// The event store's functions, from here on written out once: src/event-store/schema.sql.ts. This
// creates each anew with the code it had before (last set by 0014 and 0015), its comments now
// correct: none of them behaves otherwise. A later migration that changes a function installs it
// from that file too, and fresh databases get the current text here already (the file's header
// says what that asks of it).
//
// The texts installed when this migration was released, as the first 16 hex digits of each one's
// SHA-256: test/event-store/schema-sql.test.ts holds the latest migration's record to the file, so
// a function changed there without a migration to install it on databases already past this one
// fails the test.
export const installedFunctionDigests = {
  events_are_append_only: '063616435b1fcf88',
  append_events: 'e1f58ee64eee2b9a',
  append_events_batch: '73ecef3974b7047d',
  streams_to_fold: 'ee47e59b5455510c',
  append_and_read: '5eb79caa8accb4f1',
};

export async function up(db: Kysely<unknown>): Promise<void> {
  await installEventStoreFunctions(db);
}
