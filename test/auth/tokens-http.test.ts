import { randomUUID } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import t from 'tap';
import { derivedKey } from '../../src/auth/keys.js';
import { createTestApp, json, TEST_JWT_SECRET } from '../helpers/app.js';

t.test('access tokens', async (t) => {
  const { app } = await createTestApp(t);
  const signingKey = derivedKey(TEST_JWT_SECRET, 'access-tokens');
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({ iss: 'pams', aud: 'pams-api', sub: randomUUID(), role: 'admin', sid: randomUUID(), jti: randomUUID(), iat: now(), exp: now() + 600 });
  const tokenOf = (payload: Record<string, unknown>, key: Buffer | string = signingKey) => createSigner({ key, algorithm: 'HS256' })(payload);
  const listPatients = (token: string) => app.inject({ method: 'GET', url: '/api/v1/patients', headers: { authorization: `Bearer ${token}` } });
  const without = (claim: string) => {
    const payload: Record<string, unknown> = claims();
    delete payload[claim];
    return payload;
  };

  t.test('a token with issuer, audience, expiry and session, signed with the derived key, is accepted', async (t) => {
    t.equal((await listPatients(tokenOf(claims()))).statusCode, 200);
  });

  for (const [rule, payload] of [
    ['a token for another audience is refused', () => ({ ...claims(), aud: 'another-service' })],
    ['a token without an audience is refused', () => without('aud')],
    ['a token without an expiry is refused: it would never expire', () => without('exp')],
    ['a token without a session is refused: ending a session could not end it', () => without('sid')],
    ['a token without an issuer is refused', () => without('iss')],
  ] as const) {
    t.test(rule, async (t) => {
      const response = await listPatients(tokenOf(payload()));
      t.equal(response.statusCode, 401);
      t.match(json(response), { type: 'https://pams.dev/problems/invalid-token', detail: /not valid/ });
    });
  }

  t.test('a token signed with JWT_SECRET itself is refused: only the key derived for access tokens signs them', async (t) => {
    t.equal((await listPatients(tokenOf(claims(), TEST_JWT_SECRET))).statusCode, 401);
  });
});
