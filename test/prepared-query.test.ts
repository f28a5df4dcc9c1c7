import t from 'tap';
import type { Kysely } from 'kysely';
import { preparedQuery } from '../src/db.js';
import { createTestDatabase } from './helpers/database.js';

interface Things {
  things: { name: string; colour: string | null; size: number };
}

t.test('a query compiled once runs with the values of every call, in the order the SQL takes them', async (t) => {
  const db = await createTestDatabase(t);
  await db.pool.query(`create table things (name text primary key, colour text, size integer)`);
  await db.pool.query(`insert into things values ('a', 'red', 1), ('b', 'red', 2), ('c', 'blue', 3), ('d', null, 4)`);
  const calls: string[] = [];
  const find = preparedQuery('test_find_things', (by: { colour?: string; after: string }) => {
    calls.push('built');
    return (db.kysely as unknown as Kysely<Things>)
      .selectFrom('things')
      .select(['name'])
      // `after` is used before `colour` in the SQL although declared after it, and 2 is a constant.
      .where('name', '>', by.after)
      .where((eb) => eb.or([eb('colour', '=', by.colour!), eb('size', '>', 2)]))
      .orderBy('name');
  });

  t.same(await find(db.pool, { colour: 'red', after: 'a' }), [{ name: 'b' }, { name: 'c' }, { name: 'd' }]);
  t.same(await find(db.pool, { colour: 'blue', after: '' }), [{ name: 'c' }, { name: 'd' }]);
  t.same(await find(db.pool, { after: 'c' }), [{ name: 'd' }], 'an absent value is bound as null');
  t.same(calls, ['built'], 'built and compiled once');
});
