import type { Actor } from '../http/actor.js';
import type { DomainEvent, UniqueClaim } from './types.js';

/** Why a command was refused, as a plain value: deciders return it, they never throw. */
export type Rejection =
  | { kind: 'invalid'; field: string; message: string }
  | { kind: 'not-found'; message: string }
  | { kind: 'conflict'; message: string };

export const rejectInvalid = (field: string, message: string): Rejection => ({ kind: 'invalid', field, message });
export const rejectNotFound = (message: string): Rejection => ({ kind: 'not-found', message });
export const rejectConflict = (message: string): Rejection => ({ kind: 'conflict', message });

export const isRejection = (outcome: unknown): outcome is Rejection =>
  typeof outcome === 'object' && outcome !== null && !Array.isArray(outcome) && 'kind' in outcome;

/**
 * A slice's business rules: pure functions over one stream. The clock, new ids and the acting user
 * come in on the command; nothing here does I/O.
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  streamType: string;
  /** The schema version written with each event type; bump it when a payload changes shape. */
  schemaVersions: Record<Event['type'], number>;
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[] | Rejection;
  /**
   * Whether `actor` may reach this (existing) record at all: checked on the loaded state before
   * `decide`, and a record out of reach answers as a missing one. Which commands a role may send
   * at all is the route's access rule; this is about which records.
   */
  reaches?(actor: Actor, state: State): boolean;
  /**
   * The name this decider's folded states are saved under as stream snapshots, so that a command
   * folds only the events after the latest one (migration 0014). Set it only for a State that
   * comes back from JSON unchanged, and change it (`patient-v2`) whenever State's shape or what
   * `evolve` makes of an event changes: states saved under an old name are then ignored.
   */
  snapshotName?: string;
  /** Values these new events make unique across streams, and those they give up. */
  uniqueClaims?(events: Event[], state: State): { claims: UniqueClaim[]; releases: UniqueClaim[] };
}
