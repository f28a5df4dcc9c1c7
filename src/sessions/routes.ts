import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../errors.js';
import { digest, newSecret, passwordHashOf } from '../accounts/credentials.js';
import type { Account } from '../accounts/decider.js';
import { claimOfSignInName, loadAccount } from '../accounts/lookup.js';
import type { AccountDeps } from '../http/deps.js';
import { problems } from '../http/schemas.js';
import { familyOf, presentRefreshToken, replaceRefreshToken, revokeFamily } from './refresh-tokens.js';
import { LoginBody, RefreshBody, TokenPair } from './schemas.js';
import { accessTokenFor, hasRole, openSession, sessionSettings, tokenResponse } from './sessions.js';
import { accountKeyOf, passwordAttempt } from './password-attempts.js';

const TAGS = ['auth'];

// One answer for every way a sign-in can fail, so that it never tells whether an account exists.
const badCredentials = () =>
  new AppError(401, 'invalid-credentials', 'Invalid credentials', 'The name or password is not right.', {}, { 'www-authenticate': 'Bearer realm="pams"' });

const sessionEnded = (detail: string) =>
  new AppError(401, 'invalid-token', 'Invalid token', detail, {}, { 'www-authenticate': 'Bearer realm="pams", error="invalid_token"' });

/** Sessions: signing in, refreshing (rotating) and signing out. */
export function sessionRoutes(deps: AccountDeps): FastifyPluginAsyncTypebox {
  const { store, pool, clock, config, revocations } = deps;
  const settings = sessionSettings(config);

  return async (app) => {
    app.post(
      '/auth/login',
      {
        config: { access: { public: true } },
        schema: {
          operationId: 'signIn',
          summary: 'Sign in with email, phone or username and password',
          description:
            'Repeated failures lock the guessing address out of the account and slow the account itself down (429 with Retry-After); 503 with Retry-After while too many passwords are being checked.',
          tags: TAGS,
          body: LoginBody,
          response: { 200: TokenPair, ...problems(400, 401, 429, 503) },
        },
      },
      async (request) => {
        const now = clock();
        const claim = claimOfSignInName(request.body.username);
        const accountId = await store.claimHolder(claim.scope, claim.value);
        // A name that matches no account is throttled under its own key, exactly like an account.
        const accountKey = accountId ? accountKeyOf(accountId) : `name:${digest(`${claim.scope} ${claim.value}`)}`;
        let account: Account | undefined;
        const signedIn = await passwordAttempt(deps, { address: request.ip, accountKey, now }, async (scrypt) => {
          account = accountId ? await loadAccount(store, accountId) : undefined;
          const hash = account ? await passwordHashOf(pool, account.accountId) : undefined;
          // Without an account or a password, a decoy is checked, so the reply takes just as long.
          const matches = await scrypt.verify(request.body.password, hash ?? (await scrypt.decoy()));
          return matches && hash !== undefined && account?.status === 'active' && hasRole(account);
        });
        if (!signedIn || !account || !hasRole(account)) throw badCredentials();
        return openSession(app, pool, account, now, settings);
      },
    );

    app.post(
      '/auth/refresh',
      {
        config: { access: { public: true } },
        schema: {
          operationId: 'refreshSession',
          summary: 'Exchange a refresh token for a new pair; a token used twice ends its whole session',
          tags: TAGS,
          body: RefreshBody,
          response: { 200: TokenPair, ...problems(400, 401) },
        },
      },
      async (request) => {
        const now = clock();
        const { refreshToken } = request.body;
        const result = await store.transaction(async (client) => {
          const presented = await presentRefreshToken(client, refreshToken, now, settings.refresh);
          switch (presented.outcome) {
            case 'unknown':
            case 'ended':
              return { ...presented, revoked: [] };
            case 'repeated':
              return { outcome: 'rotated' as const, pair: presented.pair, revoked: [] };
            case 'reused':
              return { outcome: 'reused' as const, revoked: await revokeFamily(client, presented.familyId, 'refresh token reused') };
            case 'too-old':
              return { outcome: 'ended' as const, revoked: await revokeFamily(client, presented.familyId, 'session reached its maximum age') };
            case 'current': {
              // The new tokens say what the account is now: a role, a link or a deactivation since sign-in counts.
              const account = await loadAccount(store, presented.accountId, client);
              if (!account || account.status !== 'active' || !hasRole(account)) {
                return { outcome: 'ended' as const, revoked: await revokeFamily(client, presented.familyId, 'account inactive') };
              }
              const pair = { accessToken: accessTokenFor(app, account, presented.familyId), refreshToken: newSecret() };
              await replaceRefreshToken(client, { ...presented, refreshToken }, pair, now, settings.refresh);
              return { outcome: 'rotated' as const, pair, revoked: [] };
            }
          }
        });
        revocations.add(result.revoked);
        if (result.outcome === 'reused') {
          throw sessionEnded('This refresh token was already used, so the session has been ended to be safe; sign in again.');
        }
        if (result.outcome !== 'rotated') throw sessionEnded('The refresh token is not valid or its session has ended; sign in again.');
        return tokenResponse(result.pair.accessToken, result.pair.refreshToken, settings);
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { access: { public: true } },
        schema: {
          operationId: 'signOut',
          summary: 'End the session of a refresh token; its access tokens stop working too',
          tags: TAGS,
          body: RefreshBody,
          response: { 204: { type: 'null', description: 'Signed out (also when the token was unknown or already ended)' }, ...problems(400) },
        },
      },
      async (request, reply) => {
        const family = await familyOf(pool, request.body.refreshToken);
        if (family) revocations.add(await revokeFamily(pool, family.familyId, 'signed out'));
        return reply.code(204).send(null);
      },
    );
  };
}
