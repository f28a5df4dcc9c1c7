import { hkdfSync, randomBytes } from 'node:crypto';

/**
 * What each key derived from JWT_SECRET is for. Each use gets its own key, so that what one use
 * reveals (an idempotency hash in the database, a nonce at the provider, a signed cookie) can
 * never help forge another (an access token).
 */
export type KeyPurpose = 'access-tokens' | 'idempotency-request-hashes' | 'oidc-nonces' | 'oidc-cookies' | 'refresh-successors';

// Without a configured secret (development only: config.ts requires one in production), every
// key holds for the life of this process.
const processSecret = randomBytes(48);

/** A 256-bit key for one purpose, derived from the configured secret with HKDF-SHA-256 (RFC 5869). */
export function derivedKey(secret: string | undefined, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret ?? processSecret, 'pams', `pams ${purpose}`, 32));
}
