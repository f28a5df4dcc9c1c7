import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

const ONE_YEAR_SECONDS = 31_536_000;

/**
 * Helmet's headers on every answer, and no caching of anything under /api: those answers carry
 * tokens and patient data, which must not stay in a browser's or a proxy's cache.
 *
 * The CSP is helmet's default (scripts from this origin only, which is all Swagger UI at /docs
 * loads; inline styles, which it sets) without framing. HSTS and the upgrade of insecure
 * requests only where the service is reached over https: on a developer's plain http they would
 * break /docs.
 */
export async function installSecurityHeaders(app: FastifyInstance<any, any, any, any, any>, options: { https: boolean }) {
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: { 'frame-ancestors': ["'none'"], 'upgrade-insecure-requests': options.https ? [] : null },
    },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: options.https ? { maxAge: ONE_YEAR_SECONDS, includeSubDomains: true } : false,
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });
}
