import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';

/**
 * Limits, per client address, the public routes that anyone can call in a loop and that cost a
 * password hash or send mail. Counted in each process's memory: with several API processes, each
 * allows AUTH_RATE_LIMIT_MAX.
 */
export async function installAuthRateLimit(app: FastifyInstance<any, any, any, any, any>, config: Config) {
  await app.register(rateLimit, {
    global: false,
    max: config.AUTH_RATE_LIMIT_MAX,
    timeWindow: config.AUTH_RATE_LIMIT_WINDOW_SECONDS * 1000,
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new AppError(
        429,
        'rate-limited',
        'Too many requests',
        `Too many requests of this kind from your address; try again in ${seconds} seconds.`,
        {},
        { 'retry-after': String(seconds) },
      );
    },
  });
}

/** A route's share of the limit: its own count per address. */
export const perAddress = { rateLimit: {} } as const;
