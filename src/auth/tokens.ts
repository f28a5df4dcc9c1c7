import { randomUUID } from 'node:crypto';
import jwt from '@fastify/jwt';
import { createVerifier, TokenError } from 'fast-jwt';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import type { Actor } from '../http/actor.js';
import { rememberVerifiedTokens } from './verified-tokens.js';
import { ROLES, type Role } from './roles.js';

/** What an access token says: who, in which role, and which records they are. */
export interface AccessClaims {
  sub: string;
  role: Role;
  /** The patient record of a patient account. */
  pid?: string;
  /** The practitioner profile of a practitioner account. */
  prid?: string;
  /** The session (refresh-token family) this token belongs to: ending the session ends the token. */
  sid: string;
  jti: string;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessClaims;
    user: AccessClaims;
  }
}

export interface TokenSettings {
  /** The signing key (derived from JWT_SECRET, see keys.ts). */
  key: Buffer;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** Whether a verified token's session has ended; called on every request, so it must not do I/O. */
  isRevoked?: (claims: AccessClaims) => boolean;
}

const invalidToken = (detail: string) =>
  new AppError(401, 'invalid-token', 'Invalid token', detail, {}, { 'www-authenticate': 'Bearer realm="pams", error="invalid_token"' });

export function actorFromClaims(claims: AccessClaims): Actor {
  return {
    id: claims.sub,
    role: claims.role,
    ...(claims.pid ? { patientId: claims.pid } : {}),
    ...(claims.prid ? { practitionerId: claims.prid } : {}),
  };
}

/**
 * Verifies the bearer token on every request that carries one and sets `request.actor`. A request
 * without a token stays anonymous; whether that is enough is the route's access rule's call.
 */
export async function installAuthentication(app: FastifyInstance<any, any, any, any, any>, settings: TokenSettings) {
  const { key, issuer, audience } = settings;
  // An allowed issuer or audience is only checked when the claim is there, so both are required
  // too; a token without `exp` would never expire, and one without `sid` could outlive its session.
  const checks = { allowedIss: issuer, allowedAud: audience, requiredClaims: ['iss', 'aud', 'exp', 'sub', 'sid'], algorithms: ['HS256' as const] };
  await app.register(jwt, {
    secret: key,
    sign: { iss: issuer, aud: audience, expiresIn: settings.ttlSeconds, algorithm: 'HS256' },
    verify: checks,
  });
  // Verified with @fastify/jwt's own engine directly, remembering tokens already verified:
  // request.jwtVerify() decodes and re-verifies every token on every request, a visible share of
  // the CPU of GET /patients/{id} (bench/README.md).
  const verify = rememberVerifiedTokens(
    createVerifier({ key, ...checks }) as (token: string) => AccessClaims & { exp: number },
    10_000,
  );
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) return;
    if (!/^Bearer [A-Za-z0-9._~+/-]+=*$/.test(header)) throw invalidToken('Send the token as `Authorization: Bearer <token>`.');
    let claims: AccessClaims;
    try {
      claims = verify(header.slice('Bearer '.length));
    } catch (error) {
      const expired = error instanceof TokenError && error.code === TokenError.codes.expired;
      throw invalidToken(expired ? 'The access token has expired; refresh it.' : 'The access token is not valid.');
    }
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || !ROLES.includes(claims.role)) {
      throw invalidToken('The access token is not valid.');
    }
    if (settings.isRevoked?.(claims)) throw invalidToken('The session has ended; sign in again.');
    request.actor = actorFromClaims(claims);
  });
}

/** Signs an access token for an account; sessions (auth/) and tests both go through here. */
export function signAccessToken(app: FastifyInstance<any, any, any, any, any>, claims: Omit<AccessClaims, 'jti'>): string {
  return app.jwt.sign({ ...claims, jti: randomUUID() });
}
