import t from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { v4 as uuid } from 'uuid';
import { encodeCursor } from '../../src/http/schemas.js';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { registrationBody } from '../helpers/patients.js';
import { invalidFields, problem, type Test } from '../helpers/problems.js';

const admin = { role: 'admin' as const, id: uuid() };
const UNKNOWN_ID = '0192f0c4-7a6b-7d3e-9c1a-2b3c4d5e6f70';
const BAD_IDS = ['not-a-uuid', '42', `urn:uuid:${UNKNOWN_ID}`, `${UNKNOWN_ID}0`];

interface Patient {
  id: string;
  mrn: string;
  firstName: string;
  lastName: string;
  [field: string]: unknown;
}
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

function client({ app, token }: TestApp) {
  const auth = { authorization: `Bearer ${token(admin)}` };
  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { ...auth, ...headers } });
  const register = async (fields: Record<string, unknown> = {}) => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/patients',
      headers: auth,
      payload: registrationBody(fields),
    });
    if (response.statusCode !== 201) throw new Error(`registration failed: ${response.body}`);
    return json<{ id: string; version: number; position: number }>(response);
  };
  const command = async (method: 'PATCH' | 'POST', url: string, payload: object) => {
    const response = await app.inject({ method, url, headers: auth, payload });
    if (response.statusCode !== 200) throw new Error(`${method} ${url} failed: ${response.body}`);
    return json<{ id: string; version: number; position: number }>(response);
  };
  const list = async (query: Record<string, string | number | boolean>) => {
    const response = await get(`/api/v1/patients?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`);
    if (response.statusCode !== 200) throw new Error(`list failed: ${response.body}`);
    return json<Page<Patient>>(response);
  };
  return { auth, get, register, command, list };
}

t.test('reading one patient: GET /api/v1/patients/{id}', async (t) => {
  const now = new Date('2026-03-15T10:20:30.000Z');
  const context = await createTestApp(t, { now: () => now });
  const { get, register, command } = client(context);

  t.test('answers the projected summary with every field, and its version as the ETag', async (t) => {
    const created = await register({
      mrn: 'mrn-read-1',
      firstName: 'Ada',
      lastName: 'Lovelace',
      dateOfBirth: '1990-02-03',
      sex: 'female',
      phone: '+2348012345678',
      email: 'ada@example.org',
      address: { line: '1 Marina Road', city: 'Lagos', country: 'ng' },
      bloodGroup: 'O+',
      genotype: 'AA',
      nationality: 'Nigerian',
      emergencyContacts: [{ name: 'Byron Lovelace', relationship: 'brother', phone: '+2348098765432' }],
    });
    await context.project();
    const response = await get(`/api/v1/patients/${created.id}`);
    t.equal(response.statusCode, 200);
    t.equal(response.headers.etag, '"1"');
    t.same(json(response), {
      id: created.id,
      mrn: 'mrn-read-1',
      firstName: 'Ada',
      lastName: 'Lovelace',
      dateOfBirth: '1990-02-03',
      sex: 'female',
      phone: '+2348012345678',
      email: 'ada@example.org',
      address: { line: '1 Marina Road', city: 'Lagos', state: null, postalCode: null, country: 'NG' },
      bloodGroup: 'O+',
      genotype: 'AA',
      nationality: 'Nigerian',
      emergencyContacts: [{ name: 'Byron Lovelace', relationship: 'brother', phone: '+2348098765432' }],
      active: true,
      statusReason: null,
      version: 1,
      position: created.position,
      registeredAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
  });

  t.test('follows corrections and status changes once projected', async (t) => {
    const created = await register({ phone: '+2348012345678' });
    await command('PATCH', `/api/v1/patients/${created.id}`, { lastName: 'King', phone: null });
    const last = await command('POST', `/api/v1/patients/${created.id}/deactivate`, { reason: 'Duplicate record' });
    await context.project();
    const response = await get(`/api/v1/patients/${created.id}`);
    t.equal(response.headers.etag, '"3"');
    t.match(json(response), {
      id: created.id,
      lastName: 'King',
      phone: null,
      active: false,
      statusReason: 'Duplicate record',
      version: 3,
      position: last.position,
    });
  });

  t.test('an unknown id is a 404 problem', async (t) => {
    problem(t, await get(`/api/v1/patients/${UNKNOWN_ID}`), 404);
  });

  t.test('a registered but not yet projected patient is not found without Consistent-With', async (t) => {
    const created = await register();
    problem(t, await get(`/api/v1/patients/${created.id}`), 404);
  });

  for (const badId of BAD_IDS) {
    t.test(`an id that is not a UUID (${badId}) is a 400 naming the id, never a 500`, async (t) => {
      invalidFields(t, await get(`/api/v1/patients/${encodeURIComponent(badId)}`), 'params', ['id']);
    });
  }

  t.test('an anonymous caller is a 401', async (t) => {
    problem(t, await context.app.inject({ method: 'GET', url: `/api/v1/patients/${UNKNOWN_ID}` }), 401);
  });

  t.test('an auditor may read a record', async (t) => {
    const created = await register();
    await context.project();
    const auditor = `Bearer ${context.token({ role: 'auditor', id: uuid() })}`;
    const response = await get(`/api/v1/patients/${created.id}`, { authorization: auditor });
    t.equal(response.statusCode, 200);
    t.equal(json(response).id, created.id);
  });
});

t.test('a patient sees only their own record', async (t) => {
  const context = await createTestApp(t);
  const { get, register } = client(context);
  const own = await register({ firstName: 'Own', lastName: 'Record' });
  const other = await register({ firstName: 'Other', lastName: 'Person' });
  await context.project();
  const patient = { authorization: `Bearer ${context.token({ role: 'patient', id: uuid(), patientId: own.id })}` };

  t.test('their own summary and history are readable', async (t) => {
    const summary = await get(`/api/v1/patients/${own.id}`, patient);
    t.equal(summary.statusCode, 200);
    t.match(json(summary), { id: own.id, firstName: 'Own' });
    const history = await get(`/api/v1/patients/${own.id}/history`, patient);
    t.equal(history.statusCode, 200);
    t.same(json(history).items.map((item: { type: string }) => item.type), ['PatientRegistered']);
  });

  t.test("another patient's summary and history answer 404, as if they did not exist", async (t) => {
    const summary = problem(t, await get(`/api/v1/patients/${other.id}`, patient), 404);
    const history = problem(t, await get(`/api/v1/patients/${other.id}/history`, patient), 404);
    for (const body of [summary, history]) t.notMatch(JSON.stringify(body), /Other|Person/);
    const unknown = problem(t, await get(`/api/v1/patients/${UNKNOWN_ID}`, patient), 404);
    t.equal(summary.title, unknown.title, 'indistinguishable from a record that does not exist');
  });
});

t.test('listing patients: GET /api/v1/patients', async (t) => {
  t.test('pages through 120 patients with limit 50: three pages, no duplicates, no gaps, ordered by family name, given name, id', async (t) => {
    const context = await createTestApp(t);
    const { register, list } = client(context);
    const lastNames = ['Okafor', 'adams', 'Adams', 'Zulu', 'Bello', 'okafor'];
    const firstNames = ['Chidi', 'ada', 'Ada', 'Musa'];
    const created: Array<{ id: string; first: string; last: string }> = [];
    for (let i = 0; i < 120; i += 1) {
      const first = firstNames[i % firstNames.length]!;
      const last = lastNames[Math.floor(i / 4) % lastNames.length]!;
      const { id } = await register({ firstName: first, lastName: last });
      created.push({ id, first, last });
    }
    await context.project();
    const key = (p: { first: string; last: string; id: string }) => [p.last.toLowerCase(), p.first.toLowerCase(), p.id];
    const expected = [...created]
      .sort((a, b) => {
        const [ka, kb] = [key(a), key(b)];
        for (let i = 0; i < 3; i += 1) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
        return 0;
      })
      .map((p) => p.id);

    const pages: Array<Page<Patient>> = [];
    let cursor: string | null | undefined;
    do {
      const page = await list({ limit: 50, ...(cursor ? { cursor } : {}) });
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor && pages.length < 10);
    t.same(pages.map((page) => page.items.length), [50, 50, 20]);
    t.equal(pages.at(-1)!.nextCursor, null, 'the last page says there is no more');
    const seen = pages.flatMap((page) => page.items.map((item) => item.id));
    t.equal(new Set(seen).size, 120, 'no duplicates');
    t.same(seen, expected, 'no gaps, in the stable order');
    t.match(pages[0]!.items[0], { id: String, mrn: String, firstName: String, lastName: String, version: 1, active: true });

    t.test('the default page size is 50', async (t) => {
      const page = await list({});
      t.equal(page.items.length, 50);
      t.same(page.items.map((item) => item.id), expected.slice(0, 50));
    });

    t.test('a patient registered ahead of the cursor between pages neither repeats nor hides a row', async (t) => {
      const first = await list({ limit: 50 });
      await register({ firstName: 'Aaron', lastName: 'Aardvark' });
      await context.project();
      const rest: string[] = [];
      let next = first.nextCursor;
      while (next) {
        const page = await list({ limit: 50, cursor: next });
        rest.push(...page.items.map((item) => item.id));
        next = page.nextCursor;
      }
      t.same([...first.items.map((item) => item.id), ...rest], expected);
    });
  });

  t.test('filters', async (t) => {
    const context = await createTestApp(t);
    const { get, register, command, list } = client(context);
    const ada = await register({ mrn: 'H-7781', firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1915-12-10' });
    const adaeze = await register({ firstName: 'Adaeze', lastName: 'Okafor', dateOfBirth: '1990-02-03' });
    const grace = await register({ firstName: 'Grace', lastName: 'Hopper', dateOfBirth: '1906-12-09' });
    const charles = await register({ firstName: 'Charles', lastName: 'Babbage', dateOfBirth: '1990-02-03' });
    const oneil = await register({ firstName: 'Shaq', lastName: 'O_Neil', dateOfBirth: '1972-03-06' });
    const percent = await register({ firstName: 'Per', lastName: '50%Off', dateOfBirth: '1972-03-06' });
    await command('POST', `/api/v1/patients/${grace.id}/deactivate`, { reason: 'Died' });
    await context.project();
    const ids = async (query: Record<string, string | number | boolean>) => (await list(query)).items.map((item) => item.id);

    t.test('search matches the start of a given name, case-insensitively', async (t) => {
      t.same(await ids({ search: 'ada' }), [ada.id, adaeze.id]);
      t.same(await ids({ search: 'ADAE' }), [adaeze.id]);
    });

    t.test('search matches the start of a family name, case-insensitively', async (t) => {
      t.same(await ids({ search: 'LOVE' }), [ada.id]);
      t.same(await ids({ search: 'hop' }), [grace.id]);
    });

    t.test('a search of only spaces is refused, not taken to mean everyone', async (t) => {
      const response = await context.app.inject({
        method: 'GET',
        url: '/api/v1/patients?search=%20%20',
        headers: { authorization: `Bearer ${context.token({ role: 'admin', id: ada.id })}` },
      });
      t.equal(response.statusCode, 400);
      t.match(response.json().errors, [{ in: 'query', field: 'search' }]);
    });

    t.test('search does not match the middle of a name', async (t) => {
      t.same(await ids({ search: 'lace' }), []);
      t.same(await ids({ search: 'daeze' }), []);
    });

    t.test('search finds an exact MRN in any case, but not a part of one', async (t) => {
      t.same(await ids({ search: 'h-7781' }), [ada.id]);
      t.same(await ids({ search: 'H-778' }), []);
    });

    t.test('"given family-prefix" finds the person with that given name and family name start', async (t) => {
      t.same(await ids({ search: 'ada love' }), [ada.id]);
      t.same(await ids({ search: '  Ada   LOVELACE ' }), [ada.id], 'spacing and case do not matter');
      t.same(await ids({ search: 'adaeze love' }), [], 'the given name must match in full');
      t.same(await ids({ search: 'grace love' }), []);
    });

    t.test('LIKE wildcards in a search are literal characters', async (t) => {
      t.same(await ids({ search: '%' }), [], '% matches no name that does not start with %');
      t.same(await ids({ search: '_' }), [], '_ is not "any one character"');
      t.same(await ids({ search: 'o_' }), [oneil.id], 'o_ finds O_Neil, not Okafor');
      t.same(await ids({ search: '50%' }), [percent.id]);
      t.same(await ids({ search: '\\' }), [], 'a backslash is not an escape either');
    });

    t.test('dateOfBirth filters to that exact date', async (t) => {
      t.same(await ids({ dateOfBirth: '1990-02-03' }), [charles.id, adaeze.id]);
      t.same(await ids({ dateOfBirth: '1990-02-04' }), []);
    });

    t.test('active filters by status', async (t) => {
      t.same(await ids({ active: false }), [grace.id]);
      t.same((await ids({ active: true })).sort(), [ada.id, adaeze.id, charles.id, oneil.id, percent.id].sort());
    });

    t.test('filters combine', async (t) => {
      t.same(await ids({ search: 'ada', dateOfBirth: '1990-02-03' }), [adaeze.id]);
      t.same(await ids({ search: 'hopper', active: true }), []);
      t.same(await ids({ dateOfBirth: '1972-03-06', limit: 1 }).then((found) => found.length), 1);
    });

    t.test('a search with no match is an empty page, not an error', async (t) => {
      t.same(await list({ search: 'nobody-by-this-name' }), { items: [], nextCursor: null });
    });

    t.test('a limit above 100, or below 1, is a 400 naming limit', async (t) => {
      invalidFields(t, await get('/api/v1/patients?limit=101'), 'query', ['limit']);
      invalidFields(t, await get('/api/v1/patients?limit=0'), 'query', ['limit']);
      invalidFields(t, await get('/api/v1/patients?limit=ten'), 'query', ['limit']);
    });

    t.test('a cursor this endpoint did not issue is a 400 naming cursor, never a 500', async (t) => {
      for (const cursor of [
        'garbage',
        encodeCursor(12),
        encodeCursor(['a', 'b']),
        encodeCursor(['lovelace', 'ada', 'not-a-uuid']),
        encodeCursor(['lovelace', 'ada', `urn:uuid:${UNKNOWN_ID}`]),
      ]) {
        invalidFields(t, await get(`/api/v1/patients?cursor=${encodeURIComponent(cursor)}`), 'query', ['cursor']);
      }
    });

    t.test('bad filters are all named at once', async (t) => {
      invalidFields(t, await get('/api/v1/patients?dateOfBirth=02/03/1990&active=maybe&limit=500&colour=red'), 'query', [
        'dateOfBirth',
        'active',
        'limit',
        'colour',
      ]);
    });
  });
});

t.test('read-your-writes: the Consistent-With header', async (t) => {
  t.test("waits for the projection to reach the command's position, then shows the write", async (t) => {
    const context = await createTestApp(t, { consistencyTimeoutMs: 30_000 });
    const { get, register, command } = client(context);
    const created = await register({ firstName: 'Waited', lastName: 'For' });

    const [response] = await Promise.all([
      get(`/api/v1/patients/${created.id}`, { 'consistent-with': String(created.position) }),
      sleep(100).then(() => context.project()),
    ]);
    t.equal(response.statusCode, 200);
    t.match(json(response), { id: created.id, firstName: 'Waited', version: 1 });

    const changed = await command('PATCH', `/api/v1/patients/${created.id}`, { lastName: 'Found' });
    const [page] = await Promise.all([
      get(`/api/v1/patients?search=waited`, { 'consistent-with': String(changed.position) }),
      sleep(100).then(() => context.project()),
    ]);
    t.equal(page.statusCode, 200);
    t.match(json(page).items, [{ id: created.id, lastName: 'Found', version: 2 }], 'the list waits too');
  });

  t.test('a position already projected answers at once', async (t) => {
    const context = await createTestApp(t, { consistencyTimeoutMs: 100 });
    const { get, register } = client(context);
    const created = await register();
    await context.project();
    const response = await get(`/api/v1/patients/${created.id}`, { 'consistent-with': String(created.position) });
    t.equal(response.statusCode, 200);
  });

  t.test('a projection that does not catch up in time is a 503 problem with Retry-After', async (t) => {
    const context = await createTestApp(t, { consistencyTimeoutMs: 100 });
    const { get, register } = client(context);
    const created = await register();
    const response = await get(`/api/v1/patients/${created.id}`, { 'consistent-with': String(created.position) });
    const body = problem(t, response, 503);
    t.match(response.headers['retry-after'], /^\d+$/);
    t.match(body.detail, /patient_summary read model has not yet caught up/);
    problem(t, await get('/api/v1/patients', { 'consistent-with': String(created.position) }), 503);
  });

  t.test('a position that no event has is a 400 naming the header, never a 500', async (t) => {
    const context = await createTestApp(t, { consistencyTimeoutMs: 100 });
    const { get, register } = client(context);
    const created = await register();
    for (const position of [String(created.position + 1_000_000), '0', '-3', 'abc', '99999999999999999999']) {
      invalidFields(t, await get(`/api/v1/patients/${created.id}`, { 'consistent-with': position }), 'headers', ['consistent-with']);
    }
  });
});

t.test("the auditor's replay: GET /api/v1/patients/{id}/history", async (t) => {
  let now = new Date('2026-03-15T08:00:00.000Z');
  const context = await createTestApp(t, { now: () => now });
  const { app } = context;
  const { get, register, command } = client(context);
  const clerk = { role: 'admin' as const, id: uuid() };
  const clerkAuth = { authorization: `Bearer ${context.token(clerk)}` };

  const created = await register({ firstName: 'Ada', lastName: 'Lovelace', phone: '+2348012345678' });
  now = new Date('2026-03-15T09:00:00.000Z');
  const corrected = await app.inject({
    method: 'PATCH',
    url: `/api/v1/patients/${created.id}`,
    headers: { ...clerkAuth, 'x-correlation-id': 'ticket-4711' },
    payload: { lastName: 'King', phone: null },
  });
  now = new Date('2026-03-15T10:00:00.000Z');
  await command('POST', `/api/v1/patients/${created.id}/deactivate`, { reason: 'Duplicate record' });
  now = new Date('2026-03-15T11:00:00.000Z');
  await command('POST', `/api/v1/patients/${created.id}/reactivate`, { reason: 'Not a duplicate' });

  t.test('lists every event in order with type, data, recorded-at, actor and reason', async (t) => {
    const response = await get(`/api/v1/patients/${created.id}/history`);
    t.equal(response.statusCode, 200);
    const body = json<Page<Record<string, unknown>>>(response);
    t.equal(body.nextCursor, null);
    t.match(body.items, [
      {
        version: 1,
        type: 'PatientRegistered',
        schemaVersion: 1,
        data: { patientId: created.id, firstName: 'Ada', lastName: 'Lovelace', phone: '+2348012345678' },
        recordedAt: '2026-03-15T08:00:00.000Z',
        actor: { id: admin.id, role: 'admin' },
        reason: null,
        requestId: String,
      },
      {
        version: 2,
        type: 'PatientDemographicsUpdated',
        data: { patientId: created.id, changes: { lastName: 'King', phone: null } },
        recordedAt: '2026-03-15T09:00:00.000Z',
        actor: { id: clerk.id, role: 'admin' },
        reason: null,
        correlationId: 'ticket-4711',
      },
      {
        version: 3,
        type: 'PatientDeactivated',
        data: { patientId: created.id, reason: 'Duplicate record' },
        recordedAt: '2026-03-15T10:00:00.000Z',
        actor: { id: admin.id, role: 'admin' },
        reason: 'Duplicate record',
      },
      {
        version: 4,
        type: 'PatientReactivated',
        data: { patientId: created.id, reason: 'Not a duplicate' },
        recordedAt: '2026-03-15T11:00:00.000Z',
        reason: 'Not a duplicate',
      },
    ]);
    t.equal(body.items.length, 4);
    t.same(body.items.map((item) => item.version), [1, 2, 3, 4]);
    const positions = body.items.map((item) => item.position as number);
    t.same(positions, [...positions].sort((a, b) => a - b), 'positions increase');
    t.equal(positions[0], created.position);
    t.equal(positions[1], json(corrected).position);
    t.same(Object.keys(body.items[1]!.data as object).sort(), ['changes', 'patientId']);
  });

  t.test('the reason shown is the reason recorded: trimmed in the metadata as in the data', async (t) => {
    const patient = await register();
    await command('POST', `/api/v1/patients/${patient.id}/deactivate`, { reason: '  Duplicate   of MRN-9 \n' });
    const [, deactivation] = json<Page<{ data: { reason: string }; reason: string }>>(
      await get(`/api/v1/patients/${patient.id}/history`),
    ).items;
    t.equal(deactivation!.data.reason, 'Duplicate of MRN-9');
    t.equal(deactivation!.reason, 'Duplicate of MRN-9');
  });

  t.test('needs no projection: it reads the stream itself', async (t) => {
    const fresh = await register();
    const response = await get(`/api/v1/patients/${fresh.id}/history`);
    t.same(json(response).items.map((item: { type: string }) => item.type), ['PatientRegistered']);
  });

  t.test('pages with limit and nextCursor, in order, without repeats', async (t) => {
    const first = json<Page<{ version: number }>>(await get(`/api/v1/patients/${created.id}/history?limit=3`));
    t.same(first.items.map((item) => item.version), [1, 2, 3]);
    t.type(first.nextCursor, 'string');
    const second = json<Page<{ version: number }>>(
      await get(`/api/v1/patients/${created.id}/history?limit=3&cursor=${encodeURIComponent(first.nextCursor!)}`),
    );
    t.same(second.items.map((item) => item.version), [4]);
    t.equal(second.nextCursor, null);
    const exact = json<Page<{ version: number }>>(await get(`/api/v1/patients/${created.id}/history?limit=2`));
    const rest = json<Page<{ version: number }>>(
      await get(`/api/v1/patients/${created.id}/history?limit=2&cursor=${encodeURIComponent(exact.nextCursor!)}`),
    );
    t.same(rest.items.map((item) => item.version), [3, 4]);
    t.equal(rest.nextCursor, null, 'a last page that is exactly full says there is no more');
  });

  t.test('an unknown patient is a 404 problem', async (t) => {
    problem(t, await get(`/api/v1/patients/${UNKNOWN_ID}/history`), 404);
  });

  for (const badId of BAD_IDS) {
    t.test(`an id that is not a UUID (${badId}) is a 400, never a 500`, async (t) => {
      invalidFields(t, await get(`/api/v1/patients/${encodeURIComponent(badId)}/history`), 'params', ['id']);
    });
  }

  t.test('a cursor this endpoint did not issue is a 400 naming cursor, never a 500', async (t) => {
    for (const cursor of ['garbage', encodeCursor('3'), encodeCursor(-1), encodeCursor(1.5)]) {
      invalidFields(t, await get(`/api/v1/patients/${created.id}/history?cursor=${encodeURIComponent(cursor)}`), 'query', [
        'cursor',
      ]);
    }
  });

  t.test('a limit above 100 is a 400', async (t) => {
    invalidFields(t, await get(`/api/v1/patients/${created.id}/history?limit=101`), 'query', ['limit']);
  });
});
