import type { EventStore } from '../event-store/store.js';
import type { StoredEvent } from '../event-store/types.js';
import { practitionerDecider } from '../practitioners/decider.js';
import { PRACTITIONER_STREAM, type PractitionerEvent } from '../practitioners/events.js';

/** What the patient record needs to know about a practitioner: may they care for patients yet? */
export type PractitionerStanding = 'unknown' | 'pending' | 'verified';

/** Folds the practitioner's stream with the practitioners slice's own rules: one truth about who is verified. */
export function standingOf(history: readonly StoredEvent[]): PractitionerStanding {
  if (history[0]?.streamType !== PRACTITIONER_STREAM) return 'unknown';
  const state = history.reduce(
    (current, event) => practitionerDecider.evolve(current, event as unknown as PractitionerEvent),
    practitionerDecider.initialState(),
  );
  return state.status === 'none' ? 'unknown' : state.status;
}

/** Reads the practitioner's stream (not a projection): a verification counts the moment it is recorded. */
export async function readPractitionerStanding(store: EventStore, practitionerId: string): Promise<PractitionerStanding> {
  return standingOf(await store.readStream(practitionerId));
}
