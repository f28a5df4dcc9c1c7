import { isIP } from 'node:net';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { RECENT_STATES_PER_DECIDER } from './event-store/recent-states.js';
import { ROUND_TRIP_LANES } from './event-store/round-trip-groups.js';

const Environment = Type.Object({
  NODE_ENV: Type.Optional(Type.String()),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  EMBEDDED_PG_DIR: Type.String({ default: './data/pg' }),
  // Not `{ ...schema }`: the spread drops TypeBox's hidden kind, and the value is never converted.
  EMBEDDED_PG_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 54320 }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 2, maximum: 200, default: 20 }),
  PROJECTION_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 20000, default: 1000 }),
  // Streams whose folded state a process keeps, per kind of record, so the next command on one skips
  // reading it (the append still checks the version); about 1 KB each. 0 turns it off.
  RECENT_STATES_PER_DECIDER: Type.Integer({ minimum: 0, maximum: 1_000_000, default: RECENT_STATES_PER_DECIDER }),
  // Round trips of commands' stream reads and appends in flight at once per process; while all are
  // busy, more wait and go together in the next one (group commit). More lanes: less waiting behind
  // one slow round trip, more round trips and commits.
  ROUND_TRIP_LANES: Type.Integer({ minimum: 1, maximum: 64, default: ROUND_TRIP_LANES }),
  CONSISTENCY_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 30000, default: 2000 }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_ISSUER: Type.String({ default: 'pams' }),
  // The `aud` of every access token: a token minted for another service with the same secret is refused.
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'pams-api' }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 86400, default: 900 }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 300, maximum: 31_536_000, default: 2_592_000 }),
  // Counted from sign-in: refreshing never extends a session beyond it.
  SESSION_MAX_AGE_SECONDS: Type.Integer({ minimum: 300, maximum: 31_536_000, default: 2_592_000 }),
  // How long a replaced refresh token still gets the pair it was swapped for (several tabs
  // refreshing at once) before presenting it again ends the session as a theft. 0 turns it off.
  REFRESH_REUSE_GRACE_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 10 }),
  // How soon every API process learns of a revoked session (the one that revoked it knows at once).
  REVOCATION_POLL_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000 }),
  // scrypt's cost is 2^N; 17 (128 MiB, about 0.3 s) is OWASP's minimum. Lower only for tests.
  PASSWORD_HASH_COST: Type.Integer({ minimum: 10, maximum: 20, default: 17 }),
  // scrypt runs in flight per process; more answer 503 at once. Each takes 128 MiB and one of
  // libuv's four threads, which file and DNS work share.
  PASSWORD_HASH_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 3 }),
  // Sign-ups, forgot-password and resend-verification per client address and window, per process.
  AUTH_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10 }),
  AUTH_RATE_LIMIT_WINDOW_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
  EMAIL_VERIFICATION_TTL_SECONDS: Type.Integer({ minimum: 300, maximum: 604_800, default: 86_400 }),
  PASSWORD_RESET_TTL_SECONDS: Type.Integer({ minimum: 300, maximum: 86_400, default: 3600 }),
  // Mail leaves by SMTP when set (smtp:// or smtps://, credentials in the URL); otherwise it stays
  // in the mail_outbox table for a developer to read.
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ default: 'PAMS <no-reply@pams.invalid>' }),
  // Where the links in mail point: the web app that turns them into API calls. Its origin is also
  // the server the OpenAPI document names.
  APP_BASE_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3000' }),
  // Whether anyone may see, on GET /health/ready, the pending migrations and projection lag that
  // admins read on GET /health/details; counting the lag reads up to 100,000 events per call.
  HEALTH_DETAILS: Type.Boolean({ default: false }),
  // Browser apps on these origins may call the API (exact origins, comma-separated); none by default.
  CORS_ORIGINS: Type.Optional(Type.String({ pattern: '^\\s*https?://[^/,\\s]+(\\s*,\\s*https?://[^/,\\s]+)*\\s*$' })),
  // Which proxies' X-Forwarded-For to believe for the client's address (throttling and rate limits
  // key on it): `false`, or a comma-separated list of the proxies' addresses and CIDR ranges.
  TRUST_PROXY: Type.String({ default: 'false' }),
  // Sign-in with an OpenID Connect provider; all four or none.
  OIDC_ISSUER: Type.Optional(Type.String({ pattern: '^https?://' })),
  OIDC_CLIENT_ID: Type.Optional(Type.String({ minLength: 1 })),
  OIDC_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  OIDC_REDIRECT_URI: Type.Optional(Type.String({ pattern: '^https?://' })),
  // Where the OIDC callback sends the browser, with a one-time code the app exchanges for tokens.
  // Unset: the callback answers the token pair itself.
  OIDC_APP_REDIRECT: Type.Optional(Type.String({ pattern: '^https?://' })),
});

export type Config = Static<typeof Environment>;

export class ConfigError extends Error {}

const OIDC_SETTINGS = ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URI'] as const;

/** The OIDC provider's settings, when sign-in with one is configured. */
export function oidcSettings(config: Config) {
  const { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret, OIDC_REDIRECT_URI: redirectUri } = config;
  return issuer && clientId && clientSecret && redirectUri ? { issuer, clientId, clientSecret, redirectUri } : undefined;
}

/** The origins allowed to call the API from a browser. */
export const corsOrigins = (config: Config): string[] => config.CORS_ORIGINS?.split(',').map((origin) => origin.trim()) ?? [];

// proxy-addr's names for the private ranges, which Fastify accepts beside addresses.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyRange(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * Fastify's `trustProxy` from TRUST_PROXY. Never `true` (every hop trusted): then any client could
 * name its own address in X-Forwarded-For and dodge every limit keyed on it. Nor a hop count:
 * trusting the nearest hop whoever it is lets a client that reaches the server directly do the
 * same, and Fastify 5 ignores a count for that reason.
 */
export function trustedProxies(config: Pick<Config, 'TRUST_PROXY'>): false | string[] {
  const value = config.TRUST_PROXY.trim();
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) {
    throw new ConfigError('Invalid configuration:\n  TRUST_PROXY: a hop count trusts whoever connects; list the proxies\' addresses or CIDR ranges instead');
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const wrong = entries.filter((entry) => !isProxyRange(entry));
  if (wrong.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  TRUST_PROXY: ${wrong.map((entry) => JSON.stringify(entry)).join(', ')} is not false, an address or a CIDR range`);
  }
  return entries;
}

/** The only reader of process.env. Fails fast on anything malformed instead of limping on with a guess. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(
    Object.keys(Environment.properties)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  const converted = Value.Convert(Environment, Value.Default(Environment, raw));
  const errors = [...Value.Errors(Environment, converted)];
  if (errors.length > 0) {
    const lines = errors.map((error) => `  ${error.instancePath.slice(1) || '(root)'}: ${error.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = converted as Config;
  const oidc = OIDC_SETTINGS.filter((key) => config[key] !== undefined);
  if (oidc.length > 0 && oidc.length < OIDC_SETTINGS.length) {
    const missing = OIDC_SETTINGS.filter((key) => config[key] === undefined);
    throw new ConfigError(`Invalid configuration:\n${missing.map((key) => `  ${key}: required when any OIDC_ setting is given`).join('\n')}`);
  }
  trustedProxies(config);
  // The embedded database is a developer convenience; production must say where its data lives.
  if (config.NODE_ENV === 'production') {
    const missing = (['DATABASE_URL', 'JWT_SECRET'] as const).filter((key) => !config[key]);
    if (missing.length > 0) {
      throw new ConfigError(`Invalid configuration:\n${missing.map((key) => `  ${key}: required when NODE_ENV=production`).join('\n')}`);
    }
  }
  return config;
}
