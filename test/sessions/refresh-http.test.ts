import t from 'tap';
import { createTestApp, json } from '../helpers/app.js';
import { bearer, PASSWORD, signIn, signUp } from '../helpers/accounts.js';

const DAY = 86_400_000;

t.test('sessions', async (t) => {
  let offsetMs = 0;
  const test = await createTestApp(t, { now: () => new Date(Date.now() + offsetMs) });
  const { app } = test;
  const refresh = (refreshToken: string) => app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
  const logout = (refreshToken: string) => app.inject({ method: 'POST', url: '/api/v1/auth/logout', payload: { refreshToken } });
  const me = (accessToken: string) => app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(accessToken) });
  const admin = test.token({ role: 'admin', id: '0192f0c4-7a6b-7d3e-9c1a-0000000000ad' });

  t.test('a refresh token is swapped for a new pair of the same session, and works once', async (t) => {
    const person = await signUp(test);
    const first = await signIn(test, person.email);
    const response = await refresh(first.refreshToken);
    t.equal(response.statusCode, 200);
    const second = json(response);
    t.not(second.refreshToken, first.refreshToken);
    const [before, after] = [first, second].map((pair) => app.jwt.decode<{ sid: string; pid: string }>(pair.accessToken)!);
    t.equal(after!.sid, before!.sid, 'same session');
    t.equal(after!.pid, person.patientId);
    t.equal((await me(second.accessToken)).statusCode, 200);
  });

  /** Moves the API's clock `ms` ahead of now, until the end of the test `t`. */
  const later = (t: { teardown(fn: () => void): void }, ms: number) => {
    offsetMs = ms;
    t.teardown(() => {
      offsetMs = 0;
    });
  };

  t.test('presenting a replaced refresh token after REFRESH_REUSE_GRACE_SECONDS ends the whole session: theft is assumed', async (t) => {
    const person = await signUp(test);
    const stolen = await signIn(test, person.email);
    const legitimate = json(await refresh(stolen.refreshToken));
    later(t, 11_000);
    const reuse = await refresh(stolen.refreshToken);
    t.equal(reuse.statusCode, 401);
    t.match(json(reuse), { type: 'https://pams.dev/problems/invalid-token', detail: /already used/ });
    t.equal((await refresh(legitimate.refreshToken)).statusCode, 401, 'the newest token of the family is dead too');
    t.equal((await me(legitimate.accessToken)).statusCode, 401, 'and so are its access tokens');
    t.equal((await me(stolen.accessToken)).statusCode, 401);
  });

  t.test('two refreshes racing with one token (two tabs) both get the same new pair, and the session goes on', async (t) => {
    const person = await signUp(test);
    const pair = await signIn(test, person.email);
    const outcomes = await Promise.all([refresh(pair.refreshToken), refresh(pair.refreshToken)]);
    t.same(outcomes.map((response) => response.statusCode), [200, 200]);
    const [first, second] = outcomes.map((response) => json(response));
    t.same(second, first, 'the same access and refresh token');
    t.not(first.refreshToken, pair.refreshToken);
    t.equal((await me(first.accessToken)).statusCode, 200);
    t.equal((await refresh(first.refreshToken)).statusCode, 200, 'the shared new refresh token works');
  });

  t.test('a replaced refresh token presented again within the grace window gets the pair it was swapped for', async (t) => {
    const person = await signUp(test);
    const pair = await signIn(test, person.email);
    const first = json(await refresh(pair.refreshToken));
    later(t, 9_000);
    const again = await refresh(pair.refreshToken);
    t.equal(again.statusCode, 200);
    t.same(json(again), first);
  });

  t.test('a session ends SESSION_MAX_AGE_SECONDS after sign-in, however recently it was refreshed', async (t) => {
    const person = await signUp(test);
    let pair = await signIn(test, person.email);
    for (const day of [10, 20, 29]) {
      later(t, day * DAY);
      const response = await refresh(pair.refreshToken);
      t.equal(response.statusCode, 200, `refreshed on day ${day}`);
      pair = json(response);
    }
    later(t, 31 * DAY);
    const response = await refresh(pair.refreshToken);
    t.equal(response.statusCode, 401, 'day 31: the last refresh token is two days old, but the session is 31 days old');
    t.match(json(response), { detail: /session has ended/ });
    t.equal((await me(pair.accessToken)).statusCode, 401, 'its access tokens end with it');
  });

  t.test('logging out ends the session: its refresh and access tokens stop working at once', async (t) => {
    const person = await signUp(test);
    const pair = await signIn(test, person.email);
    const other = await signIn(test, person.email);
    t.equal((await logout(pair.refreshToken)).statusCode, 204);
    t.equal((await refresh(pair.refreshToken)).statusCode, 401);
    const denied = await me(pair.accessToken);
    t.equal(denied.statusCode, 401);
    t.match(json(denied), { detail: /session has ended/ });
    t.equal((await me(other.accessToken)).statusCode, 200, 'another session of the same account goes on');
    t.equal((await logout(pair.refreshToken)).statusCode, 204, 'logging out twice is fine');
    t.equal((await logout('not-a-token')).statusCode, 204, 'an unknown token tells nothing');
  });

  t.test('a refresh token expires after REFRESH_TOKEN_TTL_SECONDS', async (t) => {
    const person = await signUp(test);
    const pair = await signIn(test, person.email);
    later(t, 31 * DAY);
    const response = await refresh(pair.refreshToken);
    t.equal(response.statusCode, 401);
    t.match(json(response), { detail: /not valid or its session has ended/ });
  });

  t.test('deactivating an account ends its sessions: even an unexpired access token stops working', async (t) => {
    const person = await signUp(test);
    const pair = await signIn(test, person.email);
    t.equal((await me(pair.accessToken)).statusCode, 200);
    const deactivation = await app.inject({
      method: 'POST',
      url: `/api/v1/accounts/${person.id}/deactivate`,
      headers: bearer(admin),
      payload: { reason: 'left the practice' },
    });
    t.equal(deactivation.statusCode, 200);
    t.equal((await me(pair.accessToken)).statusCode, 401);
    t.equal((await refresh(pair.refreshToken)).statusCode, 401);
  });

  t.test('changing the password ends every session, and the new password signs in', async (t) => {
    const person = await signUp(test);
    const pair = await signIn(test, person.email);
    const response = await app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: bearer(pair.accessToken),
      payload: { oldPassword: PASSWORD, newPassword: 'a brand new passphrase 9' },
    });
    t.equal(response.statusCode, 200);
    t.same((await test.db.store.readStream(person.id)).at(-1)!.type, 'PasswordChanged');
    t.equal((await me(pair.accessToken)).statusCode, 401);
    t.equal((await refresh(pair.refreshToken)).statusCode, 401);
    const again = await signIn(test, person.email, 'a brand new passphrase 9');
    t.equal((await me(again.accessToken)).statusCode, 200);
    const old = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: person.email, password: PASSWORD }, remoteAddress: '10.9.9.9' });
    t.equal(old.statusCode, 401);
  });

  t.test('a tampered, expired or foreign access token is refused', async (t) => {
    const person = await signUp(test);
    const { accessToken } = await signIn(test, person.email);
    const [header, payload, signature] = accessToken.split('.');
    const elevated = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'admin' })).toString('base64url');
    t.equal((await me(`${header}.${elevated}.${signature}`)).statusCode, 401, 'a payload changed after signing');
    t.equal((await me(`${accessToken.slice(0, -2)}xx`)).statusCode, 401, 'a damaged signature');
    // Signed an hour ago: with the default lifetime of 15 minutes, long expired.
    const expired = app.jwt.sign({ sub: person.id, role: 'patient', sid: 'x', jti: 'x', iat: Math.floor(Date.now() / 1000) - 3600 } as never);
    const response = await me(expired);
    t.equal(response.statusCode, 401);
    t.match(json(response), { detail: /expired/ });
  });
});
