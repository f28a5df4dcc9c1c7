/**
 * The default number of round trips (stream reads and appends together, round-trips.ts) one process
 * has in flight at once (ROUND_TRIP_LANES). One: the bigger groups save more than the waiting
 * behind one commit costs. A second lane lifted PATCH /patients/{id} at 50 connections but not at
 * 10, and made the projection lag's tail at half load, and the commands' own with it, longer in
 * every run (bench/README.md, "One lane").
 */
export const ROUND_TRIP_LANES = 1;

/**
 * The most requests one group carries. PostgreSQL keeps 64 subtransactions per transaction in
 * shared memory, past which every snapshot taken on the server gets slower; each grouped append is one.
 */
export const MAX_GROUP = 32;

/** What became of one request sent in a group. */
export type GroupedOutcome<Result> =
  | { result: Result }
  | { error: unknown }
  /** Failed, or was left out, for the group's sake (a deadlock between groups, an id that would fail the whole query): send it alone. */
  | { retryAlone: true };

export interface RoundTripGroupOptions<Request, Result> {
  /** Round trips (alone or grouped) in flight at once; a request that finds them all busy waits for the next group. */
  lanes: number;
  /** The most requests one group carries. */
  maxGroup: number;
  sendAlone(request: Request): Promise<Result>;
  /** One round trip for all of `requests`, each succeeding or failing on its own. */
  sendGroup(requests: Request[]): Promise<GroupedOutcome<Result>[]>;
}

interface Waiting<Request, Result> {
  request: Request;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/**
 * Lets concurrent requests to the database share round trips. Requests leave at the end of the
 * turn of the event loop that made them, together, on a free lane (a request alone in its turn goes
 * alone, so a quiet server answers as fast as before); once every lane is busy, requests wait and
 * leave together with the next free lane. Under load each round trip, wake-up and (for appends)
 * commit of the database then serves several commands, each for less CPU than alone (bench/README.md).
 */
export function createRoundTripGroups<Request, Result>(options: RoundTripGroupOptions<Request, Result>) {
  const waiting: Waiting<Request, Result>[] = [];
  let inFlight = 0;
  let dispatchScheduled = false;

  async function sendGroup(group: Waiting<Request, Result>[]): Promise<void> {
    if (group.length === 1) {
      const [only] = group as [Waiting<Request, Result>];
      await options.sendAlone(only.request).then(only.resolve, only.reject);
      return;
    }
    let outcomes: GroupedOutcome<Result>[];
    try {
      outcomes = await options.sendGroup(group.map((member) => member.request));
    } catch (error) {
      for (const member of group) member.reject(error);
      return;
    }
    group.forEach((member, index) => {
      const outcome = outcomes[index]!;
      if ('result' in outcome) member.resolve(outcome.result);
      else if ('error' in outcome) member.reject(outcome.error);
      else options.sendAlone(member.request).then(member.resolve, member.reject);
    });
  }

  function dispatch(): void {
    dispatchScheduled = false;
    while (inFlight < options.lanes && waiting.length > 0) {
      const group = waiting.splice(0, options.maxGroup);
      inFlight += 1;
      void sendGroup(group).finally(() => {
        inFlight -= 1;
        scheduleDispatch();
      });
    }
  }

  // Not at once: at the end of this turn of the event loop, so that all it brings in leaves as one
  // group. The reads of the HTTP requests parsed in one turn, and what each command whose round
  // trip just came back sends next (its append, a few promise steps later), then go together; sent
  // at once, the first went alone and the rest waited a whole round trip behind it, and each
  // command woke the machine more often (bench/README.md, "Requests leave at the end of the event
  // loop's turn").
  function scheduleDispatch(): void {
    if (dispatchScheduled) return;
    dispatchScheduled = true;
    setImmediate(dispatch);
  }

  return {
    send(request: Request): Promise<Result> {
      return new Promise<Result>((resolve, reject) => {
        waiting.push({ request, resolve, reject });
        scheduleDispatch();
      });
    },
  };
}
