import type { DomainEvent, StoredEvent } from '../src/event-store/types.js';

/**
 * An event as a projection receives it: with its metadata (who, on whose authority) only if the
 * projection reads it. Most never do, and parsing it for every event was a visible share of a
 * rebuild's CPU (bench/README.md). Distributed over the union, so that a `switch` on `type`
 * narrows `data`.
 */
export type ProjectedEvent<Event extends DomainEvent, ReadsMetadata extends boolean = false> = Event extends DomainEvent
  ? ReadsMetadata extends true
    ? StoredEvent<Event>
    : Omit<StoredEvent<Event>, 'metadata'>
  : never;

/** What `apply` returns to remove the row: a deletion is always said, never left to a missing case. */
export const DELETE_ROW = Symbol('DELETE_ROW');

/**
 * The event types a projection folds, written as an object so that the compiler holds the list to
 * the projection's event union both ways: a type left out, or one the union lacks, does not compile.
 */
export function eventTypes<Event extends DomainEvent>(types: { [Type in Event['type']]: true }): readonly Event['type'][] {
  return Object.keys(types) as Event['type'][];
}

/**
 * A read model as a pure function of the event history: one row per key, folded event by event.
 * Its `name` is also its table, its pg-boss queue and its checkpoint key. The runner does the I/O.
 */
export type Projection<Row extends object, Event extends DomainEvent, ReadsMetadata extends boolean = false> = {
  name: string;
  /** Events this projection reads; the runner steps over all others without loading their payload. */
  eventTypes: readonly Event['type'][];
  /** The columns the projection writes (generated columns are left to the database). */
  columns: readonly (keyof Row & string)[];
  /** The primary-key column, whose value `keyOf` returns. */
  key: keyof Row & string;
  keyOf(event: ProjectedEvent<Event, ReadsMetadata>): string;
  /**
   * The row after `event`; `DELETE_ROW` to remove it; `undefined` when there is no row and the event
   * makes none (a row that exists stays as it is). Never rejects an event.
   */
  apply(row: Row | undefined, event: ProjectedEvent<Event, ReadsMetadata>): Row | typeof DELETE_ROW | undefined;
} & (ReadsMetadata extends true ? { readsMetadata: true } : { readsMetadata?: false });

export type AnyProjection = Projection<any, any, boolean>;
