import oauth2, { type OAuth2Namespace } from '@fastify/oauth2';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AccountDeps } from '../accounts/routes.js';
import { derivedKey } from '../auth/keys.js';
import { eventMetadata } from '../http/actor.js';
import { problems } from '../http/schemas.js';
import { TokenPair } from '../sessions/schemas.js';
import { hasRole, openSession, sessionSettings } from '../sessions/sessions.js';
import { discover, idTokenVerifier, nonceFor, type OidcSettings } from './provider.js';
import { accountForIdentity, signInFailed } from './sign-in.js';

const TAGS = ['auth'];
const COOKIE_PATH = '/api/v1/auth/oidc';

/**
 * Sign-in with an OpenID Connect provider: authorization code with PKCE (S256), state in an
 * HttpOnly cookie, a nonce bound to the state, and the ID token checked against the provider's
 * JWKS. Answers with the same token pair as a password sign-in.
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
    await app.register(oauth2, {
      name: 'oidc',
      scope: ['openid', 'email', 'profile'],
      credentials: {
        client: { id: settings.clientId, secret: settings.clientSecret },
        auth: { authorizeHost: authorize.origin, authorizePath: authorize.pathname, tokenHost: token.origin, tokenPath: token.pathname },
      },
      callbackUri: settings.redirectUri,
      pkce: 'S256',
      cookie: { path: COOKIE_PATH, secure: settings.redirectUri.startsWith('https:') },
    });
    const oidc = (app as unknown as { oidc: OAuth2Namespace }).oidc;

    app.get(
      '/auth/oidc/login',
      {
        config: { access: { public: true } },
        schema: {
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
          summary: 'Where the provider sends the browser back: exchanges the code and signs in',
          tags: TAGS,
          // Providers add parameters of their own (iss, session_state, scope): they are ignored.
          querystring: Type.Object({
            code: Type.Optional(Type.String({ maxLength: 2048 })),
            state: Type.String({ minLength: 1, maxLength: 512 }),
            error: Type.Optional(Type.String({ maxLength: 256 })),
          }),
          response: { 200: TokenPair, ...problems(400, 401, 409) },
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
        return openSession(app, deps.pool, account, now, sessions);
      },
    );
  };
}
