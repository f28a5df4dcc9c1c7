import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { Database } from './db.js';
import { installAccessControl } from './auth/access.js';
import { derivedKey } from './auth/keys.js';
import { installAuthentication } from './auth/tokens.js';
import { healthRoutes } from './health/routes.js';
import { ANONYMOUS } from './http/actor.js';
import type { AppDeps } from './http/deps.js';
import { installCors } from './http/cors.js';
import { openApiOptions } from './http/openapi.js';
import { frameworkErrorHandler, installProblemHandlers } from './http/problem.js';
import { installSecurityHeaders } from './http/security-headers.js';
import { validatorCompiler } from './http/validation.js';
import { loggerOptions, requestLoggerFactory } from './logger.js';
import { patientCommandRoutes } from './patients/routes.js';
import { patientQueryRoutes } from './patients/queries.js';
import { passwordHashing, type PasswordHashing } from './accounts/password-hashing.js';
import { accountRoutes } from './accounts/routes.js';
import { accountQueryRoutes } from './accounts/queries.js';
import { practitionerRoutes } from './practitioners/routes.js';
import { createRevocationList } from './sessions/revocations.js';
import { sessionRoutes } from './sessions/routes.js';
import { oidcCodeExchangeRoutes, oidcRoutes } from './oidc/routes.js';
import { corsOrigins, oidcSettings, trustedProxies } from './config.js';
import { isUuid } from './ids.js';

export interface BuildAppOptions {
  logger?: FastifyServerOptions['logger'];
  loggerInstance?: FastifyServerOptions['loggerInstance'];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(deps: AppDeps & { kysely: Kysely<Database>; passwords?: PasswordHashing }, options: BuildAppOptions = {}) {
  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : { logger: options.logger ?? loggerOptions(deps.config.LOG_LEVEL) }),
    // A caller's request id is kept when sane, so one id follows a request across systems.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
    trustProxy: trustedProxies(deps.config),
    childLoggerFactory: requestLoggerFactory,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  installProblemHandlers(app);
  installSecurityHeaders(app, { https: deps.config.APP_BASE_URL.startsWith('https://') });
  await installCors(app, corsOrigins(deps.config));
  app.decorateRequest('actor', null as never);
  app.addHook('onRequest', async (request) => {
    request.actor = ANONYMOUS;
  });
  const revocations = createRevocationList({
    pool: deps.pool,
    pollMs: deps.config.REVOCATION_POLL_MS,
    accessTokenTtlSeconds: deps.config.ACCESS_TOKEN_TTL_SECONDS,
    onError: (error) => app.log.error({ err: error }, 'could not refresh the session revocation list'),
  });
  await revocations.start();
  const accountDeps = {
    ...deps,
    revocations,
    passwords: deps.passwords ?? passwordHashing({ cost: deps.config.PASSWORD_HASH_COST, concurrency: deps.config.PASSWORD_HASH_CONCURRENCY }),
  };
  app.addHook('onClose', async () => revocations.stop());
  await installAuthentication(app, {
    key: derivedKey(deps.config.JWT_SECRET, 'access-tokens'),
    issuer: deps.config.JWT_ISSUER,
    audience: deps.config.JWT_AUDIENCE,
    ttlSeconds: deps.config.ACCESS_TOKEN_TTL_SECONDS,
    isRevoked: (claims) => revocations.isRevoked(claims.sid),
  });
  installAccessControl(app);
  // One spelling of every id: PostgreSQL accepts upper-case UUIDs, but events and responses would
  // echo them back in that spelling.
  app.addHook('preValidation', async (request) => {
    const params = request.params as Record<string, unknown>;
    for (const [name, value] of Object.entries(params ?? {})) {
      if (typeof value === 'string' && isUuid(value)) params[name] = value.toLowerCase();
    }
  });
  // Once closing, answers in flight also close their keep-alive connection; otherwise shutdown
  // would wait for every idle client connection to time out.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });

  await app.register(swagger, openApiOptions(deps.config));
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: { public: true } } }, async () => app.swagger());

  await app.register(healthRoutes(deps));
  await app.register(
    async (api) => {
      await api.register(patientCommandRoutes(deps));
      await api.register(patientQueryRoutes(deps));
      await api.register(sessionRoutes(accountDeps));
      await api.register(accountRoutes(accountDeps));
      await api.register(accountQueryRoutes(deps));
      await api.register(practitionerRoutes(deps));
      const oidc = oidcSettings(deps.config);
      if (oidc) await api.register(oidcRoutes(accountDeps, oidc));
      await api.register(oidcCodeExchangeRoutes(deps));
    },
    { prefix: '/api/v1' },
  );
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
