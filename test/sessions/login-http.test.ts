import t from 'tap';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { bearer, PASSWORD, signIn, signUp } from '../helpers/accounts.js';
import { ACCOUNT_RULE, ADDRESS_RULE } from '../../src/sessions/throttle-policy.js';

t.test('signing in', async (t) => {
  const test = await createTestApp(t);
  const { app, db } = test;
  const login = (username: string, password: string, remoteAddress = '10.0.0.1') =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress });

  t.test('works with the email (any case), the phone or the username, and yields a working pair of tokens', async (t) => {
    const username = `ada_${Date.now()}`;
    const person = await signUp(test, { username });
    for (const name of [person.email.toUpperCase(), person.phone, username.toUpperCase()]) {
      const response = await login(name, PASSWORD);
      t.equal(response.statusCode, 200, name);
      const body = json(response);
      t.match(body, { accessToken: String, refreshToken: /^[\w-]{43}$/, tokenType: 'Bearer', expiresIn: 900 });
      const claims = app.jwt.decode<Record<string, unknown>>(body.accessToken)!;
      t.match(claims, { sub: person.id, role: 'patient', pid: person.patientId, sid: String, jti: String, iss: 'pams' });
      t.equal((claims.exp as number) - (claims.iat as number), 900, 'the access token lives ACCESS_TOKEN_TTL_SECONDS');
    }
  });

  t.test('a wrong password and an unknown name get the very same answer', async (t) => {
    const person = await signUp(test);
    const wrong = await login(person.email, 'not the password at all', '10.0.1.1');
    const unknown = await login('nobody-here@example.org', 'not the password at all', '10.0.1.2');
    t.equal(wrong.statusCode, 401);
    t.equal(unknown.statusCode, 401);
    t.same(json(wrong), json(unknown));
    t.equal(wrong.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.notMatch(wrong.body, /exist|unknown|found/i);
  });

  t.test('a deactivated account cannot sign in, and is told nothing more than a wrong password', async (t) => {
    const person = await signUp(test);
    const admin = test.token({ role: 'admin', id: '0192f0c4-7a6b-7d3e-9c1a-0000000000ad' });
    await app.inject({ method: 'POST', url: `/api/v1/accounts/${person.id}/deactivate`, headers: bearer(admin), payload: { reason: 'duplicate' } });
    const response = await login(person.email, PASSWORD, '10.0.2.1');
    t.equal(response.statusCode, 401);
    t.equal(json(response).type, 'https://pams.dev/problems/invalid-credentials');
  });

  t.test('guesses from one address slow it down at the account, then lock it out of it, with Retry-After; the right password waits too', async (t) => {
    const person = await signUp(test);
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt += 1) statuses.push((await login(person.email, `wrong guess number ${attempt}`, '10.1.0.1')).statusCode);
    t.same(statuses, [401, 401, 401, 401, 401]);
    const held = await login(person.email, PASSWORD, '10.1.0.1');
    t.equal(held.statusCode, 429, 'held back after the free failures');
    t.equal(held.headers['retry-after'], '1');
    t.match(json(held), { type: 'https://pams.dev/problems/too-many-attempts', status: 429 });

    await db.pool.query(`update login_throttle set failures = 9, locked_until = null where key = any($1)`, [
      [`address:10.1.0.1 account:${person.id}`, `account:${person.id}`],
    ]);
    t.equal((await login(person.email, 'tenth wrong guess', '10.1.0.1')).statusCode, 401);
    const locked = await login(person.email, PASSWORD, '10.1.0.1');
    t.equal(locked.statusCode, 429);
    t.equal(locked.headers['retry-after'], '900', 'that address is locked out for a quarter of an hour');
    const owner = await login(person.email, PASSWORD, '10.1.9.9');
    t.equal(owner.statusCode, 429, 'the account itself is slowed down…');
    t.ok(Number(owner.headers['retry-after']) <= 60, '…by at most a minute');
  });

  t.test('guesses from many addresses only slow the account down, never for more than a minute', async (t) => {
    const person = await signUp(test);
    await db.pool.query(`insert into login_throttle (key, failures, last_failure_at) values ($1, 100, now())`, [`account:${person.id}`]);
    t.equal((await login(person.email, 'yet another guess', '10.1.1.1')).statusCode, 401);
    const owner = await login(person.email, PASSWORD, '10.1.1.2');
    t.equal(owner.statusCode, 429);
    t.equal(owner.headers['retry-after'], '60');
  });

  t.test('a burst of parallel guesses gets no more checks than the free failures allow; the rest are refused unchecked', async (t) => {
    const person = await signUp(test);
    const guesses = await Promise.all(
      Array.from({ length: 50 }, (_, attempt) => login(person.email, `parallel guess ${attempt}`, `10.5.${attempt}.1`)),
    );
    const statuses = guesses.map((response) => response.statusCode);
    // A 401 is a password that was checked and was wrong; a 429 was refused before any check.
    t.equal(statuses.filter((status) => status === 401).length, ACCOUNT_RULE.freeFailures + 1, 'checked');
    t.equal(statuses.filter((status) => status === 429).length, 50 - ACCOUNT_RULE.freeFailures - 1, 'refused');
    const recorded = await db.pool.query('select failures from login_throttle where key = $1', [`account:${person.id}`]);
    t.same(recorded.rows, [{ failures: ACCOUNT_RULE.freeFailures + 1 }], 'one failure counted per checked guess');
  });

  t.test('an unknown name is throttled just like an account, so the lock tells nothing', async (t) => {
    for (let attempt = 1; attempt <= 5; attempt += 1) await login('ghost@example.org', `guess ${attempt}`, `10.2.0.${attempt}`);
    t.equal((await login('ghost@example.org', 'another guess', '10.2.0.99')).statusCode, 429);
  });

  t.test('one address failing against many accounts is slowed too', async (t) => {
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= 22; attempt += 1) {
      statuses.push((await login(`sprayed-${attempt}@example.org`, 'Summer of guesses', '10.3.0.1')).statusCode);
    }
    t.equal(statuses.filter((status) => status === 401).length, 21);
    t.equal(statuses.at(-1), 429);
  });

  t.test('a success clears the account’s failures', async (t) => {
    const person = await signUp(test);
    for (let attempt = 1; attempt <= 4; attempt += 1) await login(person.email, `wrong ${attempt} guess`, `10.4.0.${attempt}`);
    t.equal((await login(person.email, PASSWORD, '10.4.0.50')).statusCode, 200);
    t.equal((await db.pool.query('select 1 from login_throttle where key = $1', [`account:${person.id}`])).rowCount, 0);
  });

  t.test('successes from one shared address do not add up to a slow-down: each takes back its own attempt', async (t) => {
    const person = await signUp(test);
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= ADDRESS_RULE.freeFailures + 5; attempt += 1) {
      statuses.push((await login(person.email, PASSWORD, '10.6.0.1')).statusCode);
    }
    t.same(new Set(statuses), new Set([200]));
    t.same((await db.pool.query('select failures from login_throttle where key = $1', ['address:10.6.0.1'])).rows, [{ failures: 0 }]);
  });

  t.test('bad input is a 400 naming the field', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'a@b.c' } });
    t.equal(response.statusCode, 400);
    t.same(json(response).errors, [{ in: 'body', field: 'password', message: 'is required' }]);
  });

  t.test('GET /users/me needs a token', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/users/me' });
    t.equal(response.statusCode, 401);
    const person = await signUp(test);
    const { accessToken } = await signIn(test, person.email);
    t.equal((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(accessToken) })).statusCode, 200);
  });
});

t.test('the client address the throttle keys on', async (t) => {
  const addressKeys = async (test: TestApp, addresses: string[]) => {
    const keys = addresses.map((address) => `address:${address}`);
    const result = await test.db.pool.query<{ key: string }>('select key from login_throttle where key = any($1) order by key', [keys]);
    return result.rows.map((row) => row.key);
  };
  const guess = (test: TestApp, forwardedFor: string, remoteAddress: string) =>
    test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'someone@example.org', password: 'a wrong guess' },
      headers: { 'x-forwarded-for': forwardedFor },
      remoteAddress,
    });

  t.test('behind a proxy named in TRUST_PROXY, is the one it forwards', async (t) => {
    const test = await createTestApp(t, { env: { TRUST_PROXY: '127.0.0.1' } });
    t.equal((await guess(test, '203.0.113.7', '127.0.0.1')).statusCode, 401);
    t.same(await addressKeys(test, ['203.0.113.7', '127.0.0.1']), ['address:203.0.113.7']);
  });

  t.test('without TRUST_PROXY, is the connection’s own: X-Forwarded-For cannot dodge a limit', async (t) => {
    const test = await createTestApp(t);
    t.equal((await guess(test, '203.0.113.8', '10.7.0.1')).statusCode, 401);
    t.same(await addressKeys(test, ['203.0.113.8', '10.7.0.1']), ['address:10.7.0.1']);
  });
});
