import { Type, type TSchema } from 'typebox';

// The pattern as well as the format: JSON Schema's "uuid" format also accepts `urn:uuid:…`, which
// PostgreSQL's uuid type refuses, turning a client's mistake into a 500.
export const Uuid = Type.String({
  format: 'uuid',
  pattern: '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$',
  errorMessage: 'must be a UUID',
});

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const FieldErrorSchema = Type.Object({
  in: Type.String({ description: 'body, query, params or headers' }),
  field: Type.String({ description: 'Dotted path of the offending field, e.g. address.postalCode' }),
  message: Type.String(),
});

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'URI identifying the kind of problem' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
    field: Type.Optional(Type.String()),
  },
  { description: 'RFC 9457 problem details (application/problem+json)' },
);

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: every offending field is listed in `errors`',
  401: 'No valid access token',
  403: 'Your role may not do this',
  404: 'No such resource',
  409: 'Conflicts with the current state (or a concurrent change)',
  412: 'If-Match did not match the current version',
  422: 'Idempotency-Key reused with a different request',
  429: 'Too many attempts: wait the number of seconds in Retry-After',
  503: 'Not now: too busy, the database is unavailable, or the read model did not catch up in time (see Retry-After)',
};

/**
 * Problem responses for the given statuses; 500 is documented on every route. Declared under
 * their real media type, so the OpenAPI document says application/problem+json as the wire does.
 */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    [...statuses, 500].map((status) => [
      status,
      {
        description: PROBLEM_DESCRIPTIONS[status] ?? 'Unexpected server error',
        content: { 'application/problem+json': { schema: Problem } },
      },
    ]),
  );
}

export const CommandResult = Type.Object({
  id: Uuid,
  version: Type.Integer({ description: 'The stream version after the command; also the ETag' }),
  position: Type.Integer({ description: 'Global position of the last event; send as Consistent-With to read your write' }),
});

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' })),
  });

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
};

const IdempotencyKey = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: '^[\\x21-\\x7e]+$',
    errorMessage: 'must be 1-255 visible ASCII characters',
    description: 'Retries with the same key and body return the first response and change nothing',
  }),
);

/** For POST commands with no version to match (accounts). */
export const IdempotencyHeaders = Type.Object({ 'idempotency-key': IdempotencyKey });

export const CommandHeaders = Type.Object({
  'idempotency-key': IdempotencyKey,
  'if-match': Type.Optional(
    Type.String({
      pattern: '^(W/)?"[0-9]+"$|^\\*$',
      errorMessage: 'must be an ETag returned by this API, such as "3"',
      description: 'Only apply the command if the record is still at this version',
    }),
  ),
});

export const ConsistencyHeaders = Type.Object({
  'consistent-with': Type.Optional(
    Type.Integer({
      minimum: 1,
      // Beyond this the header cannot be a position we issued, and PostgreSQL's bigint would overflow (a 500).
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'A position returned by a command: wait (bounded) until this read model reflects it',
    }),
  ),
});

/** Opaque cursors: base64url JSON, so clients cannot come to depend on what is inside. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
