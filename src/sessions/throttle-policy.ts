/**
 * How failed sign-ins slow an attacker down: a few mistakes are free, then each further failure
 * makes the next attempt wait twice as long, and past a limit the key is locked for a quarter of an
 * hour. Keyed per account (a guesser of one password) and per client address (a guesser of many).
 * Failures are forgotten after a quiet window.
 */
export interface ThrottleRule {
  freeFailures: number;
  lockAfter: number;
}

export const ACCOUNT_RULE: ThrottleRule = { freeFailures: 4, lockAfter: 10 };
// Higher: many people can share one address (a clinic behind one NAT).
export const ADDRESS_RULE: ThrottleRule = { freeFailures: 20, lockAfter: 50 };
export const LOCK_SECONDS = 900;
export const FAILURE_WINDOW_SECONDS = 900;

/** Seconds the key must wait after its `failures`-th consecutive failure. */
export function waitAfterFailure(failures: number, rule: ThrottleRule): number {
  if (failures <= rule.freeFailures) return 0;
  if (failures >= rule.lockAfter) return LOCK_SECONDS;
  return Math.min(2 ** (failures - rule.freeFailures - 1), LOCK_SECONDS);
}
