import type { FastifyInstance } from 'fastify';
import type { Account } from '../accounts/decider.js';
import { signAccessToken } from '../auth/tokens.js';
import { derivedKey } from '../auth/keys.js';
import type { Config } from '../config.js';
import type { Queryable } from '../event-store/types.js';
import { startSession, type RefreshPolicy } from './refresh-tokens.js';

export interface SessionSettings {
  accessTokenTtlSeconds: number;
  refresh: RefreshPolicy;
}

export function sessionSettings(config: Config): SessionSettings {
  return {
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refresh: {
      ttlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
      maxAgeSeconds: config.SESSION_MAX_AGE_SECONDS,
      reuseGraceSeconds: config.REFRESH_REUSE_GRACE_SECONDS,
      successorKey: derivedKey(config.JWT_SECRET, 'refresh-successors'),
    },
  };
}

/** An access token for what the account is now: its role, its record, and the session it belongs to. */
export function accessTokenFor(app: FastifyInstance<any, any, any, any, any>, account: Account & { role: NonNullable<Account['role']> }, familyId: string) {
  return signAccessToken(app, {
    sub: account.accountId,
    role: account.role,
    ...(account.patientId ? { pid: account.patientId } : {}),
    ...(account.practitionerId ? { prid: account.practitionerId } : {}),
    sid: familyId,
  });
}

export function tokenResponse(accessToken: string, refreshToken: string, settings: SessionSettings) {
  return { accessToken, refreshToken, tokenType: 'Bearer' as const, expiresIn: settings.accessTokenTtlSeconds };
}

/** Signs the account in: a new session (token family) and its first pair of tokens. */
export async function openSession(
  app: FastifyInstance<any, any, any, any, any>,
  on: Queryable,
  account: Account & { role: NonNullable<Account['role']> },
  now: Date,
  settings: SessionSettings,
) {
  const { familyId, refreshToken } = await startSession(on, account.accountId, now, settings.refresh);
  return tokenResponse(accessTokenFor(app, account, familyId), refreshToken, settings);
}

export const hasRole = (account: Account): account is Account & { role: NonNullable<Account['role']> } => account.role !== null;
