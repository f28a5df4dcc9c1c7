import { createHash } from 'node:crypto';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { migrateToLatest } from '../../src/db.js';
import { eventStoreFunctions, installEventStoreFunctions } from '../../src/event-store/schema.sql.js';

/**
 * The template database every test database is copied from, named after the migrations it holds
 * and the event-store functions they install from src/event-store/schema.sql.ts, which a
 * migration's own code does not show.
 */
export function templateName(): string {
  const fingerprint = createHash('sha256')
    .update(Object.entries(migrations).map(([name, migration]) => `${name}:${migration.up.toString()}`).join('\n'))
    .update([installEventStoreFunctions.toString(), ...Object.values(eventStoreFunctions)].join('\n'))
    .digest('hex')
    .slice(0, 12);
  return `pams_template_${fingerprint}`;
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Creates the migrated template once per run; test databases are then cheap copies of it. */
export async function prepareTemplate(serverUrl: string): Promise<string> {
  const name = templateName();
  const admin = new pg.Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount !== 0) return name;
    const building = `${name}_building_${process.pid}`;
    await admin.query(`drop database if exists "${building}"`);
    await admin.query(`create database "${building}"`);
    const kysely = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl(serverUrl, building), max: 1 }) }),
    });
    try {
      await migrateToLatest(kysely);
    } finally {
      await kysely.destroy();
    }
    // Renamed only once complete, so a crashed run never leaves a half-migrated template behind.
    await admin.query(`alter database "${building}" rename to "${name}"`);
    return name;
  } finally {
    await admin.end();
  }
}
