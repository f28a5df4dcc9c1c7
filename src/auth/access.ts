import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, notFound } from '../errors.js';
import { problems } from '../http/schemas.js';
import { isOwnRecord } from '../patients/reach.js';
import type { Role } from './roles.js';

/**
 * Who may call a route, declared on the route itself (`config.access`). There is no default: a
 * route without a rule makes the app refuse to start, so nothing is ever open by accident.
 */
export type Access =
  | { public: true }
  | {
      /** The roles that may send this request at all; everyone else gets 403 (401 when anonymous). */
      roles: readonly Role[];
      /**
       * The route parameter naming a patient. A patient may only name their own record (checked
       * here, from the token, with the reach rule's `isOwnRecord`); every other role's reach (a
       * practitioner's care team) is checked where the record is read (src/patients/reach.ts).
       * Out of reach answers 404, as if the record did not exist.
       */
      patientParam?: string;
      /** The only body fields a patient may send here; any other is refused with 403, naming it. */
      patientMayChange?: readonly string[];
    };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

export const unauthenticated = () =>
  new AppError(401, 'unauthenticated', 'Unauthenticated', 'Sign in and send the access token as `Authorization: Bearer <token>`.', {}, {
    'www-authenticate': 'Bearer realm="pams"',
  });

export const forbidden = (detail = 'Your role may not do this.', extensions: Record<string, unknown> = {}) =>
  new AppError(403, 'forbidden', 'Forbidden', detail, extensions);

function refuseFieldsOutside(allowed: readonly string[], body: unknown) {
  const fields = Object.keys(body ?? {}).filter((field) => !allowed.includes(field));
  if (fields.length === 0) return;
  throw forbidden(`A patient may change only ${allowed.join(', ')}; ask your care team to change ${fields.join(', ')}.`, {
    errors: fields.map((field) => ({ in: 'body', field, message: 'may not be changed by a patient' })),
  });
}

export function accessOf(request: FastifyRequest): Access | undefined {
  return request.routeOptions.config.access;
}

// A token that is sent is checked on every route (tokens.ts), so even a public one refuses a bad one.
const TOKEN_REFUSED = {
  401: { ...problems(401)[401], description: 'The Authorization header holds no valid token (this route needs none: send no header)' },
};

// Routes that plugins register (Swagger UI and its assets) cannot declare a rule themselves.
const PUBLIC_PLUGIN_PREFIXES = ['/docs'];

/** One line of the route table: what the authorization matrix test walks. */
export interface RouteRule {
  method: string;
  url: string;
  access: Access;
}

const routeTables = new WeakMap<object, RouteRule[]>();

/** Every route of `app` with its access rule, in the order they were registered. */
export function routeRules(app: FastifyInstance<any, any, any, any, any>): readonly RouteRule[] {
  return routeTables.get(app) ?? [];
}

/** Call before registering any route: every route registered afterwards must carry `config.access`. */
export function installAccessControl(app: FastifyInstance<any, any, any, any, any>) {
  const table: RouteRule[] = [];
  routeTables.set(app, table);
  app.addHook('onRoute', (route) => {
    if (!route.config?.access && PUBLIC_PLUGIN_PREFIXES.some((prefix) => route.url === prefix || route.url.startsWith(`${prefix}/`))) {
      route.config = { ...route.config, access: { public: true } };
    }
    const access = route.config?.access;
    if (!access) throw new Error(`Route ${route.method} ${route.url} declares no access rule (config.access).`);
    for (const method of [route.method].flat()) table.push({ method, url: route.url, access });
    const response = route.schema?.response as object | undefined;
    route.schema =
      'public' in access
        ? { ...route.schema, security: [], response: { ...TOKEN_REFUSED, ...response } }
        : { ...route.schema, security: [{ bearerAuth: [] }], response: { ...problems(401, 403), ...response } };
  });
  // Runs after authentication (see tokens.ts) and before the body is even parsed: an anonymous
  // caller learns nothing from validation errors.
  app.addHook('onRequest', async (request) => {
    const access = accessOf(request);
    if (!access) {
      if (request.is404) return;
      throw forbidden();
    }
    if ('public' in access) return;
    if (request.actor.id === null) throw unauthenticated();
    if (!access.roles.includes(request.actor.role as Role)) throw forbidden();
    if (access.patientParam && request.actor.role === 'patient') {
      const patientId = (request.params as Record<string, string>)[access.patientParam];
      // 404, not 403: a patient must not even learn that another patient's record exists.
      if (!patientId || !isOwnRecord(request.actor, patientId)) throw notFound(`No patient with id ${patientId}.`);
    }
  });
  // Field rules need the parsed body, so they run once it is validated, still before the handler.
  app.addHook('preHandler', async (request) => {
    const access = accessOf(request);
    if (access && 'roles' in access && access.patientMayChange && request.actor.role === 'patient') {
      refuseFieldsOutside(access.patientMayChange, request.body);
    }
  });
}
