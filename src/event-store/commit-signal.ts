import type pg from 'pg';

export const EVENTS_CHANNEL = 'pams_events';

/**
 * Wakes the projection workers after appends commit, with one NOTIFY for any number of commits.
 * Sent outside the appending transaction, so commands never queue on PostgreSQL's notification
 * lock, and never awaited by a command: its answer does not wait for the wake-up. While a NOTIFY
 * is on its way, further commits ask for one more after it, so a commit is never left unannounced
 * behind a NOTIFY that was sent before it. A NOTIFY that fails is only a late wake-up: the
 * workers' pg-boss schedule finds the events anyway.
 */
export function createCommitSignal(pool: Pick<pg.Pool, 'query'>, onError: (error: unknown) => void = () => {}) {
  let sending: Promise<void> | undefined;
  let again = false;

  async function sendUntilQuiet() {
    do {
      again = false;
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
