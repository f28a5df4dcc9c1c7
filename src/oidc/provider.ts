import { createHmac } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

/** The provider's discovery document; its issuer must be exactly the one configured (OIDC Discovery §4.3). */
export async function discover(issuer: string): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`OIDC discovery at ${url} answered ${response.status}`);
  const metadata = (await response.json()) as ProviderMetadata;
  if (metadata.issuer !== issuer) throw new Error(`OIDC discovery at ${url} names issuer ${metadata.issuer}, not ${issuer}`);
  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    if (typeof metadata[field] !== 'string') throw new Error(`OIDC discovery at ${url} has no ${field}`);
  }
  return metadata;
}

/**
 * The nonce of a sign-in, derived from its state: the state is bound to the browser by a cookie
 * (checked by @fastify/oauth2), and the nonce in the ID token binds that token to this sign-in, so
 * a token obtained elsewhere cannot be replayed here. Nothing needs storing.
 */
export function nonceFor(key: string | Buffer, state: string): string {
  return createHmac('sha256', key).update(`oidc-nonce ${state}`).digest('base64url');
}

export interface IdentityClaims extends JWTPayload {
  sub: string;
  email?: string;
  email_verified?: boolean;
  given_name?: string;
  family_name?: string;
  name?: string;
  birthdate?: string;
  gender?: string;
}

// What an account can hold: OIDC Core §2 caps `sub` at 255 characters, an email address is at most
// 254 (RFC 5321), and names are stored within the limits of sign-up's own fields.
const CLAIM_LIMITS = { sub: 255, email: 254, given_name: 100, family_name: 100, name: 100, birthdate: 10, gender: 50 } as const;

function checkClaims(payload: JWTPayload) {
  for (const [claim, limit] of Object.entries(CLAIM_LIMITS)) {
    const value = payload[claim];
    if (value !== undefined && (typeof value !== 'string' || value.length > limit)) {
      throw new Error(`the claim ${claim} must be a string of at most ${limit} characters`);
    }
  }
}

/**
 * Checks an ID token as OIDC Core §3.1.3.7 asks: signed by a key from the provider's JWKS, from
 * the configured issuer, for this client, unexpired, and carrying this sign-in's nonce.
 */
export function idTokenVerifier(settings: OidcSettings, metadata: ProviderMetadata) {
  const keys = createRemoteJWKSet(new URL(metadata.jwks_uri));
  return async (idToken: string, nonce: string): Promise<IdentityClaims> => {
    const { payload } = await jwtVerify(idToken, keys, {
      issuer: metadata.issuer,
      audience: settings.clientId,
      requiredClaims: ['sub', 'exp', 'iat'],
      clockTolerance: 30,
    });
    if (payload.nonce !== nonce) throw new Error('the ID token was not issued for this sign-in (nonce)');
    checkClaims(payload);
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== settings.clientId) {
      throw new Error('the ID token was issued to another party (azp)');
    }
    return payload as IdentityClaims;
  };
}
