import t from 'tap';
import { v4 as uuid } from 'uuid';
import { routeRules, type RouteRule } from '../../src/auth/access.js';
import { createTestApp, json, type Caller, type TestApp } from '../helpers/app.js';
import { givenPractitioner } from '../helpers/practitioners.js';
import { CALLERS, EXPECTATIONS, type CallerName, type Expectation, type Fixture } from './route-expectations.js';

// The authorization matrix: every registered route × every caller × the own and another patient,
// against the expectations in route-expectations.ts. Generated from the app's own route table,
// so a new route without an expectation fails here.

const keyOf = (route: Pick<RouteRule, 'method' | 'url'>) => `${route.method} ${route.url}`;

/** HEAD is Fastify's automatic twin of GET, and answers to the same rule unless listed itself. */
function expectationFor(route: RouteRule): Expectation | undefined {
  return EXPECTATIONS[keyOf(route)] ?? (route.method === 'HEAD' ? EXPECTATIONS[`GET ${route.url}`] : undefined);
}

const PATIENT_ROUTE = /^\/api\/v1\/patients\/:id(\/|$)/;

interface World {
  own: string;
  other: string;
  callers: Record<CallerName, Caller | null>;
  fixture: Fixture;
}

/** Two patients, their care teams and every kind of caller. */
async function world({ app, db, token, project }: TestApp): Promise<World> {
  const admin: Caller = { role: 'admin', id: uuid() };
  const asAdmin = { authorization: `Bearer ${token(admin)}` };
  const register = async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/patients',
      headers: asAdmin,
      payload: { mrn: `MRN-${uuid().slice(0, 8)}`, firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1990-02-03', sex: 'female' },
    });
    return json<{ id: string }>(response).id;
  };
  const assign = async (patientId: string, practitionerId: string) => {
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/patients/${patientId}/care-team`,
      headers: asAdmin,
      payload: { practitionerId },
    });
    if (response.statusCode !== 200) throw new Error(`assignment failed: ${response.body}`);
  };
  const [own, other] = [await register(), await register()];
  const [member, bystander, outsider, candidate, pending] = [
    await givenPractitioner(db.store),
    await givenPractitioner(db.store),
    await givenPractitioner(db.store),
    await givenPractitioner(db.store),
    await givenPractitioner(db.store, 'pending'),
  ];
  await assign(own, member.practitionerId);
  await assign(own, bystander.practitionerId);
  await assign(other, bystander.practitionerId);
  await project();
  return {
    own,
    other,
    fixture: { bystanderId: bystander.practitionerId, candidateId: candidate.practitionerId },
    callers: {
      patient: { role: 'patient', id: uuid(), patientId: own },
      practitioner: member.caller,
      outsider: outsider.caller,
      pending: pending.caller,
      admin,
      auditor: { role: 'auditor', id: uuid() },
      anonymous: null,
    },
  };
}

function urlFor(route: RouteRule, expectation: Expectation, fixture: Fixture, patientId: string | undefined) {
  const params = expectation.params?.(fixture) ?? {};
  return route.url
    .replace(/:(\w+)/g, (_, name: string) => (name === 'id' && patientId ? patientId : params[name] ?? uuid()))
    .replace('*', 'index.css');
}

t.test('every route has an authorization expectation, and every expectation a route', async (t) => {
  const { app } = await createTestApp(t);
  await app.ready();
  const routes = routeRules(app);
  t.ok(routes.length > 0, 'the route table was recorded');
  for (const route of routes) {
    t.ok(expectationFor(route), `${keyOf(route)} is in test/auth/route-expectations.ts`);
  }
  const registered = new Set(routes.map(keyOf));
  for (const key of Object.keys(EXPECTATIONS)) t.ok(registered.has(key), `${key} is a registered route`);
});

t.test('each route admits exactly the callers its expectation allows', async (t) => {
  const context = await createTestApp(t);
  const { app, db, token } = context;
  await app.ready();
  // Reads share one world; each command route gets its own, so that what one route's calls
  // change (a deactivation, a removal from the team) cannot decide another route's outcome.
  const readWorld = await world(context);
  for (const route of routeRules(app)) {
    const expectation = expectationFor(route);
    if (!expectation) continue;
    t.test(keyOf(route), async (t) => {
      const { own, other, callers, fixture } = ['GET', 'HEAD'].includes(route.method) ? readWorld : await world(context);
      const patientRoute = PATIENT_ROUTE.test(route.url);
      const targets = patientRoute ? (['own', 'other'] as const) : (['own'] as const);
      for (const name of CALLERS) {
        for (const target of targets) {
          const caller = callers[name];
          const allowed =
            expectation.allow.includes(name) || (target === 'own' && expectation.allow.includes(`${name}@own` as never));
          const label = `${name}${patientRoute ? ` on the ${target} patient` : ''}`;
          const before = await db.store.headPosition();
          const response = await app.inject({
            method: route.method as 'GET',
            url: urlFor(route, expectation, fixture, patientRoute ? (target === 'own' ? own : other) : undefined),
            headers: caller ? { authorization: `Bearer ${token(caller)}` } : {},
            ...(expectation.body ? { payload: expectation.body(fixture) as object } : {}),
          });
          const status = response.statusCode;
          const refused = status === 401 || status === 403 || (patientRoute && status === 404);
          t.ok(status < 500, `${label}: no server error (got ${status})`);
          if (allowed) {
            t.notOk(refused, `${label}: allowed (got ${status})`);
            continue;
          }
          if (name === 'anonymous') t.equal(status, 401, `${label}: refused with 401`);
          else t.ok(refused, `${label}: refused with 403 or 404 (got ${status})`);
          t.equal(await db.store.headPosition(), before, `${label}: nothing appended`);
        }
      }
    });
  }
});
