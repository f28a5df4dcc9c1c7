import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, type Compilable, type MigrationResultSet } from 'kysely';
import { migrations } from '../migrations/index.js';
import type { EventStoreTables } from './event-store/tables.js';
import type { ProjectionTables } from '../projections/tables.js';

export type Database = EventStoreTables & ProjectionTables;

// Positions are bigint in SQL but stay far below 2^53; numbers are what every reader wants.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));
// Dates of birth are calendar dates: a Date object would shift them with the time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export interface Db {
  pool: pg.Pool;
  kysely: Kysely<Database>;
  close(): Promise<void>;
}

export function connect(connectionString: string, poolSize = 20, applicationName = 'pams'): Db {
  // Connections stay open once made (idleTimeoutMillis 0; pg closes idle ones after 10 s by
  // default). After a burst the default closed every extra connection at the same moment, and a
  // server process's exit is not cheap: the exits stalled every command in flight, 10 s after each
  // burst, for longer than opening the connections again costs (bench/README.md, "Connections
  // closing together"). The pool stays bounded by `max`.
  const pool = new pg.Pool({ connectionString, max: poolSize, application_name: applicationName, idleTimeoutMillis: 0 });
  // An idle client that loses its server (restart, failover) must not crash the process.
  pool.on('error', () => {});
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed: Promise<void> | undefined;
  return {
    pool,
    kysely,
    close: () => (closed ??= kysely.destroy()),
  };
}

export function migrator(db: Kysely<any>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
}

export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const result = await migrator(db).migrateToLatest();
  if (result.error) throw result.error;
  return result;
}

export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const known = await migrator(db).getMigrations();
  return known.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}

/**
 * A query written with kysely but built and compiled only once, then run as a named prepared
 * statement (parsed and planned once per connection). `build` receives placeholders for the
 * values that change per call; the compiled parameters are mapped back to them by identity.
 * Building and compiling per request was a visible share of GET /patients/{id}'s CPU (bench/README.md).
 */
export function preparedQuery<Values extends Record<string, string | undefined>, Row>(
  name: string,
  build: (placeholders: Values) => Compilable<Row>,
) {
  const keys = new Map<unknown, string>();
  const placeholders = new Proxy({} as Values, {
    get(_target, key: string) {
      const placeholder = `\u0000${name}:${key}`;
      keys.set(placeholder, key);
      return placeholder;
    },
  });
  const compiled = build(placeholders).compile();
  return async (pool: Pick<pg.Pool, 'query'>, values: Values): Promise<Row[]> => {
    const parameters = compiled.parameters.map((parameter) => {
      const key = keys.get(parameter);
      return key === undefined ? parameter : (values[key] ?? null);
    });
    const result = await pool.query({ name, text: compiled.sql, values: parameters });
    return result.rows as Row[];
  };
}
