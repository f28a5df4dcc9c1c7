import type { Queryable } from '../event-store/types.js';
import { FAILURE_WINDOW_SECONDS, waitAfterFailure, type ThrottleRule } from './throttle-policy.js';

/** Seconds until every one of `keys` may try again; 0 when none is held back. */
export async function secondsUntilAllowed(on: Queryable, keys: string[], now: Date): Promise<number> {
  const result = await on.query<{ locked_until: Date }>({
    name: 'pams_login_locks',
    text: 'select locked_until from login_throttle where key = any($1) and locked_until > $2',
    values: [keys, now],
  });
  const latest = Math.max(0, ...result.rows.map((row) => row.locked_until.getTime()));
  return latest === 0 ? 0 : Math.ceil((latest - now.getTime()) / 1000);
}

export async function recordFailure(on: Queryable, key: string, rule: ThrottleRule, now: Date): Promise<void> {
  const result = await on.query<{ failures: number }>(
    `insert into login_throttle as t (key, failures, last_failure_at) values ($1, 1, $2)
     on conflict (key) do update set
       failures = case when t.last_failure_at < $2 - make_interval(secs => $3) then 1 else t.failures + 1 end,
       last_failure_at = $2
     returning failures`,
    [key, now, FAILURE_WINDOW_SECONDS],
  );
  const wait = waitAfterFailure(result.rows[0]!.failures, rule);
  if (wait > 0) {
    await on.query('update login_throttle set locked_until = $2 where key = $1', [key, new Date(now.getTime() + wait * 1000)]);
  }
}

export async function clearFailures(on: Queryable, key: string): Promise<void> {
  await on.query('delete from login_throttle where key = $1', [key]);
}
