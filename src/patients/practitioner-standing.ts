import type { EventStore } from '../event-store/store.js';
import type { StoredEvent } from '../event-store/types.js';

/** What the patient record needs to know about a practitioner: may they care for patients yet? */
export type PractitionerStanding = 'unknown' | 'pending' | 'verified';

// The practitioner profile is its own slice (src/practitioners/); its stream is the source of truth.
// Only these facts matter here, so this fold reads them and steps over every other event.
export const PRACTITIONER_STREAM = 'practitioner';

export function standingOf(history: readonly Pick<StoredEvent, 'streamType' | 'type'>[]): PractitionerStanding {
  let standing: PractitionerStanding = 'unknown';
  for (const event of history) {
    if (event.streamType !== PRACTITIONER_STREAM) return 'unknown';
    if (event.type === 'PractitionerRegistered') standing = 'pending';
    if (event.type === 'PractitionerVerified' && standing !== 'unknown') standing = 'verified';
  }
  return standing;
}

/** Reads the practitioner's stream (not a projection): a verification is honoured the moment it is recorded. */
export async function readPractitionerStanding(store: EventStore, practitionerId: string): Promise<PractitionerStanding> {
  return standingOf(await store.readStream(practitionerId));
}
