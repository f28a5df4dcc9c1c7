import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * CORS for browser-based clinical apps on the configured origins; without any, no CORS headers at
 * all. Tokens travel in Authorization, never in cookies, so credentials stay off. Register before
 * authentication: a preflight carries no token and is answered before any check needs one.
 */
export async function installCors(app: FastifyInstance<any, any, any, any, any>, origins: readonly string[]) {
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: [...origins],
    credentials: false,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'Idempotency-Key', 'Consistent-With'],
    exposedHeaders: ['ETag', 'Location', 'Retry-After'],
    // An OPTIONS request that is no preflight would otherwise get a plain-text 400.
    strictPreflight: false,
  });
}
