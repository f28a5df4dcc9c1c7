import t from 'tap';
import { ACCOUNT_RULE, ADDRESS_RULE, LOCK_SECONDS, waitAfterFailure } from '../../src/sessions/throttle-policy.js';

t.test('a few failures are free, then each one doubles the wait, then the key is locked', async (t) => {
  const waits = Array.from({ length: 11 }, (_, index) => waitAfterFailure(index + 1, ACCOUNT_RULE));
  t.same(waits, [0, 0, 0, 0, 1, 2, 4, 8, 16, LOCK_SECONDS, LOCK_SECONDS]);
});

t.test('an address, which many people may share, gets more room than an account', async (t) => {
  t.equal(waitAfterFailure(20, ADDRESS_RULE), 0);
  t.equal(waitAfterFailure(21, ADDRESS_RULE), 1);
  t.equal(waitAfterFailure(50, ADDRESS_RULE), LOCK_SECONDS);
});
