import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../event-store/types.js';

/** 256 bits from the OS's CSPRNG, URL-safe: for mail links and refresh tokens. */
export const newSecret = () => randomBytes(32).toString('base64url');

/** What is stored of a secret token. Its entropy makes a slow hash pointless; a stolen table opens nothing. */
export const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

export async function savePasswordHash(on: Queryable, accountId: string, passwordHash: string, now: Date) {
  await on.query(
    `insert into account_credentials (account_id, password_hash, changed_at) values ($1, $2, $3)
     on conflict (account_id) do update set password_hash = excluded.password_hash, changed_at = excluded.changed_at`,
    [accountId, passwordHash, now],
  );
}

export async function clearPasswordHash(on: Queryable, accountId: string) {
  await on.query('delete from account_credentials where account_id = $1', [accountId]);
}

export async function passwordHashOf(on: Queryable, accountId: string): Promise<string | undefined> {
  const result = await on.query<{ password_hash: string }>({
    name: 'pams_password_hash_of',
    text: 'select password_hash from account_credentials where account_id = $1',
    values: [accountId],
  });
  return result.rows[0]?.password_hash;
}

export type TokenPurpose = 'verify-email' | 'reset-password';

/** A single-use link for `email`. Any earlier link of the same purpose stops working. */
export async function issueAccountToken(
  on: Queryable,
  link: { accountId: string; purpose: TokenPurpose; email: string; ttlSeconds: number; now: Date },
): Promise<string> {
  const token = newSecret();
  await on.query(
    'update account_tokens set used_at = $3 where account_id = $1 and purpose = $2 and used_at is null',
    [link.accountId, link.purpose, link.now],
  );
  await on.query(
    `insert into account_tokens (token_hash, account_id, purpose, email, created_at, expires_at)
     values ($1, $2, $3, $4, $5, $6)`,
    [digest(token), link.accountId, link.purpose, link.email, link.now, new Date(link.now.getTime() + link.ttlSeconds * 1000)],
  );
  return token;
}

export type ConsumedToken = { status: 'valid'; accountId: string; email: string } | { status: 'expired' | 'unknown' };

/**
 * Uses up a link. The row is marked used in the caller's transaction, so a link works once even
 * when followed twice at the same moment; if the transaction rolls back, the link still works.
 */
export async function consumeAccountToken(on: Queryable, token: string, purpose: TokenPurpose, now: Date): Promise<ConsumedToken> {
  const result = await on.query<{ account_id: string; email: string; expires_at: Date }>(
    `update account_tokens set used_at = $3 where token_hash = $1 and purpose = $2 and used_at is null
     returning account_id, email, expires_at`,
    [digest(token), purpose, now],
  );
  const row = result.rows[0];
  if (!row) return { status: 'unknown' };
  if (row.expires_at <= now) return { status: 'expired' };
  return { status: 'valid', accountId: row.account_id, email: row.email };
}

/** Whether a link of this purpose went to the account less than `seconds` ago. */
export async function recentlyIssued(on: Queryable, accountId: string, purpose: TokenPurpose, now: Date, seconds: number) {
  const result = await on.query(
    'select 1 from account_tokens where account_id = $1 and purpose = $2 and created_at > $3',
    [accountId, purpose, new Date(now.getTime() - seconds * 1000)],
  );
  return result.rows.length > 0;
}
