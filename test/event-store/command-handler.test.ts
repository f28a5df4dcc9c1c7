import t from 'tap';
import { v4 as uuid } from 'uuid';
import { handleCommand } from '../../src/event-store/command-handler.js';
import type { Decider } from '../../src/event-store/decider.js';
import { ConcurrencyConflict } from '../../src/event-store/errors.js';
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
