import type pg from 'pg';
import { newId } from '../ids.js';
import { digest, newSecret } from '../accounts/credentials.js';
import type { Queryable } from '../event-store/types.js';
import { openSuccessor, sealSuccessor, type TokenPairSecrets } from './sealed-successor.js';

export interface RefreshPolicy {
  ttlSeconds: number;
  /** A session ends this long after sign-in, however often it is refreshed. */
  maxAgeSeconds: number;
  /** How long a replaced token still gets the pair it was swapped for (tabs refreshing at once). */
  reuseGraceSeconds: number;
  /** Salts the key that seals a replaced token's successor (see sealed-successor.ts). */
  successorKey: Buffer;
}

const seconds = (at: Date, count: number) => new Date(at.getTime() + count * 1000);

/** A refresh token never outlives its session's maximum age. */
const expiryOf = (issuedAt: Date, sessionStartedAt: Date, policy: RefreshPolicy) =>
  new Date(Math.min(seconds(issuedAt, policy.ttlSeconds).getTime(), seconds(sessionStartedAt, policy.maxAgeSeconds).getTime()));

/** Opens a session: a new token family and its first refresh token. */
export async function startSession(on: Queryable, accountId: string, now: Date, policy: RefreshPolicy) {
  const familyId = newId();
  const refreshToken = newSecret();
  await on.query('insert into session_families (family_id, account_id, created_at) values ($1, $2, $3)', [familyId, accountId, now]);
  await on.query('insert into refresh_tokens (token_hash, family_id, issued_at, expires_at) values ($1, $2, $3, $4)', [
    digest(refreshToken),
    familyId,
    now,
    expiryOf(now, now, policy),
  ]);
  return { familyId, refreshToken };
}

export type PresentedToken =
  | { outcome: 'current'; accountId: string; familyId: string; sessionStartedAt: Date }
  | { outcome: 'repeated'; pair: TokenPairSecrets }
  | { outcome: 'reused'; familyId: string }
  | { outcome: 'too-old'; familyId: string }
  | { outcome: 'ended' }
  | { outcome: 'unknown' };

/**
 * What a presented refresh token is, locking its row in the caller's transaction: a second
 * refresh with the same token waits here until the first has replaced it. A replaced token
 * presented within the grace window gets the pair it was swapped for; after it, it means two
 * parties hold the family (one of them a thief), so the caller revokes it.
 */
export async function presentRefreshToken(client: pg.PoolClient, refreshToken: string, now: Date, policy: RefreshPolicy): Promise<PresentedToken> {
  const result = await client.query<{
    family_id: string;
    account_id: string;
    created_at: Date;
    expires_at: Date;
    replaced_at: Date | null;
    successor: Buffer | null;
    revoked_at: Date | null;
  }>(
    `select r.family_id, f.account_id, f.created_at, r.expires_at, r.replaced_at, r.successor, f.revoked_at
     from refresh_tokens r join session_families f using (family_id)
     where r.token_hash = $1 for update of r`,
    [digest(refreshToken)],
  );
  const row = result.rows[0];
  if (!row) return { outcome: 'unknown' };
  if (row.revoked_at !== null) return { outcome: 'ended' };
  // Checked on the session, not only on the token: sessions opened before a lower maximum age too.
  if (seconds(row.created_at, policy.maxAgeSeconds) <= now) return { outcome: 'too-old', familyId: row.family_id };
  if (row.expires_at <= now) return { outcome: 'ended' };
  if (row.replaced_at === null) {
    return { outcome: 'current', accountId: row.account_id, familyId: row.family_id, sessionStartedAt: row.created_at };
  }
  const withinGrace = now.getTime() - row.replaced_at.getTime() < policy.reuseGraceSeconds * 1000;
  const pair = withinGrace && row.successor ? openSuccessor(policy.successorKey, refreshToken, row.successor) : undefined;
  return pair ? { outcome: 'repeated', pair } : { outcome: 'reused', familyId: row.family_id };
}

/** Replaces a current refresh token (locked by presentRefreshToken) by the new pair's. */
export async function replaceRefreshToken(
  client: pg.PoolClient,
  replaced: { refreshToken: string; familyId: string; sessionStartedAt: Date },
  pair: TokenPairSecrets,
  now: Date,
  policy: RefreshPolicy,
) {
  await client.query('update refresh_tokens set replaced_at = $2, successor = $3 where token_hash = $1', [
    digest(replaced.refreshToken),
    now,
    sealSuccessor(policy.successorKey, replaced.refreshToken, pair),
  ]);
  await client.query('insert into refresh_tokens (token_hash, family_id, issued_at, expires_at) values ($1, $2, $3, $4)', [
    digest(pair.refreshToken),
    replaced.familyId,
    now,
    expiryOf(now, replaced.sessionStartedAt, policy),
  ]);
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
