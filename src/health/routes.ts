import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Kysely } from 'kysely';
import { pendingMigrations, type Database } from '../db.js';
import type { AppDeps } from '../http/deps.js';
import { START } from '../../projections/checkpoints.js';
import { projections } from '../../projections/registry.js';

const LAG_COUNT_CAP = 100_000;

const Readiness = Type.Object({
  status: Type.Enum(['ready', 'not-ready']),
  database: Type.Boolean(),
  pendingMigrations: Type.Array(Type.String()),
  projections: Type.Array(
    Type.Object({
      name: Type.String(),
      position: Type.Integer({ description: 'Position of the last event folded in' }),
      behind: Type.Integer({ description: `Events not yet folded in (counted up to ${LAG_COUNT_CAP})` }),
      updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    }),
  ),
});

export function healthRoutes({ pool, store, kysely }: AppDeps & { kysely: Kysely<Database> }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/health/live',
      { config: { access: { public: true } }, schema: { summary: 'The process is up', tags: ['health'], response: { 200: Type.Object({ status: Type.Literal('live') }) } } },
      async () => ({ status: 'live' as const }),
    );

    app.get(
      '/health/ready',
      {
        config: { access: { public: true } },
        schema: {
          summary: 'Database reachable, migrations applied, and how far behind each projection is',
          tags: ['health'],
          response: { 200: Readiness, 503: Readiness },
        },
      },
      async (_request, reply) => {
        try {
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
          const ready = pending.length === 0;
          return reply.code(ready ? 200 : 503).send({
            status: ready ? 'ready' : 'not-ready',
            database: true,
            pendingMigrations: pending,
            projections: lags,
          });
        } catch (error) {
          reply.log.warn({ err: error }, 'readiness check failed');
          return reply.code(503).send({ status: 'not-ready', database: false, pendingMigrations: [], projections: [] });
        }
      },
    );
  };
}
