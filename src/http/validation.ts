import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { invalid, type AppError, type FieldError } from '../errors.js';

const common: Options = {
  allErrors: true, // report every offending field, not just the first
  removeAdditional: false, // an unknown field is a mistake to report, not to drop silently
  useDefaults: true,
  strict: false,
  verbose: true, // keeps parentSchema, for the human messages below
};

function withFormats(ajv: Ajv): Ajv {
  addFormats.default(ajv, { mode: 'full', formats: ['date', 'date-time', 'email', 'uuid', 'uri'] });
  return ajv;
}

// Bodies are JSON and must arrive typed as declared; query strings, params and headers are text.
const strict = withFormats(new Ajv({ ...common, coerceTypes: false }));
const coercing = withFormats(new Ajv({ ...common, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;

const LOCATION: Record<string, string> = { querystring: 'query' };

function fieldOf(error: ErrorObject): string {
  const segments = error.instancePath.split('/').slice(1);
  if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String(error.params.additionalProperty));
  return segments.map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~')).join('.') || '(root)';
}

function messageOf(error: ErrorObject): string {
  const custom = (error.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
  if (custom && ['pattern', 'format', 'minLength', 'const'].includes(error.keyword)) return custom;
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'type' && error.data === null) return 'must not be null';
  if (error.keyword === 'additionalProperties') return 'is not an allowed field';
  if (error.keyword === 'enum') return `must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}`;
  return error.message ?? 'is invalid';
}

// A body of thousands of unknown fields must not come back as thousands of errors: the answer
// would be as large as the request, and no client reads past the first few.
export const MAX_FIELD_ERRORS = 20;

/** Ajv's errors as one entry per offending field, in words a client developer can act on. */
function fieldErrors(errors: ErrorObject[], context: string): { listed: FieldError[]; more: boolean } {
  const location = LOCATION[context] ?? context;
  // "must be null" and "must match a schema in anyOf" only restate that a nullable field was wrong.
  const meaningful = errors.filter(
    (error) => !(error.keyword === 'type' && error.params.type === 'null') && error.keyword !== 'anyOf',
  );
  const seen = new Set<string>();
  const listed: FieldError[] = [];
  for (const error of meaningful.length > 0 ? meaningful : errors) {
    const entry = { in: location, field: fieldOf(error), message: messageOf(error) };
    const id = `${entry.field}\u0000${entry.message}`;
    if (seen.has(id)) continue;
    if (listed.length === MAX_FIELD_ERRORS) return { listed, more: true };
    listed.push(entry);
    seen.add(id);
  }
  return { listed, more: false };
}

/** The 400 for a request that failed its schema: the first MAX_FIELD_ERRORS offending fields. */
export function validationError(errors: ErrorObject[], context: string): AppError {
  const { listed, more } = fieldErrors(errors, context);
  const detail = listed.map((e) => `${e.field}: ${e.message}`).join('; ');
  return invalid(listed, more ? `${detail}; and more (only the first ${MAX_FIELD_ERRORS} are listed)` : detail);
}
