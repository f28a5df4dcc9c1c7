import type { Decider } from './decider.js';
import type { FoldedState } from './recent-states.js';
import type { EventStore } from './store.js';
import type { DomainEvent, Queryable } from './types.js';

export type StreamFold<State> =
  | { stream: 'none' }
  | { stream: 'of another type' }
  | ({ stream: 'folded' } & FoldedState<State>);

/**
 * A stream as `decider` folds it, read to its end: the latest snapshot saved under the decider's
 * name and every event after it, however many. The one way to read a stream in order to decide
 * something (a command, whether an account may sign in, who reaches a record): a decision made on
 * part of a stream would miss whatever its tail says, a deactivation or a removal from a care team.
 */
export async function foldStream<Command, Event extends DomainEvent, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  streamId: string,
  on?: Queryable,
): Promise<StreamFold<State>> {
  const { snapshot, events, last } = await store.readStreamToFold(streamId, decider.snapshotName, on);
  if (!last) return { stream: 'none' };
  if (last.streamType !== decider.streamType) return { stream: 'of another type' };
  const state = events.reduce(
    (current, event) => decider.evolve(current, event as Event),
    snapshot ? (snapshot.state as State) : decider.initialState(),
  );
  return { stream: 'folded', state, version: last.version, position: last.position, sinceSnapshot: events.length };
}
