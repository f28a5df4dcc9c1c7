import { AppError } from '../errors.js';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';

/** scrypt, reachable only while holding one of the process's hashing slots. */
export interface Scrypt {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  /** A hash to check against when there is none, so that the answer takes as long. */
  decoy(): Promise<string>;
}

export interface PasswordHashing {
  /** Runs `work` with a hashing slot, or answers 503 with Retry-After at once when none is free. */
  withSlot<T>(work: (scrypt: Scrypt) => Promise<T>): Promise<T>;
  hash(password: string): Promise<string>;
}

const busy = () =>
  new AppError(503, 'busy', 'Service busy', 'Too many passwords are being checked right now; try again in a second.', {}, { 'retry-after': '1' });

/**
 * Caps the scrypt runs in flight. Each takes 128 MiB and a thread of libuv's pool (four by
 * default, shared with file and DNS work): unbounded, a flood of sign-ups would stall every
 * sign-in and could exhaust memory. Refusing at once, not queueing, keeps a flood from piling up
 * requests that would time out anyway.
 */
export function passwordHashing(options: { cost: number; concurrency: number }): PasswordHashing {
  const scrypt: Scrypt = {
    hash: (password) => hashPassword(password, options.cost),
    verify: verifyPassword,
    decoy: decoyHash(options.cost),
  };
  let inFlight = 0;
  async function withSlot<T>(work: (scrypt: Scrypt) => Promise<T>): Promise<T> {
    if (inFlight >= options.concurrency) throw busy();
    inFlight += 1;
    try {
      return await work(scrypt);
    } finally {
      inFlight -= 1;
    }
  }
  return { withSlot, hash: (password) => withSlot((slot) => slot.hash(password)) };
}
