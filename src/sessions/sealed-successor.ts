import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface TokenPairSecrets {
  accessToken: string;
  refreshToken: string;
}

/**
 * The pair a refresh token was swapped for, kept for the reuse grace window so that a second tab
 * refreshing with the same token gets the same pair instead of ending the session. It is sealed
 * (AES-256-GCM) under a key derived from the refresh token it replaces, which the server keeps only
 * as a SHA-256 digest, salted with a server key: reading the table opens nothing, and neither does
 * the old token without JWT_SECRET. Whoever holds the old token within the window gets the pair,
 * which is no more than that token gave them a moment earlier; after the window, presenting it
 * still ends the session.
 */
function keyFor(serverKey: Buffer, replacedToken: string): Buffer {
  return Buffer.from(hkdfSync('sha256', replacedToken, serverKey, 'pams refresh successor', 32));
}

export function sealSuccessor(serverKey: Buffer, replacedToken: string, pair: TokenPairSecrets): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(serverKey, replacedToken), iv);
  const sealed = Buffer.concat([cipher.update(JSON.stringify(pair), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]);
}

/** The pair, or undefined when the seal does not open (another server key, a damaged row). */
export function openSuccessor(serverKey: Buffer, replacedToken: string, sealed: Buffer): TokenPairSecrets | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(serverKey, replacedToken), sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8')) as TokenPairSecrets;
  } catch {
    return undefined;
  }
}
