import t from 'tap';
import { v4 as uuid } from 'uuid';
import { ConcurrencyConflict, IdempotencyKeyInUse, ReliedOnStreamChanged, UniqueValueTaken } from '../../src/event-store/errors.js';
import type { NewEvent } from '../../src/event-store/types.js';
import { createTestDatabase } from '../helpers/database.js';

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
    await store.append({ streamId: uuid(), streamType: 'thing', expectedVersion: 0, events: [event('A')], claims: [{ scope: 'mrn', value }] });
    t.pass('the released value was claimed by another stream');
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
  const events = await db.store.readCommitted({ transactionId: '0', position: 0 }, 10, ['A']);
  t.same(
    events.map((stored) => [stored.transactionId, stored.position]),
    [
      ['9', 2],
      ['10', 1],
    ],
  );
  t.ok(await db.store.hasEventsAfter({ transactionId: '9', position: 2 }), 'transaction 10 lies beyond transaction 9');
});
