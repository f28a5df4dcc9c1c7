import { newId } from '../ids.js';
import type { Actor } from '../http/actor.js';
import { conflict, invalid, notFound, preconditionFailed, type AppError } from '../errors.js';
import { ConcurrencyConflict } from './errors.js';
import { isRejection, type Decider, type Rejection } from './decider.js';
import type { EventStore, Queryable } from './store.js';
import type { AppendResult, DomainEvent, EventMetadata, IdempotencyRecord, StreamVersion } from './types.js';

export interface CommandEnvelope<Command> {
  streamId: string;
  command: Command;
  metadata: EventMetadata;
  /** Who sends the command, for the decider's reach check; absent only for the system's own commands. */
  actor?: Actor;
  now: Date;
  /** The version the caller based its change on (If-Match); a mismatch is a failed precondition. */
  expectedVersion?: number;
  idempotency?: IdempotencyRecord;
  /**
   * The stream id was minted for this command (a UUIDv7 nobody has seen), so there is no history
   * to read. Were it ever taken, the append's expected version 0 would still refuse it.
   */
  newStream?: boolean;
  /** Other streams the command was built from, at the versions read: see AppendRequest.reliesOn. */
  reliesOn?: StreamVersion[];
}

export interface CommandOutcome<Event> extends AppendResult {
  events: Event[];
}

function toAppError(rejection: Rejection): AppError {
  switch (rejection.kind) {
    case 'invalid':
      return invalid([{ in: 'body', field: rejection.field, message: rejection.message }]);
    case 'not-found':
      return notFound(rejection.message);
    case 'conflict':
      return conflict(rejection.message);
  }
}

/**
 * Load the stream, fold it, decide, append: the one loop every command goes through. Given `on`
 * (a client in a transaction), it reads and appends there, so several commands commit together.
 */
export async function handleCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  envelope: CommandEnvelope<Command>,
  on?: Queryable,
): Promise<CommandOutcome<Event>> {
  const { events: history, last } = envelope.newStream ? { events: [] } : await store.readStreamToFold(envelope.streamId, on);
  const state = history.reduce((current, event) => decider.evolve(current, event as Event), decider.initialState());
  const version = last?.version ?? 0;
  // Out of reach reads exactly as missing, and is settled before If-Match, whose 412 would tell.
  const missing = () => notFound(`No ${decider.streamType} with id ${envelope.streamId}.`);
  if (last && last.streamType !== decider.streamType) throw missing();
  if (last && envelope.actor && decider.reaches && !decider.reaches(envelope.actor, state)) throw missing();
  // A record that does not exist answers 404 from decide, whatever If-Match says (RFC 9110 13.2.1).
  if (last && envelope.expectedVersion !== undefined && envelope.expectedVersion !== version) {
    throw preconditionFailed(`The record is at version ${version}, not ${envelope.expectedVersion}; reload it and try again.`);
  }

  const decision = decider.decide(envelope.command, state);
  if (isRejection(decision)) throw toAppError(decision);
  if (decision.length === 0) {
    return { streamId: envelope.streamId, version, position: last?.position ?? 0, events: [] };
  }

  const { claims, releases } = decider.uniqueClaims?.(decision, state) ?? { claims: [], releases: [] };
  try {
    const result = await store.append({
      streamId: envelope.streamId,
      streamType: decider.streamType,
      expectedVersion: version,
      events: decision.map((event) => ({
        ...event,
        eventId: newId(),
        schemaVersion: decider.schemaVersions[event.type as Event['type']],
        metadata: envelope.metadata,
        recordedAt: envelope.now,
      })),
      claims,
      releases,
      idempotency: envelope.idempotency,
      reliesOn: envelope.reliesOn,
    }, on);
    return { ...result, events: decision };
  } catch (error) {
    if (error instanceof ConcurrencyConflict && envelope.expectedVersion !== undefined) {
      throw preconditionFailed('The record was changed by someone else meanwhile; reload it and try again.');
    }
    throw error;
  }
}
