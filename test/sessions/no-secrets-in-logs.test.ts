import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { loggerOptions } from '../../src/logger.js';
import { createTestDatabase } from '../helpers/database.js';
import { linkTokenMailedTo, PASSWORD, signUpFields } from '../helpers/accounts.js';
import type { TestApp } from '../helpers/app.js';

t.test('no password, token, email or phone of an account reaches a log line, even at trace level', async (t) => {
  const db = await createTestDatabase(t);
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig({ JWT_SECRET: 'test-secret-test-secret-test-secret-000', PASSWORD_HASH_COST: '10' });
  const app = await buildApp(
    { config, pool: db.pool, kysely: db.kysely, store: db.store, clock: () => new Date() },
    { loggerInstance: pino(loggerOptions('trace'), stream) },
  );
  t.teardown(() => app.close());
  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers });

  const fields = signUpFields();
  t.equal((await post('/auth/register', fields)).statusCode, 201);
  const verification = await linkTokenMailedTo({ app, db } as TestApp, fields.email, /Confirm/);
  await post('/auth/verify-email', { token: verification });
  const { accessToken, refreshToken } = (await post('/auth/login', { username: fields.email, password: PASSWORD })).json();
  await post('/auth/login', { username: fields.phone, password: 'a wrong password here' });
  const refreshed = (await post('/auth/refresh', { refreshToken })).json();
  await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${accessToken}` } });
  await post('/auth/password/forgot', { email: fields.email });
  const reset = await linkTokenMailedTo({ app, db } as TestApp, fields.email, /Reset/);
  await post('/auth/password/reset', { token: reset, newPassword: 'a fresh new passphrase' });
  await post('/auth/logout', { refreshToken: refreshed.refreshToken });

  t.ok(lines.length > 10, `captured ${lines.length} lines`);
  for (const secret of [PASSWORD, 'a wrong password here', 'a fresh new passphrase', verification, reset, accessToken, refreshToken, refreshed.refreshToken, fields.email, fields.phone]) {
    t.notOk(lines.some((line) => line.includes(secret)), `not logged: ${secret.slice(0, 6)}…`);
  }
});
