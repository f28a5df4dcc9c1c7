import t from 'tap';
import { v4 as uuid } from 'uuid';
import { createTestApp } from '../helpers/app.js';

const APP = 'https://clinic-app.example.org';
const env = { CORS_ORIGINS: `${APP}, https://ward-app.example.org` };

t.test('a browser app on an allowed origin may read the API and the headers it needs', async (t) => {
  const { app, token } = await createTestApp(t, { env });
  const response = await app.inject({
    method: 'GET',
    url: '/api/v1/patients',
    headers: { origin: APP, authorization: `Bearer ${token({ role: 'admin', id: uuid() })}` },
  });
  t.equal(response.statusCode, 200);
  t.equal(response.headers['access-control-allow-origin'], APP);
  t.same(String(response.headers['access-control-expose-headers']).split(', ').sort(), ['ETag', 'Location', 'Retry-After']);
  t.notOk(response.headers['access-control-allow-credentials'], 'credentials stay off');
  t.match(String(response.headers.vary), /origin/i, 'caches keep answers to different origins apart');
});

t.test('another origin gets no CORS headers', async (t) => {
  const { app } = await createTestApp(t, { env });
  for (const origin of ['https://evil.example.org', `${APP}.evil.example.org`, 'http://clinic-app.example.org']) {
    const response = await app.inject({ method: 'GET', url: '/health/live', headers: { origin } });
    t.notOk(response.headers['access-control-allow-origin'], `${origin} is not allowed`);
  }
});

t.test('a preflight for a route that needs a token answers 204 with what may be sent, without asking for the token', async (t) => {
  const { app } = await createTestApp(t, { env });
  const response = await app.inject({
    method: 'OPTIONS',
    url: `/api/v1/patients/${uuid()}`,
    headers: {
      origin: APP,
      'access-control-request-method': 'PATCH',
      'access-control-request-headers': 'authorization, content-type, if-match',
    },
  });
  t.equal(response.statusCode, 204);
  t.equal(response.headers['access-control-allow-origin'], APP);
  t.match(response.headers['access-control-allow-methods'], /\bPATCH\b/);
  t.same(
    String(response.headers['access-control-allow-headers']).split(', ').sort(),
    ['Authorization', 'Consistent-With', 'Content-Type', 'Idempotency-Key', 'If-Match'],
  );
});

t.test('with no CORS_ORIGINS, no origin gets CORS headers, even on a preflight', async (t) => {
  const { app } = await createTestApp(t);
  const read = await app.inject({ method: 'GET', url: '/health/live', headers: { origin: APP } });
  t.notOk(read.headers['access-control-allow-origin']);
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/v1/patients',
    headers: { origin: APP, 'access-control-request-method': 'POST' },
  });
  t.not(preflight.statusCode, 204);
  t.notOk(preflight.headers['access-control-allow-origin']);
});
