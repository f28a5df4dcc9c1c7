import { createHash } from 'node:crypto';
import t from 'tap';
import { migrations } from '../../migrations/index.js';
import { eventStoreFunctions, installEventStoreFunctions } from '../../src/event-store/schema.sql.js';
import { createTestDatabase } from '../helpers/database.js';
import type { Test } from '../helpers/problems.js';

// The file's text created in a schema of its own, so that PostgreSQL prints both the same way.
const FILE_SCHEMA = 'schema_sql_file';
const names = Object.keys(eventStoreFunctions);

const db = await createTestDatabase(t, 2);

/** The functions of a schema (extensions' own left out), by name, printed as CREATE statements. */
async function functionsOf(schema: string): Promise<Map<string, string[]>> {
  const { rows } = await db.pool.query<{ name: string; definition: string }>(
    `select p.proname as name, pg_get_functiondef(p.oid) as definition
     from pg_proc p
     where p.pronamespace = $1::regnamespace
       and not exists (select from pg_depend d
                       where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
     order by p.proname, p.oid`,
    [schema],
  );
  const byName = new Map<string, string[]>();
  for (const { name, definition } of rows) byName.set(name, [...(byName.get(name) ?? []), definition]);
  return byName;
}

/** Each function of schema.sql.ts as PostgreSQL prints it once created in the public schema. */
async function asWrittenInFile(): Promise<Map<string, string>> {
  const client = await db.pool.connect();
  try {
    await client.query(`drop schema if exists ${FILE_SCHEMA} cascade`);
    await client.query(`create schema ${FILE_SCHEMA}`);
    await client.query(`set search_path = ${FILE_SCHEMA}, public`);
    for (const definition of Object.values(eventStoreFunctions)) await client.query(definition);
  } finally {
    client.release(true);
  }
  const inFile = await functionsOf(FILE_SCHEMA);
  return new Map(names.map((name) => [name, inFile.get(name)![0]!.replace(`FUNCTION ${FILE_SCHEMA}.`, 'FUNCTION public.')]));
}

/** The public schema's functions: one of each name schema.sql.ts defines, each with the file's text. */
async function holdsExactlyTheFile(t: Test, when: string) {
  const inDatabase = await functionsOf('public');
  t.same(
    [...inDatabase].map(([name, definitions]) => `${name} ×${definitions.length}`),
    [...names].sort().map((name) => `${name} ×1`),
    `${when}: one of each, and no other function`,
  );
  for (const [name, fromFile] of await asWrittenInFile()) {
    t.equal(inDatabase.get(name)?.[0], fromFile, `${when}: ${name} as written in schema.sql.ts`);
  }
}

t.test('the migrated database holds exactly the event-store functions schema.sql.ts defines, as written there', async (t) => {
  await holdsExactlyTheFile(t, 'migrated');
});

t.test('a function changed in schema.sql.ts comes with a migration that installs it', async (t) => {
  const recorded = Object.entries(migrations)
    .map(([name, migration]) => ({ name, digests: (migration as { installedFunctionDigests?: Record<string, string> }).installedFunctionDigests }))
    .filter((migration) => migration.digests !== undefined)
    .at(-1)!;
  const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
  t.same(
    Object.fromEntries(Object.entries(eventStoreFunctions).map(([name, definition]) => [name, digest(definition)])),
    recorded.digests,
    `the texts migration ${recorded.name} installed on databases already migrated; a change needs a new migration (migrations/index.ts)`,
  );
});

t.test('installing the functions leaves one of each as written, whatever arguments and result they had', async (t) => {
  await db.pool.query(`drop function append_and_read(jsonb, uuid[], text[])`);
  await db.pool.query(`create function append_and_read(p_appends jsonb, p_stream_ids uuid[], p_snapshot_names text[])
                       returns integer language sql as 'select 1'`);
  await db.pool.query(`create function append_events(p_stream_id uuid) returns integer language sql as 'select 1'`);
  await installEventStoreFunctions(db.kysely);
  await holdsExactlyTheFile(t, 'installed again');
});
