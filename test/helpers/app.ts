import type { LightMyRequestResponse } from 'fastify';
import { buildApp, type App } from '../../src/app.js';
import { signAccessToken } from '../../src/auth/tokens.js';
import type { Role } from '../../src/auth/roles.js';
import { loadConfig } from '../../src/config.js';
import { projections } from '../../projections/registry.js';
import { runBatch } from '../../projections/runner.js';
import { createTestDatabase, type TestDatabase } from './database.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Caller {
  role: Role;
  id: string;
  patientId?: string;
  practitionerId?: string;
}

export interface TestApp {
  app: App;
  db: TestDatabase;
  /** Folds every pending event into every projection, as the workers would. */
  project(): Promise<void>;
  /** A bearer token for someone in `role`. */
  token(caller: Caller): string;
}

export async function createTestApp(t: Teardown, options: { now?: () => Date; consistencyTimeoutMs?: number } = {}): Promise<TestApp> {
  const db = await createTestDatabase(t);
  const config = {
    ...loadConfig({ JWT_SECRET: 'test-secret-test-secret-test-secret-000', LOG_LEVEL: 'silent' }),
    CONSISTENCY_TIMEOUT_MS: options.consistencyTimeoutMs ?? 200,
  };
  const app = await buildApp(
    { config, pool: db.pool, kysely: db.kysely, store: db.store, clock: options.now ?? (() => new Date()) },
    { logger: false },
  );
  t.teardown(() => app.close());
  return {
    app,
    db,
    async project() {
      const client = await db.pool.connect();
      try {
        for (const projection of projections) {
          // Transaction ids and the snapshot fence are server-wide: a transaction open in another
          // database on the same server (another test file, a benchmark) briefly fences off events
          // that are already committed here. Wait for them (bounded) rather than return half done.
          const deadline = Date.now() + 5000;
          for (;;) {
            const outcome = await runBatch(client, db.store, projection, 1000, false);
            if (outcome.busy) break;
            if (outcome.processed > 0) continue;
            if (!(await db.store.hasEventsAfter(outcome.cursor)) || Date.now() > deadline) break;
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        }
      } finally {
        client.release();
      }
    },
    token: (caller) =>
      signAccessToken(app, {
        sub: caller.id,
        role: caller.role,
        ...(caller.patientId ? { pid: caller.patientId } : {}),
        ...(caller.practitionerId ? { prid: caller.practitionerId } : {}),
      }),
  };
}

export function json<T = any>(response: LightMyRequestResponse): T {
  return response.json() as T;
}
