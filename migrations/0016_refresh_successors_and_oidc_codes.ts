import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The pair a refresh token was swapped for, sealed under a key only that token opens, so that a
  // second tab refreshing with it within the grace window gets the same pair (src/sessions/sealed-successor.ts).
  await sql`alter table refresh_tokens add column successor bytea`.execute(db);

  // One-time codes that hand an OIDC sign-in to the app: the browser carries the code, never the
  // tokens. Only the SHA-256 of the 256-bit code is kept; exchanging deletes the row.
  await sql`
    create table oidc_sign_in_codes (
      code_hash   text primary key,
      account_id  uuid not null,
      expires_at  timestamptz not null
    )`.execute(db);
}
