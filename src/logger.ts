import type { FastifyRequest } from 'fastify';

// Anything that identifies a patient or unlocks an account stays out of the logs, wherever it
// appears. Bodies are never logged; these catch the places where one might leak in anyway.
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.oldPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.firstName',
  '*.lastName',
  '*.dateOfBirth',
  '*.phone',
  '*.email',
  '*.address',
  '*.emergencyContacts',
];

function withoutQuery(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? url : `${url.slice(0, index)}?[query redacted]`;
}

export function loggerOptions(level: string) {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // A search by name puts the name in the query string.
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: withoutQuery(request.url),
        remoteAddress: request.ip,
      }),
      // PostgreSQL puts offending values into `detail` (for example a duplicate key's value).
      err: (error: Error & { code?: string; statusCode?: number }) => ({
        type: error.name,
        message: error.message,
        code: error.code,
        statusCode: error.statusCode,
        stack: error.stack ?? '',
      }),
    },
  };
}
