import t from 'tap';
import { derivedKey, type KeyPurpose } from '../../src/auth/keys.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const PURPOSES: KeyPurpose[] = ['access-tokens', 'idempotency-request-hashes', 'oidc-nonces', 'oidc-cookies', 'refresh-successors'];

t.test('each purpose gets its own key, none of them the secret itself', async (t) => {
  const keys = PURPOSES.map((purpose) => derivedKey(SECRET, purpose).toString('hex'));
  t.equal(new Set(keys).size, PURPOSES.length, 'no two purposes share a key');
  for (const key of keys) {
    t.not(key, Buffer.from(SECRET).toString('hex'));
    t.notOk(key.includes(Buffer.from(SECRET).toString('hex').slice(0, 16)), 'no part of the secret shows through');
  }
});

t.test('a key is the same for the same secret and purpose, and another for another secret', async (t) => {
  t.same(derivedKey(SECRET, 'oidc-nonces'), derivedKey(SECRET, 'oidc-nonces'));
  t.notSame(derivedKey(SECRET, 'oidc-nonces'), derivedKey(`${SECRET}!`, 'oidc-nonces'));
});

t.test('without a configured secret, keys are still distinct per purpose and stable within the process', async (t) => {
  t.same(derivedKey(undefined, 'access-tokens'), derivedKey(undefined, 'access-tokens'));
  t.notSame(derivedKey(undefined, 'access-tokens'), derivedKey(undefined, 'oidc-cookies'));
  t.notSame(derivedKey(undefined, 'access-tokens'), derivedKey(SECRET, 'access-tokens'));
});
