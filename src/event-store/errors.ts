import { AppError } from '../errors.js';

/** The stream moved on since the caller read it; nothing was appended. */
export class ConcurrencyConflict extends AppError {
  constructor(readonly streamId: string, readonly expectedVersion: number) {
    super(409, 'concurrency-conflict', 'Conflict', `The record was changed by someone else (expected version ${expectedVersion}); reload it and try again.`);
  }
}

/**
 * Another stream the decision was based on has moved since it was read; nothing was appended. The
 * caller reads that stream again and decides again.
 */
export class ReliedOnStreamChanged extends AppError {
  constructor(readonly streamId: string) {
    super(409, 'concurrency-conflict', 'Conflict', 'A record this change depends on was changed meanwhile; try again.');
  }
}

/** Another stream already holds a value that must be unique; nothing was appended. */
export class UniqueValueTaken extends AppError {
  constructor(readonly scope: string) {
    super(409, 'unique-value-taken', 'Conflict', `That ${scope} is already in use by another record.`, { field: scope });
  }
}

/** A concurrent request with the same Idempotency-Key won the race; its response is to be replayed. */
export class IdempotencyKeyInUse extends Error {
  override name = 'IdempotencyKeyInUse';
}
