import t from 'tap';
import { v4 as uuid } from 'uuid';
import { createTestApp } from '../helpers/app.js';

const ADMIN = { role: 'admin' as const, id: uuid() };

/** The Content-Security-Policy as directive → sources. */
function policy(header: unknown): Map<string, string[]> {
  return new Map(
    String(header)
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name!, sources]),
  );
}

t.test('every answer carries the security headers', async (t) => {
  const { app, token } = await createTestApp(t);
  const answers = {
    'a query': await app.inject({ method: 'GET', url: '/api/v1/patients', headers: { authorization: `Bearer ${token(ADMIN)}` } }),
    'a refusal': await app.inject({ method: 'GET', url: '/api/v1/patients' }),
    'an unknown route': await app.inject({ method: 'GET', url: '/nothing-here' }),
    'a probe': await app.inject({ method: 'GET', url: '/health/live' }),
    'the Swagger UI page': await app.inject({ method: 'GET', url: '/docs' }),
  };
  for (const [name, response] of Object.entries(answers)) {
    t.equal(response.headers['x-content-type-options'], 'nosniff', `${name}: nosniff`);
    t.equal(response.headers['x-frame-options'], 'DENY', `${name}: may not be framed (X-Frame-Options)`);
    t.same(policy(response.headers['content-security-policy']).get('frame-ancestors'), ["'none'"], `${name}: may not be framed (CSP)`);
    t.notOk(response.headers['strict-transport-security'], `${name}: no HSTS over plain http`);
  }
});

t.test('HSTS and the upgrade of insecure requests are sent when the service is reached over https', async (t) => {
  const { app } = await createTestApp(t, { env: { APP_BASE_URL: 'https://pams.example.org' } });
  const response = await app.inject({ method: 'GET', url: '/health/live' });
  t.match(response.headers['strict-transport-security'], /^max-age=\d{7,}; includeSubDomains$/);
  t.ok(policy(response.headers['content-security-policy']).has('upgrade-insecure-requests'));

  const plain = await createTestApp(t);
  const overHttp = await plain.app.inject({ method: 'GET', url: '/health/live' });
  t.notOk(policy(overHttp.headers['content-security-policy']).has('upgrade-insecure-requests'), 'not over plain http');
});

t.test("/docs works under the CSP: its page and every script and stylesheet it loads come from this origin and are served", async (t) => {
  const { app } = await createTestApp(t);
  const page = await app.inject({ method: 'GET', url: '/docs' });
  t.equal(page.statusCode, 200);
  const csp = policy(page.headers['content-security-policy']);
  t.same(csp.get('script-src'), ["'self'"], 'scripts from this origin only');
  t.ok(csp.get('style-src')?.includes("'self'"), 'stylesheets from this origin');
  t.notMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'the page has no inline script, which script-src would block');
  t.notMatch(page.body, /\bon[a-z]+=/, 'nor inline event handlers');
  const assets = [...page.body.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((match) => match[1]!);
  t.ok(assets.length >= 4, `found the assets (${assets.join(', ')})`);
  for (const asset of assets) {
    t.notMatch(asset, /^(https?:)?\/\//, `${asset} is on this origin`);
    const response = await app.inject({ method: 'GET', url: new URL(asset, 'http://localhost/docs').pathname });
    t.equal(response.statusCode, 200, `${asset} is served`);
    t.notOk(response.headers['cache-control']?.toString().includes('no-store'), `${asset} may be cached`);
  }
});

t.test('every /api answer is no-store, since it may carry tokens or patient data, whatever its status', async (t) => {
  const { app, token } = await createTestApp(t);
  const auth = { authorization: `Bearer ${token(ADMIN)}` };
  for (const request of [
    { method: 'GET', url: '/api/v1/patients', headers: auth },
    { method: 'GET', url: `/api/v1/patients/${uuid()}`, headers: auth },
    { method: 'GET', url: '/api/v1/patients' },
    { method: 'POST', url: '/api/v1/auth/login', payload: { username: 'nobody@example.org', password: 'not a password' } },
    { method: 'GET', url: '/api/v1/nothing-here' },
  ] as const) {
    const response = await app.inject(request);
    t.equal(response.headers['cache-control'], 'no-store', `${request.method} ${request.url} (${response.statusCode})`);
  }
});
