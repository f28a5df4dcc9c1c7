import t from 'tap';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { once } from 'node:events';
import Fastify from 'fastify';
import jwt from '@fastify/jwt';
import pg from 'pg';
import { v4 as uuid } from 'uuid';
import { derivedKey } from '../src/auth/keys.js';
import { runningEmbeddedUrl } from '../src/embedded-postgres.js';
import { createEventStore, type EventStore } from '../src/event-store/store.js';
import { createTestDatabase } from './helpers/database.js';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function waitUntilLive(base: string) {
  for (let attempt = 0; attempt < 1200; attempt += 1) {
    try {
      if ((await fetch(`${base}/health/live`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the API did not come up');
}

const SECRET = 'a-secret-of-at-least-thirty-two-characters';

async function adminToken(): Promise<string> {
  const signer = Fastify();
  await signer.register(jwt, { secret: derivedKey(SECRET, 'access-tokens'), sign: { iss: 'pams', aud: 'pams-api', expiresIn: 900 } });
  await signer.ready();
  return signer.jwt.sign({ sub: uuid(), role: 'admin', sid: uuid(), jti: uuid() });
}

const unprojectedEvent = (store: EventStore) =>
  store.append({
    streamId: uuid(),
    streamType: 'patient',
    expectedVersion: 0,
    events: [{ eventId: uuid(), type: 'Unprojected', data: {}, schemaVersion: 1, metadata: { actorId: null, actorRole: 'system' }, recordedAt: new Date() }],
  });

t.test('on SIGTERM the API finishes the request in flight, then exits 0', async (t) => {
  const db = await createTestDatabase(t, 2);
  // An event no worker will project: a read that waits for it stays in flight for a while.
  const append = await unprojectedEvent(db.store);
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'silent', CONSISTENCY_TIMEOUT_MS: '1500', JWT_SECRET: SECRET },
    stdio: 'ignore',
  });
  t.teardown(() => child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  await waitUntilLive(base);

  const exited = once(child, 'exit');
  const inFlight = fetch(`${base}/api/v1/patients`, {
    headers: { 'consistent-with': String(append.position), authorization: `Bearer ${await adminToken()}` },
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.kill('SIGTERM');
  const response = await inFlight;
  t.equal(response.status, 503, 'the request in flight got its whole answer (its projection never caught up)');
  t.match(await response.json(), { detail: /has not yet caught up/ }, 'it was allowed to run its course, to the consistency timeout');
  t.equal(response.headers.get('retry-after'), '1');
  const [code] = await exited;
  t.equal(code, 0);
});

t.test('on SIGTERM `npm start` with its embedded PostgreSQL finishes the request in flight and stops the database last, then exits 0', async (t) => {
  const parent = await mkdtemp(path.join(os.tmpdir(), 'pams-start-'));
  t.teardown(() => rm(parent, { recursive: true, force: true }));
  // As root the server runs as 'postgres', which must be able to enter the directory.
  await chmod(parent, 0o755);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', JWT_SECRET: SECRET, CONSISTENCY_TIMEOUT_MS: '1500' };
  env.EMBEDDED_PG_DIR = path.join(parent, 'pg');
  env.EMBEDDED_PG_PORT = String(await freePort());
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const base = `http://127.0.0.1:${port}`;
  await waitUntilLive(base);

  const exited = once(child, 'exit');
  // A read waiting for an event no projection folds: it asks the database every few ms.
  const pool = new pg.Pool({ connectionString: runningEmbeddedUrl(env.EMBEDDED_PG_DIR!), max: 1 });
  const append = await unprojectedEvent(createEventStore(pool));
  await pool.end();
  const inFlight = fetch(`${base}/api/v1/patients`, {
    headers: { 'consistent-with': String(append.position), authorization: `Bearer ${await adminToken()}` },
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.kill('SIGTERM');
  t.equal((await inFlight).status, 503, 'the request in flight ran its course with the database still there');
  const [code] = await exited;
  t.equal(code, 0);
  const complaints = output.split('\n').filter((line) => /"level":(4|5|6)0/.test(line));
  t.same(complaints, [], 'nothing lost its database connection on the way down');
});
