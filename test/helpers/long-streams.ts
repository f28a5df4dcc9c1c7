import { v7 as uuidv7 } from 'uuid';
import type { EventStore } from '../../src/event-store/store.js';
import type { DomainEvent } from '../../src/event-store/types.js';

/** More events than a stream read once stopped at (10,000): what every fold must read to its end. */
export const LONG_STREAM = 10_050;

/**
 * Appends `events` at the end of an existing stream in one append, as recorded facts: a history
 * of thousands of events without thousands of requests.
 */
export async function appendToStream(store: EventStore, streamId: string, events: DomainEvent[]) {
  const { last } = await store.readStreamToFold(streamId);
  if (!last) throw new Error(`no stream ${streamId}`);
  const metadata = { actorId: uuidv7(), actorRole: 'admin' };
  return store.append({
    streamId,
    streamType: last.streamType,
    expectedVersion: last.version,
    events: events.map((event) => ({ ...event, eventId: uuidv7(), schemaVersion: 1, metadata, recordedAt: new Date() })),
  });
}
