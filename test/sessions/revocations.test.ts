import t from 'tap';
import { v4 as uuid } from 'uuid';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createRevocationList } from '../../src/sessions/revocations.js';
import { createTestApp } from '../helpers/app.js';
import { bearer, signIn, signUp } from '../helpers/accounts.js';
import { eventually } from '../helpers/eventually.js';

t.test('another API process learns of a revoked session by polling, and refuses it from then on', async (t) => {
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
  const refused = await eventually(async () => {
    const response = await me();
    return response.statusCode !== 200 && response;
  });
  t.equal(refused.statusCode, 401);
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

// What a lookup costs is measured in bench/revocation-lookup.ts.
t.test('among 100,000 revoked sessions, exactly the revoked ones are found', async (t) => {
  const list = createRevocationList({ pool: {} as never, pollMs: 1000, accessTokenTtlSeconds: 900 });
  const revoked = Array.from({ length: 100_000 }, () => uuid());
  list.add(revoked);
  const probes = Array.from({ length: 1000 }, (_, index) => (index % 2 === 0 ? revoked[index]! : uuid()));
  t.same(
    probes.map((probe) => list.isRevoked(probe)),
    probes.map((_, index) => index % 2 === 0),
  );
});
