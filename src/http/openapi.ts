import type { SwaggerOptions } from '@fastify/swagger';
import type { Config } from '../config.js';

/**
 * Keywords our validator reads that OpenAPI does not know: `errorMessage` holds the wording of a
 * field's validation error (validation.ts), and OpenAPI linters and client generators refuse it.
 */
const VALIDATOR_ONLY_KEYWORDS = new Set(['errorMessage']);

/**
 * A copy of `value` without the validator's own keywords: a copy, because the validator reads its
 * messages from the route schemas, which must keep them. Only keywords with a string value go: a
 * property that happens to be named `errorMessage` is a schema, an object.
 */
export function withoutValidatorKeywords<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutValidatorKeywords) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, inner]) => !(VALIDATOR_ONLY_KEYWORDS.has(key) && typeof inner === 'string'))
      .map(([key, inner]) => [key, withoutValidatorKeywords(inner)]),
  ) as T;
}

/** The document served at /openapi.json; each route adds its own operation from its schema. */
export function openApiOptions(config: Config): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'PAMS — Patient Assessment & Management System',
        version: '1',
        description:
          'Commands append events to an append-only store; queries read projections. Errors are RFC 9457 problem+json.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      // The paths are absolute from the server's root, so the server is the origin alone.
      servers: [{ url: new URL(config.APP_BASE_URL).origin, description: 'This deployment (APP_BASE_URL)' }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      tags: [
        { name: 'auth', description: 'Signing up and in, sessions, your own account' },
        { name: 'accounts', description: 'Account management (admins)' },
        { name: 'practitioners', description: 'Practitioner profiles' },
        { name: 'patients', description: 'The patient record' },
        { name: 'health', description: 'Liveness and readiness' },
      ],
    },
    transformObject: (document) => withoutValidatorKeywords('openapiObject' in document ? document.openapiObject : document.swaggerObject),
  };
}
