import { newId } from '../ids.js';
import type { Actor } from '../http/actor.js';
import { conflict, invalid, notFound, preconditionFailed, type AppError } from '../errors.js';
import { ConcurrencyConflict } from './errors.js';
import { isRejection, type Decider, type Rejection } from './decider.js';
import { foldStream } from './fold-stream.js';
import type { FoldedState } from './recent-states.js';
import { snapshotDue } from './snapshots.js';
import type { EventStore } from './store.js';
import type { AppendResult, DomainEvent, EventMetadata, IdempotencyRecord, Queryable, StreamVersion } from './types.js';

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

// Out of reach, of another type, or not there: all answer the same.
const missing = (decider: { streamType: string }, streamId: string) => notFound(`No ${decider.streamType} with id ${streamId}.`);

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
 *
 * Outside a transaction it first tries the state this process last folded for the stream: an
 * append at that version succeeds only if nobody appended since, which proves the state current.
 * Any other answer (a rejection, nothing to change, a stream that moved) is given only after a
 * fresh read, so a stale state can cost a round trip but never decide anything. A command without
 * If-Match that loses the race to another append is decided again on a fresh read.
 */
export async function handleCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  envelope: CommandEnvelope<Command>,
  on?: Queryable,
): Promise<CommandOutcome<Event>> {
  const remembered = on || envelope.newStream ? undefined : store.recentStates.recall<State>(decider, envelope.streamId);
  if (remembered && (envelope.expectedVersion ?? remembered.version) === remembered.version) {
    const decision = decideOnRemembered(decider, envelope, remembered.state);
    if (decision) {
      try {
        return await appendDecision(store, decider, envelope, remembered, decision);
      } catch (error) {
        if (!(error instanceof ConcurrencyConflict)) throw error;
      }
    }
    store.recentStates.forget(decider, envelope.streamId);
  }

  for (let attempt = 1; ; attempt += 1) {
    try {
      return await decideOnFreshRead(store, decider, envelope, on);
    } catch (error) {
      if (!(error instanceof ConcurrencyConflict)) throw error;
      if (envelope.expectedVersion !== undefined) {
        throw preconditionFailed('The record was changed by someone else meanwhile; reload it and try again.');
      }
      // Without If-Match the caller asked for the change on the record as it is, so another append
      // that got in first is no reason to refuse: read it again and decide again (the decision may
      // now be a rejection). Not inside a transaction, which the failed append has aborted, nor for
      // a new stream, whose id is simply taken.
      if (on || envelope.newStream || attempt === ATTEMPTS_WITHOUT_IF_MATCH) throw error;
    }
  }
}

/** How often a command without If-Match is decided on a fresh read before a concurrent writer wins with a 409. */
export const ATTEMPTS_WITHOUT_IF_MATCH = 3;

async function decideOnFreshRead<Command, Event extends DomainEvent, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  envelope: CommandEnvelope<Command>,
  on?: Queryable,
): Promise<CommandOutcome<Event>> {
  const folded = envelope.newStream ? undefined : await readAndFold(store, decider, envelope.streamId, on);
  const state = folded?.state ?? decider.initialState();
  const version = folded?.version ?? 0;
  // Out of reach reads exactly as missing, and is settled before If-Match, whose 412 would tell.
  if (folded && envelope.actor && decider.reaches && !decider.reaches(envelope.actor, state)) {
    throw missing(decider, envelope.streamId);
  }
  // A record that does not exist answers 404 from decide, whatever If-Match says (RFC 9110 13.2.1).
  if (folded && envelope.expectedVersion !== undefined && envelope.expectedVersion !== version) {
    throw preconditionFailed(`The record is at version ${version}, not ${envelope.expectedVersion}; reload it and try again.`);
  }

  const decision = decider.decide(envelope.command, state);
  if (isRejection(decision)) throw toAppError(decision);
  if (decision.length === 0) {
    return { streamId: envelope.streamId, version, position: folded?.position ?? 0, events: [] };
  }
  const basis = folded ?? { state, version, position: 0, sinceSnapshot: 0 };
  return appendDecision(store, decider, envelope, basis, decision, on);
}

/** The stream folded, remembered when read outside a transaction (whose reads may never commit). */
async function readAndFold<Command, Event extends DomainEvent, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  streamId: string,
  on?: Queryable,
): Promise<FoldedState<State> | undefined> {
  const read = await foldStream(store, decider, streamId, on);
  if (read.stream === 'none') return undefined;
  if (read.stream === 'of another type') throw missing(decider, streamId);
  const { stream, ...folded } = read;
  if (!on) store.recentStates.remember(decider, streamId, folded);
  return folded;
}

/** The events the remembered state leads to, when they are worth an append; otherwise undefined. */
function decideOnRemembered<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  envelope: CommandEnvelope<Command>,
  state: State,
): Event[] | undefined {
  if (envelope.actor && decider.reaches && !decider.reaches(envelope.actor, state)) return undefined;
  const decision = decider.decide(envelope.command, state);
  return isRejection(decision) || decision.length === 0 ? undefined : decision;
}

async function appendDecision<Command, Event extends DomainEvent, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  envelope: CommandEnvelope<Command>,
  basis: FoldedState<State>,
  decision: Event[],
  on?: Queryable,
): Promise<CommandOutcome<Event>> {
  const { claims, releases } = decider.uniqueClaims?.(decision, basis.state) ?? { claims: [], releases: [] };
  const state = decision.reduce((current, event) => decider.evolve(current, event), basis.state);
  const sinceSnapshot = basis.sinceSnapshot + decision.length;
  const snapshot = decider.snapshotName !== undefined && snapshotDue(sinceSnapshot) ? { of: decider.snapshotName, state } : undefined;
  const result = await store.append({
    streamId: envelope.streamId,
    streamType: decider.streamType,
    expectedVersion: basis.version,
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
    snapshot,
  }, on);
  if (!on) {
    store.recentStates.remember(decider, envelope.streamId, {
      state,
      version: result.version,
      position: result.position,
      sinceSnapshot: snapshot ? 0 : sinceSnapshot,
    });
  }
  return { ...result, events: decision };
}
