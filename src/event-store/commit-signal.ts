import type pg from 'pg';

export const EVENTS_CHANNEL = 'pams_events';

export interface CommitSignalOptions {
  onError?: (error: unknown) => void;
  /**
   * The least time between two NOTIFYs. Each NOTIFY is a transaction of its own and a wake-up of
   * every worker; under load, commits arrive every fraction of a millisecond and the workers gather
   * wake-ups for a few milliseconds anyway.
   */
  minIntervalMs?: number;
}

/**
 * Wakes the projection workers after appends commit, with one NOTIFY for any number of commits.
 * Sent outside the appending transaction, so commands never queue on PostgreSQL's notification
 * lock, and never awaited by a command: its answer does not wait for the wake-up. A commit while a
 * NOTIFY is pending or on its way asks for one more after it, so no commit is left unannounced
 * behind a NOTIFY sent before it. A NOTIFY that fails is only a late wake-up: the workers'
 * pg-boss schedule finds the events anyway.
 */
export function createCommitSignal(pool: Pick<pg.Pool, 'query'>, options: CommitSignalOptions = {}) {
  const minIntervalMs = options.minIntervalMs ?? 10;
  const onError = options.onError ?? (() => {});
  let sending: Promise<void> | undefined;
  let again = false;
  let lastSentAt = -Infinity;

  async function sendUntilQuiet() {
    do {
      again = false;
      const wait = lastSentAt + minIntervalMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
      lastSentAt = performance.now();
      try {
        await pool.query({ name: 'pams_notify_events', text: `select pg_notify('${EVENTS_CHANNEL}', '')` });
      } catch (error) {
        onError(error);
      }
    } while (again);
  }

  return {
    /** Some appends have just committed. */
    committed(): void {
      if (sending) {
        again = true;
        return;
      }
      sending = sendUntilQuiet().finally(() => {
        sending = undefined;
      });
    },
    /** Resolves once every requested wake-up is sent (before a pool is closed). */
    async settled(): Promise<void> {
      while (sending) await sending;
    },
  };
}

export type CommitSignal = ReturnType<typeof createCommitSignal>;
