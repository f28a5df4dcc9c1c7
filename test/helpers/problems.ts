import type { LightMyRequestResponse } from 'fastify';
import type t from 'tap';
import { json } from './app.js';

export type Test = Parameters<Parameters<typeof t.test>[0]>[0];

/** An RFC 9457 problem with this status, checked for its media type and members; returns its body. */
export function problem(t: Test, response: LightMyRequestResponse, status: number) {
  t.equal(response.statusCode, status, `status ${status}`);
  t.match(response.headers['content-type'], /^application\/problem\+json/);
  const body = json(response);
  t.match(body, { type: String, title: String, status, detail: String, instance: String });
  return body;
}

/** A 400 that names exactly these fields (each in `where`, with a human message), in any order. */
export function invalidFields(t: Test, response: LightMyRequestResponse, where: string, fields: string[]) {
  const body = problem(t, response, 400);
  t.ok(Array.isArray(body.errors), 'lists the offending fields');
  const errors = (body.errors ?? []) as Array<{ in: string; field: string; message: string }>;
  t.same([...new Set(errors.map((error) => error.field))].sort(), [...fields].sort(), 'every offending field, no others');
  for (const error of errors) {
    t.equal(error.in, where, `${error.field} is in the ${where}`);
    t.match(error.message, /\w/, `${error.field} comes with a message`);
  }
  return errors;
}
