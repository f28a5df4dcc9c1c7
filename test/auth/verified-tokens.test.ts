import t from 'tap';
import { rememberVerifiedTokens } from '../../src/auth/verified-tokens.js';

type Claims = { sub: string; exp: number };

function verifier(claimsOf: Record<string, Claims>) {
  const calls: string[] = [];
  const verify = (token: string) => {
    calls.push(token);
    const claims = claimsOf[token];
    if (!claims) throw new Error('invalid');
    return claims;
  };
  return { verify, calls };
}

t.test('remembered verified tokens', async (t) => {
  let clock = 1_000_000;
  const now = () => clock;
  const exp = (secondsFromNow: number) => Math.floor(clock / 1000) + secondsFromNow;

  t.test('verify a token once while it is valid', async (t) => {
    const { verify, calls } = verifier({ a: { sub: 'a', exp: exp(60) } });
    const check = rememberVerifiedTokens(verify, 10, now);
    t.equal(check('a').sub, 'a');
    t.equal(check('a').sub, 'a');
    t.same(calls, ['a']);
  });

  t.test('verify it again once expired, and the verifier refuses it', async (t) => {
    const claims = { a: { sub: 'a', exp: exp(60) } };
    const { verify, calls } = verifier(claims);
    const check = rememberVerifiedTokens((token) => {
      const verified = verify(token);
      if (verified.exp * 1000 <= clock) throw new Error('expired');
      return verified;
    }, 10, now);
    check('a');
    clock += 61_000;
    t.throws(() => check('a'), /expired/);
    t.same(calls, ['a', 'a']);
  });

  t.test('never remember a token that failed', async (t) => {
    const { verify, calls } = verifier({});
    const check = rememberVerifiedTokens(verify, 10, now);
    t.throws(() => check('forged'));
    t.throws(() => check('forged'));
    t.same(calls, ['forged', 'forged']);
  });

  t.test('when full, let the token verified longest ago go first', async (t) => {
    const { verify, calls } = verifier({ a: { sub: 'a', exp: exp(60) }, b: { sub: 'b', exp: exp(60) }, c: { sub: 'c', exp: exp(60) } });
    const check = rememberVerifiedTokens(verify, 2, now);
    check('a');
    check('b');
    check('c');
    check('b');
    check('a');
    t.same(calls, ['a', 'b', 'c', 'a']);
  });
});
