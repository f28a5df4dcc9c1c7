/**
 * How failed password attempts slow a guesser down: a few mistakes are free, then each further
 * failure makes the next attempt wait twice as long. Three keys count each attempt:
 * - the address and the account together: past a limit, that address is locked out of that
 *   account for a quarter of an hour;
 * - the address alone, with more room (many people can share one address: a clinic behind one
 *   NAT): past its limit, the address is locked out of every account;
 * - the account alone, only slowed, by at most a minute: guesses from anywhere add up, but ten
 *   guesses by a stranger must not lock the real owner out of their own account.
 * Failures are forgotten after a quiet window.
 *
 * An attempt counts as a failure from the moment it is let through, before its password is checked:
 * checking takes long enough for a burst of parallel guesses to pass one look at the count, so the
 * count, not the outcome, is what lets each guess through. A success then takes it back.
 */
export interface ThrottleRule {
  freeFailures: number;
  /** The failure from which the key is locked for LOCK_SECONDS; null: never locked, only slowed. */
  lockAfter: number | null;
  /** The longest wait short of a lock. */
  maxWaitSeconds: number;
  /** Whether a success forgets the key's failures, or only takes back its own attempt. */
  successClears: boolean;
}

export const LOCK_SECONDS = 900;
export const FAILURE_WINDOW_SECONDS = 900;

export const ADDRESS_ACCOUNT_RULE: ThrottleRule = { freeFailures: 4, lockAfter: 10, maxWaitSeconds: LOCK_SECONDS, successClears: true };
// A success forgives only itself: one person signing in says nothing of the others' guesses.
export const ADDRESS_RULE: ThrottleRule = { freeFailures: 20, lockAfter: 50, maxWaitSeconds: LOCK_SECONDS, successClears: false };
export const ACCOUNT_RULE: ThrottleRule = { freeFailures: 4, lockAfter: null, maxWaitSeconds: 60, successClears: true };

/** What a key has recorded of recent attempts. */
export interface KeyAttempts {
  failures: number;
  lastFailureAt: Date;
  lockedUntil: Date | null;
}

/** Seconds the key must wait after its `failures`-th consecutive failure. */
export function waitAfterFailure(failures: number, rule: ThrottleRule): number {
  if (failures <= rule.freeFailures) return 0;
  if (rule.lockAfter !== null && failures >= rule.lockAfter) return LOCK_SECONDS;
  return Math.min(2 ** (failures - rule.freeFailures - 1), rule.maxWaitSeconds);
}

/** Seconds until a key with these attempts may try again; 0 when it may now. */
export function secondsHeldBack(attempts: KeyAttempts | undefined, now: Date): number {
  const until = attempts?.lockedUntil?.getTime() ?? 0;
  return until > now.getTime() ? Math.ceil((until - now.getTime()) / 1000) : 0;
}

/** The key's record once one more attempt is let through, counted as a failure until it succeeds. */
export function afterAttempt(attempts: KeyAttempts | undefined, rule: ThrottleRule, now: Date): KeyAttempts {
  const recent = attempts !== undefined && attempts.lastFailureAt.getTime() >= now.getTime() - FAILURE_WINDOW_SECONDS * 1000;
  const failures = recent ? attempts.failures + 1 : 1;
  const wait = waitAfterFailure(failures, rule);
  return { failures, lastFailureAt: now, lockedUntil: wait > 0 ? new Date(now.getTime() + wait * 1000) : null };
}
