import { setBounded } from '../bounded-map.js';
import type { EventStore } from '../event-store/store.js';
import { ReliedOnStreamChanged } from '../event-store/errors.js';
import type { StoredEvent, StreamVersion } from '../event-store/types.js';
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

export interface StandingRead {
  standing: PractitionerStanding;
  /** The version of the practitioner's stream it was read at (0: no such stream). */
  version: number;
}

/** Reads the practitioner's stream (not a projection): a verification counts the moment it is recorded. */
async function readPractitionerStanding(store: EventStore, practitionerId: string): Promise<StandingRead> {
  const history = await store.readStream(practitionerId);
  return { standing: standingOf(history), version: history.at(-1)?.streamVersion ?? 0 };
}

/**
 * Practitioners' standing for the commands that depend on it, read once per process and then
 * trusted only as far as the append confirms it: the command sends the version it relied on with
 * its events (`reliesOn`), the append refuses if the practitioner's record has moved since, and
 * the command is decided once more on a fresh read. A registration by a known practitioner thus
 * costs one round trip, and a change to their standing made meanwhile (in any process) is never
 * missed. Only verified practitioners are remembered: anyone else is read every time.
 */
export function createStandingReader(store: EventStore, capacity = 10_000) {
  const verifiedAt = new Map<string, number>();

  async function read(practitionerId: string): Promise<StandingRead> {
    const version = verifiedAt.get(practitionerId);
    if (version !== undefined) return { standing: 'verified', version };
    const fresh = await readPractitionerStanding(store, practitionerId);
    if (fresh.standing === 'verified') {
      setBounded(verifiedAt, practitionerId, fresh.version, capacity);
    }
    return fresh;
  }

  return {
    /** Runs `work` on the practitioner's standing; once more on a fresh read if the append finds it moved. */
    async withStanding<T>(practitionerId: string, work: (read: StandingRead, reliesOn: StreamVersion[]) => Promise<T>): Promise<T> {
      const attempt = async () => {
        const current = await read(practitionerId);
        return work(current, [{ streamId: practitionerId, version: current.version }]);
      };
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof ReliedOnStreamChanged)) throw error;
        verifiedAt.delete(practitionerId);
        return attempt();
      }
    },
  };
}

export type StandingReader = ReturnType<typeof createStandingReader>;
