import type pg from 'pg';
import { newId } from '../ids.js';
import { digest, newSecret } from '../accounts/credentials.js';
import type { Queryable } from '../event-store/types.js';

/** Opens a session: a new token family and its first refresh token. */
export async function startSession(on: Queryable, accountId: string, now: Date, ttlSeconds: number) {
  const familyId = newId();
  const refreshToken = newSecret();
  await on.query('insert into session_families (family_id, account_id, created_at) values ($1, $2, $3)', [familyId, accountId, now]);
  await on.query('insert into refresh_tokens (token_hash, family_id, issued_at, expires_at) values ($1, $2, $3, $4)', [
    digest(refreshToken),
    familyId,
    now,
    new Date(now.getTime() + ttlSeconds * 1000),
  ]);
  return { familyId, refreshToken };
}

export type Rotation =
  | { outcome: 'rotated'; accountId: string; familyId: string; refreshToken: string }
  | { outcome: 'reused'; accountId: string; familyId: string }
  | { outcome: 'ended' }
  | { outcome: 'unknown' };

/**
 * Swaps a refresh token for a new one of the same family, in the caller's transaction. The row lock
 * serialises two refreshes with one token: the second finds it already replaced. Presenting a
 * replaced token means two parties hold the family (one of them a thief), so the caller revokes it.
 */
export async function rotate(client: pg.PoolClient, refreshToken: string, now: Date, ttlSeconds: number): Promise<Rotation> {
  const result = await client.query<{ family_id: string; account_id: string; expires_at: Date; replaced_at: Date | null; revoked_at: Date | null }>(
    `select r.family_id, f.account_id, r.expires_at, r.replaced_at, f.revoked_at
     from refresh_tokens r join session_families f using (family_id)
     where r.token_hash = $1 for update of r`,
    [digest(refreshToken)],
  );
  const row = result.rows[0];
  if (!row) return { outcome: 'unknown' };
  if (row.revoked_at !== null || row.expires_at <= now) return { outcome: 'ended' };
  if (row.replaced_at !== null) return { outcome: 'reused', accountId: row.account_id, familyId: row.family_id };
  const next = newSecret();
  await client.query('update refresh_tokens set replaced_at = $2 where token_hash = $1', [digest(refreshToken), now]);
  await client.query('insert into refresh_tokens (token_hash, family_id, issued_at, expires_at) values ($1, $2, $3, $4)', [
    digest(next),
    row.family_id,
    now,
    new Date(now.getTime() + ttlSeconds * 1000),
  ]);
  return { outcome: 'rotated', accountId: row.account_id, familyId: row.family_id, refreshToken: next };
}

/** The family a refresh token belongs to, whatever its state: logout needs nothing more. */
export async function familyOf(on: Queryable, refreshToken: string): Promise<{ familyId: string; accountId: string } | undefined> {
  const result = await on.query<{ family_id: string; account_id: string }>(
    `select r.family_id, f.account_id from refresh_tokens r join session_families f using (family_id) where r.token_hash = $1`,
    [digest(refreshToken)],
  );
  const row = result.rows[0];
  return row && { familyId: row.family_id, accountId: row.account_id };
}

// revoked_at comes from the database clock, which every API process polls by (see revocations.ts).
export async function revokeFamily(on: Queryable, familyId: string, reason: string): Promise<string[]> {
  const result = await on.query<{ family_id: string }>(
    `update session_families set revoked_at = now(), revoked_reason = $2
     where family_id = $1 and revoked_at is null returning family_id`,
    [familyId, reason],
  );
  return result.rows.map((row) => row.family_id);
}

/** Ends every session of an account (deactivation, a new password): returns the families ended. */
export async function revokeAllSessions(on: Queryable, accountId: string, reason: string): Promise<string[]> {
  const result = await on.query<{ family_id: string }>(
    `update session_families set revoked_at = now(), revoked_reason = $2
     where account_id = $1 and revoked_at is null returning family_id`,
    [accountId, reason],
  );
  return result.rows.map((row) => row.family_id);
}
