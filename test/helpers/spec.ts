import type { Decider, Rejection } from '../../src/event-store/decider.js';
import type { DomainEvent } from '../../src/event-store/types.js';

// Shaped so that tap's own Test (whose message parameter is a rest tuple) is assignable to it.
interface Assert {
  same(found: unknown, wanted: unknown, ...message: [] | [string]): unknown;
  match(found: unknown, pattern: unknown, ...message: [] | [string]): unknown;
}

/**
 * Given these events, when this command, then these events / this rejection / nothing.
 * Decider specs need no database: the rules are pure.
 */
export function specFor<Command, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>) {
  return (t: Assert) => ({
    given: (...history: Event[]) => ({
      when: (command: Command) => {
        const state = history.reduce(decider.evolve, decider.initialState());
        const outcome = decider.decide(command, state);
        return {
          then: (expected: Event[]) => t.same(outcome, expected),
          thenNothing: () => t.same(outcome, [], 'nothing to do: no events'),
          thenRejected: (expected: Partial<Rejection>) => t.match(outcome, expected),
        };
      },
    }),
  });
}
