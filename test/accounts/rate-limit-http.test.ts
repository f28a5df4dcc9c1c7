import t from 'tap';
import { createTestApp, json } from '../helpers/app.js';
import { signUpFields } from '../helpers/accounts.js';

t.test('sign-ups, forgot-password and resend-verification are limited per client address', async (t) => {
  const test = await createTestApp(t, { env: { AUTH_RATE_LIMIT_MAX: '3', AUTH_RATE_LIMIT_WINDOW_SECONDS: '600' } });
  const { app, db } = test;
  const post = (url: string, payload: object, remoteAddress: string) => app.inject({ method: 'POST', url: `/api/v1${url}`, payload, remoteAddress });

  t.test('the request past AUTH_RATE_LIMIT_MAX is a 429 problem with Retry-After, and creates nothing', async (t) => {
    for (let attempt = 1; attempt <= 3; attempt += 1) t.equal((await post('/auth/register', signUpFields(), '10.8.0.1')).statusCode, 201);
    const fields = signUpFields();
    const refused = await post('/auth/register', fields, '10.8.0.1');
    t.equal(refused.statusCode, 429);
    t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.match(json(refused), { type: 'https://pams.dev/problems/rate-limited', status: 429, detail: /try again in \d+ seconds/ });
    t.ok(Number(refused.headers['retry-after']) > 0 && Number(refused.headers['retry-after']) <= 600, 'Retry-After within the window');
    t.equal(await db.store.claimHolder('email', fields.email), undefined, 'no account');
    t.equal((await post('/auth/register', fields, '10.8.0.2')).statusCode, 201, 'another address is not held back');
  });

  for (const url of ['/auth/password/forgot', '/auth/resend-verification']) {
    t.test(`${url} too`, async (t) => {
      const statuses: number[] = [];
      for (let attempt = 1; attempt <= 4; attempt += 1) statuses.push((await post(url, { email: `someone.${attempt}@example.org` }, '10.8.1.1')).statusCode);
      t.same(statuses, [202, 202, 202, 429]);
    });
  }
});
