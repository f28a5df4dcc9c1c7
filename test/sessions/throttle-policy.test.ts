import t from 'tap';
import {
  ACCOUNT_RULE,
  ADDRESS_ACCOUNT_RULE,
  ADDRESS_RULE,
  afterAttempt,
  FAILURE_WINDOW_SECONDS,
  LOCK_SECONDS,
  waitAfterFailure,
} from '../../src/sessions/throttle-policy.js';

t.test('from one address, a few failures at an account are free, then each doubles the wait, then the address is locked out of it', async (t) => {
  const waits = Array.from({ length: 11 }, (_, index) => waitAfterFailure(index + 1, ADDRESS_ACCOUNT_RULE));
  t.same(waits, [0, 0, 0, 0, 1, 2, 4, 8, 16, LOCK_SECONDS, LOCK_SECONDS]);
});

t.test('an account alone is only slowed, by at most a minute, so that strangers guessing cannot lock its owner out', async (t) => {
  const waits = Array.from({ length: 12 }, (_, index) => waitAfterFailure(index + 1, ACCOUNT_RULE));
  t.same(waits, [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]);
  t.equal(waitAfterFailure(10_000, ACCOUNT_RULE), 60);
});

t.test('an address, which many people may share, gets more room than an account', async (t) => {
  t.equal(waitAfterFailure(20, ADDRESS_RULE), 0);
  t.equal(waitAfterFailure(21, ADDRESS_RULE), 1);
  t.equal(waitAfterFailure(50, ADDRESS_RULE), LOCK_SECONDS);
});

t.test('an attempt let through counts as a failure at once and sets the wait that failure would', async (t) => {
  const now = new Date('2026-01-01T00:00:00Z');
  t.same(afterAttempt(undefined, ADDRESS_ACCOUNT_RULE, now), { failures: 1, lastFailureAt: now, lockedUntil: null });
  const fifth = afterAttempt({ failures: 4, lastFailureAt: new Date(now.getTime() - 1000), lockedUntil: null }, ADDRESS_ACCOUNT_RULE, now);
  t.same(fifth, { failures: 5, lastFailureAt: now, lockedUntil: new Date(now.getTime() + 1000) });
});

t.test('failures are forgotten after a quiet window', async (t) => {
  const now = new Date('2026-01-01T00:00:00Z');
  const quietSince = new Date(now.getTime() - FAILURE_WINDOW_SECONDS * 1000 - 1);
  t.same(afterAttempt({ failures: 9, lastFailureAt: quietSince, lockedUntil: null }, ADDRESS_ACCOUNT_RULE, now).failures, 1);
});
