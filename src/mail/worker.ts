import type pg from 'pg';
import type PgBoss from 'pg-boss';
import { listen } from '../../projections/listener.js';
import { deliverDueMail, smtpTransport, type DeliveryLog } from './delivery.js';
import { MAIL_CHANNEL } from './outbox.js';

export interface MailWorkerOptions {
  /** Started by the caller, who also stops it; shared with the other scheduled work of the process. */
  boss: PgBoss;
  connectionString: string;
  pool: pg.Pool;
  smtpUrl?: string;
  from: string;
  log: DeliveryLog & { error(obj: object, msg: string): void };
}

const QUEUE = 'mail';

/**
 * Drains the mail outbox. A NOTIFY from the enqueuing transaction wakes it at once; a pg-boss
 * schedule every minute retries failed deliveries and covers a lost notification.
 */
export async function startMailWorker(options: MailWorkerOptions) {
  const { log } = options;
  const transport = options.smtpUrl ? smtpTransport(options.smtpUrl, options.from) : undefined;
  const onError = (error: unknown) => log.error({ err: error }, 'mail worker error');
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  function drain(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await deliverDueMail(options.pool, transport, log).catch(onError);
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const { boss } = options;
  await boss.createQueue(QUEUE, { name: QUEUE, policy: 'stately', retryLimit: 0, expireInSeconds: 600 });
  await boss.schedule(QUEUE, '* * * * *', { reason: 'retry due mail' });
  await boss.work(QUEUE, { pollingIntervalSeconds: 5 }, async () => drain());
  const listener = listen(options.connectionString, MAIL_CHANNEL, () => void drain(), onError);
  await listener.ready;
  log.info({ smtp: transport !== undefined }, 'mail worker started');

  return {
    drain,
    async stop() {
      await listener.stop();
      stopped = true;
      await running;
      await boss.offWork(QUEUE);
      transport?.close();
    },
  };
}
