import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

// Anything that identifies a patient or unlocks an account stays out of the logs, wherever it
// appears: under any of these names, at any depth, in any letter case. Bodies are never logged;
// this catches the places where one might leak in anyway.
const SECRET_FIELDS = new Set(
  [
    'authorization',
    'cookie',
    'set-cookie',
    'idempotency-key',
    'password',
    'newPassword',
    'oldPassword',
    'currentPassword',
    'token',
    'accessToken',
    'refreshToken',
    'idToken',
    'secret',
    'firstName',
    'lastName',
    'dateOfBirth',
    'phone',
    'email',
    'address',
    'emergencyContacts',
  ].map((field) => field.toLowerCase()),
);
const CENSOR = '[redacted]';
// Deeper than any object we log on purpose; whatever lies beyond is left out rather than walked.
const MAX_DEPTH = 8;

const isPlain = (value: object) => {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/**
 * `value` with every secret field censored; the same object when it holds none, so a log line
 * without secrets costs one walk and no copy. Only plain objects and arrays are walked: requests,
 * replies and errors reach their serializers below, which pick safe fields.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return CENSOR;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const redacted = redact(item, depth + 1);
      if (redacted !== item) (copy ??= [...value])[index] = redacted;
    });
    return copy ?? value;
  }
  if (!isPlain(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const redacted = SECRET_FIELDS.has(key.toLowerCase()) ? CENSOR : redact(item, depth + 1);
    if (redacted !== item) (copy ??= { ...value })[key] = redacted;
  }
  return copy ?? value;
}

function withoutQuery(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? url : `${url.slice(0, index)}?[query redacted]`;
}

export function loggerOptions(level: string) {
  return {
    level,
    formatters: { log: (object: Record<string, unknown>) => redact(object) as Record<string, unknown> },
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

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * The per-request logger Fastify asks for, made only when a message at an enabled level is first
 * written: pino's child with the request id is costly enough to show in a registration's API CPU
 * (bench/README.md), and at the usual `warn` level almost no request ever logs.
 */
class RequestLogger {
  #child: Logger | undefined;

  constructor(
    readonly parent: Logger,
    readonly bindings: Bindings,
  ) {}

  #write(level: Level, args: unknown[]) {
    if (!this.parent.isLevelEnabled(level)) return;
    this.#child ??= this.parent.child(this.bindings);
    (this.#child as unknown as Record<Level, (...args: unknown[]) => void>)[level](...args);
  }

  get level() {
    return this.parent.level;
  }

  fatal(...args: unknown[]) { this.#write('fatal', args); }
  error(...args: unknown[]) { this.#write('error', args); }
  warn(...args: unknown[]) { this.#write('warn', args); }
  info(...args: unknown[]) { this.#write('info', args); }
  debug(...args: unknown[]) { this.#write('debug', args); }
  trace(...args: unknown[]) { this.#write('trace', args); }
  silent() {}

  child(bindings: Bindings, options?: ChildLoggerOptions) {
    return (this.#child ??= this.parent.child(this.bindings)).child(bindings, options);
  }
}

export const requestLoggerFactory = (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger =>
  // A route's own log level or serializers need pino's child as such; Fastify's logger for
  // `logger: false` has children of no cost already.
  Object.keys(options).length > 0 || !('isLevelEnabled' in logger)
    ? logger.child(bindings, options)
    : (new RequestLogger(logger as unknown as Logger, bindings) as unknown as FastifyBaseLogger);
