import t from 'tap';
import { createRecentStates } from '../../src/event-store/recent-states.js';

const folded = (version: number) => ({ state: { version }, version, position: version, sinceSnapshot: version });
const patients = {};
const accounts = {};

t.test('recent states', async (t) => {
  t.test('lets the least recently used stream go first when full', async (t) => {
    const recent = createRecentStates(2);
    recent.remember(patients, 'a', folded(1));
    recent.remember(patients, 'b', folded(1));
    recent.recall(patients, 'a');
    recent.remember(patients, 'c', folded(1));
    t.ok(recent.recall(patients, 'a'), 'a was used last but one');
    t.notOk(recent.recall(patients, 'b'), 'b was the oldest');
    t.ok(recent.recall(patients, 'c'));
  });

  t.test('keeps the newest state of a stream, and forgets it when told', async (t) => {
    const recent = createRecentStates(2);
    recent.remember(patients, 'a', folded(1));
    recent.remember(patients, 'a', folded(2));
    t.equal(recent.recall(patients, 'a')?.version, 2);
    recent.forget(patients, 'a');
    t.notOk(recent.recall(patients, 'a'));
  });

  t.test('keeps each decider apart, with room for `capacity` streams each', async (t) => {
    const recent = createRecentStates(1);
    recent.remember(patients, 'a', folded(1));
    recent.remember(accounts, 'b', folded(1));
    t.ok(recent.recall(patients, 'a'));
    t.notOk(recent.recall(accounts, 'a'));
    t.ok(recent.recall(accounts, 'b'));
  });

  t.test('remembers nothing at capacity 0', async (t) => {
    const recent = createRecentStates(0);
    recent.remember(patients, 'a', folded(1));
    t.notOk(recent.recall(patients, 'a'));
  });
});
