import { createHash, createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PoolClient } from 'pg';
import { AppError, unprocessable } from '../errors.js';
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

/**
 * How a command runs under an Idempotency-Key. The command claims the key with its own writes (the
 * append, or the first statement of its transaction): a duplicate still in flight makes that claim
 * wait for it, then fail with IdempotencyKeyInUse, and a retry can never write twice.
 */
export interface KeyedCommand<Outcome, Answer> {
  run: () => Promise<Outcome>;
  /** False when the run wrote nothing (nothing to change), so claimed no key. */
  claimedKey: (outcome: Outcome) => boolean;
  answer: (outcome: Outcome) => Answer;
  /** The first request's answer, as stored under the key. */
  replay: (stored: IdempotencyRecord) => Answer;
}

// A refusal of a retry may only mean that the first request already did the work (the record is
// inactive because it deactivated it; the version moved because it appended).
const isRefusal = (error: unknown) => error instanceof AppError && error.status < 500;

/**
 * Runs a command once per Idempotency-Key, answering a retry as the first request was answered.
 * A first request pays no look-up: the stored answer is read only when the command did not claim
 * the key (it was taken, or the decision was a refusal or nothing to change), and then replayed
 * in place of what the command answered. A different request under a used key is refused (422).
 */
export async function onceByKey<Outcome, Answer>(
  store: EventStore,
  idempotency: IdempotencyKey | undefined,
  command: KeyedCommand<Outcome, Answer>,
): Promise<Answer> {
  if (!idempotency) return command.answer(await command.run());
  const storedAnswer = async () => {
    const stored = await store.findIdempotentResponse(idempotency.scope, idempotency.key);
    if (stored && stored.requestHash !== idempotency.requestHash) {
      throw unprocessable('This Idempotency-Key was already used for a different request; use a new key.');
    }
    return stored && command.replay(stored);
  };
  let outcome: Outcome;
  try {
    outcome = await command.run();
  } catch (error) {
    if (!(error instanceof IdempotencyKeyInUse || isRefusal(error))) throw error;
    const replayed = await storedAnswer();
    if (replayed === undefined) throw error;
    return replayed;
  }
  if (command.claimedKey(outcome)) return command.answer(outcome);
  return (await storedAnswer()) ?? command.answer(outcome);
}

/** Replays a stored answer: its status and body, the headers given, and `idempotent-replayed`. */
export function replay(reply: FastifyReply, stored: IdempotencyRecord, headers: Record<string, string> = {}) {
  return reply.code(stored.statusCode).headers(headers).header('idempotent-replayed', 'true').send(stored.response);
}

/** Runs `work` in one transaction and answers what it returned. */
export type Transaction<Result> = (work: (client: PoolClient) => Promise<Result>) => Promise<Result>;

/**
 * The store's transaction, claiming `idempotency` as its first statement and recording `respond`'s
 * answer under it before it commits; `committed` says whether one did.
 */
export function transactionUnderKey<Result>(
  store: EventStore,
  idempotency: IdempotencyKey | undefined,
  statusCode: number,
  respond: (result: Result) => object,
) {
  let committed = false;
  const transaction: Transaction<Result> = async (work) => {
    const result = await store.transaction(async (client) => {
      if (!idempotency) return work(client);
      if (!(await store.claimIdempotencyKey(client, { ...idempotency, statusCode }))) throw new IdempotencyKeyInUse();
      const done = await work(client);
      await store.recordIdempotentResponse(client, idempotency, respond(done));
      return done;
    });
    committed = true;
    return result;
  };
  return { transaction, committed: () => committed };
}
