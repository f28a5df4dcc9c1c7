import { randomUUID } from 'node:crypto';
import { createConfig, lintFromString, type NormalizedProblem } from '@redocly/openapi-core';
import { OAuth2Server } from 'oauth2-mock-server';
import t from 'tap';
import { withoutValidatorKeywords } from '../../src/http/openapi.js';
import { createTestApp, json, type TestApp } from '../helpers/app.js';

interface Operation {
  operationId?: string;
  security?: unknown[];
  responses?: Record<string, unknown>;
}
interface OpenApiDocument {
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Every operation's id, keyed `METHOD /path` as the document spells it. Client generators name
 * their functions after these, so a change breaks every generated client: change one only on
 * purpose, and give every new route its own line.
 */
const OPERATION_IDS: Record<string, string> = {
  'GET /health/live': 'checkLiveness',
  'GET /health/ready': 'checkReadiness',
  'GET /health/details': 'getHealthDetails',

  'POST /api/v1/patients': 'registerPatient',
  'GET /api/v1/patients': 'listPatients',
  'GET /api/v1/patients/{id}': 'getPatient',
  'PATCH /api/v1/patients/{id}': 'updatePatientDemographics',
  'POST /api/v1/patients/{id}/deactivate': 'deactivatePatient',
  'POST /api/v1/patients/{id}/reactivate': 'reactivatePatient',
  'GET /api/v1/patients/{id}/history': 'getPatientHistory',
  'GET /api/v1/patients/{id}/care-team': 'getCareTeam',
  'POST /api/v1/patients/{id}/care-team': 'assignPractitioner',
  'DELETE /api/v1/patients/{id}/care-team/{practitionerId}': 'unassignPractitioner',

  'POST /api/v1/auth/login': 'signIn',
  'POST /api/v1/auth/refresh': 'refreshSession',
  'POST /api/v1/auth/logout': 'signOut',
  'GET /api/v1/auth/oidc/login': 'startOidcSignIn',
  'GET /api/v1/auth/oidc/callback': 'completeOidcSignIn',
  'POST /api/v1/auth/oidc/exchange': 'exchangeOidcSignInCode',
  'POST /api/v1/auth/register': 'registerAccount',
  'POST /api/v1/auth/verify-email': 'verifyEmail',
  'POST /api/v1/auth/resend-verification': 'requestEmailVerification',
  'POST /api/v1/auth/password/forgot': 'requestPasswordReset',
  'POST /api/v1/auth/password/reset': 'resetPassword',
  'GET /api/v1/users/me': 'getOwnAccount',
  'PATCH /api/v1/users/me': 'updateAccountProfile',
  'PUT /api/v1/users/me/password': 'changePassword',

  'GET /api/v1/accounts': 'listAccounts',
  'POST /api/v1/accounts': 'createAccount',
  'POST /api/v1/accounts/{id}/deactivate': 'deactivateAccount',
  'POST /api/v1/practitioners/{id}/verify': 'verifyPractitioner',
};

const APP_BASE_URL = 'https://pams.hospital.test/app/';

/** The app as deployed with every optional part on, so that their routes are in the document too. */
async function appWithEverything(t: Parameters<typeof createTestApp>[0]): Promise<TestApp> {
  // A real provider on loopback: the app reads its discovery document when the OIDC routes register.
  const provider = new OAuth2Server();
  await provider.issuer.keys.generate('RS256');
  await provider.start(0, '127.0.0.1');
  t.teardown(() => provider.stop());
  return createTestApp(t, {
    env: {
      APP_BASE_URL,
      OIDC_ISSUER: provider.issuer.url!,
      OIDC_CLIENT_ID: 'pams-web',
      OIDC_CLIENT_SECRET: 'a client secret',
      OIDC_REDIRECT_URI: 'http://127.0.0.1:3000/api/v1/auth/oidc/callback',
    },
  });
}

const SOURCE = 'openapi.json';

// Where a rule is wrong for this API: the places it may be broken, each with its reason.
const ACCEPTED: Record<string, Set<string>> = {
  // A browser is sent to the provider's login: a redirect is this operation's only success.
  'operation-2xx-response': new Set(['#/paths/~1api~1v1~1auth~1oidc~1login/get/responses']),
};

const describe = (problem: NormalizedProblem) =>
  `${problem.severity} ${problem.ruleId} at ${problem.location.map((where) => where.pointer ?? '(document)').join(', ')}: ${problem.message}`;

t.test('withoutValidatorKeywords drops errorMessage wherever a schema has one, and changes nothing else', async (t) => {
  const schema = {
    type: 'object',
    properties: {
      id: { type: 'string', pattern: '^[0-9]+$', errorMessage: 'must be digits' },
      errorMessage: { type: 'string', description: 'a property that happens to carry the name' },
    },
    anyOf: [{ type: 'string', errorMessage: 'must be text' }, { type: 'null' }],
  };
  const copy = structuredClone(schema);
  t.same(withoutValidatorKeywords(schema), {
    type: 'object',
    properties: {
      id: { type: 'string', pattern: '^[0-9]+$' },
      errorMessage: { type: 'string', description: 'a property that happens to carry the name' },
    },
    anyOf: [{ type: 'string' }, { type: 'null' }],
  });
  t.same(schema, copy, 'the schema the validator reads keeps its messages');
});

t.test('the served OpenAPI document', async (t) => {
  const { app, token } = await appWithEverything(t);
  const response = await app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(response.statusCode, 200);
  const document = json<OpenApiDocument>(response);
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({ method: method.toUpperCase(), path, route: `${method.toUpperCase()} ${path}`, ...operation })),
  );

  t.test('passes the Redocly linter’s recommended rules with no error and no warning', async (t) => {
    const config = await createConfig({ extends: ['recommended'] }, { ignore: { [SOURCE]: ACCEPTED } });
    const problems = await lintFromString({ source: response.body, absoluteRef: SOURCE, config });
    t.same(problems.filter((problem) => !problem.ignored).map(describe), []);
  });

  t.test('names this deployment as its server: the origin of APP_BASE_URL', async (t) => {
    t.same(document.servers?.map((server) => server.url), ['https://pams.hospital.test']);
  });

  t.test('leaves out the validator’s own keywords, while validation still words its errors with them', async (t) => {
    t.notMatch(response.body, /errorMessage/);
    const invalid = await app.inject({
      method: 'GET',
      url: '/api/v1/patients/not-a-uuid',
      headers: { authorization: `Bearer ${token({ role: 'admin', id: randomUUID() })}` },
    });
    t.equal(invalid.statusCode, 400);
    t.same(json(invalid).errors, [{ in: 'params', field: 'id', message: 'must be a UUID' }]);
  });

  t.test('a public operation asks for no token, and documents the 401 it answers to a bad one', async (t) => {
    const open = operations.filter((operation) => operation.security?.length === 0);
    t.ok(open.some((operation) => operation.route === 'GET /health/live'), 'the public operations are found');
    for (const operation of open) {
      const sent = await app.inject({
        method: operation.method as 'GET',
        url: operation.path.replace(/\{(\w+)\}/g, randomUUID()),
        headers: { authorization: 'Bearer not-a-token' },
      });
      t.equal(sent.statusCode, 401, `${operation.route} refuses a bad token`);
      t.ok(operation.responses?.['401'], `${operation.route} documents that 401`);
    }
  });

  t.test('every operation has an operationId', async (t) => {
    t.same(operations.filter((operation) => operation.operationId === undefined).map((operation) => operation.route), []);
  });

  t.test('operationIds are camelCase and unique', async (t) => {
    const ids = operations.map((operation) => operation.operationId).filter((id) => id !== undefined);
    t.same(ids.filter((id) => !/^[a-z][a-zA-Z0-9]*$/.test(id)), [], 'camelCase');
    t.same(ids.filter((id, index) => ids.indexOf(id) !== index), [], 'unique');
  });

  t.test('operationIds never change by accident: each route keeps the one listed here', async (t) => {
    t.same(Object.fromEntries(operations.map((operation) => [operation.route, operation.operationId])), OPERATION_IDS);
  });
});
