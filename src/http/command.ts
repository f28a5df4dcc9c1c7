import type { FastifyReply, FastifyRequest } from 'fastify';
import { handleCommand } from '../event-store/command-handler.js';
import type { Decider } from '../event-store/decider.js';
import type { EventStore } from '../event-store/store.js';
import type { DomainEvent, IdempotencyRecord, StreamVersion } from '../event-store/types.js';
import { eventMetadata } from './actor.js';
import { idempotencyKeyOf, onceByKey, replay } from './idempotency.js';

function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header === '*') return undefined;
  return Number.parseInt(header.replace(/^W\//, '').replaceAll('"', ''), 10);
}

export interface CommandRoute<Command, Event extends DomainEvent, State> {
  store: EventStore;
  decider: Decider<Command, Event, State>;
  streamId: string;
  command: Command;
  /** 201 when the command creates the record, under an id minted for it: nothing to load. */
  status: 200 | 201;
  reason?: string;
  now: Date;
  /** Other streams the command was built from: see AppendRequest.reliesOn. */
  reliesOn?: StreamVersion[];
}

const locationOf = (request: FastifyRequest, id: unknown) => `${request.url.split('?')[0]}/${id}`;

// The headers of the first answer, rebuilt from its body.
function replayCommand(request: FastifyRequest, reply: FastifyReply, stored: IdempotencyRecord, hash: string) {
  const body = stored.response as { id?: string; version?: number };
  const headers: Record<string, string> = { etag: `"${body.version}"` };
  if (stored.statusCode === 201) headers.location = locationOf(request, body.id);
  return replay(reply, stored, hash, headers);
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
  const idempotency = idempotencyKeyOf(request);
  return onceByKey(
    route.store,
    idempotency,
    (stored, requestHash) => replayCommand(request, reply, stored, requestHash),
    async () => {
      const outcome = await handleCommand(route.store, route.decider, {
        streamId: route.streamId,
        command: route.command,
        metadata: eventMetadata(request, route.reason),
        actor: request.actor,
        now: route.now,
        expectedVersion: parseIfMatch(headers['if-match']),
        idempotency: idempotency && { ...idempotency, statusCode: route.status, response: { id: route.streamId } },
        newStream: route.status === 201,
        reliesOn: route.reliesOn,
      });
      const status = outcome.events.length === 0 ? 200 : route.status;
      if (status === 201) reply.header('location', locationOf(request, outcome.streamId));
      return reply
        .code(status)
        .header('etag', `"${outcome.version}"`)
        .send({ id: outcome.streamId, version: outcome.version, position: outcome.position });
    },
  );
}
