import { AppError } from '../errors.js';
import type pg from 'pg';
import type { Queryable } from '../event-store/types.js';
import { afterAttempt, secondsHeldBack, type KeyAttempts, type ThrottleRule } from './throttle-policy.js';

export function tooManyAttempts(retryAfterSeconds: number) {
  return new AppError(
    429,
    'too-many-attempts',
    'Too many attempts',
    `Too many failed attempts; try again in ${retryAfterSeconds} seconds.`,
    {},
    { 'retry-after': String(retryAfterSeconds) },
  );
}

export interface ThrottledKey {
  key: string;
  rule: ThrottleRule;
}

/**
 * Lets one attempt through on every key, counted as a failure, or answers 429 and changes nothing
 * when any key is held back. The keys' rows stay locked from the read to the write, so parallel
 * attempts are counted one after another and each sees the ones before it.
 */
export async function admitAttempt(pool: pg.Pool, keys: ThrottledKey[], now: Date): Promise<void> {
  // One order for every caller, so two attempts sharing keys never wait for each other's locks.
  const sorted = [...keys].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // Not the store's transaction: that one wakes the projection workers on commit, and nothing
  // here is an event.
  const client = await pool.connect();
  try {
    await client.query('begin');
    const locked = await client.query<{ key: string; failures: number; last_failure_at: Date; locked_until: Date | null }>(
      `insert into login_throttle as t (key, failures, last_failure_at)
       select key, 0, $2 from unnest($1::text[]) with ordinality as k(key, n) order by n
       on conflict (key) do update set key = t.key
       returning key, failures, last_failure_at, locked_until`,
      [sorted.map(({ key }) => key), now],
    );
    const recorded = new Map<string, KeyAttempts>(
      locked.rows.map((row) => [row.key, { failures: row.failures, lastFailureAt: row.last_failure_at, lockedUntil: row.locked_until }]),
    );
    const wait = Math.max(...sorted.map(({ key }) => secondsHeldBack(recorded.get(key), now)));
    // Thrown inside the transaction: the rows made only to be locked are rolled back with it.
    if (wait > 0) throw tooManyAttempts(wait);
    const next = sorted.map(({ key, rule }) => afterAttempt(recorded.get(key), rule, now));
    await client.query(
      `update login_throttle as t set failures = n.failures, last_failure_at = $4, locked_until = n.locked_until
       from unnest($1::text[], $2::int[], $3::timestamptz[]) as n(key, failures, locked_until)
       where t.key = n.key`,
      [sorted.map(({ key }) => key), next.map((attempts) => attempts.failures), next.map((attempts) => attempts.lockedUntil), now],
    );
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** After a success: each key forgets its failures, or takes back the one this attempt counted. */
export async function forgiveAttempt(on: Queryable, keys: ThrottledKey[]): Promise<void> {
  await on.query(
    `with keys as (select * from unnest($1::text[], $2::boolean[], $3::int[]) as k(key, clears, free_failures)),
     cleared as (delete from login_throttle t using keys where t.key = keys.key and keys.clears)
     update login_throttle t set failures = t.failures - 1,
       locked_until = case when t.failures - 1 <= keys.free_failures then null else t.locked_until end
     from keys where t.key = keys.key and not keys.clears and t.failures > 0`,
    [keys.map(({ key }) => key), keys.map(({ rule }) => rule.successClears), keys.map(({ rule }) => rule.freeFailures)],
  );
}
