import t from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { v4 as uuid } from 'uuid';
import { buildApp, type App } from '../src/app.js';
import { signAccessToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import type { EventStore } from '../src/event-store/store.js';
import { loggerOptions } from '../src/logger.js';
import { createTestApp, json } from './helpers/app.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

const admin = { sub: uuid(), role: 'admin' as const, sid: uuid() };

interface Operation {
  summary?: string;
  security?: unknown;
  parameters?: Array<{ in: string; name: string; schema?: unknown }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> }>;
}

/** The route table as fastify prints it: every method and URL actually served. */
function servedRoutes(app: App): Array<{ method: string; url: string }> {
  const routes: Array<{ method: string; url: string }> = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│├└─ ]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const url = stack.join('');
    for (const method of match[3]!.split(', ')) routes.push({ method, url });
  }
  return routes;
}

const documented = (route: { method: string; url: string }) =>
  route.method !== 'HEAD' && route.url !== '/openapi.json' && !route.url.startsWith('/docs');

const isProblem = (response: Operation['responses'][string]) => {
  const schema = response.content?.['application/problem+json']?.schema;
  return schema !== undefined && ['type', 'title', 'status', 'detail', 'instance'].every((field) => schema.required?.includes(field));
};

function testConfig() {
  return loadConfig({ JWT_SECRET: 'test-secret-test-secret-test-secret-000', LOG_LEVEL: 'silent', PASSWORD_HASH_COST: '10' });
}

/** The store, but `method` fails with `error`. */
const storeFailing = (store: EventStore, method: 'readStreamToFold' | 'append' | 'countAfter', error: Error): EventStore => ({
  ...store,
  [method]: async () => {
    throw error;
  },
});

/** An app of our own making, to give it a logger of our own or a store that fails. */
async function appWith(
  t: Parameters<typeof createTestDatabase>[0],
  db: TestDatabase,
  options: { store?: EventStore; lines?: string[]; level?: string },
) {
  const lines = options.lines ?? [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const app = await buildApp(
    { config: testConfig(), pool: db.pool, kysely: db.kysely, store: options.store ?? db.store, clock: () => new Date() },
    { loggerInstance: pino(loggerOptions(options.level ?? 'trace'), stream) },
  );
  t.teardown(() => app.close());
  return { app, lines, auth: `Bearer ${signAccessToken(app, admin)}` };
}

t.test('the OpenAPI document', async (t) => {
  const { app } = await createTestApp(t);
  const response = await app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(response.statusCode, 200);
  const doc = json<{ openapi: string; paths: Record<string, Record<string, Operation>>; components: Record<string, any> }>(response);
  t.match(doc.openapi, /^3\./);
  t.same(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });

  const routes = servedRoutes(app).filter(documented);
  t.ok(routes.length >= 8, `found the route table (${routes.length} routes)`);
  for (const expected of [
    'POST /api/v1/patients',
    'GET /api/v1/patients',
    'GET /api/v1/patients/:id',
    'PATCH /api/v1/patients/:id',
    'POST /api/v1/patients/:id/deactivate',
    'POST /api/v1/patients/:id/reactivate',
    'GET /api/v1/patients/:id/history',
    'GET /health/live',
    'GET /health/ready',
    'GET /health/details',
  ]) {
    t.ok(routes.some((route) => `${route.method} ${route.url}` === expected), `${expected} is served`);
  }

  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    t.test(`${route.method} ${route.url} is documented with its request, its responses and its errors`, async (t) => {
      const operation = doc.paths[path]?.[route.method.toLowerCase()];
      if (!operation) return t.fail(`${route.method} ${path} is missing from /openapi.json`);
      t.match(operation.summary, /\w/, 'has a summary');

      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!)) {
        const parameter = operation.parameters?.find((candidate) => candidate.in === 'path' && candidate.name === name);
        t.ok(parameter?.schema, `path parameter ${name} has a schema`);
      }
      if (operation.requestBody) t.ok(operation.requestBody.content['application/json']?.schema, 'the body has a schema');

      const statuses = Object.keys(operation.responses);
      const successes = statuses.filter((status) => status.startsWith('2'));
      t.ok(successes.length > 0, 'documents its success');
      for (const status of successes.filter((status) => status !== '204')) {
        t.ok(operation.responses[status]!.content?.['application/json']?.schema, `${status} has a schema`);
      }
      t.ok(operation.responses['500'] && isProblem(operation.responses['500']), 'documents a 500 as problem+json');
      if (route.url.startsWith('/api/')) {
        for (const status of statuses.filter((status) => Number(status) >= 400)) {
          t.ok(isProblem(operation.responses[status]!), `${status} is documented as problem+json`);
        }
      }

      // Whether the route is protected is what it does, not what it says: ask it anonymously.
      const url = route.url.replace(/:(\w+)/g, uuid());
      const anonymous = await app.inject({ method: route.method as 'GET', url });
      if (anonymous.statusCode === 401) {
        t.same(operation.security, [{ bearerAuth: [] }], 'a protected route asks for the bearer token');
        t.ok(operation.responses['401'] && isProblem(operation.responses['401']), 'and documents its 401');
        t.ok(operation.responses['403'] && isProblem(operation.responses['403']), 'and its 403');
      } else {
        t.same(operation.security, [], `a public route (answered ${anonymous.statusCode}) asks for no token`);
      }
    });
  }

  t.test('the patient commands document their request bodies and headers', async (t) => {
    for (const [path, method] of [
      ['/api/v1/patients', 'post'],
      ['/api/v1/patients/{id}', 'patch'],
      ['/api/v1/patients/{id}/deactivate', 'post'],
      ['/api/v1/patients/{id}/reactivate', 'post'],
    ] as const) {
      const operation = doc.paths[path]![method]!;
      t.ok(operation.requestBody?.content['application/json']?.schema, `${method} ${path} has a body schema`);
      t.ok(operation.parameters?.some((p) => p.in === 'header' && p.name === 'if-match'), `${method} ${path} documents If-Match`);
      t.ok(operation.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'), `${method} ${path} documents Idempotency-Key`);
    }
    const registerBody = doc.paths['/api/v1/patients']!.post!.requestBody!.content['application/json']!.schema as {
      required: string[];
      additionalProperties: boolean;
    };
    t.same([...registerBody.required].sort(), ['dateOfBirth', 'firstName', 'lastName', 'mrn', 'sex']);
    t.equal(registerBody.additionalProperties, false);
    const queries = doc.paths['/api/v1/patients']!.get!.parameters!.map((p) => `${p.in}:${p.name}`);
    t.same(queries, ['query:limit', 'query:cursor', 'query:search', 'query:dateOfBirth', 'query:active', 'header:consistent-with']);
  });
});

t.test('/docs serves the Swagger UI as HTML', async (t) => {
  const { app } = await createTestApp(t);
  let response = await app.inject({ method: 'GET', url: '/docs' });
  if (response.statusCode >= 300 && response.statusCode < 400) {
    response = await app.inject({ method: 'GET', url: new URL(response.headers.location!, 'http://localhost/docs').pathname });
  }
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /^text\/html/);
  t.match(response.body, /swagger/i);
});

t.test('health', async (t) => {
  const context = await createTestApp(t);
  const { app, token } = context;

  t.test('/health/live answers while the process is up, without a token', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/health/live' });
    t.equal(response.statusCode, 200);
    t.same(json(response), { status: 'live' });
  });

  t.test('/health/ready tells anyone whether the database answers and is migrated, and nothing more', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    t.equal(response.statusCode, 200);
    t.same(json(response), { status: 'ready', database: true });
  });

  t.test("/health/details shows admins the migrations and how far behind patient_summary is, dropping to 0 once projected", async (t) => {
    const auth = { authorization: `Bearer ${token({ role: 'admin', id: uuid() })}` };
    const details = async () => app.inject({ method: 'GET', url: '/health/details', headers: auth });
    await context.project();
    const before = json(await details());
    const start = before.projections.find((projection: { name: string }) => projection.name === 'patient_summary');
    t.match(start, { name: 'patient_summary', behind: 0 });

    let last = 0;
    for (let i = 0; i < 3; i += 1) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/patients',
        headers: auth,
        payload: { mrn: `H-${uuid().slice(0, 8)}`, firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1990-02-03', sex: 'female' },
      });
      last = json(response).position;
    }
    const behind = await details();
    t.equal(behind.statusCode, 200, 'a projection behind is lag, not unreadiness');
    const lagging = json(behind);
    t.match(lagging, { status: 'ready', database: true, pendingMigrations: [] });
    t.match(
      lagging.projections.find((projection: { name: string }) => projection.name === 'patient_summary'),
      { name: 'patient_summary', position: start.position, behind: 3 },
    );

    await context.project();
    const caughtUp = json(await details());
    t.match(
      caughtUp.projections.find((projection: { name: string }) => projection.name === 'patient_summary'),
      { name: 'patient_summary', position: last, behind: 0, updatedAt: String },
    );
    t.ok(caughtUp.projections.every((projection: { behind: number }) => projection.behind === 0), 'every projection caught up');
  });
});

t.test('/health/ready counts no events, however often it is called', async (t) => {
  const db = await createTestDatabase(t);
  const { app } = await appWith(t, db, { store: storeFailing(db.store, 'countAfter', new Error('counted the events')) });
  for (let i = 0; i < 2; i += 1) {
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    t.equal(response.statusCode, 200, `call ${i + 1}`);
    t.same(json(response), { status: 'ready', database: true });
  }
});

t.test('with HEALTH_DETAILS=true, /health/ready shows anyone the details too', async (t) => {
  const { app } = await createTestApp(t, { env: { HEALTH_DETAILS: 'true' } });
  const response = await app.inject({ method: 'GET', url: '/health/ready' });
  t.equal(response.statusCode, 200);
  const body = json(response);
  t.match(body, { status: 'ready', database: true, pendingMigrations: [] });
  t.ok(body.projections.some((projection: { name: string }) => projection.name === 'patient_summary'), 'with the projections');
});

t.test('errors', async (t) => {
  t.test('a 500 reveals nothing of its cause, comes back as problem+json, and is logged for us with the request id', async (t) => {
    const db = await createTestDatabase(t);
    const secret = 'connect ECONNREFUSED 10.9.8.7:5432 user=pams_owner password=hunter2';
    const failing = storeFailing(db.store, 'readStreamToFold', Object.assign(new Error(secret), { code: 'XX000', detail: 'Key (value)=(MRN-SECRET)' }));
    const { app, lines, auth } = await appWith(t, db, { store: failing });
    const response = await app.inject({
      method: 'GET',
      url: `/api/v1/patients/${uuid()}/history`,
      headers: { authorization: auth, 'x-request-id': 'req-fail-500' },
    });
    t.equal(response.statusCode, 500);
    t.match(response.headers['content-type'], /^application\/problem\+json/);
    t.equal(response.headers['x-request-id'], 'req-fail-500');
    const body = json(response);
    t.same(Object.keys(body).sort(), ['detail', 'instance', 'status', 'title', 'type']);
    t.match(body, { type: /internal$/, title: 'Internal server error', status: 500, detail: /req-fail-500/ });
    for (const leak of ['hunter2', '10.9.8.7', 'ECONNREFUSED', 'MRN-SECRET', 'stack', 'node_modules']) {
      t.notOk(response.body.includes(leak), `the response does not say "${leak}"`);
    }
    const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.reqId === 'req-fail-500' && entry.level >= 50);
    t.match(logged, { msg: 'request failed', err: { message: secret, code: 'XX000' } }, 'the cause is in our logs');
    t.notOk(lines.some((line) => line.includes('MRN-SECRET')), "PostgreSQL's detail, which quotes values, is not logged");
  });

  t.test('at the warn level a request that goes well logs nothing, and a failure still carries its request id', async (t) => {
    const db = await createTestDatabase(t);
    const failing = storeFailing(db.store, 'readStreamToFold', new Error('the database went away'));
    const { app, lines, auth } = await appWith(t, db, { store: failing, level: 'warn' });
    const fine = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'req-fine' } });
    t.equal(fine.statusCode, 200);
    const failed = await app.inject({
      method: 'GET',
      url: `/api/v1/patients/${uuid()}/history`,
      headers: { authorization: auth, 'x-request-id': 'req-fail-warn' },
    });
    t.equal(failed.statusCode, 500);
    const entries = lines.map((line) => JSON.parse(line));
    t.notOk(entries.some((entry) => entry.reqId === 'req-fine'), 'nothing about the request that went well');
    t.match(entries.find((entry) => entry.reqId === 'req-fail-warn'), { level: 50, msg: 'request failed' });
  });

  t.test('a command whose store fails appends nothing and also answers a bare 500 problem', async (t) => {
    const db = await createTestDatabase(t);
    const failing = storeFailing(db.store, 'append', new Error('relation "events" does not exist'));
    const { app, auth } = await appWith(t, db, { store: failing });
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/patients',
      headers: { authorization: auth },
      payload: { mrn: 'H-1', firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1990-02-03', sex: 'female' },
    });
    t.equal(response.statusCode, 500);
    t.match(response.headers['content-type'], /^application\/problem\+json/);
    t.notOk(response.body.includes('relation'), 'no SQL in the answer');
    t.equal((await db.pool.query('select count(*)::int as n from events')).rows[0].n, 0);
  });
});

t.test('logs carry request ids but never names, dates of birth, phone numbers, emails or tokens', async (t) => {
  const db = await createTestDatabase(t);
  const { app, lines, auth } = await appWith(t, db, {});
  const person = {
    mrn: 'MRN-ZQ-4471',
    firstName: 'Zebulonia',
    lastName: 'Quixotterly',
    dateOfBirth: '1937-04-29',
    sex: 'female',
    phone: '+2348055501234',
    email: 'zebulonia.quix@example.org',
    address: { line: '17 Yellowhammer Crescent', city: 'Ibadan', country: 'NG' },
    nationality: 'Nigerian',
    emergencyContacts: [{ name: 'Bartholomew Quixotterly', relationship: 'son', phone: '+2348077702345' }],
  };

  const registered = await app.inject({
    method: 'POST',
    url: '/api/v1/patients',
    headers: { authorization: auth, 'x-request-id': 'req-log-register', 'idempotency-key': 'idem-Zebulonia-1937' },
    payload: person,
  });
  t.equal(registered.statusCode, 201);
  const { id } = json(registered);
  const requests = [
    { method: 'GET', url: `/api/v1/patients?search=Zebulonia%20Quix&dateOfBirth=1937-04-29`, id: 'req-log-search' },
    { method: 'GET', url: `/api/v1/patients?search=${encodeURIComponent('+2348055501234')}`, id: 'req-log-search-phone' },
    { method: 'GET', url: `/api/v1/patients/${id}/history`, id: 'req-log-history' },
    {
      method: 'PATCH',
      url: `/api/v1/patients/${id}`,
      id: 'req-log-patch',
      payload: { email: 'zebulonia.quix@example.org', phone: '+2348055501234', lastName: 'Quixotterly' },
    },
    // Refused input is where values are most tempted into messages.
    { method: 'POST', url: '/api/v1/patients', id: 'req-log-invalid', payload: { ...person, email: 'zebulonia.quix@', dateOfBirth: '1937-04-31' } },
    { method: 'POST', url: '/api/v1/patients', id: 'req-log-duplicate', payload: person },
  ] as const;
  for (const request of requests) {
    const response = await app.inject({
      method: request.method,
      url: request.url,
      headers: { authorization: auth, 'x-request-id': request.id },
      ...('payload' in request ? { payload: request.payload } : {}),
    });
    t.ok(response.statusCode < 500, `${request.id} answered ${response.statusCode}`);
  }
  const forged = await app.inject({
    method: 'GET',
    url: '/api/v1/patients',
    headers: { authorization: `${auth.slice(0, -6)}AAAAAA`, 'x-request-id': 'req-log-forged' },
  });
  t.equal(forged.statusCode, 401);

  t.ok(lines.length >= 2 * (requests.length + 2), `captured ${lines.length} log lines`);
  for (const requestId of ['req-log-register', ...requests.map((request) => request.id), 'req-log-forged']) {
    t.ok(lines.some((line) => JSON.parse(line).reqId === requestId), `request id ${requestId} is logged`);
  }
  t.ok(lines.some((line) => line.includes(`/api/v1/patients/${id}/history`)), 'paths are logged');
  t.ok(lines.some((line) => line.includes('/api/v1/patients?[query redacted]')), 'query strings are not');
  const token = auth.slice('Bearer '.length);
  const secrets = [
    person.firstName,
    person.lastName,
    'zebulonia',
    'quix',
    person.dateOfBirth,
    '1937',
    person.phone,
    '2348055501234',
    '2348077702345',
    person.email,
    person.address.line,
    'Yellowhammer',
    'Bartholomew',
    token,
    token.split('.')[2]!,
    'AAAAAA',
    'idem-Zebulonia',
  ];
  // The numbers the logger adds itself are left out: their digits can spell a year by chance (a
  // responseTime of 1.0193790000012086 once held "1937").
  const logged = lines.map((line) => {
    const { time: _time, responseTime: _responseTime, pid: _pid, ...rest } = JSON.parse(line) as Record<string, unknown>;
    return JSON.stringify(rest);
  });
  for (const secret of secrets) {
    const leaking = logged.filter((line) => line.toLowerCase().includes(secret.toLowerCase()));
    t.same(leaking, [], `"${secret}" is in no log line`);
  }
});
