import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { unprocessable } from '../errors.js';
import { handleCommand } from '../event-store/command-handler.js';
import type { Decider } from '../event-store/decider.js';
import { IdempotencyKeyInUse } from '../event-store/errors.js';
import type { EventStore } from '../event-store/store.js';
import type { DomainEvent, IdempotencyRecord } from '../event-store/types.js';
import { eventMetadata } from './actor.js';

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function requestHash(request: FastifyRequest): string {
  return createHash('sha256')
    .update(canonicalJson([request.method, request.routeOptions.url, request.params, request.body ?? null]))
    .digest('base64url');
}

function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header === '*') return undefined;
  return Number.parseInt(header.replace(/^W\//, '').replaceAll('"', ''), 10);
}

export interface CommandRoute<Command, Event extends DomainEvent, State> {
  store: EventStore;
  decider: Decider<Command, Event, State>;
  streamId: string;
  command: Command;
  /** 201 when the command creates the record. */
  status: 200 | 201;
  reason?: string;
  now: Date;
}

const locationOf = (request: FastifyRequest, id: unknown) => `${request.url.split('?')[0]}/${id}`;

async function replay(request: FastifyRequest, reply: FastifyReply, stored: IdempotencyRecord, hash: string) {
  if (stored.requestHash !== hash) {
    throw unprocessable('This Idempotency-Key was already used for a different request; use a new key.');
  }
  const body = stored.response as { id?: string; version?: number };
  if (stored.statusCode === 201) reply.header('location', locationOf(request, body.id));
  return reply
    .code(stored.statusCode)
    .header('etag', `"${body.version}"`)
    .header('idempotent-replayed', 'true')
    .send(stored.response);
}

/**
 * The HTTP edge of every command: replays a retried Idempotency-Key, honours If-Match, runs the
 * command through the event store and answers `{ id, version, position }` with an ETag.
 */
export async function executeCommand<Command, Event extends DomainEvent, State>(
  request: FastifyRequest,
  reply: FastifyReply,
  route: CommandRoute<Command, Event, State>,
) {
  const headers = request.headers as Record<string, string | undefined>;
  const key = request.method === 'POST' ? headers['idempotency-key'] : undefined;
  const scope = request.actor.id ?? 'anonymous';
  const hash = key === undefined ? '' : requestHash(request);
  if (key !== undefined) {
    const stored = await route.store.findIdempotentResponse(scope, key);
    if (stored) return replay(request, reply, stored, hash);
  }

  try {
    const outcome = await handleCommand(route.store, route.decider, {
      streamId: route.streamId,
      command: route.command,
      metadata: eventMetadata(request, route.reason),
      actor: request.actor,
      now: route.now,
      expectedVersion: parseIfMatch(headers['if-match']),
      idempotency:
        key === undefined
          ? undefined
          : { scope, key, requestHash: hash, statusCode: route.status, response: { id: route.streamId } },
    });
    const status = outcome.events.length === 0 ? 200 : route.status;
    if (status === 201) reply.header('location', locationOf(request, outcome.streamId));
    return reply
      .code(status)
      .header('etag', `"${outcome.version}"`)
      .send({ id: outcome.streamId, version: outcome.version, position: outcome.position });
  } catch (error) {
    if (!(error instanceof IdempotencyKeyInUse) || key === undefined) throw error;
    // A concurrent retry of this very request committed first: answer as it did.
    const stored = await route.store.findIdempotentResponse(scope, key);
    if (!stored) throw error;
    return replay(request, reply, stored, hash);
  }
}
