import t from 'tap';
import { v4 as uuid } from 'uuid';
import { ATTEMPTS_WITHOUT_IF_MATCH, handleCommand } from '../../src/event-store/command-handler.js';
import { rejectConflict, type Decider } from '../../src/event-store/decider.js';
import { ConcurrencyConflict } from '../../src/event-store/errors.js';
import { createEventStore, type EventStore } from '../../src/event-store/store.js';
import type { Queryable } from '../../src/event-store/types.js';
import { createTestDatabase } from '../helpers/database.js';

type TallyEvent = { type: 'Tallied'; data: { count: number } };
const tally: Decider<{ type: 'Tally' }, TallyEvent, number> = {
  streamType: 'tally',
  schemaVersions: { Tallied: 1 },
  initialState: () => 0,
  evolve: (count) => count + 1,
  decide: (_command, count) => [{ type: 'Tallied', data: { count: count + 1 } }],
};
const envelope = (streamId: string, newStream?: boolean) => ({
  streamId,
  command: { type: 'Tally' as const },
  metadata: { actorId: null, actorRole: 'system' },
  now: new Date(),
  ...(newStream === undefined ? {} : { newStream }),
});

t.test('handling a command', async (t) => {
  const db = await createTestDatabase(t);

  t.test('folds the stream before deciding', async (t) => {
    const streamId = uuid();
    await handleCommand(db.store, tally, envelope(streamId));
    const second = await handleCommand(db.store, tally, envelope(streamId));
    t.same(second.events, [{ type: 'Tallied', data: { count: 2 } }]);
    t.equal(second.version, 2);
  });

  t.test('for a new stream reads nothing, and a stream id already taken is still refused', async (t) => {
    const streamId = uuid();
    const first = await handleCommand(db.store, tally, envelope(streamId, true));
    t.equal(first.version, 1);
    await t.rejects(handleCommand(db.store, tally, envelope(streamId, true)), ConcurrencyConflict);
    t.equal((await db.store.readStream(streamId)).length, 1, 'nothing more was appended');
  });
});

type LedgerCommand = { type: 'Tally' } | { type: 'Close' } | { type: 'Reopen' };
type LedgerEvent = { type: 'Tallied'; data: { count: number } } | { type: 'Closed'; data: object } | { type: 'Reopened'; data: object };
type Ledger = { count: number; closed: boolean };
const ledger: Decider<LedgerCommand, LedgerEvent, Ledger> = {
  streamType: 'ledger',
  schemaVersions: { Tallied: 1, Closed: 1, Reopened: 1 },
  initialState: () => ({ count: 0, closed: false }),
  evolve: (state, event) => {
    if (event.type === 'Tallied') return { ...state, count: event.data.count };
    return { ...state, closed: event.type === 'Closed' };
  },
  decide: (command, state) => {
    if (command.type === 'Close') return state.closed ? [] : [{ type: 'Closed', data: {} }];
    if (command.type === 'Reopen') return state.closed ? [{ type: 'Reopened', data: {} }] : [];
    return state.closed ? rejectConflict('closed') : [{ type: 'Tallied', data: { count: state.count + 1 } }];
  },
};
const send = (store: EventStore, streamId: string, type: LedgerCommand['type'], more: { expectedVersion?: number } = {}, on?: Queryable) =>
  handleCommand(store, ledger, { ...envelope(streamId), command: { type }, ...more }, on);

t.test('a process deciding on the state it folded last', async (t) => {
  const db = await createTestDatabase(t);
  // Two stores on one database: two API processes, each with its own remembered states.
  const here = db.store;
  const elsewhere = createEventStore(db.pool);

  t.test('appends without reading when nobody else appended since', async (t) => {
    const streamId = uuid();
    await send(here, streamId, 'Tally');
    const reads = t.capture(here, 'readStreamToFold', here.readStreamToFold);
    const second = await send(here, streamId, 'Tally');
    t.same(second.events, [{ type: 'Tallied', data: { count: 2 } }]);
    t.equal(reads().length, 0, 'the stream was not read');
  });

  t.test('decides afresh when another process appended since', async (t) => {
    const streamId = uuid();
    await send(here, streamId, 'Tally');
    await send(elsewhere, streamId, 'Tally');
    const third = await send(here, streamId, 'Tally');
    t.same(third.events, [{ type: 'Tallied', data: { count: 3 } }]);
    t.equal(third.version, 3);
  });

  t.test('refuses only after a fresh read confirms it', async (t) => {
    const streamId = uuid();
    await send(here, streamId, 'Close');
    await send(elsewhere, streamId, 'Reopen');
    const outcome = await send(here, streamId, 'Tally');
    t.same(outcome.events, [{ type: 'Tallied', data: { count: 1 } }], 'the ledger was reopened elsewhere');
  });

  t.test('answers "nothing to change" only after a fresh read confirms it', async (t) => {
    const streamId = uuid();
    await send(here, streamId, 'Close');
    await send(elsewhere, streamId, 'Reopen');
    const outcome = await send(here, streamId, 'Close');
    t.same(outcome.events, [{ type: 'Closed', data: {} }], 'a lost update had it answered from memory');
    t.equal(outcome.version, 3);
  });

  t.test('honours If-Match against the stream, not against what it remembers', async (t) => {
    const streamId = uuid();
    await send(here, streamId, 'Tally');
    await send(elsewhere, streamId, 'Tally');
    const current = await send(here, streamId, 'Tally', { expectedVersion: 2 });
    t.equal(current.version, 3);
    await t.rejects(send(here, streamId, 'Tally', { expectedVersion: 2 }), { message: /version/, status: 412 } as unknown as Error);
  });

  t.test('remembers nothing from a transaction, which may roll back', async (t) => {
    const streamId = uuid();
    await send(here, streamId, 'Tally');
    await here.transaction(async (client) => {
      await send(here, streamId, 'Tally', {}, client);
      throw new Error('rolled back');
    }).catch(() => {});
    await send(elsewhere, streamId, 'Close');
    await t.rejects(send(here, streamId, 'Tally'), { message: 'closed', status: 409 } as unknown as Error, 'closed at version 2, the rolled-back version');
  });
});

t.test('a command that loses the race to another append', async (t) => {
  const db = await createTestDatabase(t);
  /**
   * A process that remembers nothing and, right after each of its next `races` reads of the
   * stream, lets another process append `command` to it: the appends it then makes are at a
   * version that is already taken.
   */
  const overtaken = (streamId: string, races: number, command: LedgerCommand['type'] = 'Tally') => {
    const store = createEventStore(db.pool, { recentStatesPerDecider: 0 });
    const elsewhere = createEventStore(db.pool);
    let reads = 0;
    const readStreamToFold: EventStore['readStreamToFold'] = async (...args) => {
      const read = await store.readStreamToFold(...args);
      if ((reads += 1) <= races) await send(elsewhere, streamId, command);
      return read;
    };
    return { store: { ...store, readStreamToFold }, reads: () => reads };
  };

  t.test('without If-Match, is decided again on the record as it now is', async (t) => {
    const streamId = uuid();
    await send(db.store, streamId, 'Tally');
    const racer = overtaken(streamId, 2);
    const outcome = await send(racer.store, streamId, 'Tally');
    t.same(outcome.events, [{ type: 'Tallied', data: { count: 4 } }], 'on top of the two tallies that got in first');
    t.equal(outcome.version, 4);
    t.equal(racer.reads(), 3, 'read once, then again after each lost race');
    t.same((await db.store.readStream(streamId)).map((event) => (event.data as { count: number }).count), [1, 2, 3, 4]);
  });

  t.test('without If-Match, may then be refused by what got in first', async (t) => {
    const streamId = uuid();
    await send(db.store, streamId, 'Tally');
    const racer = overtaken(streamId, 1, 'Close');
    await t.rejects(send(racer.store, streamId, 'Tally'), { message: 'closed', status: 409 } as unknown as Error);
    t.equal((await db.store.readStream(streamId)).length, 2, 'nothing appended on top of the close');
  });

  t.test(`without If-Match, gives up with a 409 after ${ATTEMPTS_WITHOUT_IF_MATCH} lost races`, async (t) => {
    const streamId = uuid();
    await send(db.store, streamId, 'Tally');
    const racer = overtaken(streamId, ATTEMPTS_WITHOUT_IF_MATCH);
    await t.rejects(send(racer.store, streamId, 'Tally'), ConcurrencyConflict);
    t.equal(racer.reads(), ATTEMPTS_WITHOUT_IF_MATCH);
    t.equal((await db.store.readStream(streamId)).length, 1 + ATTEMPTS_WITHOUT_IF_MATCH, 'only the other appends');
  });

  t.test('with If-Match, fails its precondition at once', async (t) => {
    const streamId = uuid();
    await send(db.store, streamId, 'Tally');
    const racer = overtaken(streamId, 1);
    await t.rejects(send(racer.store, streamId, 'Tally', { expectedVersion: 1 }), { status: 412 } as unknown as Error);
    t.equal(racer.reads(), 1, 'not read again');
  });

  t.test('inside a transaction, fails at once: the transaction is spoilt', async (t) => {
    const streamId = uuid();
    await send(db.store, streamId, 'Tally');
    const racer = overtaken(streamId, 1);
    await t.rejects(racer.store.transaction((client) => send(racer.store, streamId, 'Tally', {}, client)), ConcurrencyConflict);
    t.equal(racer.reads(), 1);
  });
});

t.test('a decider that saves snapshots', async (t) => {
  const db = await createTestDatabase(t);
  const counter: Decider<{ type: 'Tally' }, TallyEvent, number> = { ...tally, snapshotName: 'tally-v1' };
  // No remembered states: every command reads the stream, as a command in another process would.
  const reading = () => createEventStore(db.pool, { recentStatesPerDecider: 0 });
  const tallyTimes = async (streamId: string, times: number) => {
    for (let done = 0; done < times; done++) await handleCommand(reading(), counter, envelope(streamId));
  };
  const savedSnapshot = async (streamId: string) =>
    (await db.pool.query('select snapshot from streams where stream_id = $1', [streamId])).rows[0]!.snapshot;

  t.test('saves the state with the append that leaves three events past the last snapshot', async (t) => {
    const streamId = uuid();
    await tallyTimes(streamId, 2);
    t.equal(await savedSnapshot(streamId), null, 'two events (a registration) save nothing');
    await tallyTimes(streamId, 1);
    const third = (await db.store.readStream(streamId)).at(-1)!;
    t.same(await savedSnapshot(streamId), { of: 'tally-v1', version: 3, position: third.position, state: 3 });
    await tallyTimes(streamId, 2);
    t.match(await savedSnapshot(streamId), { version: 3 }, 'two more are folded on top of it');
    await tallyTimes(streamId, 1);
    t.match(await savedSnapshot(streamId), { version: 6, state: 6 });
  });

  t.test('decides from the snapshot and the events after it, not from the events before it', async (t) => {
    const streamId = uuid();
    await tallyTimes(streamId, 4);
    // A snapshot that disagrees with the events shows which of the two the command folded.
    await db.pool.query(`update streams set snapshot = jsonb_set(snapshot, '{state}', '100') where stream_id = $1`, [streamId]);
    const outcome = await handleCommand(reading(), counter, envelope(streamId));
    t.same(outcome.events, [{ type: 'Tallied', data: { count: 102 } }], 'snapshot at 3 says 100, plus the fourth event, plus one');
    t.equal(outcome.version, 5);
  });

  t.test('ignores a snapshot saved under another name', async (t) => {
    const streamId = uuid();
    await tallyTimes(streamId, 3);
    await db.pool.query(`update streams set snapshot = jsonb_set(snapshot, '{state}', '100') where stream_id = $1`, [streamId]);
    const renamed = { ...counter, snapshotName: 'tally-v2' };
    const outcome = await handleCommand(reading(), renamed, envelope(streamId));
    t.same(outcome.events, [{ type: 'Tallied', data: { count: 4 } }], 'folded from the first event');
  });

  t.test('answers "nothing to change" with the version and position the snapshot stands at', async (t) => {
    const streamId = uuid();
    const closing: Decider<LedgerCommand, LedgerEvent, Ledger> = { ...ledger, snapshotName: 'ledger-v1' };
    const sendTo = (type: LedgerCommand['type']) => handleCommand(reading(), closing, { ...envelope(streamId), command: { type } });
    await sendTo('Tally');
    await sendTo('Tally');
    const closed = await sendTo('Close');
    t.match(await savedSnapshot(streamId), { version: 3, state: { count: 2, closed: true } });
    const unchanged = await sendTo('Close');
    t.same([unchanged.events, unchanged.version, unchanged.position], [[], 3, closed.position]);
  });
});
