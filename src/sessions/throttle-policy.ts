/**
 * How failed sign-ins slow an attacker down: a few mistakes are free, then each further failure
 * makes the next attempt wait twice as long, and past a limit the key is locked for a quarter of an
 * hour. Keyed per account (a guesser of one password) and per client address (a guesser of many).
 * Failures are forgotten after a quiet window.
 *
 * An attempt counts as a failure from the moment it is let through, before its password is checked:
 * checking takes long enough for a burst of parallel guesses to pass one look at the count, so the
 * count, not the outcome, is what lets each guess through. A success then takes its failure back.
 */
export interface ThrottleRule {
  freeFailures: number;
  lockAfter: number;
  /** Whether a success forgets the key's failures, or only takes back its own attempt. */
  successClears: boolean;
}

export const ACCOUNT_RULE: ThrottleRule = { freeFailures: 4, lockAfter: 10, successClears: true };
// Higher, and a success forgives only itself: many people can share one address (a clinic behind
// one NAT), and one of them signing in says nothing of the others' guesses.
export const ADDRESS_RULE: ThrottleRule = { freeFailures: 20, lockAfter: 50, successClears: false };
export const LOCK_SECONDS = 900;
export const FAILURE_WINDOW_SECONDS = 900;

/** What a key has recorded of recent attempts. */
export interface KeyAttempts {
  failures: number;
  lastFailureAt: Date;
  lockedUntil: Date | null;
}

/** Seconds the key must wait after its `failures`-th consecutive failure. */
export function waitAfterFailure(failures: number, rule: ThrottleRule): number {
  if (failures <= rule.freeFailures) return 0;
  if (failures >= rule.lockAfter) return LOCK_SECONDS;
  return Math.min(2 ** (failures - rule.freeFailures - 1), LOCK_SECONDS);
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
