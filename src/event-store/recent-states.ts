import { setBounded } from '../bounded-map.js';

/** The default number of streams remembered per decider (RECENT_STATES_PER_DECIDER). */
export const RECENT_STATES_PER_DECIDER = 5000;

/** A stream's state folded up to `version`, as a command last saw it. */
export interface FoldedState<State> {
  state: State;
  version: number;
  position: number;
  /** How many of its events lie past the stream's latest snapshot (all of them when it has none). */
  sinceSnapshot: number;
}

/**
 * The folded states of the streams this process read or appended to last, so that a command on one
 * of them can decide without reading the stream again. Nothing here is trusted: the append is made
 * at the remembered version, and the database refuses it if the stream has moved on since.
 *
 * Kept per decider (two deciders may fold one stream differently) and least recently used first
 * out, `capacity` streams each; 0 remembers nothing.
 */
export function createRecentStates(capacity: number) {
  const byDecider = new WeakMap<object, Map<string, FoldedState<unknown>>>();

  function statesOf(decider: object): Map<string, FoldedState<unknown>> {
    let states = byDecider.get(decider);
    if (!states) byDecider.set(decider, (states = new Map()));
    return states;
  }

  return {
    recall<State>(decider: object, streamId: string): FoldedState<State> | undefined {
      const states = statesOf(decider);
      const folded = states.get(streamId);
      if (folded) setBounded(states, streamId, folded, capacity);
      return folded as FoldedState<State> | undefined;
    },

    remember<State>(decider: object, streamId: string, folded: FoldedState<State>): void {
      setBounded(statesOf(decider), streamId, folded, capacity);
    },

    forget(decider: object, streamId: string): void {
      byDecider.get(decider)?.delete(streamId);
    },
  };
}

export type RecentStates = ReturnType<typeof createRecentStates>;
