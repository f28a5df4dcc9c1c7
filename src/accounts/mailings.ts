import type { Config } from '../config.js';
import { handleCommand } from '../event-store/command-handler.js';
import type { EventStore } from '../event-store/store.js';
import type { Queryable } from '../event-store/types.js';
import type { EventMetadata } from '../event-store/types.js';
import { enqueueMail } from '../mail/outbox.js';
import { invitationMail, passwordResetMail, verificationMail } from '../mail/templates.js';
import { issueAccountToken } from './credentials.js';
import { accountDecider, type Account } from './decider.js';

export interface MailingDeps {
  store: EventStore;
  config: Config;
}

/**
 * Records that a verification link is being sent and queues the mail, all in the caller's
 * transaction. An already verified address gets nothing.
 */
export async function sendVerificationLink(deps: MailingDeps, on: Queryable, account: Account, metadata: EventMetadata, now: Date) {
  const outcome = await handleCommand(
    deps.store,
    accountDecider,
    { streamId: account.accountId, command: { type: 'RequestEmailVerification', accountId: account.accountId }, metadata, now },
    on,
  );
  if (outcome.events.length === 0) return outcome;
  const ttlSeconds = deps.config.EMAIL_VERIFICATION_TTL_SECONDS;
  const token = await issueAccountToken(on, { accountId: account.accountId, purpose: 'verify-email', email: account.email, ttlSeconds, now });
  await enqueueMail(on, verificationMail(account.email, account.firstName, token, deps.config.APP_BASE_URL, ttlSeconds));
  return outcome;
}

/**
 * A link that sets a new password: a reset the person asked for, or the invitation to an account
 * an admin created (which then has no password at all until the link is followed).
 */
export async function sendPasswordLink(
  deps: MailingDeps,
  on: Queryable,
  account: Account,
  metadata: EventMetadata,
  now: Date,
  kind: 'reset' | 'invitation',
) {
  const outcome = await handleCommand(
    deps.store,
    accountDecider,
    { streamId: account.accountId, command: { type: 'RequestPasswordReset', accountId: account.accountId }, metadata, now },
    on,
  );
  const ttlSeconds = kind === 'reset' ? deps.config.PASSWORD_RESET_TTL_SECONDS : deps.config.EMAIL_VERIFICATION_TTL_SECONDS;
  const token = await issueAccountToken(on, { accountId: account.accountId, purpose: 'reset-password', email: account.email, ttlSeconds, now });
  const template = kind === 'reset' ? passwordResetMail : invitationMail;
  await enqueueMail(on, template(account.email, account.firstName, token, deps.config.APP_BASE_URL, ttlSeconds));
  return outcome;
}
