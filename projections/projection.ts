import type { StoredEvent } from '../src/event-store/types.js';

/**
 * A read model as a pure function of the event history: one row per key, folded event by event.
 * Its `name` is also its table, its pg-boss queue and its checkpoint key. The runner does the I/O.
 */
export interface Projection<Row extends object> {
  name: string;
  /** Events this projection reads; the runner steps over all others without loading their payload. */
  eventTypes: readonly string[];
  /** The columns the projection writes (generated columns are left to the database). */
  columns: readonly (keyof Row & string)[];
  /** The primary-key column, whose value `keyOf` returns. */
  key: keyof Row & string;
  jsonColumns: readonly (keyof Row & string)[];
  keyOf(event: StoredEvent): string;
  /** The row after `event`; `undefined` when the event leaves no row. Never rejects an event. */
  apply(row: Row | undefined, event: StoredEvent): Row | undefined;
}

export type AnyProjection = Projection<any>;
