import { sql, type Kysely } from 'kysely';

// Secrets live here, never in events: an event is kept forever and replayed into read models,
// while a password hash must be replaceable and a token hash must die. Each table is written in the
// same transaction as the account event it goes with (see src/accounts/registration.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table account_credentials (
      account_id     uuid primary key,
      password_hash  text not null,
      changed_at     timestamptz not null default now()
    )`.execute(db);

  // Single-use links sent by mail. Only the SHA-256 of the token is kept: the token has 256 bits of
  // entropy, so a fast hash is enough to make a stolen table useless.
  await sql`
    create table account_tokens (
      token_hash  text primary key,
      account_id  uuid not null,
      purpose     text not null check (purpose in ('verify-email', 'reset-password')),
      email       text not null,
      created_at  timestamptz not null default now(),
      expires_at  timestamptz not null,
      used_at     timestamptz
    )`.execute(db);
  await sql`create index account_tokens_open on account_tokens (account_id, purpose) where used_at is null`.execute(db);

  // A session is a family of refresh tokens, each replacing the last. Revoking the family ends the
  // session, including its access tokens (they carry the family id as `sid`).
  await sql`
    create table session_families (
      family_id       uuid primary key,
      account_id      uuid not null,
      created_at      timestamptz not null default now(),
      revoked_at      timestamptz,
      revoked_reason  text
    )`.execute(db);
  await sql`create index session_families_by_account on session_families (account_id) where revoked_at is null`.execute(db);
  // API processes poll for recent revocations by this index.
  await sql`create index session_families_by_revocation on session_families (revoked_at) where revoked_at is not null`.execute(db);

  await sql`
    create table refresh_tokens (
      token_hash   text primary key,
      family_id    uuid not null references session_families (family_id),
      issued_at    timestamptz not null default now(),
      expires_at   timestamptz not null,
      replaced_at  timestamptz
    )`.execute(db);
  await sql`create index refresh_tokens_by_family on refresh_tokens (family_id)`.execute(db);

  // Failed sign-ins per account (or per unknown name) and per client address.
  await sql`
    create table login_throttle (
      key              text primary key,
      failures         integer not null,
      last_failure_at  timestamptz not null,
      locked_until     timestamptz
    )`.execute(db);
}
