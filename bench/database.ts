import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/embedded-postgres.js';

export interface ThrowAwayDatabase {
  url: string;
  name: string;
  /** `server`: the PostgreSQL in TEST_DATABASE_URL / DATABASE_URL; `embedded`: started for this run. */
  kind: 'server' | 'embedded';
  drop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A database of the bench's own, dropped at the end, on the server named by TEST_DATABASE_URL or
 * DATABASE_URL (as for `npm test`: a server where we may create databases), or else on an embedded
 * PostgreSQL started under ./data/bench-pg for the run.
 */
export async function createThrowAwayDatabase(log: (line: string) => void): Promise<ThrowAwayDatabase> {
  const name = `pams_bench_${randomBytes(5).toString('hex')}`;
  let serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  let embedded: EmbeddedDatabase | undefined;
  if (!serverUrl) {
    const port = await freePort();
    log(`no DATABASE_URL: starting an embedded PostgreSQL on 127.0.0.1:${port} under ./data/bench-pg`);
    embedded = await startEmbeddedPostgres({ dataDir: './data/bench-pg', port, database: 'postgres' });
    serverUrl = embedded.url;
  }
  const host = new URL(serverUrl).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    await embedded?.stop();
    throw new Error(`The bench only runs against a PostgreSQL on this machine (loopback), not ${host}.`);
  }
  const server = serverUrl;
  await admin(server, (client) => client.query(`create database "${name}"`));
  let dropped = false;
  return {
    url: withDatabase(server, name),
    name,
    kind: embedded ? 'embedded' : 'server',
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await admin(server, (client) => client.query(`drop database if exists "${name}" with (force)`));
      } finally {
        await embedded?.stop();
      }
    },
  };
}
