import { createHash } from 'node:crypto';
import { OAuth2Server } from 'oauth2-mock-server';
import t from 'tap';
import { v4 as uuid } from 'uuid';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { bearer, PASSWORD, signIn, signUp, verifyEmail } from '../helpers/accounts.js';
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
  const appWith = async (settings: Record<string, string> = {}, clock = () => new Date()) => {
    const config = loadConfig({
      JWT_SECRET: 'test-secret-test-secret-test-secret-000',
      LOG_LEVEL: 'silent',
      PASSWORD_HASH_COST: '10',
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: 'a client secret',
      OIDC_REDIRECT_URI: 'http://127.0.0.1:3000/api/v1/auth/oidc/callback',
      ...settings,
    });
    const app: App = await buildApp({ config, pool: db.pool, kysely: db.kysely, store: db.store, clock }, { logger: false });
    t.teardown(() => app.close());
    return app;
  };
  const app = await appWith();
  const test = { app, db } as TestApp;

  /** The browser's round trip: our login → the provider's authorize → back to our callback with the cookies. */
  async function roundTrip(tamper: (callback: URL) => void = () => {}, on: App = app) {
    const start = await on.inject({ method: 'GET', url: '/api/v1/auth/oidc/login' });
    if (start.statusCode !== 302) throw new Error(`login answered ${start.statusCode}`);
    const authorize = new URL(start.headers.location as string);
    const cookie = start.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const atProvider = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(atProvider.headers.get('location')!);
    tamper(callback);
    const response = await on.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { cookie } });
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

  t.test('the redirect carries PKCE (S256), state and nonce, and sets signed, HttpOnly __Host- cookies', async (t) => {
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
    t.same(start.cookies.map((c) => c.name).sort(), ['__Host-oauth2-code-verifier', '__Host-oauth2-redirect-state']);
    for (const c of start.cookies) t.match(c, { httpOnly: true, secure: true, path: '/', domain: undefined }, `${c.name}: what __Host- requires`);
    const state = authorize.searchParams.get('state')!;
    const stateCookie = start.cookies.find((c) => c.name === '__Host-oauth2-redirect-state')!;
    t.ok(stateCookie.value.startsWith(`${state}.`) && stateCookie.value.length > state.length + 20, 'the state cookie carries a signature');
  });

  t.test('state and verifier cookies without a valid signature are refused', async (t) => {
    newPerson();
    const before = await accountCount();
    // The provider's code is good: only the cookies' missing signatures can refuse this callback.
    let callback!: URL;
    const { cookie } = await roundTrip((url) => {
      callback = new URL(url);
      url.searchParams.set('state', 'not this one');
    });
    const unsigned = cookie.replace(/=([^;]*)\.[^.;]+(;|$)/g, '=$1$2');
    t.not(unsigned, cookie);
    const response = await app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { cookie: unsigned } });
    t.equal(response.statusCode, 401);
    t.match(json(response), { detail: /state or code/ });
    t.equal(await accountCount(), before);
    const signed = await app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { cookie } });
    t.equal(signed.statusCode, 200, 'the same callback with the signed cookies signs in');
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

  const login = (username: string, password: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress: `10.20.${Math.floor(Math.random() * 250)}.1` });

  t.test('an existing account that verified the same email gets the identity linked, and keeps its password', async (t) => {
    const existing = await signUp(test);
    await verifyEmail(test, existing.email);
    const { sub } = newPerson({ email: existing.email.toUpperCase() });
    const { response } = await roundTrip();
    t.equal(response.statusCode, 200, response.statusCode === 200 ? 'signed in' : response.body);
    t.equal(app.jwt.decode<{ sub: string }>(json(response).accessToken)!.sub, existing.id);
    const last = (await db.store.readStream(existing.id)).at(-1)!;
    t.same([last.type, last.data], ['OidcIdentityLinked', { accountId: existing.id, issuer, subject: sub }]);
    t.match(last.metadata, { actorId: existing.id });
    t.equal((await login(existing.email, PASSWORD)).statusCode, 200);
  });

  t.test("an unverified account with the same email: the provider's proof wins, its password and sessions end, the owner is told", async (t) => {
    // Someone registered the address first, with a password of their own, and signed in.
    const squatter = await signUp(test);
    const session = await signIn(test, squatter.email);
    const { sub } = newPerson({ email: squatter.email });
    const { response } = await roundTrip();
    t.equal(response.statusCode, 200, response.statusCode === 200 ? 'signed in' : response.body);
    t.equal(app.jwt.decode<{ sub: string }>(json(response).accessToken)!.sub, squatter.id);

    const tail = (await db.store.readStream(squatter.id)).slice(-3);
    t.same(
      tail.map((event) => [event.type, event.data]),
      [
        ['PasswordCleared', { accountId: squatter.id }],
        ['EmailVerified', { accountId: squatter.id, email: squatter.email }],
        ['OidcIdentityLinked', { accountId: squatter.id, issuer, subject: sub }],
      ],
    );
    t.equal((await login(squatter.email, PASSWORD)).statusCode, 401, 'the pre-registered password no longer signs in');
    const refreshed = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: session.refreshToken } });
    t.equal(refreshed.statusCode, 401, 'its session has ended');
    t.equal((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(session.accessToken) })).statusCode, 401, 'its access token too');
    const mail = await db.pool.query('select subject from mail_outbox where to_address = $1 order by created_at desc limit 1', [squatter.email]);
    t.same(mail.rows, [{ subject: 'Your PAMS account now opens only with your sign-in provider' }]);
  });

  t.test('an email the provider has not verified neither matches nor creates an account', async (t) => {
    const existing = await signUp(test);
    const history = (await db.store.readStream(existing.id)).length;
    newPerson({ email: existing.email, email_verified: false });
    const before = await accountCount();
    const { response } = await roundTrip();
    t.equal(response.statusCode, 401);
    t.match(json(response), { type: 'https://pams.dev/problems/oidc-sign-in-failed', detail: /email/ });
    t.equal(await accountCount(), before);
    t.equal((await db.store.readStream(existing.id)).length, history, 'the existing account is left as it was');
    t.equal((await login(existing.email, PASSWORD)).statusCode, 200);
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

  for (const [claim, value] of [
    ['sub', `subject-${'x'.repeat(250)}`],
    ['email', `${'k'.repeat(250)}@example.org`],
    ['given_name', 'K'.repeat(101)],
    ['family_name', 'J'.repeat(101)],
    ['name', 'N'.repeat(101)],
    ['email', 42],
  ] as const) {
    t.test(`a ${typeof value === 'string' ? 'too long' : 'non-string'} ${claim} claim from the provider is refused by name, and creates nothing`, async (t) => {
      newPerson({ [claim]: value });
      const before = await accountCount();
      const { response } = await roundTrip();
      t.equal(response.statusCode, 401);
      t.match(json(response), { type: 'https://pams.dev/problems/oidc-sign-in-failed', detail: new RegExp(`claim ${claim} must be a string of at most \\d+ characters`) });
      t.equal(await accountCount(), before);
    });
  }

  t.test('with OIDC_APP_REDIRECT, the app gets a one-time code for the tokens', async (t) => {
    let offsetMs = 0;
    const withApp = await appWith({ OIDC_APP_REDIRECT: 'https://app.example.org/signed-in?from=oidc' }, () => new Date(Date.now() + offsetMs));
    const codeOfSignIn = async () => {
      const { response } = await roundTrip(undefined, withApp);
      if (response.statusCode !== 302) throw new Error(`callback answered ${response.statusCode} ${response.body}`);
      return new URL(response.headers.location as string).searchParams.get('code')!;
    };
    const exchange = (payload: object) => withApp.inject({ method: 'POST', url: '/api/v1/auth/oidc/exchange', payload });

    t.test('the callback sends the browser to the app with a code, and no token travels in the URL', async (t) => {
      const { email } = newPerson();
      const { response } = await roundTrip(undefined, withApp);
      t.equal(response.statusCode, 302);
      const location = new URL(response.headers.location as string);
      t.equal(`${location.origin}${location.pathname}`, 'https://app.example.org/signed-in');
      t.same([...location.searchParams.keys()].sort(), ['code', 'from'], 'the app’s own parameters are kept');
      t.match(location.searchParams.get('code'), /^[\w-]{43}$/);
      t.notMatch(response.body, /eyJ/, 'no token in the answer either');
      const tokens = await exchange({ code: location.searchParams.get('code')! });
      t.equal(tokens.statusCode, 200);
      t.match(json(tokens), { accessToken: String, refreshToken: String, tokenType: 'Bearer', expiresIn: Number });
      const me = json(await withApp.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(json(tokens).accessToken) }));
      t.equal(me.email, email);
    });

    t.test('a code works once', async (t) => {
      newPerson();
      const code = await codeOfSignIn();
      t.equal((await exchange({ code })).statusCode, 200);
      const again = await exchange({ code });
      t.equal(again.statusCode, 401);
      t.match(json(again), { type: 'https://pams.dev/problems/oidc-sign-in-failed', detail: /already used or has expired/ });
    });

    t.test('a code expires a minute after the sign-in', async (t) => {
      newPerson();
      const code = await codeOfSignIn();
      offsetMs = 61_000;
      t.teardown(() => {
        offsetMs = 0;
      });
      t.equal((await exchange({ code })).statusCode, 401);
    });

    t.test('only the digest of a code is stored', async (t) => {
      newPerson();
      const code = await codeOfSignIn();
      const stored = (await db.pool.query('select code_hash from oidc_sign_in_codes')).rows.map((row) => row.code_hash);
      t.ok(stored.includes(createHash('sha256').update(code).digest('base64url')));
      t.notOk(stored.includes(code));
    });

    t.test('an unknown code is refused, and a body without one names the field', async (t) => {
      t.equal((await exchange({ code: 'not-a-code' })).statusCode, 401);
      const missing = await exchange({});
      t.equal(missing.statusCode, 400);
      t.match(json(missing), { errors: [{ field: 'code' }] });
    });
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
