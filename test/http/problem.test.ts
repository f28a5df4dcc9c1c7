import t from 'tap';
import { v4 as uuid } from 'uuid';
import { createTestApp } from '../helpers/app.js';
import { problem } from '../helpers/problems.js';

// Fastify refuses some requests itself, before any route runs; those answers are problem+json too.

t.test("Fastify's own refusals are problem+json documents like ours", async (t) => {
  const { app, token } = await createTestApp(t);
  const login = { method: 'POST', url: '/api/v1/auth/login' } as const;

  t.test('malformed JSON is a 400 problem', async (t) => {
    const response = await app.inject({ ...login, headers: { 'content-type': 'application/json' }, payload: '{"username": ' });
    t.match(problem(t, response, 400), { type: /\/bad-request$/, title: 'Bad request', detail: /not valid JSON/ });
  });

  t.test('an empty JSON body is a 400 problem', async (t) => {
    const response = await app.inject({ ...login, headers: { 'content-type': 'application/json' }, payload: '' });
    t.match(problem(t, response, 400), { type: /\/bad-request$/, detail: /empty/ });
  });

  t.test('a body over the limit is a 413 problem', async (t) => {
    const response = await app.inject({ ...login, payload: { username: 'x'.repeat(2 * 1024 * 1024), password: 'x' } });
    t.match(problem(t, response, 413), { type: /\/body-too-large$/, title: 'Body too large' });
  });

  t.test('a media type no route reads is a 415 problem', async (t) => {
    const response = await app.inject({ ...login, headers: { 'content-type': 'application/xml' }, payload: '<login/>' });
    t.match(problem(t, response, 415), { type: /\/unsupported-media-type$/, title: 'Unsupported media type' });
  });

  t.test('a path segment longer than Fastify allows is a 414 problem that does not echo the segment', async (t) => {
    const segment = 'a'.repeat(500);
    const response = await app.inject({ method: 'GET', url: `/api/v1/patients/${segment}` });
    t.match(problem(t, response, 414), { type: /\/uri-too-long$/, title: 'URI too long' });
    t.notOk(response.json().detail.includes(segment));
  });

  t.test('a path that is not valid percent-encoding is a 400 problem', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/patients/%E0%A4%A' });
    t.match(problem(t, response, 400), { type: /\/bad-request$/ });
  });

  t.test('an unknown path is a 404 problem, the same for every method', async (t) => {
    const auth = { authorization: `Bearer ${token({ role: 'admin', id: uuid() })}` };
    for (const [method, url] of [
      ['GET', '/api/v1/nothing-here'],
      ['POST', '/api/v2/patients'],
      ['DELETE', '/nothing/at/all?q=1'],
    ] as const) {
      const response = await app.inject({ method, url, headers: auth });
      t.match(problem(t, response, 404), { type: /\/not-found$/, title: 'Not found', instance: url.split('?')[0] }, `${method} ${url}`);
    }
  });

  t.test('a known path asked with a method it does not answer is a 405 problem listing the methods in Allow', async (t) => {
    const response = await app.inject({ method: 'DELETE', url: '/api/v1/patients' });
    t.match(problem(t, response, 405), { type: /\/method-not-allowed$/, title: 'Method not allowed', instance: '/api/v1/patients' });
    t.same(response.headers.allow!.toString().split(', ').sort(), ['GET', 'HEAD', 'POST']);

    const record = await app.inject({ method: 'PUT', url: `/api/v1/patients/${uuid()}` });
    t.match(problem(t, record, 405), { type: /\/method-not-allowed$/ });
    t.same(record.headers.allow!.toString().split(', ').sort(), ['GET', 'HEAD', 'PATCH']);
  });
});
