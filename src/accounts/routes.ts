import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PoolClient } from 'pg';
import type { AppendResult, EventMetadata } from '../event-store/types.js';
import { forbidden } from '../auth/access.js';
import { derivedKey } from '../auth/keys.js';
import { handleCommand } from '../event-store/command-handler.js';
import { eventMetadata } from '../http/actor.js';
import { executeCommand } from '../http/command.js';
import type { AccountDeps } from '../http/deps.js';
import { CommandResult, IdempotencyHeaders, problems } from '../http/schemas.js';
import { revokeAllSessions } from '../sessions/refresh-tokens.js';
import { recentlyIssued } from './credentials.js';
import { accountDecider, type Account } from './decider.js';
import { badField } from './errors.js';
import { accountIdByEmail, loadAccount } from './lookup.js';
import { sendPasswordLink, sendVerificationLink } from './mailings.js';
import { passwordProblem } from './password-policy.js';
import { changePassword, resetPassword, verifyEmail, type AccountChanged, type PasswordReset } from './passwords-and-links.js';
import { installAuthRateLimit, perAddress } from './rate-limit.js';
import { updateProfile } from './profile.js';
import { createAccount, refuseTakenValues, type CreatedAccount } from './registration.js';
import {
  Accepted,
  AccountCreated,
  AccountParams,
  ChangePasswordBody,
  CreateAccountBody,
  DeactivateBody,
  EmailBody,
  RegisterBody,
  ResetPasswordBody,
  TokenBody,
  UpdateMeBody,
} from './schemas.js';

const AUTH = ['auth'];
const ACCOUNTS = ['accounts'];
const EVERYONE = ['patient', 'practitioner', 'admin', 'auditor'] as const;

// The same words whether or not the address belongs to anyone: the answer must not tell.
const MAYBE_SENT = 'If an account uses this address, a message is on its way.';
// At most one link of a kind a minute per account: a form resubmitted in a loop sends no mail storm.
const RESEND_AFTER_SECONDS = 60;

/** Accounts' commands: signing up, proving an address, passwords, and the admins' account management. */
export function accountRoutes(deps: AccountDeps): FastifyPluginAsyncTypebox {
  const { store, config, clock, revocations } = deps;
  // Keyed with the server's secret: a sign-up's request hash covers its password.
  const keyed = { secret: derivedKey(config.JWT_SECRET, 'idempotency-request-hashes').toString('base64url') };
  const created = ({ accountId, ...rest }: CreatedAccount) => ({ id: accountId, ...rest });

  /**
   * Mails a link to the active account behind the request's email, at most once a minute, and
   * answers 202 the same whether or not there is one.
   */
  function mailIfKnown(
    request: FastifyRequest,
    reply: FastifyReply,
    email: string,
    purpose: 'verify-email' | 'reset-password',
    wanted: (account: Account) => boolean,
    send: (client: PoolClient, account: Account, metadata: EventMetadata, now: Date) => Promise<unknown>,
  ) {
    return executeCommand(request, reply, {
      store,
      status: 202,
      idempotency: 'ignored',
      inTransaction: async (transaction) => {
        const now = clock();
        const accountId = await accountIdByEmail(store, email);
        const account = accountId && (await loadAccount(store, accountId));
        if (!account || account.status !== 'active' || !wanted(account)) return;
        await transaction(async (client) => {
          if (await recentlyIssued(client, account.accountId, purpose, now, RESEND_AFTER_SECONDS)) return;
          await send(client, account, { ...eventMetadata(request), actorId: null, actorRole: 'anonymous' }, now);
        });
      },
      respond: () => ({ detail: MAYBE_SENT }),
    });
  }
  return async (app) => {
    await installAuthRateLimit(app, config);

    app.post(
      '/auth/register',
      {
        config: { access: { public: true }, ...perAddress },
        schema: {
          operationId: 'registerAccount',
          summary: 'Sign up as a patient (with a new patient record) or a practitioner (pending verification)',
          description: 'AccountRegistered, RoleGranted, AccountLinkedToPatient|AccountLinkedToPractitioner, EmailVerificationRequested; a verification link is mailed.',
          tags: AUTH,
          headers: IdempotencyHeaders,
          body: RegisterBody,
          response: { 201: AccountCreated, ...problems(400, 409, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        const { accountType, password, dateOfBirth, sex, acceptTerms: _accepted, ...person } = request.body;
        if (accountType === 'patient' && dateOfBirth === undefined) throw badField('dateOfBirth', 'is required for a patient account');
        if (accountType === 'practitioner' && dateOfBirth !== undefined) throw badField('dateOfBirth', 'is only for patient accounts');
        if (accountType === 'practitioner' && sex !== undefined) throw badField('sex', 'is only for patient accounts');
        const weak = passwordProblem(password, { email: person.email, username: person.username });
        if (weak) throw badField('password', weak);
        return executeCommand(request, reply, {
          store,
          status: 201,
          idempotency: keyed,
          // Hashed inside, not before: a replayed sign-up costs no hashing, and a taken address
          // (which the answer tells anyway) none either.
          inTransaction: async (transaction) => {
            const username = person.username ?? null;
            await refuseTakenValues(store, { ...person, username });
            return createAccount(
              deps,
              {
                ...person,
                username,
                role: accountType,
                registeredVia: 'self',
                passwordHash: await deps.passwords.hash(password),
                ...(dateOfBirth === undefined ? {} : { patient: { dateOfBirth, sex: sex ?? 'unknown' } }),
                welcome: 'verify-email',
              },
              // The person signing up is the actor of their own registration.
              (accountId) => ({ ...eventMetadata(request), actorId: accountId, actorRole: accountType }),
              clock(),
              transaction,
            );
          },
          respond: created,
        });
      },
    );

    app.post(
      '/auth/verify-email',
      {
        config: { access: { public: true } },
        schema: {
          operationId: 'verifyEmail',
          summary: 'Follow a verification link (EmailVerified)',
          tags: AUTH,
          headers: IdempotencyHeaders,
          body: TokenBody,
          response: { 200: CommandResult, ...problems(400, 409, 422) },
        },
      },
      async (request, reply) =>
        executeCommand(request, reply, {
          store,
          status: 200,
          idempotency: keyed,
          inTransaction: (transaction) => verifyEmail(deps, request, request.body.token, transaction),
          respond: (result: AccountChanged) => result,
        }),
    );

    app.post(
      '/auth/resend-verification',
      {
        config: { access: { public: true }, ...perAddress },
        schema: {
          operationId: 'requestEmailVerification',
          summary: 'Mail a new verification link; the answer is the same whether or not the address is known',
          tags: AUTH,
          body: EmailBody,
          response: { 202: Accepted, ...problems(400, 429) },
        },
      },
      async (request, reply) =>
        mailIfKnown(request, reply, request.body.email, 'verify-email', (account) => !account.emailVerified, (client, account, metadata, now) =>
          sendVerificationLink(deps, client, account, metadata, now),
        ),
    );

    app.post(
      '/auth/password/forgot',
      {
        config: { access: { public: true }, ...perAddress },
        schema: {
          operationId: 'requestPasswordReset',
          summary: 'Mail a password reset link; the answer is the same whether or not the address is known',
          tags: AUTH,
          body: EmailBody,
          response: { 202: Accepted, ...problems(400, 429) },
        },
      },
      async (request, reply) =>
        // Only to a proven address: an unverified one may not be the owner's (it may have been
        // typed wrong, or put there with a stolen access token).
        mailIfKnown(request, reply, request.body.email, 'reset-password', (account) => account.emailVerified, (client, account, metadata, now) =>
          sendPasswordLink(deps, client, account, metadata, now, 'reset'),
        ),
    );

    app.post(
      '/auth/password/reset',
      {
        config: { access: { public: true } },
        schema: {
          operationId: 'resetPassword',
          summary: 'Choose a new password with a reset link (PasswordReset); ends every session',
          tags: AUTH,
          headers: IdempotencyHeaders,
          body: ResetPasswordBody,
          response: { 200: CommandResult, ...problems(400, 422, 503) },
        },
      },
      async (request, reply) =>
        executeCommand(request, reply, {
          store,
          status: 200,
          idempotency: keyed,
          inTransaction: (transaction) => resetPassword(deps, request, request.body.token, request.body.newPassword, transaction),
          respond: ({ families: _families, ...result }: PasswordReset) => result,
        }),
    );

    app.put(
      '/users/me/password',
      {
        config: { access: { roles: EVERYONE } },
        schema: {
          operationId: 'changePassword',
          summary: 'Change your password (PasswordChanged); ends every session, this one included',
          tags: AUTH,
          body: ChangePasswordBody,
          response: { 200: CommandResult, ...problems(400, 404, 429, 503) },
        },
      },
      async (request, reply) =>
        executeCommand(request, reply, {
          store,
          status: 200,
          idempotency: 'ignored',
          inTransaction: (transaction) => changePassword(deps, request, request.body.oldPassword, request.body.newPassword, transaction),
          respond: (result: AccountChanged) => result,
        }),
    );

    app.patch(
      '/users/me',
      {
        config: { access: { roles: EVERYONE } },
        schema: {
          operationId: 'updateAccountProfile',
          summary: 'Change your name, phone or email (AccountProfileUpdated, EmailChanged)',
          description:
            'Changing the email or phone needs `currentPassword` (400 naming it when missing, 403 `wrong-password` when wrong; wrong guesses are throttled like sign-ins). A new email address is unverified until the link mailed to it is followed; the old one is told of the change.',
          tags: AUTH,
          body: UpdateMeBody,
          response: { 200: CommandResult, ...problems(400, 403, 404, 409, 429, 503) },
        },
      },
      async (request, reply) =>
        executeCommand(request, reply, {
          store,
          status: 200,
          idempotency: 'ignored',
          inTransaction: (transaction) => updateProfile(deps, request, request.body, transaction),
          respond: (result: AccountChanged) => result,
        }),
    );

    app.post(
      '/accounts',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          operationId: 'createAccount',
          summary: 'Create a practitioner, auditor or admin account; its owner is mailed a link to choose a password',
          tags: ACCOUNTS,
          headers: IdempotencyHeaders,
          body: CreateAccountBody,
          response: { 201: AccountCreated, ...problems(400, 409, 422) },
        },
      },
      async (request, reply) => {
        const { role, phone, username, ...person } = request.body;
        return executeCommand(request, reply, {
          store,
          status: 201,
          idempotency: keyed,
          inTransaction: (transaction) =>
            createAccount(
              deps,
              { ...person, role, phone: phone ?? null, username: username ?? null, registeredVia: 'admin', welcome: 'invitation' },
              () => eventMetadata(request),
              clock(),
              transaction,
            ),
          respond: created,
        });
      },
    );

    app.post(
      '/accounts/:id/deactivate',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          operationId: 'deactivateAccount',
          summary: 'Deactivate an account (AccountDeactivated); its sessions and access tokens stop working at once',
          tags: ACCOUNTS,
          headers: IdempotencyHeaders,
          params: AccountParams,
          body: DeactivateBody,
          response: { 200: CommandResult, ...problems(400, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        const accountId = request.params.id;
        // The last admin locking everyone out by accident is worse than needing a second admin.
        if (accountId === request.actor.id) throw forbidden('You cannot deactivate your own account.');
        const { reason } = request.body;
        return executeCommand(request, reply, {
          store,
          status: 200,
          idempotency: keyed,
          inTransaction: async (transaction) => {
            const ended = await transaction(async (client) => {
              const outcome = await handleCommand(
                store,
                accountDecider,
                {
                  streamId: accountId,
                  command: { type: 'DeactivateAccount', accountId, reason },
                  metadata: eventMetadata(request, reason),
                  now: clock(),
                },
                client,
              );
              return { outcome, families: await revokeAllSessions(client, accountId, 'account deactivated') };
            });
            revocations.add(ended.families);
            return ended;
          },
          respond: ({ outcome }: { outcome: AppendResult; families: string[] }) => ({ id: accountId, version: outcome.version, position: outcome.position }),
        });
      },
    );
  };
}
