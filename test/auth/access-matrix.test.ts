import t from 'tap';
import { v4 as uuid } from 'uuid';
import { routeRules, type RouteRule } from '../../src/auth/access.js';
import type { LightMyRequestResponse } from 'fastify';
import { signIn, signUp, signUpFields } from '../helpers/accounts.js';
import { createTestApp, json, type Caller, type TestApp } from '../helpers/app.js';
import { CALLERS, EXPECTATIONS, type AsAdmin, type CallerName, type Expectation, type Fixture } from './route-expectations.js';

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
  asAdmin: AsAdmin;
}

/**
 * Two patients, their care teams and every kind of caller, each with a real account (the patient
 * signed up; the others created and, for practitioners, verified by an admin), so that what a route
 * reads of its caller's account is there.
 */
async function world(test: TestApp): Promise<World> {
  const { app, token, project } = test;
  const asAdmin = async (method: 'POST', url: string, payload: object, caller: Caller = admin) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${token(caller)}` }, payload });
  const succeeded = async (response: Promise<LightMyRequestResponse>) => {
    const answered = await response;
    if (answered.statusCode >= 300) throw new Error(`setting up the matrix failed: ${answered.body}`);
    return json<{ id: string; patientId?: string; practitionerId?: string }>(answered);
  };
  // A token with no account behind it, as the first admin comes from `npm run admin:create`: it
  // creates the admin who acts in the matrix.
  const founder: Caller = { role: 'admin', id: uuid() };
  const create = (role: 'admin' | 'auditor' | 'practitioner', by: Caller) =>
    succeeded(asAdmin('POST', '/api/v1/accounts', { role, firstName: 'Ada', lastName: 'Byron', email: signUpFields().email }, by));
  const admin: Caller = { role: 'admin', id: (await create('admin', founder)).id };
  const practitioner = async (standing: 'verified' | 'pending' = 'verified'): Promise<Caller & { practitionerId: string }> => {
    const { id, practitionerId } = await create('practitioner', admin);
    if (standing === 'verified') await succeeded(asAdmin('POST', `/api/v1/practitioners/${practitionerId}/verify`, {}));
    return { role: 'practitioner', id, practitionerId: practitionerId! };
  };
  const patient = await signUp(test);
  const own = patient.patientId!;
  const other = (await succeeded(asAdmin('POST', '/api/v1/patients', { mrn: `MRN-${uuid().slice(0, 8)}`, firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1990-02-03', sex: 'female' }))).id;
  const [member, bystander, outsider, candidate, pending] = [
    await practitioner(),
    await practitioner(),
    await practitioner(),
    await practitioner(),
    await practitioner('pending'),
  ];
  const assign = (patientId: string, practitionerId: string) =>
    succeeded(asAdmin('POST', `/api/v1/patients/${patientId}/care-team`, { practitionerId }));
  await assign(own, member.practitionerId);
  await assign(own, bystander.practitionerId);
  await assign(other, bystander.practitionerId);
  await project();
  return {
    own,
    other,
    fixture: {
      bystanderId: bystander.practitionerId,
      candidateId: candidate.practitionerId,
      unverifiedId: pending.practitionerId,
      account: { id: patient.id, email: patient.email, password: patient.password },
      refreshToken: async () => (await signIn(test, patient.email)).refreshToken,
    },
    asAdmin,
    callers: {
      patient: { role: 'patient', id: patient.id, patientId: own },
      practitioner: member,
      outsider,
      pending,
      admin,
      auditor: { role: 'auditor', id: (await create('auditor', admin)).id },
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
      const { own, other, callers, fixture, asAdmin } = ['GET', 'HEAD'].includes(route.method) ? readWorld : await world(context);
      const patientRoute = PATIENT_ROUTE.test(route.url);
      const targets = patientRoute ? (['own', 'other'] as const) : (['own'] as const);
      const { earns } = expectation;
      const answer = earns?.status ?? expectation.status ?? 200;
      for (const name of CALLERS) {
        for (const target of targets) {
          const caller = callers[name];
          const allowed =
            expectation.allow.includes(name) || (target === 'own' && expectation.allow.includes(`${name}@own` as never));
          const label = `${name}${patientRoute ? ` on the ${target} patient` : ''}`;
          const patientId = patientRoute ? (target === 'own' ? own : other) : undefined;
          if (expectation.given && patientId) await expectation.given(asAdmin, patientId);
          const before = await db.store.headPosition();
          const response = await app.inject({
            method: route.method as 'GET',
            url: urlFor(route, expectation, fixture, patientId),
            headers: caller ? { authorization: `Bearer ${token(caller)}` } : {},
            ...(expectation.body ? { payload: (await expectation.body(fixture)) as object } : {}),
          });
          const status = response.statusCode;
          const refused = status === 401 || status === 403 || (patientRoute && status === 404);
          t.ok(status < 500, `${label}: no server error (got ${status})`);
          if (allowed) {
            t.equal(status, answer, `${label}: allowed, answered ${answer}${earns ? ` (${earns.because})` : ''}: ${response.body.slice(0, 300)}`);
            if (earns) {
              t.match(json(response), { type: new RegExp(`/${earns.problem}$`), ...(earns.field ? { errors: [{ field: earns.field }] } : {}) });
            }
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
