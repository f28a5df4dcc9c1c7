import { createHmac, randomUUID } from 'node:crypto';

export interface AuthSettings {
  baseUrl: string;
  /** The JWT_SECRET and JWT_ISSUER the bench started the API with. */
  secret: string;
  issuer: string;
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The headers every measured request carries, so that the command and read paths are measured
 * with authentication and authorization on, as a real client meets them.
 *
 * The caller is an admin: a practitioner reaches only the patients of their care team, and the
 * bench does not seed care teams yet. Once it does, sign in as a practitioner of those teams, so
 * that the reach checks (the care-team condition on reads, the decider's check on commands) are
 * measured too.
 *
 * The API has no sign-in endpoint the bench can use yet, only bearer-token verification, so the
 * bench mints the access token itself with the secret it gave the API (HS256, the claims that
 * src/auth/tokens.ts signs). When sign-in lands, replace the body of this function with a sign-in
 * through the API (`fetch(settings.baseUrl + …)` as a seeded account) and return that token's
 * header: nothing else in the bench needs to change.
 */
export async function authHeaders(settings: AuthSettings): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url({ alg: 'HS256', typ: 'JWT' });
  const claims = base64url({
    sub: randomUUID(),
    role: 'admin',
    jti: randomUUID(),
    iss: settings.issuer,
    iat: now,
    exp: now + 4 * 3600,
  });
  const signature = createHmac('sha256', settings.secret).update(`${header}.${claims}`).digest('base64url');
  return { authorization: `Bearer ${header}.${claims}.${signature}` };
}
