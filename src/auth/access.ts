import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, notFound } from '../errors.js';
import { problems } from '../http/schemas.js';
import type { Role } from './roles.js';

/**
 * Who may call a route, declared on the route itself (`config.access`). There is no default: a
 * route without a rule makes the app refuse to start, so nothing is ever open by accident.
 */
export type Access =
  | { public: true }
  | {
      roles: readonly Role[];
      /** The route parameter naming a patient: a patient may only reach their own record. */
      patientParam?: string;
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

export const forbidden = (detail = 'Your role may not do this.') => new AppError(403, 'forbidden', 'Forbidden', detail);

export function accessOf(request: FastifyRequest): Access | undefined {
  return request.routeOptions.config.access;
}

// Routes that plugins register (Swagger UI and its assets) cannot declare a rule themselves.
const PUBLIC_PLUGIN_PREFIXES = ['/docs'];

/** Call before registering any route: every route registered afterwards must carry `config.access`. */
export function installAccessControl(app: FastifyInstance<any, any, any, any, any>) {
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (access) {
      if (!('public' in access)) {
        route.schema = {
          ...route.schema,
          security: [{ bearerAuth: [] }],
          response: { ...problems(401, 403), ...(route.schema?.response as object | undefined) },
        };
      }
      return;
    }
    if (PUBLIC_PLUGIN_PREFIXES.some((prefix) => route.url === prefix || route.url.startsWith(`${prefix}/`))) {
      route.config = { ...route.config, access: { public: true } };
      return;
    }
    throw new Error(`Route ${route.method} ${route.url} declares no access rule (config.access).`);
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
      if (patientId !== request.actor.patientId) throw notFound(`No patient with id ${patientId}.`);
    }
  });
}
