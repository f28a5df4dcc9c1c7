import type { DomainEvent, StoredEvent } from '../../src/event-store/types.js';
import { DELETE_ROW, type ProjectedEvent, type Projection } from '../../projections/projection.js';

/** Folds events into rows by key in memory, as the row store does in the table. */
export function foldRows<Row extends object, Event extends DomainEvent, ReadsMetadata extends boolean>(
  projection: Projection<Row, Event, ReadsMetadata>,
  events: readonly StoredEvent[],
  rows = new Map<string, Row>(),
): Map<string, Row> {
  const result = new Map(rows);
  const folded = events.filter((event) => (projection.eventTypes as readonly string[]).includes(event.type));
  for (const event of folded as unknown as ProjectedEvent<Event, ReadsMetadata>[]) {
    const key = projection.keyOf(event);
    const next = projection.apply(result.get(key), event);
    if (next === DELETE_ROW) result.delete(key);
    else if (next !== undefined) result.set(key, next);
  }
  return result;
}
