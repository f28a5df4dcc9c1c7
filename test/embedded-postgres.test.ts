import t from 'tap';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DataDirectoryInUse, runningEmbeddedUrl, startEmbeddedPostgres } from '../src/embedded-postgres.js';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

t.test('the embedded PostgreSQL starts on an empty directory and refuses a second server on the same one', async (t) => {
  const parent = await mkdtemp(path.join(os.tmpdir(), 'pams-embedded-'));
  t.teardown(() => rm(parent, { recursive: true, force: true }));
  // As root the server runs as 'postgres', which must be able to enter the directory.
  await chmod(parent, 0o755);
  const dataDir = path.join(parent, 'pg');
  const first = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: 'pams_embedded' });
  t.teardown(() => first.stop());

  const client = new pg.Client({ connectionString: first.url });
  await client.connect();
  const { rows } = await client.query('select current_database() as name, pg_snapshot_xmin(pg_current_snapshot()) is not null as snapshots');
  await client.end();
  t.same(rows, [{ name: 'pams_embedded', snapshots: true }], 'a real PostgreSQL, with the database created');

  const attached = new pg.Client({ connectionString: runningEmbeddedUrl(dataDir, 'pams_embedded') });
  await attached.connect();
  t.same((await attached.query('select current_database() as name')).rows, [{ name: 'pams_embedded' }], 'tools attach to the running server');
  await attached.end();

  const refusal = await startEmbeddedPostgres({ dataDir, port: await freePort() }).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.type(refusal, DataDirectoryInUse, 'a second server on the same directory is refused');
  t.match(refusal, { message: /already in use by process \d+/ });
  await first.stop();
  t.equal(runningEmbeddedUrl(dataDir), undefined, 'once stopped, there is nothing to attach to');
});

t.test('as root, a data directory the postgres user cannot reach is refused with a clear message', { skip: process.getuid?.() !== 0 }, async (t) => {
  const parent = await mkdtemp(path.join(os.tmpdir(), 'pams-embedded-'));
  t.teardown(() => rm(parent, { recursive: true, force: true }));
  await t.rejects(startEmbeddedPostgres({ dataDir: path.join(parent, 'pg'), port: await freePort() }), {
    message: /cannot enter .*EMBEDDED_PG_DIR/,
  });
});
