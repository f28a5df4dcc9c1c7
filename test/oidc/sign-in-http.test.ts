import { OAuth2Server } from 'oauth2-mock-server';
import t from 'tap';
import { v4 as uuid } from 'uuid';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { bearer, signUp } from '../helpers/accounts.js';
import { createTestDatabase } from '../helpers/database.js';
import { json, type TestApp } from '../helpers/app.js';

const CLIENT_ID = 'pams-web';

t.test('signing in with an OpenID Connect provider', async (t) => {
  // A real provider on loopback: discovery, JWKS, authorize and token endpoints, RS256-signed tokens.
  const provider = new OAuth2Server();
  await provider.issuer.keys.generate('RS256');
  await provider.start(0, '127.0.0.1');
  t.teardown(() => provider.stop());
  const issuer = provider.issuer.url!;

  // What the provider says about the next person to sign in, and how to spoil their ID token.
  let person: Record<string, unknown> = {};
  let spoil: (payload: Record<string, unknown>) => void = () => {};
  provider.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    if (token.payload.aud !== CLIENT_ID) return; // the access token; only the ID token matters here
    Object.assign(token.payload, person);
    spoil(token.payload);
  });

  const db = await createTestDatabase(t);
  const config = loadConfig({
    JWT_SECRET: 'test-secret-test-secret-test-secret-000',
    LOG_LEVEL: 'silent',
    PASSWORD_HASH_COST: '10',
    OIDC_ISSUER: issuer,
    OIDC_CLIENT_ID: CLIENT_ID,
    OIDC_CLIENT_SECRET: 'a client secret',
    OIDC_REDIRECT_URI: 'http://127.0.0.1:3000/api/v1/auth/oidc/callback',
  });
  const app: App = await buildApp({ config, pool: db.pool, kysely: db.kysely, store: db.store, clock: () => new Date() }, { logger: false });
  t.teardown(() => app.close());
  const test = { app, db } as TestApp;

  /** The browser's round trip: our login → the provider's authorize → back to our callback with the cookies. */
  async function roundTrip(tamper: (callback: URL) => void = () => {}) {
    const start = await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/login' });
    if (start.statusCode !== 302) throw new Error(`login answered ${start.statusCode}`);
    const authorize = new URL(start.headers.location as string);
    const cookie = start.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const atProvider = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(atProvider.headers.get('location')!);
    tamper(callback);
    const response = await app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { cookie } });
    return { authorize, start, response, callback, cookie };
  }
  const newPerson = (overrides: Record<string, unknown> = {}) => {
    const tag = uuid().slice(0, 8);
    person = {
      sub: `subject-${tag}`,
      email: `kate.${tag}@example.org`,
      email_verified: true,
      given_name: 'Katherine',
      family_name: 'Johnson',
      birthdate: '1978-08-26',
      gender: 'female',
      ...overrides,
    };
    return person as { sub: string; email: string };
  };
  const accountCount = async () => Number((await db.pool.query(`select count(*) from streams where stream_type = 'account'`)).rows[0].count);

  t.test('the redirect carries PKCE (S256), state and nonce, and sets HttpOnly cookies', async (t) => {
    const { authorize, start } = await roundTrip();
    t.equal(authorize.origin, issuer);
    t.match(Object.fromEntries(authorize.searchParams), {
      client_id: CLIENT_ID,
      response_type: 'code',
      scope: 'openid email profile',
      code_challenge_method: 'S256',
      code_challenge: /^[\w-]{43}$/,
      state: String,
      nonce: /^[\w-]{43}$/,
      redirect_uri: 'http://127.0.0.1:3000/api/v1/auth/oidc/callback',
    });
    t.ok(start.cookies.every((c) => c.httpOnly && c.path === '/api/v1/auth/oidc'));
  });

  t.test('a first sign-in creates a patient account with its record, and the link is an event', async (t) => {
    const { sub, email } = newPerson();
    const { response } = await roundTrip();
    t.equal(response.statusCode, 200, response.statusCode === 200 ? 'signed in' : response.body);
    const tokens = json(response);
    const me = json(await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(tokens.accessToken) }));
    t.match(me, { role: 'patient', email, emailVerified: true, firstName: 'Katherine', lastName: 'Johnson', patientId: String });
    const events = await db.store.readStream(me.id);
    t.same(events.map((event) => event.type), ['AccountRegistered', 'RoleGranted', 'AccountLinkedToPatient', 'EmailVerified', 'OidcIdentityLinked']);
    t.same(events.at(-1)!.data, { accountId: me.id, issuer, subject: sub });
    t.match((await db.store.readStream(me.patientId))[0], { type: 'PatientRegistered', data: { dateOfBirth: '1978-08-26', sex: 'female' } });

    const before = await accountCount();
    const again = await roundTrip();
    t.equal(again.response.statusCode, 200);
    const meAgain = json(await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(json(again.response).accessToken) }));
    t.equal(meAgain.id, me.id, 'the next sign-in finds the same account');
    t.equal(await accountCount(), before);
  });

  t.test('an existing account with the same verified email gets the identity linked', async (t) => {
    const existing = await signUp(test);
    const { sub } = newPerson({ email: existing.email.toUpperCase() });
    const { response } = await roundTrip();
    t.equal(response.statusCode, 200, response.statusCode === 200 ? 'signed in' : response.body);
    t.equal(app.jwt.decode<{ sub: string }>(json(response).accessToken)!.sub, existing.id);
    const last = (await db.store.readStream(existing.id)).at(-1)!;
    t.same([last.type, last.data], ['OidcIdentityLinked', { accountId: existing.id, issuer, subject: sub }]);
    t.match(last.metadata, { actorId: existing.id });
  });

  t.test('an email the provider has not verified neither matches nor creates an account', async (t) => {
    const existing = await signUp(test);
    newPerson({ email: existing.email, email_verified: false });
    const before = await accountCount();
    const { response } = await roundTrip();
    t.equal(response.statusCode, 401);
    t.match(json(response), { type: 'https://pams.dev/problems/oidc-sign-in-failed', detail: /email/ });
    t.equal(await accountCount(), before);
  });

  t.test('a tampered state is refused before the code is exchanged, and creates nothing', async (t) => {
    newPerson();
    const before = await accountCount();
    const { response } = await roundTrip((callback) => callback.searchParams.set('state', `${callback.searchParams.get('state')}x`));
    t.equal(response.statusCode, 401);
    t.match(json(response), { detail: /state or code/ });
    t.equal(await accountCount(), before);
  });

  t.test('a callback without the state cookie (another browser) is refused', async (t) => {
    newPerson();
    const { callback } = await roundTrip((url) => url.searchParams.set('code', 'spent'));
    const response = await app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}` });
    t.equal(response.statusCode, 401);
  });

  for (const [name, spoiler, reason] of [
    ['an ID token for another audience', (payload: Record<string, unknown>) => (payload.aud = 'someone-else'), /aud/],
    ['an expired ID token', (payload: Record<string, unknown>) => {
      payload.iat = Math.floor(Date.now() / 1000) - 7200;
      payload.exp = Math.floor(Date.now() / 1000) - 3600;
    }, /exp/],
    ['an ID token from another sign-in (nonce)', (payload: Record<string, unknown>) => (payload.nonce = 'another-sign-in'), /nonce/],
    ['an ID token from another issuer', (payload: Record<string, unknown>) => (payload.iss = 'https://evil.example.org'), /iss/],
  ] as const) {
    t.test(`${name} is refused`, async (t) => {
      newPerson();
      spoil = spoiler;
      t.teardown(() => {
        spoil = () => {};
      });
      const before = await accountCount();
      const { response } = await roundTrip();
      t.equal(response.statusCode, 401);
      t.match(json(response), { type: 'https://pams.dev/problems/oidc-sign-in-failed', detail: reason });
      t.equal(await accountCount(), before, 'no account created');
    });
  }
});
