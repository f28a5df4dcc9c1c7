import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { outageProblem } from './outage.js';
import { problems } from './schemas.js';
import { validationError } from './validation.js';

export const PROBLEM_TYPE_BASE = 'https://pams.dev/problems/';

function send(reply: FastifyReply, request: FastifyRequest, error: AppError) {
  return reply
    .code(error.status)
    .headers(error.headers)
    .type('application/problem+json')
    .send({
      type: `${PROBLEM_TYPE_BASE}${error.slug}`,
      title: error.title,
      status: error.status,
      detail: error.message,
      instance: request.url.split('?')[0],
      ...error.extensions,
    });
}

// Fastify's own client errors (malformed JSON, wrong content type, body too large, a path
// segment longer than maxParamLength), named like ours.
const CLIENT_ERRORS: Record<number, { slug: string; title: string }> = {
  413: { slug: 'body-too-large', title: 'Body too large' },
  414: { slug: 'uri-too-long', title: 'URI too long' },
  415: { slug: 'unsupported-media-type', title: 'Unsupported media type' },
};

function clientError(error: FastifyError, status: number): AppError {
  const { slug, title } = CLIENT_ERRORS[status] ?? { slug: 'bad-request', title: 'Bad request' };
  // Fastify quotes the whole path here; ours is in `instance` already.
  const detail = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A segment of the path is too long.' : error.message;
  return new AppError(status, slug, title, detail);
}

/** Every error leaves as RFC 9457 problem+json; a 5xx says nothing of its cause. */
export function installProblemHandlers(app: FastifyInstance<any, any, any, any, any>) {
  const methods = new Set<string>();
  // Any route can fail, and then answers as below: document that on routes that list no errors
  // of their own (health), so that every route in /openapi.json shows its problem response.
  app.addHook('onRoute', (route) => {
    // A CORS preflight route answers OPTIONS on every path; it says nothing of what a path allows.
    for (const method of [route.method].flat()) if (method !== 'OPTIONS') methods.add(method);
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (route.schema?.hide || response?.['500']) return;
    route.schema = { ...route.schema, response: { ...response, ...problems() } };
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) return send(reply, request, error);
    if (error.validation) {
      return send(reply, request, validationError(error.validation as never, error.validationContext ?? 'body'));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return send(reply, request, clientError(error, status));
    const outage = outageProblem(error, request.method);
    if (outage) {
      request.log.warn({ err: error }, 'the database is unavailable');
      return send(reply, request, outage);
    }
    request.log.error({ err: error }, 'request failed');
    return send(
      reply,
      request,
      new AppError(500, 'internal', 'Internal server error', `Something went wrong on our side; quote request id ${request.id}.`),
    );
  });

  // An attacker could probe for valid URLs; the answer is the same for every unknown one. A known
  // path asked with another method says which it allows: the OpenAPI document tells as much.
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = [...methods].filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0) {
      return send(
        reply,
        request,
        new AppError(405, 'method-not-allowed', 'Method not allowed', `${path} answers ${allowed.join(', ')}, not ${request.method}.`, {}, {
          allow: allowed.join(', '),
        }),
      );
    }
    return send(reply, request, new AppError(404, 'not-found', 'Not found', `No route ${request.method} ${path}.`));
  });
}

/** Fastify's errors raised before routing (a malformed or overlong path) as problems too. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  return send(reply, request, clientError(error, error.statusCode ?? 400));
}
