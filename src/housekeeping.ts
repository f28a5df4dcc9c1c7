import type pg from 'pg';
import type PgBoss from 'pg-boss';

/**
 * Deletes secrets and bookkeeping that can no longer matter, so that tables grown by every refresh
 * and every failed sign-in stay small. Each rule keeps a row for as long as something may still
 * ask about it: a replaced refresh token until it expires (reuse detection needs it), the tokens
 * of an ended session for a day (far beyond any access token's life, which the revocation list
 * covers), a session until its last token is gone.
 */
export async function sweepExpired(pool: pg.Pool): Promise<Record<string, number>> {
  const statements: Record<string, string> = {
    refreshTokens: `delete from refresh_tokens r using session_families f
                    where r.family_id = f.family_id
                      and (r.expires_at < now() - interval '1 day' or f.revoked_at < now() - interval '1 day')`,
    sessions: `delete from session_families f
               where f.created_at < now() - interval '1 day'
                 and not exists (select 1 from refresh_tokens r where r.family_id = f.family_id)`,
    // A replaced token's sealed successor only serves the reuse grace window (at most minutes).
    refreshSuccessors: `update refresh_tokens set successor = null where successor is not null and replaced_at < now() - interval '1 hour'`,
    accountTokens: `delete from account_tokens where expires_at < now() - interval '7 days'`,
    oidcSignInCodes: `delete from oidc_sign_in_codes where expires_at < now()`,
    loginThrottle: `delete from login_throttle
                    where last_failure_at < now() - interval '1 day' and coalesce(locked_until, '-infinity') < now()`,
    mail: `delete from mail_outbox where status in ('sent', 'failed', 'held') and created_at < now() - interval '30 days'`,
    // A client retries a command within minutes; a day covers any sane retry policy.
    idempotencyKeys: `delete from idempotency_keys where created_at < now() - interval '24 hours'`,
  };
  const deleted: Record<string, number> = {};
  for (const [name, sql] of Object.entries(statements)) deleted[name] = (await pool.query(sql)).rowCount ?? 0;
  return deleted;
}

const QUEUE = 'housekeeping';

/** Sweeps once an hour, on one worker of the cluster at a time (pg-boss's schedule and a stately queue). */
export async function scheduleHousekeeping(boss: PgBoss, pool: pg.Pool, log: { info(obj: object, msg: string): void }) {
  await boss.createQueue(QUEUE, { name: QUEUE, policy: 'stately', retryLimit: 0, expireInSeconds: 600 });
  await boss.schedule(QUEUE, '17 * * * *', { reason: 'hourly sweep' });
  await boss.work(QUEUE, { pollingIntervalSeconds: 30 }, async () => {
    log.info({ deleted: await sweepExpired(pool) }, 'housekeeping swept expired sessions, links, mail and idempotency keys');
  });
}
