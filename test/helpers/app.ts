import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp, type App } from '../../src/app.js';
import { signAccessToken } from '../../src/auth/tokens.js';
import type { Role } from '../../src/auth/roles.js';
import { loadConfig } from '../../src/config.js';
import type { PasswordHashing } from '../../src/accounts/password-hashing.js';
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

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-000';

export interface TestAppOptions {
  now?: () => Date;
  consistencyTimeoutMs?: number;
  /** Environment variables beyond the tests' own, as the process would read them. */
  env?: Record<string, string>;
  passwords?: PasswordHashing;
}

export async function createTestApp(t: Teardown, options: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase(t);
  const config = {
    // The cheapest password hashing config allows, and no limit on how many at once or how often
    // from one address: tests sign up and in by the hundred, all from 127.0.0.1.
    ...loadConfig({
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'silent',
      PASSWORD_HASH_COST: '10',
      PASSWORD_HASH_CONCURRENCY: '64',
      AUTH_RATE_LIMIT_MAX: '1000000',
      ...options.env,
    }),
    CONSISTENCY_TIMEOUT_MS: options.consistencyTimeoutMs ?? 200,
  };
  const app = await buildApp(
    {
      config,
      pool: db.pool,
      kysely: db.kysely,
      store: db.store,
      clock: options.now ?? (() => new Date()),
      ...(options.passwords ? { passwords: options.passwords } : {}),
    },
    { logger: false },
  );
  t.teardown(() => app.close());
  return {
    app,
    db,
    async project() {
      await projectEverything(db);
    },
    token: (caller) =>
      signAccessToken(app, {
        sub: caller.id,
        role: caller.role,
        sid: randomUUID(),
        ...(caller.patientId ? { pid: caller.patientId } : {}),
        ...(caller.practitionerId ? { prid: caller.practitionerId } : {}),
      }),
  };
}

/**
 * Folds every pending event into every projection, as the workers would. The fence is
 * cluster-wide, so a transaction open in another test's database can hold events back for a
 * moment: keep going until nothing committed is left behind.
 */
export async function projectEverything(db: TestDatabase, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  const client = await db.pool.connect();
  try {
    for (;;) {
      const outcome = await runBatch(client, db.store, projections, 1000, { skipIfBusy: false });
      if (outcome.busy) throw new Error('the projections are locked by another runner');
      if (outcome.processed > 0) continue;
      if (!outcome.heldBack) break;
      if (Date.now() > deadline) throw new Error(`the projections did not catch up within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    client.release();
  }
}

export function json<T = any>(response: LightMyRequestResponse): T {
  return response.json() as T;
}
