import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { Database } from '../db.js';
import { invalid, notFound } from '../errors.js';
import { awaitProjection } from '../http/consistency.js';
import type { AppDeps } from '../http/deps.js';
import { ConsistencyHeaders, decodeCursor, encodeCursor, Page, PageQuery, problems } from '../http/schemas.js';
import type { AccountDirectoryRow } from '../../projections/account-directory.js';
import { ROLES } from '../auth/roles.js';
import { loadAccount } from './lookup.js';
import { AccountListItem, Me } from './schemas.js';
import { isUuid } from '../ids.js';

const EVERYONE = ['patient', 'practitioner', 'admin', 'auditor'] as const;

const toListItem = (row: AccountDirectoryRow) => ({
  id: row.account_id,
  role: row.role,
  email: row.email,
  emailVerified: row.email_verified,
  phone: row.phone,
  username: row.username,
  firstName: row.first_name,
  lastName: row.last_name,
  active: row.active,
  patientId: row.patient_id,
  practitionerId: row.practitioner_id,
  registeredAt: row.registered_at.toISOString(),
});

/** Reads of accounts: your own (from its stream, so a change shows at once) and the admins' list. */
export function accountQueryRoutes({ kysely, store, pool, config }: AppDeps & { kysely: Kysely<Database> }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/users/me',
      {
        config: { access: { roles: EVERYONE } },
        schema: { operationId: 'getOwnAccount', summary: 'Your own account', tags: ['auth'], response: { 200: Me, ...problems(404) } },
      },
      async (request) => {
        const account = await loadAccount(store, request.actor.id!);
        if (!account) throw notFound('No such account.');
        return {
          id: account.accountId,
          role: account.role ?? request.actor.role,
          email: account.email,
          phone: account.phone,
          username: account.username,
          firstName: account.firstName,
          lastName: account.lastName,
          emailVerified: account.emailVerified,
          ...(account.patientId ? { patientId: account.patientId } : {}),
          ...(account.practitionerId ? { practitionerId: account.practitionerId } : {}),
        };
      },
    );

    app.get(
      '/accounts',
      {
        config: { access: { roles: ['admin', 'auditor'] } },
        schema: {
          operationId: 'listAccounts',
          summary: 'List accounts (account_directory projection), oldest first, keyset-paginated',
          tags: ['accounts'],
          headers: ConsistencyHeaders,
          querystring: Type.Object(
            { ...PageQuery, role: Type.Optional(Type.Enum([...ROLES])), active: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          response: { 200: Page(AccountListItem), ...problems(400, 503) },
        },
      },
      async (request) => {
        await awaitProjection(pool, store, 'account_directory', request.headers['consistent-with'], config.CONSISTENCY_TIMEOUT_MS);
        const { limit, cursor, role, active } = request.query;
        const after = cursor === undefined ? undefined : decodeCursor(cursor);
        if (cursor !== undefined && (typeof after !== 'string' || !isUuid(after))) {
          throw invalid([{ in: 'query', field: 'cursor', message: 'is not a cursor returned by this endpoint' }]);
        }
        let query = kysely.selectFrom('account_directory').selectAll();
        if (role) query = query.where('role', '=', role);
        if (active !== undefined) query = query.where('active', '=', active);
        if (after) query = query.where('account_id', '>', after as string);
        const rows = await query.orderBy('account_id').limit(limit + 1).execute();
        const page = rows.slice(0, limit);
        return {
          items: page.map(toListItem),
          nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!.account_id) : null,
        };
      },
    );
  };
}
