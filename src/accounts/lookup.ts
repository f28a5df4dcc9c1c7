import { foldStream } from '../event-store/fold-stream.js';
import type { EventStore } from '../event-store/store.js';
import type { Queryable } from '../event-store/types.js';
import { accountDecider, type Account } from './decider.js';
import { CLAIM_SCOPES, emailKey, usernameKey } from './events.js';

/** The account as its whole stream says now (not a projection: sign-in must see a deactivation at once). */
export async function readAccount(store: EventStore, accountId: string, on?: Queryable) {
  const read = await foldStream(store, accountDecider, accountId, on);
  if (read.stream !== 'folded' || read.state.status === 'none') return undefined;
  return { account: read.state, version: read.version, position: read.position };
}

export async function loadAccount(store: EventStore, accountId: string, on?: Queryable): Promise<Account | undefined> {
  return (await readAccount(store, accountId, on))?.account;
}

/** Which claim a sign-in name is: an email has an @, a phone starts with +, anything else is a username. */
export function claimOfSignInName(name: string) {
  const trimmed = name.trim();
  if (trimmed.includes('@')) return { scope: CLAIM_SCOPES.email, value: emailKey(trimmed) };
  if (/^\+[0-9]+$/.test(trimmed)) return { scope: CLAIM_SCOPES.phone, value: trimmed };
  return { scope: CLAIM_SCOPES.username, value: usernameKey(trimmed) };
}

export async function accountIdByEmail(store: EventStore, email: string, on?: Queryable) {
  return store.claimHolder(CLAIM_SCOPES.email, emailKey(email), on);
}
