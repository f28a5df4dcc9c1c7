import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });

const Environment = Type.Object({
  NODE_ENV: Type.Optional(Type.String()),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  EMBEDDED_PG_DIR: Type.String({ default: './data/pg' }),
  EMBEDDED_PG_PORT: { ...Port, default: 54320 },
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 2, maximum: 200, default: 20 }),
  PROJECTION_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 20000, default: 1000 }),
  CONSISTENCY_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 30000, default: 2000 }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_ISSUER: Type.String({ default: 'pams' }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 86400, default: 900 }),
});

export type Config = Static<typeof Environment>;

export class ConfigError extends Error {}

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
  // The embedded database is a developer convenience; production must say where its data lives.
  if (config.NODE_ENV === 'production') {
    const missing = (['DATABASE_URL', 'JWT_SECRET'] as const).filter((key) => !config[key]);
    if (missing.length > 0) {
      throw new ConfigError(`Invalid configuration:\n${missing.map((key) => `  ${key}: required when NODE_ENV=production`).join('\n')}`);
    }
  }
  return config;
}
