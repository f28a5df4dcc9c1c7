import t from 'tap';
import { createServer, connect as connectTcp, type Socket } from 'node:net';
import { v4 as uuid } from 'uuid';
import { buildApp } from '../../src/app.js';
import { signAccessToken } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import { connect } from '../../src/db.js';
import { createEventStore, type EventStore } from '../../src/event-store/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { problem, type Test } from '../helpers/problems.js';

// The shared PostgreSQL is never stopped: the app reaches it through a proxy of the test's own,
// which can refuse connections (the server is down) or cut one off after a statement went out.

interface Proxy {
  url: string;
  /** Closes every connection and refuses new ones, as a stopped server does. */
  down(): Promise<void>;
  /** Cuts the next connection that sends a statement matching `pattern`, once the statement went out. */
  cutAfter(pattern: string): void;
}

async function proxyTo(t: Test, databaseUrl: string): Promise<Proxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<Socket>();
  let trap: string | undefined;
  const server = createServer((client) => {
    const upstream = connectTcp(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (trap && chunk.includes(trap)) {
        trap = undefined;
        client.destroy();
        upstream.end();
      }
    });
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  const down = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  t.teardown(down);
  return { url: url.toString(), down, cutAfter: (pattern) => (trap = pattern) };
}

const testConfig = () => loadConfig({ JWT_SECRET: 'test-secret-test-secret-test-secret-000', LOG_LEVEL: 'silent', PASSWORD_HASH_COST: '10' });

/** An app whose every database connection goes through `url`. */
async function appThrough(t: Test, url: string) {
  const db = connect(url, 4, 'pams-test-outage');
  const store = createEventStore(db.pool);
  const app = await buildApp({ config: testConfig(), pool: db.pool, kysely: db.kysely, store, clock: () => new Date() }, { logger: false });
  t.teardown(async () => {
    await app.close();
    await store.settled();
    await db.close();
  });
  const auth = { authorization: `Bearer ${signAccessToken(app, { sub: uuid(), role: 'admin', sid: uuid() })}` };
  return { app, pool: db.pool, auth };
}

/** The test's own app on the real database, with one store method failing with `error`. */
async function appWithFailing(t: Test, db: TestDatabase, method: 'readStreamToFold' | 'append', error: Error) {
  const failing: EventStore = { ...db.store, [method]: async () => Promise.reject(error) };
  const app = await buildApp({ config: testConfig(), pool: db.pool, kysely: db.kysely, store: failing, clock: () => new Date() }, { logger: false });
  t.teardown(() => app.close());
  return { app, auth: { authorization: `Bearer ${signAccessToken(app, { sub: uuid(), role: 'admin', sid: uuid() })}` } };
}

const registration = () => ({ mrn: `MRN-${uuid().slice(0, 8)}`, firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1990-02-03', sex: 'female' });

const registrations = async (db: TestDatabase) =>
  (await db.pool.query<{ n: number }>(`select count(*)::int as n from events where event_type = 'PatientRegistered'`)).rows[0]!.n;

t.test('while the database refuses connections, requests answer 503 problem+json with Retry-After and change nothing', async (t) => {
  const db = await createTestDatabase(t);
  const proxy = await proxyTo(t, db.url);
  const { app, pool, auth } = await appThrough(t, proxy.url);
  await proxy.down();
  // The pool learns of its lost connections asynchronously; the first requests must find none.
  while (pool.totalCount > 0) await new Promise((resolve) => setTimeout(resolve, 5));

  for (const request of [
    { method: 'POST', url: '/api/v1/patients', payload: registration() },
    { method: 'GET', url: '/api/v1/patients' },
    { method: 'GET', url: `/api/v1/patients/${uuid()}/history` },
    { method: 'POST', url: '/api/v1/auth/login', payload: { username: 'someone@example.org', password: 'a password' } },
  ] as const) {
    const response = await app.inject({ ...request, headers: auth });
    const body = problem(t, response, 503);
    t.match(body, { type: /\/unavailable$/, title: 'Service unavailable', detail: /nothing was changed/ }, `${request.method} ${request.url}`);
    t.match(response.headers['retry-after'], /^\d+$/, 'says when to retry');
  }
  t.equal(await registrations(db), 0, 'nothing was registered');
});

t.test("a command whose connection is cut once its append went out answers 503 outcome-unknown, and its retry with the same Idempotency-Key registers once", async (t) => {
  const db = await createTestDatabase(t);
  const proxy = await proxyTo(t, db.url);
  const { app, auth } = await appThrough(t, proxy.url);
  const payload = registration();
  const headers = { ...auth, 'idempotency-key': uuid() };

  proxy.cutAfter('pams_append');
  const cut = await app.inject({ method: 'POST', url: '/api/v1/patients', headers, payload });
  const body = problem(t, cut, 503);
  t.match(body, { type: /\/outcome-unknown$/, title: 'Outcome unknown', detail: /may or may not have taken effect.*Idempotency-Key/ });
  t.match(cut.headers['retry-after'], /^\d+$/);

  const retried = await app.inject({ method: 'POST', url: '/api/v1/patients', headers, payload });
  t.equal(retried.statusCode, 201, 'the retry succeeds');
  t.equal(await registrations(db), 1, 'the patient is registered exactly once');
});

t.test('errors that mean the database went away are classified by their code', async (t) => {
  const db = await createTestDatabase(t);
  const pgError = (code: string) => Object.assign(new Error('terminating connection due to administrator command'), { code });

  t.test('a command cut off by a server shutdown (57P01) has an unknown outcome', async (t) => {
    const { app, auth } = await appWithFailing(t, db, 'append', pgError('57P01'));
    const response = await app.inject({ method: 'POST', url: '/api/v1/patients', headers: auth, payload: registration() });
    t.match(problem(t, response, 503), { type: /\/outcome-unknown$/ });
    t.ok(response.headers['retry-after']);
  });

  t.test('a read cut off by a server shutdown (57P01) is only unavailable: a read changes nothing', async (t) => {
    const { app, auth } = await appWithFailing(t, db, 'readStreamToFold', pgError('57P01'));
    const response = await app.inject({ method: 'GET', url: `/api/v1/patients/${uuid()}/history`, headers: auth });
    t.match(problem(t, response, 503), { type: /\/unavailable$/ });
    t.ok(response.headers['retry-after']);
  });

  t.test('a command refused while the server starts or stops (57P03) was never carried out', async (t) => {
    const { app, auth } = await appWithFailing(t, db, 'append', pgError('57P03'));
    const response = await app.inject({ method: 'POST', url: '/api/v1/patients', headers: auth, payload: registration() });
    t.match(problem(t, response, 503), { type: /\/unavailable$/ });
  });

  t.test("a command that waited too long for one of the pool's connections was never carried out", async (t) => {
    const { app, auth } = await appWithFailing(t, db, 'append', new Error('timeout exceeded when trying to connect'));
    const response = await app.inject({ method: 'POST', url: '/api/v1/patients', headers: auth, payload: registration() });
    t.match(problem(t, response, 503), { type: /\/unavailable$/ });
  });

  t.test('any other database error stays a 500', async (t) => {
    const { app, auth } = await appWithFailing(t, db, 'append', pgError('XX000'));
    const response = await app.inject({ method: 'POST', url: '/api/v1/patients', headers: auth, payload: registration() });
    t.match(problem(t, response, 500), { type: /\/internal$/ });
  });
});
