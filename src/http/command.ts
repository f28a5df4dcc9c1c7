import type { FastifyReply, FastifyRequest } from 'fastify';
import { handleCommand } from '../event-store/command-handler.js';
import type { Decider } from '../event-store/decider.js';
import type { EventStore } from '../event-store/store.js';
import type { DomainEvent, IdempotencyRecord, StreamVersion } from '../event-store/types.js';
import { eventMetadata } from './actor.js';
import { idempotencyKeyOf, onceByKey, replay, transactionUnderKey, type Transaction } from './idempotency.js';

function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header === '*') return undefined;
  return Number.parseInt(header.replace(/^W\//, '').replaceAll('"', ''), 10);
}

/** One command on one stream: the common case, whose read and append share round trips with others. */
export interface StreamCommand<Command, Event extends DomainEvent, State> {
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

/**
 * Commands whose events must commit with more than themselves: several commands at once (an
 * account and the patient record it is linked to), or secrets written beside the events (password
 * hashes, links, mail in the outbox), all in one transaction or not at all.
 */
export interface TransactionalCommand<Result> {
  store: EventStore;
  status: 200 | 201 | 202;
  /** Runs the commands; their writes go through `transaction`, called once (again only after a rollback). */
  inTransaction: (transaction: Transaction<Result>) => Promise<Result>;
  /** The response body, from what the transaction returned; recorded for replays before it commits. */
  respond: (result: Result) => object;
  /**
   * Idempotency-Key honoured, the request hash keyed with `secret` (a body holding a password must
   * not leave in the database a fast, unsalted hash to guess it from); or ignored, for commands
   * that issue secrets or must answer alike whatever the address, whose answer must not be stored.
   */
  idempotency: { secret: string } | 'ignored';
}

const locationOf = (request: FastifyRequest, id: unknown) => `${request.url.split('?')[0]}/${id}`;

/**
 * The HTTP edge of every command: runs it through the event store, honouring Idempotency-Key, and
 * answers. One command on one stream also honours If-Match and answers `{ id, version, position }`
 * with an ETag (and a Location when it created the record); a transactional command answers what
 * its `respond` makes of the result.
 */
export function executeCommand<Command, Event extends DomainEvent, State>(
  request: FastifyRequest,
  reply: FastifyReply,
  route: StreamCommand<Command, Event, State>,
): Promise<FastifyReply>;
export function executeCommand<Result>(request: FastifyRequest, reply: FastifyReply, route: TransactionalCommand<Result>): Promise<FastifyReply>;
export function executeCommand(
  request: FastifyRequest,
  reply: FastifyReply,
  route: StreamCommand<unknown, DomainEvent, unknown> | TransactionalCommand<unknown>,
): Promise<FastifyReply> {
  return 'inTransaction' in route ? inTransaction(request, reply, route) : onStream(request, reply, route);
}

function onStream<Command, Event extends DomainEvent, State>(
  request: FastifyRequest,
  reply: FastifyReply,
  route: StreamCommand<Command, Event, State>,
) {
  const headers = request.headers as Record<string, string | undefined>;
  const idempotency = idempotencyKeyOf(request);
  return onceByKey(route.store, idempotency, {
    run: () =>
      handleCommand(route.store, route.decider, {
        streamId: route.streamId,
        command: route.command,
        metadata: eventMetadata(request, route.reason),
        actor: request.actor,
        now: route.now,
        expectedVersion: parseIfMatch(headers['if-match']),
        idempotency: idempotency && { ...idempotency, statusCode: route.status, response: { id: route.streamId } },
        newStream: route.status === 201,
        reliesOn: route.reliesOn,
      }),
    // Only an append claims the key.
    claimedKey: (outcome) => outcome.events.length > 0,
    answer: (outcome) => {
      const status = outcome.events.length === 0 ? 200 : route.status;
      if (status === 201) reply.header('location', locationOf(request, outcome.streamId));
      return reply
        .code(status)
        .header('etag', `"${outcome.version}"`)
        .send({ id: outcome.streamId, version: outcome.version, position: outcome.position });
    },
    // The headers of the first answer, rebuilt from its body.
    replay: (stored: IdempotencyRecord) => {
      const body = stored.response as { id?: string; version?: number };
      const replayed: Record<string, string> = { etag: `"${body.version}"` };
      if (stored.statusCode === 201) replayed.location = locationOf(request, body.id);
      return replay(reply, stored, replayed);
    },
  });
}

function inTransaction<Result>(request: FastifyRequest, reply: FastifyReply, route: TransactionalCommand<Result>) {
  const idempotency = route.idempotency === 'ignored' ? undefined : idempotencyKeyOf(request, route.idempotency.secret);
  const underKey = transactionUnderKey(route.store, idempotency, route.status, route.respond);
  return onceByKey(route.store, idempotency, {
    run: () => route.inTransaction(underKey.transaction),
    claimedKey: underKey.committed,
    answer: (result) => reply.code(route.status).send(route.respond(result)),
    replay: (stored) => replay(reply, stored),
  });
}
