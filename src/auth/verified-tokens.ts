import { setBounded } from '../bounded-map.js';

/**
 * Remembers tokens already verified, until they expire, so a client's every request does not pay
 * for an HMAC and a JSON parse again. Keyed by the whole token: only tokens that passed `verify`
 * get in, and a token differing by one character is a different key. (fast-jwt's own cache keys
 * by a SHA-256 of the token, a visible share of a registration's API CPU (bench/README.md); its
 * option to key by the token itself prints a security warning at every start-up, for custom keys in
 * general.)
 */
export function rememberVerifiedTokens<Claims extends { exp?: number }>(
  verify: (token: string) => Claims,
  capacity: number,
  now: () => number = Date.now,
): (token: string) => Claims {
  const verified = new Map<string, { claims: Claims; expiresAtMs: number }>();
  return (token) => {
    const known = verified.get(token);
    if (known && known.expiresAtMs > now()) return known.claims;
    if (known) verified.delete(token);
    const claims = verify(token);
    // When full, the token verified longest ago goes.
    setBounded(verified, token, { claims, expiresAtMs: (claims.exp ?? 0) * 1000 }, capacity);
    return claims;
  };
}
