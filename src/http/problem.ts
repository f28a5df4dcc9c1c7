import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, invalid } from '../errors.js';
import { problems } from './schemas.js';
import { fieldErrors } from './validation.js';

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

/** Every error leaves as RFC 9457 problem+json; a 5xx says nothing of its cause. */
export function installProblemHandlers(app: FastifyInstance<any, any, any, any, any>) {
  // Any route can fail, and then answers as below: document that on routes that list no errors
  // of their own (health), so that every route in /openapi.json shows its problem response.
  app.addHook('onRoute', (route) => {
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (route.schema?.hide || response?.['500']) return;
    route.schema = { ...route.schema, response: { ...response, ...problems() } };
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) return send(reply, request, error);
    if (error.validation) {
      return send(reply, request, invalid(fieldErrors(error.validation as never, error.validationContext ?? 'body')));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, wrong content type, body too large.
      return send(reply, request, new AppError(status, 'bad-request', 'Bad request', error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return send(
      reply,
      request,
      new AppError(500, 'internal', 'Internal server error', `Something went wrong on our side; quote request id ${request.id}.`),
    );
  });

  // An attacker could probe for valid URLs; the answer is the same for every unknown one.
  app.setNotFoundHandler((request, reply) =>
    send(reply, request, new AppError(404, 'not-found', 'Not found', `No route ${request.method} ${request.url.split('?')[0]}.`)),
  );
}
