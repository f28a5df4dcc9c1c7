import { createHash, createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PoolClient } from 'pg';
import { unprocessable } from '../errors.js';
import { IdempotencyKeyInUse } from '../event-store/errors.js';
import type { EventStore } from '../event-store/store.js';
import type { IdempotencyRecord } from '../event-store/types.js';

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What makes two requests the same one: method, route, parameters and body, whatever the order of
 * their fields. Keyed with `secret` when given: a body holding a password must not leave in the
 * database a fast, unsalted hash to guess it from.
 */
function requestHash(request: FastifyRequest, secret?: string): string {
  const material = canonicalJson([request.method, request.routeOptions.url, request.params, request.body ?? null]);
  return (secret === undefined ? createHash('sha256') : createHmac('sha256', secret)).update(material).digest('base64url');
}

export interface IdempotencyKey {
  scope: string;
  key: string;
  requestHash: string;
}

/** The request's Idempotency-Key (POST only), scoped to the caller: one actor cannot replay another's. */
export function idempotencyKeyOf(request: FastifyRequest, secret?: string): IdempotencyKey | undefined {
  const key = request.method === 'POST' ? request.headers['idempotency-key'] : undefined;
  if (typeof key !== 'string') return undefined;
  return { scope: request.actor.id ?? 'anonymous', key, requestHash: requestHash(request, secret) };
}

/** Answers as the first request with this key did, or refuses a different request under it. */
export function replay(reply: FastifyReply, stored: IdempotencyRecord, requestHash: string, headers: Record<string, string> = {}) {
  if (stored.requestHash !== requestHash) {
    throw unprocessable('This Idempotency-Key was already used for a different request; use a new key.');
  }
  return reply.code(stored.statusCode).headers(headers).header('idempotent-replayed', 'true').send(stored.response);
}

/**
 * Runs a command once per Idempotency-Key: a key already used answers as the first request did
 * (`replayStored`), and so does a key that a concurrent duplicate claimed first while `run` ran
 * (it throws IdempotencyKeyInUse). Without a key, just runs it.
 */
export async function onceByKey<Answer>(
  store: EventStore,
  idempotency: IdempotencyKey | undefined,
  replayStored: (stored: IdempotencyRecord, requestHash: string) => Answer,
  run: () => Promise<Answer>,
): Promise<Answer> {
  if (!idempotency) return run();
  const stored = await store.findIdempotentResponse(idempotency.scope, idempotency.key);
  if (stored) return replayStored(stored, idempotency.requestHash);
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof IdempotencyKeyInUse)) throw error;
    const winner = await store.findIdempotentResponse(idempotency.scope, idempotency.key);
    if (!winner) throw error;
    return replayStored(winner, idempotency.requestHash);
  }
}

/** Runs `work` in one transaction and answers what it returned. */
export type Transaction<Result> = (work: (client: PoolClient) => Promise<Result>) => Promise<Result>;

export interface TransactionalCommand<Result> {
  status: 200 | 201;
  /** The command: its writes go through `transaction`, called once (again only after a rollback). */
  run: (transaction: Transaction<Result>) => Promise<Result>;
  /** The response body, from what the transaction returned; recorded for replays before it commits. */
  respond: (result: Result) => object;
}

/**
 * Idempotency-Key for POST commands that run their own transaction (accounts) rather than one
 * append through executeCommand. Not for sign-in, refresh, sign-out, forgot-password or resend:
 * they issue secrets or must answer alike whatever the address, so a stored answer must not exist.
 *
 * The key is claimed first in the command's transaction, so a concurrent duplicate waits on it and
 * then replays, and it commits with the events: a retry can never append twice.
 */
export function transactionalCommands(store: EventStore, secret?: string) {
  return async function executeTransactional<Result>(
    request: FastifyRequest,
    reply: FastifyReply,
    command: TransactionalCommand<Result>,
  ) {
    const idempotency = idempotencyKeyOf(request, secret);
    const underKey: Transaction<Result> = (work) =>
      store.transaction(async (client) => {
        if (!idempotency) return work(client);
        if (!(await store.claimIdempotencyKey(client, { ...idempotency, statusCode: command.status }))) {
          throw new IdempotencyKeyInUse();
        }
        const result = await work(client);
        await store.recordIdempotentResponse(client, idempotency, command.respond(result));
        return result;
      });
    return onceByKey(
      store,
      idempotency,
      (stored, requestHash) => replay(reply, stored, requestHash),
      async () => reply.code(command.status).send(command.respond(await command.run(underKey))),
    );
  };
}

export type ExecuteTransactional = ReturnType<typeof transactionalCommands>;
