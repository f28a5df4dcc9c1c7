import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { invalid, unavailable } from '../errors.js';
import type { EventStore } from '../event-store/store.js';
import { hasPassed, readCheckpoint } from '../../projections/checkpoints.js';

/**
 * Read-your-writes: waits until `projection` reflects the event at `position` (from a command's
 * response), for at most `timeoutMs`. Polls with a short backoff; the wait is rare and brief.
 */
export async function awaitProjection(
  pool: pg.Pool,
  store: EventStore,
  projection: string,
  position: number | undefined,
  timeoutMs: number,
): Promise<void> {
  if (position === undefined) return;
  const target = await store.cursorAt(position);
  if (!target) {
    throw invalid([{ in: 'headers', field: 'consistent-with', message: 'is not the position of any recorded event' }]);
  }
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    const checkpoint = await readCheckpoint(pool, projection);
    if (checkpoint && hasPassed(checkpoint, target)) return;
    if (Date.now() >= deadline) break;
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
  }
  throw unavailable(
    `The ${projection} read model has not yet caught up with position ${position}; retry shortly.`,
    1,
  );
}
