import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

const ONE_YEAR_SECONDS = 31_536_000;

/**
 * The headers helmet sets for `options`, worked out once. They are the same on every answer, and
 * @fastify/helmet builds helmet's middleware anew for every request, which cost commands and reads
 * a visible share of the API's CPU (bench/README.md).
 */
function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

/**
 * Helmet's headers on every answer, and no caching of anything under /api: those answers carry
 * tokens and patient data, which must not stay in a browser's or a proxy's cache.
 *
 * The CSP is helmet's default (scripts from this origin only, which is all Swagger UI at /docs
 * loads; inline styles, which it sets) without framing. HSTS and the upgrade of insecure
 * requests only where the service is reached over https: on a developer's plain http they would
 * break /docs.
 */
export function installSecurityHeaders(app: FastifyInstance<any, any, any, any, any>, options: { https: boolean }) {
  const headers = helmetHeaders({
    contentSecurityPolicy: {
      directives: { 'frame-ancestors': ["'none'"], 'upgrade-insecure-requests': options.https ? [] : null },
    },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: options.https ? { maxAge: ONE_YEAR_SECONDS, includeSubDomains: true } : false,
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(headers);
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });
}
