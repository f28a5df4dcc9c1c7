import t from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { v4 as uuid } from 'uuid';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { bearer, linkTokenMailedTo, signUp, signUpFields } from '../helpers/accounts.js';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const key = () => ({ 'idempotency-key': `key-${uuid()}` });

async function eventCount(test: TestApp, type?: string): Promise<number> {
  const result = await test.db.pool.query<{ count: number }>(
    'select count(*)::int as count from events where $1::text is null or event_type = $1',
    [type ?? null],
  );
  return result.rows[0]!.count;
}

async function registrationsOf(test: TestApp, email: string): Promise<number> {
  const result = await test.db.pool.query<{ count: number }>(
    `select count(*)::int as count from events where event_type = 'AccountRegistered' and data->>'email' = $1`,
    [email],
  );
  return result.rows[0]!.count;
}

function isRefusedReuse(t: Test, response: LightMyRequestResponse) {
  t.equal(response.statusCode, 422);
  t.match(response.headers['content-type'], /^application\/problem\+json/);
  t.match(json(response), { status: 422, detail: /Idempotency-Key was already used for a different request/ });
}

t.test('Idempotency-Key on account commands', async (t) => {
  const test = await createTestApp(t);
  const { app } = test;
  const admin = bearer(test.token({ role: 'admin', id: uuid() }));
  const register = (payload: object, headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/register', headers, payload });
  const createAccount = (payload: object, headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/api/v1/accounts', headers: { ...admin, ...headers }, payload });
  const practitioner = () => ({ role: 'practitioner', firstName: 'Grace', lastName: 'Hopper', email: `grace.${uuid().slice(0, 8)}@example.org` });

  t.test('a retried sign-up answers as the first did and registers one account', async (t) => {
    const fields = signUpFields();
    const headers = key();
    const first = await register(fields, headers);
    t.equal(first.statusCode, 201);
    t.notOk(first.headers['idempotent-replayed'], 'the first answer is not a replay');
    const before = await eventCount(test);
    const retry = await register(fields, headers);
    t.equal(retry.statusCode, 201);
    t.equal(retry.headers['idempotent-replayed'], 'true');
    t.same(json(retry), json(first));
    t.equal(await eventCount(test), before, 'the retry appended nothing');
    t.equal(await registrationsOf(test, fields.email), 1, 'one AccountRegistered');
  });

  t.test('a sign-up under a used key with another body is refused (422) and appends nothing', async (t) => {
    const headers = key();
    t.equal((await register(signUpFields(), headers)).statusCode, 201);
    const other = signUpFields();
    const before = await eventCount(test);
    isRefusedReuse(t, await register(other, headers));
    t.equal(await eventCount(test), before);
    t.equal(await registrationsOf(test, other.email), 0);
  });

  t.test('concurrent sign-ups with one key register one account; the others replay it', async (t) => {
    const fields = signUpFields();
    const headers = key();
    const responses = await Promise.all(Array.from({ length: 5 }, () => register(fields, headers)));
    t.same(responses.map((response) => response.statusCode), Array(5).fill(201));
    t.equal(new Set(responses.map((response) => json(response).id)).size, 1, 'one account id for all');
    t.equal(responses.filter((response) => response.headers['idempotent-replayed'] === 'true').length, 4);
    t.equal(await registrationsOf(test, fields.email), 1);
  });

  t.test('a refused sign-up leaves the key free for the corrected request', async (t) => {
    const taken = await signUp(test);
    const headers = key();
    t.equal((await register(signUpFields({ email: taken.email }), headers)).statusCode, 409);
    t.equal((await register(signUpFields(), headers)).statusCode, 201);
  });

  t.test("an admin's retried account creation answers as the first and registers one account", async (t) => {
    const body = practitioner();
    const headers = key();
    const first = await createAccount(body, headers);
    t.equal(first.statusCode, 201);
    const retry = await createAccount(body, headers);
    t.equal(retry.statusCode, 201);
    t.equal(retry.headers['idempotent-replayed'], 'true');
    t.same(json(retry), json(first));
    t.equal(await registrationsOf(test, body.email), 1);
    t.equal(await eventCount(test, 'PasswordResetRequested'), 1, 'one invitation mailed');

    isRefusedReuse(t, await createAccount(practitioner(), headers));
  });

  t.test('concurrent account creations with one key register one account', async (t) => {
    const body = practitioner();
    const headers = key();
    const responses = await Promise.all(Array.from({ length: 5 }, () => createAccount(body, headers)));
    t.same(responses.map((response) => response.statusCode), Array(5).fill(201));
    t.equal(new Set(responses.map((response) => json(response).id)).size, 1);
    t.equal(await registrationsOf(test, body.email), 1);
  });

  t.test('keys are per caller: another admin with the same key creates their own account', async (t) => {
    const headers = key();
    const first = json(await createAccount(practitioner(), headers));
    const other = bearer(test.token({ role: 'admin', id: uuid() }));
    const second = await app.inject({ method: 'POST', url: '/api/v1/accounts', headers: { ...other, ...headers }, payload: practitioner() });
    t.equal(second.statusCode, 201);
    t.notOk(second.headers['idempotent-replayed']);
    t.not(json(second).id, first.id);
  });

  t.test('a retried deactivation replays its 200 instead of a 409, appending one AccountDeactivated', async (t) => {
    const person = await signUp(test);
    const headers = key();
    const deactivate = (reason: string) =>
      app.inject({ method: 'POST', url: `/api/v1/accounts/${person.id}/deactivate`, headers: { ...admin, ...headers }, payload: { reason } });
    const first = await deactivate('duplicate account');
    t.equal(first.statusCode, 200);
    const retry = await deactivate('duplicate account');
    t.equal(retry.statusCode, 200);
    t.equal(retry.headers['idempotent-replayed'], 'true');
    t.same(json(retry), json(first));
    isRefusedReuse(t, await deactivate('another reason'));
    const events = await test.db.store.readStream(person.id);
    t.equal(events.filter((event) => event.type === 'AccountDeactivated').length, 1);
  });

  t.test('a retried email verification replays, although its link is used up', async (t) => {
    const person = await signUp(test);
    const token = await linkTokenMailedTo(test, person.email, /Confirm/);
    const headers = key();
    const verify = () => app.inject({ method: 'POST', url: '/api/v1/auth/verify-email', headers, payload: { token } });
    const first = await verify();
    t.equal(first.statusCode, 200);
    const retry = await verify();
    t.equal(retry.statusCode, 200);
    t.equal(retry.headers['idempotent-replayed'], 'true');
    t.same(json(retry), json(first));
    t.not((await app.inject({ method: 'POST', url: '/api/v1/auth/verify-email', payload: { token } })).statusCode, 200, 'without the key, the used link is refused');
  });

  t.test('sign-in ignores Idempotency-Key: every sign-in issues new tokens', async (t) => {
    const person = await signUp(test);
    const headers = key();
    const signIn = () => app.inject({ method: 'POST', url: '/api/v1/auth/login', headers, payload: { username: person.email, password: person.password } });
    const [first, second] = [await signIn(), await signIn()];
    t.equal(second.statusCode, 200);
    t.notOk(second.headers['idempotent-replayed']);
    t.not(json(second).refreshToken, json(first).refreshToken);
  });

  t.test('the account commands advertise Idempotency-Key in the OpenAPI document', async (t) => {
    const document = json(await app.inject({ method: 'GET', url: '/openapi.json' }));
    const paths = document.paths as Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>;
    const advertised = (path: string) => paths[path]?.post?.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key');
    for (const path of ['/api/v1/auth/register', '/api/v1/auth/verify-email', '/api/v1/auth/password/reset', '/api/v1/accounts', '/api/v1/accounts/{id}/deactivate']) {
      t.ok(advertised(path), path);
    }
    for (const path of ['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout', '/api/v1/auth/password/forgot', '/api/v1/auth/resend-verification']) {
      t.notOk(advertised(path), `${path} does not`);
    }
  });
});
