import type pg from 'pg';
import t from 'tap';
import { v4 as uuid } from 'uuid';
import { ConcurrencyConflict, IdempotencyKeyInUse, ReliedOnStreamChanged, UniqueValueTaken } from '../../src/event-store/errors.js';
import { createEventStore, type EventStore } from '../../src/event-store/store.js';
import type { AppendRequest, AppendResult, NewEvent } from '../../src/event-store/types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/** The pool, and the names of the statements sent through it, in order. */
function countingStatements(pool: pg.Pool) {
  const statements: string[] = [];
  const counting = new Proxy(pool, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return (config: { name?: string }, ...rest: unknown[]) => {
        statements.push(config.name ?? 'unnamed');
        return (target.query as (...args: unknown[]) => unknown).call(target, config, ...rest);
      };
    },
  });
  return { counting, statements };
}

/**
 * Keeps the only lane of `store` (made with roundTripLanes 1) busy with a read that waits on a lock
 * of the events table, sends what `queue` sends while it waits (so those leave together in the next
 * round trip), then lets the read through and returns what the queued requests came to.
 */
async function behindAHeldRead<T>(db: TestDatabase, store: EventStore, queue: () => Promise<T>): Promise<T> {
  const locker = await db.pool.connect();
  try {
    await locker.query('begin');
    await locker.query('lock table events in access exclusive mode');
    const held = store.readStreamToFold(uuid());
    // The store sends at the end of this turn of the event loop: the held read leaves alone then,
    // and what is queued after it waits for it.
    await new Promise((resolve) => setImmediate(resolve));
    const queued = queue();
    await locker.query('commit');
    await held;
    return await queued;
  } finally {
    locker.release();
  }
}

const metadata = { actorId: null, actorRole: 'system' };
const event = (type: string, data: object = {}): NewEvent => ({
  eventId: uuid(),
  type,
  data,
  schemaVersion: 1,
  metadata,
  recordedAt: new Date('2026-01-02T03:04:05Z'),
});

t.test('the event store', async (t) => {
  const db = await createTestDatabase(t);
  const { store } = db;

  t.test('appends to a new stream and reads it back in order', async (t) => {
    const streamId = uuid();
    const result = await store.append({
      streamId,
      streamType: 'thing',
      expectedVersion: 0,
      events: [event('ThingMade', { n: 1 }), event('ThingChanged', { n: 2 })],
    });
    t.equal(result.version, 2);
    const events = await store.readStream(streamId);
    t.same(
      events.map((e) => [e.type, e.streamVersion, e.data]),
      [
        ['ThingMade', 1, { n: 1 }],
        ['ThingChanged', 2, { n: 2 }],
      ],
    );
    t.equal(events[1]!.position, result.position, 'the result names the last event position');
    t.ok(events[0]!.position < events[1]!.position, 'positions grow with stream versions');
    t.same(events[0]!.recordedAt, new Date('2026-01-02T03:04:05Z'));
    t.same(events[0]!.metadata, metadata);
  });

  t.test('a stale expected version is a concurrency conflict and appends nothing', async (t) => {
    const streamId = uuid();
    await store.append({ streamId, streamType: 'thing', expectedVersion: 0, events: [event('ThingMade')] });
    await t.rejects(
      store.append({ streamId, streamType: 'thing', expectedVersion: 0, events: [event('ThingMade')] }),
      ConcurrencyConflict,
    );
    await t.rejects(
      store.append({ streamId, streamType: 'thing', expectedVersion: 5, events: [event('ThingChanged')] }),
      ConcurrencyConflict,
      'an expected version ahead of the stream is refused too, leaving no gap',
    );
    t.equal((await store.readStream(streamId)).length, 1);
  });

  t.test('of two concurrent appends to one stream exactly one wins', async (t) => {
    for (let round = 0; round < 20; round += 1) {
      const streamId = uuid();
      await store.append({ streamId, streamType: 'thing', expectedVersion: 0, events: [event('ThingMade')] });
      const outcomes = await Promise.allSettled(
        [1, 2, 3].map((n) =>
          store.append({ streamId, streamType: 'thing', expectedVersion: 1, events: [event('ThingChanged', { n })] }),
        ),
      );
      const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const lost = outcomes.filter((outcome) => outcome.status === 'rejected');
      t.equal(won.length, 1, `round ${round}: one winner`);
      t.ok(lost.every((outcome) => (outcome as PromiseRejectedResult).reason instanceof ConcurrencyConflict));
      t.equal((await store.readStream(streamId)).length, 2, 'the losers changed nothing');
    }
  });

  t.test('a unique value can be claimed by one stream only, even under a race', async (t) => {
    const value = `MRN-${uuid()}`;
    const outcomes = await Promise.allSettled(
      [1, 2, 3, 4].map(() =>
        store.append({
          streamId: uuid(),
          streamType: 'thing',
          expectedVersion: 0,
          events: [event('ThingMade')],
          claims: [{ scope: 'mrn', value }],
        }),
      ),
    );
    t.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1);
    for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
      t.type((outcome as PromiseRejectedResult).reason, UniqueValueTaken);
    }
    const { rows } = await db.pool.query('select count(*)::int as n from streams where stream_id in (select stream_id from unique_claims where value = $1)', [value]);
    t.equal(rows[0].n, 1);
  });

  t.test('a stream may re-claim its own value and release it for others', async (t) => {
    const value = `MRN-${uuid()}`;
    const first = uuid();
    await store.append({ streamId: first, streamType: 'thing', expectedVersion: 0, events: [event('A')], claims: [{ scope: 'mrn', value }] });
    await store.append({ streamId: first, streamType: 'thing', expectedVersion: 1, events: [event('B')], claims: [{ scope: 'mrn', value }] });
    await store.append({ streamId: first, streamType: 'thing', expectedVersion: 2, events: [event('C')], releases: [{ scope: 'mrn', value }] });
    const other = await store.append({ streamId: uuid(), streamType: 'thing', expectedVersion: 0, events: [event('A')], claims: [{ scope: 'mrn', value }] });
    t.equal(other.version, 1, 'the released value was claimed by another stream');
  });

  t.test('an idempotency key records the response once; a second use is refused', async (t) => {
    const idempotency = { scope: 'someone', key: uuid(), requestHash: 'h', statusCode: 201, response: { id: 'x' } };
    const result = await store.append({ streamId: uuid(), streamType: 'thing', expectedVersion: 0, events: [event('A')], idempotency });
    const stored = await store.findIdempotentResponse('someone', idempotency.key);
    t.same(stored?.response, { id: 'x', version: 1, position: result.position });
    const secondStream = uuid();
    await t.rejects(
      store.append({ streamId: secondStream, streamType: 'thing', expectedVersion: 0, events: [event('A')], idempotency }),
      IdempotencyKeyInUse,
    );
    t.equal((await store.readStream(secondStream)).length, 0, 'the refused append left nothing');
  });

  t.test('the database itself refuses to update, delete or truncate events', async (t) => {
    const streamId = uuid();
    await store.append({ streamId, streamType: 'thing', expectedVersion: 0, events: [event('A', { secret: 1 })] });
    await t.rejects(db.pool.query(`update events set data = '{}' where stream_id = $1`, [streamId]), /append-only: UPDATE/);
    await t.rejects(db.pool.query('delete from events where stream_id = $1', [streamId]), /append-only: DELETE/);
    await t.rejects(db.pool.query('truncate events'), /append-only: TRUNCATE/);
    t.same((await store.readStream(streamId))[0]!.data, { secret: 1 });
  });

  t.test('an append that relies on other streams is refused, appending nothing, once any of them has moved', async (t) => {
    const other = uuid();
    await store.append({ streamId: other, streamType: 'thing', expectedVersion: 0, events: [event('A')] });
    const streamId = uuid();
    const relying = (reliesOn: Array<{ streamId: string; version: number }>) =>
      store.append({ streamId, streamType: 'thing', expectedVersion: 0, events: [event('B')], reliesOn });
    await t.rejects(relying([{ streamId: other, version: 0 }]), ReliedOnStreamChanged, 'relied on as absent, but it exists');
    await t.rejects(relying([{ streamId: uuid(), version: 1 }]), ReliedOnStreamChanged, 'relied on as existing, but it does not');
    t.equal((await store.readStream(streamId)).length, 0, 'nothing appended');
    await relying([{ streamId: other, version: 1 }, { streamId: uuid(), version: 0 }]);
    t.equal((await store.readStream(streamId)).length, 1, 'appended once all are as relied on');
  });

  t.test('a snapshot saved with an append is read back with only the events after it', async (t) => {
    const streamId = uuid();
    const thing = { streamId, streamType: 'thing' };
    await store.append({ ...thing, expectedVersion: 0, events: [event('ThingMade', { n: 1 }), event('ThingChanged', { n: 2 })], snapshot: { of: 'thing-v1', state: { n: 2 } } });
    const later = await store.append({ ...thing, expectedVersion: 2, events: [event('ThingChanged', { n: 3 })] });
    const last = { streamType: 'thing', version: 3, position: later.position };
    t.same(await store.readStreamToFold(streamId, 'thing-v1'), {
      snapshot: { state: { n: 2 }, version: 2 },
      events: [{ type: 'ThingChanged', data: { n: 3 } }],
      last,
    }, 'an append without a snapshot leaves the last one in place, valid up to its version');
    const everyEvent = [{ type: 'ThingMade', data: { n: 1 } }, { type: 'ThingChanged', data: { n: 2 } }, { type: 'ThingChanged', data: { n: 3 } }];
    t.same(await store.readStreamToFold(streamId, 'thing-v2'), { events: everyEvent, last }, 'one saved under another name is ignored');
    t.same(await store.readStreamToFold(streamId), { events: everyEvent, last }, 'and so it is when none is asked for');

    const head = await store.append({ ...thing, expectedVersion: 3, events: [event('ThingChanged', { n: 4 })], snapshot: { of: 'thing-v1', state: { n: 4 } } });
    t.same(await store.readStreamToFold(streamId, 'thing-v1'), {
      snapshot: { state: { n: 4 }, version: 4 },
      events: [],
      last: { streamType: 'thing', version: 4, position: head.position },
    }, 'at the head of the stream it stands alone, with the position of the last event');
  });

  t.test('a batch append is all or nothing', async (t) => {
    const taken = uuid();
    await store.append({ streamId: taken, streamType: 'thing', expectedVersion: 0, events: [event('A')] });
    const fresh = uuid();
    await t.rejects(
      store.appendBatch([
        { streamId: fresh, streamType: 'thing', expectedVersion: 0, events: [event('A')] },
        { streamId: taken, streamType: 'thing', expectedVersion: 0, events: [event('A')] },
      ]),
      ConcurrencyConflict,
    );
    t.equal((await store.readStream(fresh)).length, 0);
  });
});

t.test('appends that arrive while the store is busy are committed together, each on its own terms', async (t) => {
  const db = await createTestDatabase(t);
  const store = createEventStore(db.pool, { roundTripLanes: 1 });
  const fresh = (overrides: Partial<AppendRequest> = {}): AppendRequest => ({
    streamId: uuid(),
    streamType: 'thing',
    expectedVersion: 0,
    events: [event('ThingMade')],
    ...overrides,
  });

  /** Makes `appends` while the store's only lane is busy, so they leave as one group. */
  const asOneGroup = (appends: AppendRequest[]): Promise<PromiseSettledResult<AppendResult>[]> =>
    behindAHeldRead(db, store, () => Promise.allSettled(appends.map((request) => store.append(request))));

  const transactionsOf = async (streamIds: string[]) =>
    (await db.pool.query('select distinct transaction_id from events where stream_id = any($1)', [streamIds])).rows.length;
  const valueOf = <Value>(outcome: PromiseSettledResult<Value>) => (outcome as PromiseFulfilledResult<Value>).value;
  const reasonOf = (outcome: PromiseSettledResult<unknown>) => (outcome as PromiseRejectedResult).reason;

  t.test('in one transaction, each answered with its own version and position', async (t) => {
    const appends = [fresh(), fresh({ events: [event('ThingMade'), event('ThingChanged')] }), fresh()];
    const outcomes = await asOneGroup(appends);
    t.same(outcomes.map((outcome) => outcome.status), ['fulfilled', 'fulfilled', 'fulfilled']);
    t.equal(await transactionsOf(appends.map((append) => append.streamId)), 1, 'one commit for all three');
    for (const [index, append] of appends.entries()) {
      const stored = await store.readStream(append.streamId);
      const result = valueOf(outcomes[index]!);
      t.equal(result.streamId, append.streamId);
      t.equal(result.version, append.events.length);
      t.equal(result.position, stored.at(-1)!.position, 'the position of its own last event');
    }
  });

  t.test('one that is refused changes nothing, and the others still commit', async (t) => {
    const existing = uuid();
    await store.append(fresh({ streamId: existing }));
    const mrn = `MRN-${uuid()}`;
    await store.append(fresh({ claims: [{ scope: 'mrn', value: mrn }] }));
    const moved = uuid();
    await store.append(fresh({ streamId: moved }));
    const usedKey = { scope: 'someone', key: uuid(), requestHash: 'h', statusCode: 201, response: {} };
    await store.append(fresh({ idempotency: usedKey }));
    const duplicateEvent = event('ThingMade');
    await store.append(fresh({ events: [duplicateEvent] }));

    const appends = [
      fresh(),
      fresh({ streamId: existing }),
      fresh({ claims: [{ scope: 'mrn', value: mrn }] }),
      fresh({ reliesOn: [{ streamId: moved, version: 0 }] }),
      fresh({ idempotency: usedKey }),
      fresh({ events: [duplicateEvent] }),
      fresh({ claims: [{ scope: 'mrn', value: `MRN-${uuid()}` }] }),
    ];
    const outcomes = await asOneGroup(appends);
    t.same(outcomes.map((outcome) => outcome.status), ['fulfilled', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'fulfilled']);
    t.type(reasonOf(outcomes[1]!), ConcurrencyConflict, 'a stream that exists is not new');
    t.type(reasonOf(outcomes[2]!), UniqueValueTaken);
    t.equal(reasonOf(outcomes[2]!).scope, 'mrn', 'the refusal names the claim');
    t.type(reasonOf(outcomes[3]!), ReliedOnStreamChanged);
    t.type(reasonOf(outcomes[4]!), IdempotencyKeyInUse);
    t.match(reasonOf(outcomes[5]!), { code: '23505' }, 'an unexpected failure comes back as PostgreSQL reported it');

    const refused = [2, 3, 4, 5].map((index) => appends[index]!.streamId);
    const left = await db.pool.query(
      `select (select count(*) from events where stream_id = any($1))::int as events,
              (select count(*) from streams where stream_id = any($1))::int as streams,
              (select count(*) from unique_claims where stream_id = any($1))::int as claims`,
      [refused],
    );
    t.same(left.rows[0], { events: 0, streams: 0, claims: 0 }, 'the refused appends left nothing behind');
    t.equal((await store.readStream(existing)).length, 1, 'the existing stream is untouched');
    t.equal((await store.readStream(appends[0]!.streamId)).length, 1);
    t.equal((await store.readStream(appends[6]!.streamId)).length, 1);
  });

  t.test('a snapshot in a group is saved with its own append only', async (t) => {
    const [saving, plain] = [fresh({ snapshot: { of: 'thing-v1', state: { made: true } } }), fresh()];
    await asOneGroup([saving, plain]);
    t.same((await store.readStreamToFold(saving.streamId, 'thing-v1')).snapshot, { state: { made: true }, version: 1 });
    t.equal((await store.readStreamToFold(plain.streamId, 'thing-v1')).snapshot, undefined);
  });

  t.test('of two appends to one stream at one version in one group, exactly one wins', async (t) => {
    const streamId = uuid();
    await store.append(fresh({ streamId }));
    const next = (n: number) => fresh({ streamId, expectedVersion: 1, events: [event('ThingChanged', { n })] });
    const outcomes = await asOneGroup([next(1), next(2)]);
    t.same(outcomes.map((outcome) => outcome.status).sort(), ['fulfilled', 'rejected']);
    t.type(reasonOf(outcomes.find((outcome) => outcome.status === 'rejected')!), ConcurrencyConflict);
    t.equal((await store.readStream(streamId)).length, 2);
  });
});

t.test('streams read to fold while the store is busy share one round trip, each answered with its own', async (t) => {
  const db = await createTestDatabase(t);
  const { counting, statements } = countingStatements(db.pool);
  const store = createEventStore(counting, { roundTripLanes: 1 });
  const [first, second] = [uuid(), uuid()];
  await db.store.append({ streamId: first, streamType: 'thing', expectedVersion: 0, events: [event('ThingMade', { n: 1 })], snapshot: { of: 'thing-v1', state: { n: 1 } } });
  await db.store.append({ streamId: second, streamType: 'other', expectedVersion: 0, events: [event('OtherMade'), event('OtherChanged', { n: 2 })] });

  const reads: Array<[string, string?]> = [[second], [uuid()], [first.toUpperCase()], [second], ['not-a-uuid'], [first, 'thing-v1']];
  const [secondStream, missing, firstStream, secondAgain, malformed, firstFromSnapshot] = await behindAHeldRead(db, store, () =>
    Promise.all(reads.map(([id, snapshotName]) => store.readStreamToFold(id, snapshotName).then((stream) => stream, (error: Error) => error))));
  t.same(statements, ['pams_read_stream_to_fold', 'pams_append_and_read', 'pams_read_stream_to_fold'],
    'one read alone, then one for the five that waited; the malformed id alone');
  t.same(secondStream, {
    events: [{ type: 'OtherMade', data: {} }, { type: 'OtherChanged', data: { n: 2 } }],
    last: { streamType: 'other', version: 2, position: (await db.store.readStream(second)).at(-1)!.position },
  });
  t.same(secondAgain, secondStream, 'a stream asked for twice is answered twice');
  t.same(missing, { events: [] }, 'a stream with no events is empty');
  t.same(firstStream, {
    events: [{ type: 'ThingMade', data: { n: 1 } }],
    last: { streamType: 'thing', version: 1, position: (await db.store.readStream(first))[0]!.position },
  }, 'ids are matched whatever their case');
  t.match(malformed, { code: '22P02' }, 'a malformed id fails on its own, as it would alone');
  t.same(firstFromSnapshot, {
    snapshot: { state: { n: 1 }, version: 1 },
    events: [],
    last: { streamType: 'thing', version: 1, position: (await db.store.readStream(first))[0]!.position },
  }, 'one stream read in one group with and without its snapshot is answered both ways');
});

t.test('a read and an append that wait together share one round trip, and the read sees the append', async (t) => {
  const db = await createTestDatabase(t);
  const { counting, statements } = countingStatements(db.pool);
  const store = createEventStore(counting, { roundTripLanes: 1 });
  const streamId = uuid();
  await db.store.append({ streamId, streamType: 'thing', expectedVersion: 0, events: [event('ThingMade')] });

  // Asked for before the append, yet answered after it: the round trip appends first, then reads.
  const [stream, result] = await behindAHeldRead(db, store, () => Promise.all([
    store.readStreamToFold(streamId),
    store.append({ streamId, streamType: 'thing', expectedVersion: 1, events: [event('ThingChanged', { n: 2 })] }),
  ]));
  t.same(statements, ['pams_read_stream_to_fold', 'pams_append_and_read', 'pams_notify_events'],
    'one read alone, then one round trip for both, then the projection workers are woken');
  t.equal(result.version, 2);
  t.same(stream, {
    events: [{ type: 'ThingMade', data: {} }, { type: 'ThingChanged', data: { n: 2 } }],
    last: { streamType: 'thing', version: 2, position: result.position },
  });
});

t.test('malformed ids that wait together each fail alone, without a round trip for the group', async (t) => {
  const db = await createTestDatabase(t);
  const { counting, statements } = countingStatements(db.pool);
  const store = createEventStore(counting, { roundTripLanes: 1 });
  const failed = await behindAHeldRead(db, store, () =>
    Promise.all(['not-a-uuid', 'nor-this'].map((id) => store.readStreamToFold(id).then(() => undefined, (error: Error) => error))));
  t.match(failed, [{ code: '22P02' }, { code: '22P02' }]);
  t.same(statements, ['pams_read_stream_to_fold', 'pams_read_stream_to_fold', 'pams_read_stream_to_fold']);
});

t.test('reads in commit order compare transaction ids as numbers, not as text', async (t) => {
  const db = await createTestDatabase(t);
  // Rows as two transactions with ids 9 and 10 would leave them: as text '10' sorts before '9',
  // which would hand a reader the later transaction first and let it skip the earlier one.
  const row = (transactionId: number, position: number) =>
    db.pool.query(
      `insert into events (position, transaction_id, stream_id, stream_type, stream_version, event_id, event_type, schema_version, data, metadata, recorded_at)
       overriding system value values ($1, $2::text::xid8, $3, 'thing', 1, $4, 'A', 1, '{}', '{"actorId":null,"actorRole":"system"}', now())`,
      [position, transactionId, uuid(), uuid()],
    );
  await row(10, 1);
  await row(9, 2);
  const { events } = await db.store.readCommitted({ transactionId: '0', position: 0 }, 10, ['A']);
  t.same(
    events.map((stored) => [stored.transactionId, stored.position]),
    [
      ['9', 2],
      ['10', 1],
    ],
  );
});

/** Other tests' transactions are on the same server and move the fence too: read until `count` events are past it. */
async function readCommittedPastOthers(db: TestDatabase, count: number, types: string[], metadataTypes = types) {
  const read = () => db.store.readCommitted({ transactionId: '0', position: 0 }, 10, types, db.pool, metadataTypes);
  let result = await read();
  for (let attempt = 0; attempt < 500 && result.events.length < count; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    result = await read();
  }
  return result;
}

t.test('a read in commit order carries payloads and metadata only for the types asked for', async (t) => {
  const db = await createTestDatabase(t);
  const streamId = uuid();
  await db.store.append({ streamId, streamType: 'thing', expectedVersion: 0, events: [event('A', { a: 1 }), event('B', { b: 2 }), event('C', { c: 3 })] });
  const { events } = await readCommittedPastOthers(db, 3, ['A', 'B'], ['B']);
  t.same(
    events.map(({ type, data, metadata }) => ({ type, data, metadata })),
    [
      { type: 'A', data: { a: 1 }, metadata: null },
      { type: 'B', data: { b: 2 }, metadata: event('B').metadata },
      { type: 'C', data: null, metadata: null },
    ],
  );
});

t.test('a read in commit order says when committed events wait behind a transaction still in flight', async (t) => {
  const db = await createTestDatabase(t);
  const inFlight = await db.pool.connect();
  try {
    await inFlight.query('begin');
    await db.store.append({ streamId: uuid(), streamType: 'thing', expectedVersion: 0, events: [event('ThingMade')] }, inFlight);
    const committed = uuid();
    await db.store.append({ streamId: committed, streamType: 'thing', expectedVersion: 0, events: [event('ThingMade')] });

    const fenced = await db.store.readCommitted({ transactionId: '0', position: 0 }, 10, ['ThingMade']);
    t.same(fenced.events, [], 'the committed event is not handed out past the open transaction');
    t.equal(fenced.heldBack, true, 'and the reader is told it is there');

    await inFlight.query('rollback');
    const after = await readCommittedPastOthers(db, 1, ['ThingMade']);
    t.same(after.events.map((stored) => stored.streamId), [committed], 'once it has ended, the event is read');
  } finally {
    inFlight.release();
  }
});

t.test('a stream is read to its end, however long, unless a page is asked for', async (t) => {
  const db = await createTestDatabase(t);
  const streamId = uuid();
  const length = 10_050;
  await db.store.append({
    streamId,
    streamType: 'thing',
    expectedVersion: 0,
    events: Array.from({ length }, (_, index) => event('ThingCounted', { count: index + 1 })),
  });
  const all = await db.store.readStream(streamId);
  t.equal(all.length, length, 'every event, past the 10,000 a read once stopped at');
  t.equal(all.at(-1)!.streamVersion, length, 'the last one last');
  const page = await db.store.readStream(streamId, 10_000, 20);
  t.same(page.map((stored) => stored.streamVersion), Array.from({ length: 20 }, (_, index) => 10_001 + index), 'a page: the versions after the one given');
});
