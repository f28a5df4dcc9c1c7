import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    // NFKC: the same password typed on another keyboard or OS may arrive as other code points.
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

const settings = (cost: number, r = 8, p = 1): ScryptOptions => ({ N: 2 ** cost, r, p, maxmem: 256 * 2 ** cost * r });

/**
 * scrypt with a fresh 16-byte salt; the parameters travel with the hash, so raising the cost later
 * leaves older hashes verifiable. Runs on libuv's thread pool, never on the event loop.
 */
export async function hashPassword(password: string, cost: number): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, settings(cost));
  return ['scrypt', cost, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, cost, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !cost || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), settings(Number(cost), Number(r), Number(p)));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * A hash to verify against when there is no account, so that a sign-in for an unknown name takes
 * as long as one with a wrong password and timing does not tell which accounts exist.
 */
export function decoyHash(cost: number): () => Promise<string> {
  let decoy: Promise<string> | undefined;
  return () => (decoy ??= hashPassword(randomBytes(24).toString('base64url'), cost));
}
