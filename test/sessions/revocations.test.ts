import { performance } from 'node:perf_hooks';
import t from 'tap';
import { v4 as uuid } from 'uuid';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createRevocationList } from '../../src/sessions/revocations.js';
import { createTestApp } from '../helpers/app.js';
import { bearer, signIn, signUp } from '../helpers/accounts.js';

t.test('another API process learns of a revoked session within REVOCATION_POLL_MS', async (t) => {
  const test = await createTestApp(t);
  // A second "process": its own app and revocation list over the same database.
  const other = await buildApp(
    {
      // The test app's signing secret (test/helpers/app.ts), so its tokens are valid here too.
      config: loadConfig({ JWT_SECRET: 'test-secret-test-secret-test-secret-000', LOG_LEVEL: 'silent', REVOCATION_POLL_MS: '100' }),
      pool: test.db.pool,
      kysely: test.db.kysely,
      store: test.db.store,
      clock: () => new Date(),
    },
    { logger: false },
  );
  t.teardown(() => other.close());
  const person = await signUp(test);
  const pair = await signIn(test, person.email);
  const me = () => other.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(pair.accessToken) });
  t.equal((await me()).statusCode, 200);
  await test.app.inject({ method: 'POST', url: '/api/v1/auth/logout', payload: { refreshToken: pair.refreshToken } });
  const started = Date.now();
  while ((await me()).statusCode === 200) {
    if (Date.now() - started > 2000) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const elapsed = Date.now() - started;
  t.ok(elapsed < 1000, `refused by the other process after ${elapsed} ms`);
  t.equal((await me()).statusCode, 401);
});

t.test('checking a request costs no query: the revocation list is in memory', async (t) => {
  const test = await createTestApp(t);
  const person = await signUp(test);
  const { accessToken } = await signIn(test, person.email);
  let queries = 0;
  const query = test.db.pool.query.bind(test.db.pool);
  test.db.pool.query = ((...args: Parameters<typeof query>) => {
    queries += 1;
    return query(...args);
  }) as typeof query;
  t.teardown(() => {
    test.db.pool.query = query;
  });
  for (let request = 0; request < 200; request += 1) {
    const response = await test.app.inject({ method: 'GET', url: '/health/live', headers: bearer(accessToken) });
    t.equal(response.statusCode, 200);
  }
  t.ok(queries <= 1, `${queries} queries for 200 authenticated requests (at most one poll)`);
});

t.test('a lookup among 100,000 revoked sessions stays well under a microsecond', async (t) => {
  const list = createRevocationList({ pool: {} as never, pollMs: 1000, accessTokenTtlSeconds: 900 });
  const revoked = Array.from({ length: 100_000 }, () => uuid());
  list.add(revoked);
  const probes = Array.from({ length: 1000 }, (_, index) => (index % 2 === 0 ? revoked[index]! : uuid()));
  const rounds = 1000;
  const started = performance.now();
  let hits = 0;
  for (let round = 0; round < rounds; round += 1) for (const probe of probes) if (list.isRevoked(probe)) hits += 1;
  const nanoseconds = ((performance.now() - started) * 1e6) / (rounds * probes.length);
  t.equal(hits, (rounds * probes.length) / 2);
  t.ok(nanoseconds < 1000, `${nanoseconds.toFixed(0)} ns per lookup`);
  t.comment(`revocation check: ${nanoseconds.toFixed(0)} ns per lookup among 100,000 revoked sessions`);
});
