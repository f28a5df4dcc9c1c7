import { sql, type Kysely } from 'kysely';

// Mail is written here in the same transaction as the event that calls for it, and delivered by the
// worker (src/mail/worker.ts): a rolled-back registration sends nothing, a committed one is never
// lost to a crash. A body carries a single-use link, so it is erased once delivered.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table mail_outbox (
      id               uuid primary key,
      to_address       text not null,
      subject          text not null,
      body             text,
      created_at       timestamptz not null default now(),
      attempts         integer not null default 0,
      next_attempt_at  timestamptz not null default now(),
      delivered_at     timestamptz,
      status           text not null default 'pending' check (status in ('pending', 'sent', 'held', 'failed')),
      last_error       text
    )`.execute(db);
  await sql`create index mail_outbox_due on mail_outbox (next_attempt_at) where status = 'pending'`.execute(db);
}
