import type { Config } from './config.js';
import { connect, migrateToLatest, type Db } from './db.js';
import type { EmbeddedDatabase } from './embedded-postgres.js';
import { createCommitSignal } from './event-store/commit-signal.js';
import { createEventStore, type EventStore } from './event-store/store.js';

/**
 * Loaded only when used, and without the SIGINT/SIGTERM handlers the package installs on import:
 * they stop the database and exit at once, cutting short our graceful shutdown, which stops the
 * embedded database itself once requests and batches in flight are done.
 */
async function importEmbeddedPostgres() {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const module = await import('./embedded-postgres.js');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return module;
}

export interface Runtime {
  config: Config;
  connectionString: string;
  db: Db;
  store: EventStore;
  /** Closes the pool and, if this process started it, the embedded database. */
  close(): Promise<void>;
}

/**
 * Configuration, database (the given DATABASE_URL, or an embedded PostgreSQL under ./data when
 * `allowEmbedded`), migrations and the event store: what every entry point starts with.
 */
export async function startRuntime(
  config: Config,
  options: {
    allowEmbedded: boolean;
    /** Use the embedded database a running server holds, instead of refusing (command-line tools). */
    attachToRunning?: boolean;
    applicationName: string;
    log?: (line: string) => void;
  },
): Promise<Runtime> {
  let embedded: EmbeddedDatabase | undefined;
  let connectionString = config.DATABASE_URL;
  if (!connectionString) {
    if (!options.allowEmbedded) {
      throw new Error('DATABASE_URL is not set. Set it, or use `npm start`, which runs an embedded PostgreSQL.');
    }
    const { runningEmbeddedUrl, startEmbeddedPostgres } = await importEmbeddedPostgres();
    connectionString = options.attachToRunning ? runningEmbeddedUrl(config.EMBEDDED_PG_DIR) : undefined;
    if (!connectionString) {
      embedded = await startEmbeddedPostgres({ dataDir: config.EMBEDDED_PG_DIR, port: config.EMBEDDED_PG_PORT, log: options.log });
      connectionString = embedded.url;
    }
  }
  const db = connect(connectionString, config.DATABASE_POOL_SIZE, options.applicationName);
  try {
    await migrateToLatest(db.kysely);
  } catch (error) {
    await db.close();
    await embedded?.stop();
    throw error;
  }
  // A lost wake-up only delays projections until the workers' next scheduled look.
  const store = createEventStore(db.pool, {
    signal: createCommitSignal(db.pool, {
      onError: (error) => options.log?.(`could not wake the projection workers: ${(error as Error).message}`),
    }),
    recentStatesPerDecider: config.RECENT_STATES_PER_DECIDER,
    roundTripLanes: config.ROUND_TRIP_LANES,
  });
  return {
    config,
    connectionString,
    db,
    store,
    async close() {
      await store.settled();
      await db.close();
      await embedded?.stop();
    },
  };
}
