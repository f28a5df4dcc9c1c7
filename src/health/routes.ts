import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Kysely } from 'kysely';
import { pendingMigrations, type Database } from '../db.js';
import type { AppDeps } from '../http/deps.js';
import { START } from '../../projections/checkpoints.js';
import { projections } from '../../projections/registry.js';

const LAG_COUNT_CAP = 100_000;

const Details = {
  pendingMigrations: Type.Array(Type.String()),
  projections: Type.Array(
    Type.Object({
      name: Type.String(),
      position: Type.Integer({ description: 'Position of the last event folded in' }),
      behind: Type.Integer({ description: `Events not yet folded in (counted up to ${LAG_COUNT_CAP})` }),
      updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    }),
  ),
};
const StatusFields = { status: Type.Enum(['ready', 'not-ready']), database: Type.Boolean() };
const Readiness = Type.Object({ ...StatusFields, ...Type.Partial(Type.Object(Details)).properties });
const HealthDetails = Type.Object({ ...StatusFields, ...Details });

type Status = 'ready' | 'not-ready';

const unreachable = (withDetails: boolean) => ({
  status: 'not-ready' as Status,
  database: false,
  ...(withDetails ? { pendingMigrations: [], projections: [] } : {}),
});

/** 200 when ready, 503 otherwise; a database that cannot be asked is not ready. */
async function answer(reply: FastifyReply, check: () => Promise<{ status: Status }>, whenUnreachable: { status: Status }) {
  try {
    const body = await check();
    return reply.code(body.status === 'ready' ? 200 : 503).send(body);
  } catch (error) {
    reply.log.warn({ err: error }, 'readiness check failed');
    return reply.code(503).send(whenUnreachable);
  }
}

export function healthRoutes({ pool, store, kysely, config }: AppDeps & { kysely: Kysely<Database> }): FastifyPluginAsyncTypebox {
  // Applied migrations stay applied: once none is pending, a readiness check only asks whether
  // the database answers.
  let migrated = false;
  async function ready(): Promise<boolean> {
    if (migrated) {
      await pool.query('select 1');
      return true;
    }
    migrated = (await pendingMigrations(kysely)).length === 0;
    return migrated;
  }

  async function details() {
    const pending = await pendingMigrations(kysely);
    const checkpoints = await pool.query<{ name: string; transaction_id: string; position: number; updated_at: Date }>(
      `select name, last_transaction_id::text as transaction_id, last_position as position, updated_at
       from projection_checkpoints`,
    );
    const byName = new Map(checkpoints.rows.map((row) => [row.name, row]));
    const lags = await Promise.all(
      projections.map(async (projection) => {
        const row = byName.get(projection.name);
        const checkpoint = row ? { transactionId: row.transaction_id, position: row.position } : START;
        return {
          name: projection.name,
          position: checkpoint.position,
          behind: await store.countAfter(checkpoint, LAG_COUNT_CAP),
          updatedAt: row?.updated_at.toISOString() ?? null,
        };
      }),
    );
    const status: Status = pending.length === 0 ? 'ready' : 'not-ready';
    return { status, database: true, pendingMigrations: pending, projections: lags };
  }

  return async (app) => {
    app.get(
      '/health/live',
      {
        config: { access: { public: true } },
        schema: {
          operationId: 'checkLiveness',
          summary: 'The process is up',
          tags: ['health'],
          response: { 200: Type.Object({ status: Type.Literal('live') }) },
        },
      },
      async () => ({ status: 'live' as const }),
    );

    // Public, so probes and load balancers need no token: it says only whether to send traffic,
    // and costs a query, since anyone may call it as often as they like.
    app.get(
      '/health/ready',
      {
        config: { access: { public: true } },
        schema: {
          operationId: 'checkReadiness',
          summary: config.HEALTH_DETAILS
            ? 'Database reachable and migrations applied, with the details of GET /health/details'
            : 'Database reachable and migrations applied',
          tags: ['health'],
          response: { 200: Readiness, 503: Readiness },
        },
      },
      async (_request, reply) =>
        config.HEALTH_DETAILS
          ? answer(reply, details, unreachable(true))
          : answer(reply, async () => ({ status: (await ready()) ? 'ready' : 'not-ready', database: true }), unreachable(false)),
    );

    app.get(
      '/health/details',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          operationId: 'getHealthDetails',
          summary: 'Readiness with the pending migrations and how far behind each projection is',
          tags: ['health'],
          response: { 200: HealthDetails, 503: HealthDetails },
        },
      },
      async (_request, reply) => answer(reply, details, unreachable(true)),
    );
  };
}
