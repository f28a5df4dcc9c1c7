import t from 'tap';
import { validate, version } from 'uuid';
import { newId } from '../src/ids.js';

t.test('ids are distinct UUIDv7s, in creation order across milliseconds', async (t) => {
  const ids = Array.from({ length: 1000 }, () => newId());
  t.equal(new Set(ids).size, ids.length, 'no two alike, also across refills of the random pool');
  t.ok(ids.every((id) => validate(id) && version(id) === 7));
  const earlier = newId();
  await new Promise((resolve) => setTimeout(resolve, 5));
  t.ok(newId() > earlier, 'a later id sorts after an earlier one');
});
