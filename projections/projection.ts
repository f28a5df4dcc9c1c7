import type { StoredEvent } from '../src/event-store/types.js';

/**
 * An event as a projection receives it: with its metadata (who, on whose authority) only if the
 * projection reads it. Most never do, and parsing it for every event was a visible share of a
 * rebuild's CPU (bench/README.md).
 */
export type ProjectedEvent<ReadsMetadata extends boolean = false> = ReadsMetadata extends true
  ? StoredEvent
  : Omit<StoredEvent, 'metadata'>;

/**
 * A read model as a pure function of the event history: one row per key, folded event by event.
 * Its `name` is also its table, its pg-boss queue and its checkpoint key. The runner does the I/O.
 */
export type Projection<Row extends object, ReadsMetadata extends boolean = false> = {
  name: string;
  /** Events this projection reads; the runner steps over all others without loading their payload. */
  eventTypes: readonly string[];
  /** The columns the projection writes (generated columns are left to the database). */
  columns: readonly (keyof Row & string)[];
  /** The primary-key column, whose value `keyOf` returns. */
  key: keyof Row & string;
  jsonColumns: readonly (keyof Row & string)[];
  keyOf(event: ProjectedEvent<ReadsMetadata>): string;
  /** The row after `event`; `undefined` when the event leaves no row. Never rejects an event. */
  apply(row: Row | undefined, event: ProjectedEvent<ReadsMetadata>): Row | undefined;
} & (ReadsMetadata extends true ? { readsMetadata: true } : { readsMetadata?: false });

export type AnyProjection = Projection<any, boolean>;
