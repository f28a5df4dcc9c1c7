import type { PasswordHashing, Scrypt } from '../accounts/password-hashing.js';
import type { AppDeps } from '../http/deps.js';
import { ACCOUNT_RULE, ADDRESS_ACCOUNT_RULE, ADDRESS_RULE } from './throttle-policy.js';
import { admitAttempt, forgiveAttempt, type ThrottledKey } from './throttle.js';

export interface PasswordAttempt {
  /** The client's address, as Fastify sees it (behind a trusted proxy, the forwarded one). */
  address: string;
  /** `account:<id>`, or for a sign-in name that matches no account, a key of the name itself. */
  accountKey: string;
  now: Date;
}

export const accountKeyOf = (accountId: string) => `account:${accountId}`;

function keysOf({ address, accountKey }: PasswordAttempt): ThrottledKey[] {
  return [
    { key: accountKey, rule: ACCOUNT_RULE },
    { key: `address:${address} ${accountKey}`, rule: ADDRESS_ACCOUNT_RULE },
    { key: `address:${address}`, rule: ADDRESS_RULE },
  ];
}

/**
 * One throttled try of a password, with a hashing slot: counted before `check` runs (429 when any of its keys is
 * held back), forgiven when `check` passes. Whatever a password protects (signing in,
 * changing the password or the address) goes through here, so a stolen access token cannot be used
 * to guess the password at leisure.
 */
export async function passwordAttempt(
  { pool, passwords }: Pick<AppDeps, 'pool'> & { passwords: PasswordHashing },
  attempt: PasswordAttempt,
  check: (scrypt: Scrypt) => Promise<boolean>,
): Promise<boolean> {
  const keys = keysOf(attempt);
  // The slot is taken before the attempt is counted: a 503 counts against nobody.
  return passwords.withSlot(async (scrypt) => {
    await admitAttempt(pool, keys, attempt.now);
    const passed = await check(scrypt);
    if (passed) await forgiveAttempt(pool, keys);
    return passed;
  });
}
