import cookie from '@fastify/cookie';
import oauth2, { type OAuth2Namespace } from '@fastify/oauth2';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { loadAccount } from '../accounts/lookup.js';
import { derivedKey } from '../auth/keys.js';
import { eventMetadata } from '../http/actor.js';
import type { AccountDeps, AppDeps } from '../http/deps.js';
import { problems } from '../http/schemas.js';
import { TokenPair } from '../sessions/schemas.js';
import { hasRole, openSession, sessionSettings } from '../sessions/sessions.js';
import { discover, idTokenVerifier, nonceFor, type OidcSettings } from './provider.js';
import { accountForIdentity, signInFailed } from './sign-in.js';
import { issueSignInCode, redeemSignInCode } from './sign-in-codes.js';

const TAGS = ['auth'];

/**
 * Sign-in with an OpenID Connect provider: authorization code with PKCE (S256), state and
 * verifier in signed `__Host-` cookies, a nonce bound to the state, and the ID token checked
 * against the provider's JWKS. Answers with the same token pair as a password sign-in or, with
 * OIDC_APP_REDIRECT, sends the browser to the app with a one-time code for it.
 */
export function oidcRoutes(deps: AccountDeps, settings: OidcSettings): FastifyPluginAsyncTypebox {
  const { config, clock } = deps;
  const sessions = sessionSettings(config);
  const nonceKey = derivedKey(config.JWT_SECRET, 'oidc-nonces');

  return async (app) => {
    const metadata = await discover(settings.issuer);
    const verifyIdToken = idTokenVerifier(settings, metadata);
    const authorize = new URL(metadata.authorization_endpoint);
    const token = new URL(metadata.token_endpoint);
    await app.register(cookie, { secret: derivedKey(config.JWT_SECRET, 'oidc-cookies') });
    await app.register(oauth2, {
      name: 'oidc',
      scope: ['openid', 'email', 'profile'],
      credentials: {
        client: { id: settings.clientId, secret: settings.clientSecret },
        auth: { authorizeHost: authorize.origin, authorizePath: authorize.pathname, tokenHost: token.origin, tokenPath: token.pathname },
      },
      callbackUri: settings.redirectUri,
      pkce: 'S256',
      // `__Host-` makes a browser refuse these cookies unless set by this very host over HTTPS
      // (or localhost), so that a sibling subdomain or a plain-HTTP answer cannot plant a state and
      // verifier of its own; the prefix also fixes them Secure, Path=/, without Domain.
      hostPrefixedCookies: true,
      cookie: { signed: true },
    });
    const oidc = (app as unknown as { oidc: OAuth2Namespace }).oidc;

    app.get(
      '/auth/oidc/login',
      {
        config: { access: { public: true } },
        schema: {
          operationId: 'startOidcSignIn',
          summary: "Start signing in with the configured OpenID Connect provider (redirects to the provider's login)",
          tags: TAGS,
          response: { 302: { type: 'null', description: 'To the provider, with state, nonce and a PKCE challenge' } },
        },
      },
      async (request, reply) => {
        const url = new URL(await oidc.generateAuthorizationUri(request, reply));
        url.searchParams.set('nonce', nonceFor(nonceKey, url.searchParams.get('state')!));
        return reply.redirect(url.href);
      },
    );

    app.get(
      '/auth/oidc/callback',
      {
        config: { access: { public: true } },
        schema: {
          operationId: 'completeOidcSignIn',
          summary: 'Where the provider sends the browser back: exchanges the code and signs in',
          tags: TAGS,
          // Providers add parameters of their own (iss, session_state, scope): they are ignored.
          querystring: Type.Object({
            code: Type.Optional(Type.String({ maxLength: 2048 })),
            state: Type.String({ minLength: 1, maxLength: 512 }),
            error: Type.Optional(Type.String({ maxLength: 256 })),
          }),
          response: {
            200: TokenPair,
            302: { type: 'null', description: 'With OIDC_APP_REDIRECT: to the app, with a one-time `code` to exchange at /auth/oidc/exchange' },
            ...problems(400, 401, 409),
          },
        },
      },
      async (request, reply) => {
        const { code, state, error } = request.query;
        if (error !== undefined || code === undefined) throw signInFailed(`The provider did not sign you in (${error ?? 'no code'}).`);
        let idToken: string | undefined;
        try {
          // With the reply, the plugin also clears the state and verifier cookies: each works once.
          idToken = (await oidc.getAccessTokenFromAuthorizationCodeFlow(request, reply)).token.id_token;
        } catch (failure) {
          request.log.warn({ err: failure }, 'OIDC code exchange refused');
          throw signInFailed('The sign-in could not be completed (state or code not valid); start again.');
        }
        if (!idToken) throw signInFailed('The provider sent no ID token.');
        let claims;
        try {
          claims = await verifyIdToken(idToken, nonceFor(nonceKey, state));
        } catch (failure) {
          request.log.warn({ err: failure }, 'OIDC ID token refused');
          throw signInFailed(`The provider's ID token was refused: ${(failure as Error).message}.`);
        }
        const now = clock();
        const account = await accountForIdentity(deps, claims, eventMetadata(request), now);
        if (account.status !== 'active' || !hasRole(account)) throw signInFailed('This account is deactivated.');
        if (!config.OIDC_APP_REDIRECT) return openSession(app, deps.pool, account, now, sessions);
        const target = new URL(config.OIDC_APP_REDIRECT);
        target.searchParams.set('code', await issueSignInCode(deps.pool, account.accountId, now));
        return reply.redirect(target.href);
      },
    );
  };
}

/**
 * Where the app turns the one-time code of an OIDC sign-in into tokens. Registered whatever the
 * configuration, so that the API's route table and document do not depend on it; without an app
 * redirect no code exists and every exchange is refused.
 */
export function oidcCodeExchangeRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  const { store, clock, config } = deps;
  const sessions = sessionSettings(config);

  return async (app) => {
    app.post(
      '/auth/oidc/exchange',
      {
        config: { access: { public: true } },
        schema: {
          operationId: 'exchangeOidcSignInCode',
          summary: 'Exchange the one-time code of an OpenID Connect sign-in (OIDC_APP_REDIRECT) for a token pair',
          description: 'A code works once, for a minute.',
          tags: TAGS,
          body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
          response: { 200: TokenPair, ...problems(400, 401) },
        },
      },
      async (request) => {
        const now = clock();
        return store.transaction(async (client) => {
          const accountId = await redeemSignInCode(client, request.body.code, now);
          if (!accountId) throw signInFailed('The sign-in code is not valid, was already used or has expired; sign in again.');
          const account = await loadAccount(store, accountId, client);
          if (!account || account.status !== 'active' || !hasRole(account)) throw signInFailed('This account is deactivated.');
          return openSession(app, client, account, now, sessions);
        });
      },
    );
  };
}
