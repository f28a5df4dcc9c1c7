import type pg from 'pg';

export type RevocationList = ReturnType<typeof createRevocationList>;

/**
 * The sessions ended recently enough that some of their access tokens may still be unexpired, held
 * in memory so that checking a request costs one Set lookup and no query. Every process polls the
 * table (one indexed query a second by default); the process that revokes knows at once. A
 * revocation older than an access token's lifetime can no longer matter and is dropped.
 */
export function createRevocationList(options: { pool: pg.Pool; pollMs: number; accessTokenTtlSeconds: number; onError?: (error: unknown) => void }) {
  const revoked = new Map<string, number>();
  const horizonMs = options.accessTokenTtlSeconds * 1000 + 60_000;
  // Re-read a little before the last revocation seen: a transaction that stamped revoked_at earlier
  // may commit after the last poll.
  const overlapMs = 30_000;
  let seenUntil: Date | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function poll() {
    const since = seenUntil ? new Date(seenUntil.getTime() - overlapMs) : undefined;
    const result = await options.pool.query<{ family_id: string; revoked_at: Date; now: Date }>({
      name: 'pams_recent_revocations',
      text: `select family_id, revoked_at, now() as now from session_families
             where revoked_at > coalesce($1::timestamptz, now() - make_interval(secs => $2))
             union all select null, null, now()`,
      values: [since ?? null, horizonMs / 1000],
    });
    for (const row of result.rows) {
      if (row.family_id) revoked.set(row.family_id, row.revoked_at.getTime());
      else seenUntil = row.now;
    }
    const oldest = (seenUntil?.getTime() ?? Date.now()) - horizonMs;
    for (const [familyId, at] of revoked) if (at < oldest) revoked.delete(familyId);
  }

  function schedule() {
    timer = setTimeout(() => {
      poll()
        .catch((error) => options.onError?.(error))
        .finally(() => {
          if (timer) schedule();
        });
    }, options.pollMs);
    timer.unref();
  }

  return {
    async start() {
      await poll();
      schedule();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
    isRevoked: (familyId: string) => revoked.has(familyId),
    /** Called by the process that revoked, after commit, so that its own next request already knows. */
    add(familyIds: readonly string[]) {
      for (const familyId of familyIds) revoked.set(familyId, Date.now());
    },
  };
}
