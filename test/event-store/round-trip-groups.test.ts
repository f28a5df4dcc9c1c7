import t from 'tap';
import { createRoundTripGroups, type GroupedOutcome } from '../../src/event-store/round-trip-groups.js';

/** A round trip the test finishes by hand. */
interface Pending<Value> {
  finish(value: Value): void;
  fail(error: unknown): void;
}

function deferred<Value>(): { promise: Promise<Value> } & Pending<Value> {
  let finish!: (value: Value) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<Value>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { promise, finish, fail };
}

/** Lets every promise step run and then the groups' dispatch at the end of a turn of the event loop. */
const settle = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

/** A database stand-in that records every round trip and lets the test answer each. */
function fakeDatabase() {
  const alone: Array<{ request: string } & Pending<string>> = [];
  const groups: Array<{ requests: string[] } & Pending<GroupedOutcome<string>[]>> = [];
  return {
    alone,
    groups,
    sendAlone(request: string) {
      const round = deferred<string>();
      alone.push({ request, ...round });
      return round.promise;
    },
    sendGroup(requests: string[]) {
      const round = deferred<GroupedOutcome<string>[]>();
      groups.push({ requests, ...round });
      return round.promise;
    },
  };
}

t.test('round-trip groups', async (t) => {
  t.test('a request alone in its turn of the event loop leaves alone, on a free lane', async (t) => {
    const db = fakeDatabase();
    const groups = createRoundTripGroups({ lanes: 2, maxGroup: 8, ...db });
    const first = groups.send('a');
    t.equal(db.alone.length, 0, 'not before the end of the turn');
    await settle();
    const second = groups.send('b');
    await settle();
    t.same(db.alone.map((round) => round.request), ['a', 'b'], 'both lanes used, no waiting');
    t.equal(db.groups.length, 0);
    db.alone[0]!.finish('a done');
    db.alone[1]!.finish('b done');
    t.same(await Promise.all([first, second]), ['a done', 'b done']);
  });

  t.test('requests sent in one turn of the event loop leave together, though a lane is free', async (t) => {
    const db = fakeDatabase();
    const groups = createRoundTripGroups({ lanes: 2, maxGroup: 8, ...db });
    const sent = ['a', 'b', 'c'].map((request) => groups.send(request));
    await settle();
    t.same(db.groups.map((group) => group.requests), [['a', 'b', 'c']]);
    t.equal(db.alone.length, 0);
    db.groups[0]!.finish([{ result: 'a done' }, { result: 'b done' }, { result: 'c done' }]);
    t.same(await Promise.all(sent), ['a done', 'b done', 'c done']);
  });

  t.test('requests that find every lane busy leave together, in arrival order, each with its own outcome', async (t) => {
    const db = fakeDatabase();
    const groups = createRoundTripGroups({ lanes: 1, maxGroup: 8, ...db });
    const first = groups.send('a');
    await settle();
    const waiting = ['b', 'c', 'd'].map((request) => groups.send(request));
    await settle();
    t.same(db.alone.map((round) => round.request), ['a']);
    t.equal(db.groups.length, 0, 'nothing more is sent while the only lane is busy');

    db.alone[0]!.finish('a done');
    await first;
    await settle();
    t.same(db.groups.map((group) => group.requests), [['b', 'c', 'd']], 'the waiting requests travel as one group');
    const refusal = new Error('c refused');
    db.groups[0]!.finish([{ result: 'b done' }, { error: refusal }, { result: 'd done' }]);
    const outcomes = await Promise.allSettled(waiting);
    t.same(outcomes, [
      { status: 'fulfilled', value: 'b done' },
      { status: 'rejected', reason: refusal },
      { status: 'fulfilled', value: 'd done' },
    ]);
  });

  t.test('what a command sends on hearing back from a round trip goes with the requests already waiting', async (t) => {
    const db = fakeDatabase();
    const groups = createRoundTripGroups({ lanes: 1, maxGroup: 8, ...db });
    const read = groups.send('read a');
    await settle();
    const waiting = groups.send('read b');
    // As a command does: a few promise steps after its read comes back, it appends.
    const append = read.then(async () => {
      await null;
      await null;
      return groups.send('append a');
    });
    db.alone[0]!.finish('a read');
    await settle();
    t.same(db.groups.map((group) => group.requests), [['read b', 'append a']], 'one round trip for both, not one after the other');
    t.same(db.alone.map((round) => round.request), ['read a']);
    db.groups[0]!.finish([{ result: 'b read' }, { result: 'a appended' }]);
    t.same(await Promise.all([waiting, append]), ['b read', 'a appended']);
  });

  t.test('a group carries at most maxGroup requests; the rest follow in the next', async (t) => {
    const db = fakeDatabase();
    const groups = createRoundTripGroups({ lanes: 1, maxGroup: 2, ...db });
    const all = ['a', 'b', 'c', 'd', 'e'].map((request) => groups.send(request));
    await settle();
    t.same(db.groups.map((group) => group.requests), [['a', 'b']]);
    db.groups[0]!.finish([{ result: 'a done' }, { result: 'b done' }]);
    await settle();
    t.same(db.groups.map((group) => group.requests), [['a', 'b'], ['c', 'd']]);
    db.groups[1]!.finish([{ result: 'c done' }, { result: 'd done' }]);
    await settle();
    t.same(db.alone.map((round) => round.request), ['e'], 'the last one alone');
    db.alone[0]!.finish('e done');
    t.same(await Promise.all(all), ['a done', 'b done', 'c done', 'd done', 'e done']);
  });

  t.test('a round trip that fails fails every request it carried, and the lane goes on', async (t) => {
    const db = fakeDatabase();
    const groups = createRoundTripGroups({ lanes: 1, maxGroup: 8, ...db });
    const first = groups.send('a');
    await settle();
    const grouped = [groups.send('b'), groups.send('c')];
    db.alone[0]!.fail(new Error('connection lost'));
    await t.rejects(first, { message: 'connection lost' } as unknown as Error);
    await settle();
    db.groups[0]!.fail(new Error('connection lost again'));
    const outcomes = await Promise.allSettled(grouped);
    t.same(outcomes.map((outcome) => outcome.status), ['rejected', 'rejected']);

    const later = groups.send('d');
    await settle();
    t.same(db.alone.map((round) => round.request), ['a', 'd'], 'the lane is free again');
    db.alone[1]!.finish('d done');
    t.equal(await later, 'd done');
  });

  t.test('a request that failed for its group’s sake (a deadlock between groups) is tried again on its own', async (t) => {
    const db = fakeDatabase();
    const groups = createRoundTripGroups({ lanes: 1, maxGroup: 8, ...db });
    const first = groups.send('a');
    await settle();
    const grouped = [groups.send('b'), groups.send('c')];
    db.alone[0]!.finish('a done');
    await first;
    await settle();
    db.groups[0]!.finish([{ result: 'b done' }, { retryAlone: true }]);
    await settle();
    t.same(db.alone.map((round) => round.request), ['a', 'c']);
    db.alone[1]!.finish('c done alone');
    t.same(await Promise.all(grouped), ['b done', 'c done alone']);
  });
});
