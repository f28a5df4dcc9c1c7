import { AppError } from '../errors.js';

// Long enough for PostgreSQL to come back from a restart or a failover, short enough for a client
// not to give up on a request it could have made.
const RETRY_AFTER_SECONDS = 5;

type DatabaseError = Error & { code?: string };

// The database could not be reached at all: nothing was sent, so nothing happened.
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', '57P03', '08001', '08004']);
// The connection went away while a statement was on it: it may have run, and committed, or not.
const CUT_OFF_CODES = new Set(['ECONNRESET', 'EPIPE', '57P01', '57P02']);
// node-postgres raises these without a code.
const UNREACHABLE_MESSAGES = [/^timeout exceeded when trying to connect/, /^Connection terminated due to connection timeout/];
const CUT_OFF_MESSAGES = [/^Connection terminated/];

function classify(error: DatabaseError): 'unreachable' | 'cut-off' | undefined {
  const { code, message } = error;
  if ((code && UNREACHABLE_CODES.has(code)) || UNREACHABLE_MESSAGES.some((pattern) => pattern.test(message))) return 'unreachable';
  if ((code && (CUT_OFF_CODES.has(code) || code.startsWith('08'))) || CUT_OFF_MESSAGES.some((pattern) => pattern.test(message))) {
    return 'cut-off';
  }
  return undefined;
}

// Reads change nothing; any other request may have been a command that changed something.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A database outage as the client should see it: 503 with Retry-After, and for a request that may
 * have changed something when its connection was cut, that nobody can tell whether it did. A
 * connection lost before the append was sent says the same: which statement was cut off is not
 * known here, and retrying with an Idempotency-Key or If-Match is safe either way. Anything else is
 * no outage.
 */
export function outageProblem(error: unknown, method: string): AppError | undefined {
  if (!(error instanceof Error)) return undefined;
  const kind = classify(error);
  if (!kind) return undefined;
  const retryAfter = { 'retry-after': String(RETRY_AFTER_SECONDS) };
  if (kind === 'cut-off' && !SAFE_METHODS.has(method)) {
    return new AppError(
      503,
      'outcome-unknown',
      'Outcome unknown',
      'The connection to the database was lost while this request was being carried out: it may or may not have taken effect. Send it again with the same Idempotency-Key or If-Match, which cannot make it take effect twice; without either, check first.',
      {},
      retryAfter,
    );
  }
  return new AppError(503, 'unavailable', 'Service unavailable', 'The database is unavailable; nothing was changed. Try again later.', {}, retryAfter);
}
