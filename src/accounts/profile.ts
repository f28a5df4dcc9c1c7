import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { handleCommand } from '../event-store/command-handler.js';
import { eventMetadata } from '../http/actor.js';
import type { AccountDeps } from '../http/deps.js';
import type { Transaction } from '../http/idempotency.js';
import { enqueueMail } from '../mail/outbox.js';
import { emailChangedMail } from '../mail/templates.js';
import { accountDecider } from './decider.js';
import { loadAccount } from './lookup.js';
import { sendVerificationLink } from './mailings.js';
import { proveCurrentPassword, type AccountChanged } from './passwords-and-links.js';

export interface ProfileChanges {
  firstName?: string;
  lastName?: string;
  phone?: string;
  email?: string;
  currentPassword?: string;
}

// 403, not 401: the access token is fine, and a client that took a 401 would sign the person out.
const wrongCurrentPassword = () =>
  new AppError(403, 'wrong-password', 'Wrong password', 'currentPassword is not your current password.', {
    errors: [{ in: 'body', field: 'currentPassword', message: 'is not your current password' }],
  });

/**
 * The caller's own profile. The email and phone sign the account in and recover it, so changing
 * them needs the current password (a stolen access token alone cannot take the account over); the
 * new address must be verified, and the old one is told.
 */
export async function updateProfile(
  deps: AccountDeps,
  request: FastifyRequest,
  body: ProfileChanges,
  transaction: Transaction<AccountChanged>,
): Promise<AccountChanged> {
  const { store, clock } = deps;
  const now = clock();
  const accountId = request.actor.id!;
  const { currentPassword, ...changes } = body;
  const passwordConfirmed = currentPassword !== undefined && (await proveCurrentPassword(deps, request, currentPassword));
  if (currentPassword !== undefined && !passwordConfirmed) throw wrongCurrentPassword();
  const metadata = eventMetadata(request);
  return transaction(async (client) => {
    const before = await loadAccount(store, accountId, client);
    const outcome = await handleCommand(
      store,
      accountDecider,
      { streamId: accountId, command: { type: 'UpdateAccountProfile', accountId, changes, passwordConfirmed }, metadata, now },
      client,
    );
    if (!before || !outcome.events.some((event) => event.type === 'EmailChanged')) {
      return { id: accountId, version: outcome.version, position: outcome.position };
    }
    await enqueueMail(client, emailChangedMail(before.email, before.firstName));
    const last = await sendVerificationLink(deps, client, (await loadAccount(store, accountId, client))!, metadata, now);
    return { id: accountId, version: last.version, position: last.position };
  });
}
