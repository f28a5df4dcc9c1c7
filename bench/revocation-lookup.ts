import { pathToFileURL } from 'node:url';
import { v4 as uuid } from 'uuid';
import { createRevocationList } from '../src/sessions/revocations.js';

export interface RevocationLookupResult {
  revokedSessions: number;
  lookups: number;
  nsPerLookup: number;
}

/**
 * What the revocation check costs every authenticated request: `isRevoked` among many revoked
 * sessions, half the probes revoked. In memory only, so it runs in the bench's own process.
 */
export function measureRevocationLookup(revokedSessions = 100_000, rounds = 1_000): RevocationLookupResult {
  // Never started, so it never polls: the pool is not used.
  const list = createRevocationList({ pool: {} as never, pollMs: 1000, accessTokenTtlSeconds: 900 });
  const revoked = Array.from({ length: revokedSessions }, () => uuid());
  list.add(revoked);
  const probes = Array.from({ length: 1000 }, (_, index) => (index % 2 === 0 ? revoked[index]! : uuid()));
  let hits = 0;
  const started = performance.now();
  for (let round = 0; round < rounds; round += 1) for (const probe of probes) if (list.isRevoked(probe)) hits += 1;
  const elapsedMs = performance.now() - started;
  const lookups = rounds * probes.length;
  // Read, so that the loop cannot be optimized away, and checked, so that a broken list is no figure.
  if (hits !== lookups / 2) throw new Error(`revocation lookup: ${hits} hits of ${lookups}, expected half`);
  return { revokedSessions, lookups, nsPerLookup: Math.round((elapsedMs * 1e6) / lookups) };
}

export const formatRevocationLookup = (result: RevocationLookupResult) =>
  `revocation check: ${result.nsPerLookup} ns per lookup among ${result.revokedSessions.toLocaleString('en')} revoked sessions`;

// `npx tsx bench/revocation-lookup.ts`: this micro-benchmark alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(formatRevocationLookup(measureRevocationLookup()));
}
