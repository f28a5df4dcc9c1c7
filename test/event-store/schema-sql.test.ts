import { createHash } from 'node:crypto';
import t from 'tap';
import { migrations } from '../../migrations/index.js';
import { eventStoreFunctions } from '../../src/event-store/schema.sql.js';
import { createTestDatabase } from '../helpers/database.js';

// The file's text created in a schema of its own, so that PostgreSQL prints both the same way.
const FILE_SCHEMA = 'schema_sql_file';

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

t.test('the migrated database holds the event-store functions schema.sql.ts defines, and no other', async (t) => {
  const inDatabase = await functionsOf('public');
  t.same(
    [...inDatabase].map(([name, definitions]) => `${name} ×${definitions.length}`),
    Object.keys(eventStoreFunctions).sort().map((name) => `${name} ×1`),
    'one of each, no overload left behind by a changed signature',
  );
});

t.test('each event-store function in the migrated database is the text schema.sql.ts holds', async (t) => {
  const client = await db.pool.connect();
  try {
    await client.query(`create schema ${FILE_SCHEMA}`);
    await client.query(`set search_path = ${FILE_SCHEMA}, public`);
    for (const definition of Object.values(eventStoreFunctions)) await client.query(definition);
  } finally {
    client.release(true);
  }
  const inDatabase = await functionsOf('public');
  const inFile = await functionsOf(FILE_SCHEMA);
  for (const name of Object.keys(eventStoreFunctions)) {
    const fromFile = inFile.get(name)![0]!.replace(`FUNCTION ${FILE_SCHEMA}.`, 'FUNCTION public.');
    t.equal(inDatabase.get(name)?.[0], fromFile, `${name}: as migrated, and as written in schema.sql.ts`);
  }
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
