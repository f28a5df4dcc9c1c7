import pg from 'pg';

/**
 * Holds one LISTEN connection and calls `onNotify` for every notification on `channel`. Reconnects
 * with backoff after a lost connection, and calls `onNotify` once connected, since notifications
 * sent while disconnected are gone.
 */
export function listen(connectionString: string, channel: string, onNotify: () => void, onError: (error: unknown) => void) {
  let client: pg.Client | undefined;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let backoffMs = 100;

  async function connect() {
    if (stopped) return;
    const next = new pg.Client({ connectionString, application_name: `pams-listen-${channel}` });
    next.on('notification', () => onNotify());
    next.on('error', (error) => {
      onError(error);
      reconnect(next);
    });
    next.on('end', () => reconnect(next));
    try {
      await next.connect();
      await next.query(`listen ${channel}`);
      client = next;
      backoffMs = 100;
      onNotify();
    } catch (error) {
      onError(error);
      reconnect(next);
    }
  }

  function reconnect(broken: pg.Client) {
    if (stopped || retryTimer || (client && client !== broken)) return;
    client = undefined;
    broken.end().catch(() => {});
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, backoffMs);
    backoffMs = Math.min(backoffMs * 2, 5_000);
  }

  const ready = connect();
  return {
    ready,
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      await client?.end().catch(() => {});
    },
  };
}
