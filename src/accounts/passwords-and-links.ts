import type { FastifyRequest } from 'fastify';
import { notFound } from '../errors.js';
import { handleCommand } from '../event-store/command-handler.js';
import { eventMetadata } from '../http/actor.js';
import type { AccountDeps } from '../http/deps.js';
import type { Transaction } from '../http/idempotency.js';
import { revokeAllSessions } from '../sessions/refresh-tokens.js';
import { accountKeyOf, passwordAttempt } from '../sessions/password-attempts.js';
import { consumeAccountToken, passwordHashOf, savePasswordHash } from './credentials.js';
import { accountDecider, type Account } from './decider.js';
import { badField, unusableLink } from './errors.js';
import { loadAccount } from './lookup.js';
import { passwordProblem } from './password-policy.js';

export interface AccountChanged {
  id: string;
  version: number;
  position: number;
}

/** A reset's answer, and the sessions it ended (for the in-memory revocation list). */
export interface PasswordReset extends AccountChanged {
  families: string[];
}

// The owner of a link acts on their own account: the events say so.
const asOwner = (request: FastifyRequest, account: Account) => ({
  ...eventMetadata(request),
  actorId: account.accountId,
  actorRole: account.role ?? 'anonymous',
});

/** Follows a verification link: uses it up and records EmailVerified, in one transaction. */
export async function verifyEmail(
  { store, clock }: AccountDeps,
  request: FastifyRequest,
  token: string,
  transaction: Transaction<AccountChanged>,
): Promise<AccountChanged> {
  const now = clock();
  return transaction(async (client) => {
    const link = await consumeAccountToken(client, token, 'verify-email', now);
    if (link.status !== 'valid') throw unusableLink(link.status);
    const account = await loadAccount(store, link.accountId, client);
    if (!account) throw unusableLink('unknown');
    const outcome = await handleCommand(
      store,
      accountDecider,
      { streamId: account.accountId, command: { type: 'VerifyEmail', accountId: account.accountId, email: link.email }, metadata: asOwner(request, account), now },
      client,
    );
    return { id: account.accountId, version: outcome.version, position: outcome.position };
  });
}

/**
 * Sets a new password from a reset (or invitation) link. The link is used up, the hash replaced,
 * PasswordReset recorded and every session ended, all in one transaction; a refused password
 * leaves the link usable.
 */
export async function resetPassword(
  deps: AccountDeps,
  request: FastifyRequest,
  token: string,
  newPassword: string,
  transaction: Transaction<PasswordReset>,
): Promise<PasswordReset> {
  const { store, clock, revocations } = deps;
  const now = clock();
  const done = await transaction(async (client) => {
    const link = await consumeAccountToken(client, token, 'reset-password', now);
    if (link.status !== 'valid') throw unusableLink(link.status);
    const account = await loadAccount(store, link.accountId, client);
    if (!account || account.status !== 'active') throw unusableLink('unknown');
    const weak = passwordProblem(newPassword, account);
    if (weak) throw badField('newPassword', weak);
    // Hashed before the append: the append locks the account's stream row until commit, and
    // scrypt takes ~0.3 s, which every other append to that account would spend waiting.
    const passwordHash = await deps.passwords.hash(newPassword);
    const outcome = await handleCommand(
      store,
      accountDecider,
      { streamId: account.accountId, command: { type: 'ResetPassword', accountId: account.accountId, email: link.email }, metadata: asOwner(request, account), now },
      client,
    );
    await savePasswordHash(client, account.accountId, passwordHash, now);
    const families = await revokeAllSessions(client, account.accountId, 'password reset');
    return { id: account.accountId, version: outcome.version, position: outcome.position, families };
  });
  revocations.add(done.families);
  return done;
}

/**
 * Whether `password` is the caller's current one. Wrong guesses count as failed sign-ins, so a
 * stolen access token cannot be used to guess the password at leisure. An account without a
 * password (made by an OIDC sign-in) has none to prove.
 */
export async function proveCurrentPassword(deps: AccountDeps, request: FastifyRequest, password: string): Promise<boolean> {
  const accountId = request.actor.id!;
  return passwordAttempt(deps, { address: request.ip, accountKey: accountKeyOf(accountId), now: deps.clock() }, async (scrypt) => {
    const current = await passwordHashOf(deps.pool, accountId);
    return current !== undefined && (await scrypt.verify(password, current));
  });
}

/** Changes the caller's password after checking the old one. */
export async function changePassword(
  deps: AccountDeps,
  request: FastifyRequest,
  oldPassword: string,
  newPassword: string,
  transaction: Transaction<AccountChanged>,
): Promise<AccountChanged> {
  const { store, clock, revocations } = deps;
  const now = clock();
  const accountId = request.actor.id!;
  const account = await loadAccount(store, accountId);
  if (!account) throw notFound('No such account.');
  if (!(await proveCurrentPassword(deps, request, oldPassword))) throw badField('oldPassword', 'is not your current password');
  if (newPassword === oldPassword) throw badField('newPassword', 'must differ from the current password');
  const weak = passwordProblem(newPassword, account);
  if (weak) throw badField('newPassword', weak);
  const passwordHash = await deps.passwords.hash(newPassword);
  let families: string[] = [];
  const changed = await transaction(async (client) => {
    const outcome = await handleCommand(
      store,
      accountDecider,
      { streamId: accountId, command: { type: 'ChangePassword', accountId }, metadata: eventMetadata(request), now },
      client,
    );
    await savePasswordHash(client, accountId, passwordHash, now);
    families = await revokeAllSessions(client, accountId, 'password changed');
    return { id: accountId, version: outcome.version, position: outcome.position };
  });
  revocations.add(families);
  return changed;
}
