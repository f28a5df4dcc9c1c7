import { clearPasswordHash } from '../accounts/credentials.js';
import type { Account } from '../accounts/decider.js';
import { accountDecider } from '../accounts/decider.js';
import { CLAIM_SCOPES, oidcKey } from '../accounts/events.js';
import { accountIdByEmail, loadAccount } from '../accounts/lookup.js';
import type { MailingDeps } from '../accounts/mailings.js';
import { createAccount } from '../accounts/registration.js';
import { AppError } from '../errors.js';
import { handleCommand } from '../event-store/command-handler.js';
import type { Queryable } from '../event-store/types.js';
import type { EventMetadata } from '../event-store/types.js';
import { enqueueMail } from '../mail/outbox.js';
import { accountClaimedMail } from '../mail/templates.js';
import { EARLIEST_BIRTH_DATE } from '../patients/decider.js';
import { revokeAllSessions } from '../sessions/refresh-tokens.js';
import type { RevocationList } from '../sessions/revocations.js';
import type { IdentityClaims } from './provider.js';

export const signInFailed = (detail: string) => new AppError(401, 'oidc-sign-in-failed', 'Sign-in failed', detail);

const asSelf = (metadata: EventMetadata, accountId: string, role: string): EventMetadata => ({ ...metadata, actorId: accountId, actorRole: role });

function namesOf(claims: IdentityClaims, email: string) {
  const [given, ...family] = (claims.name ?? '').trim().split(/\s+/);
  return {
    firstName: claims.given_name?.trim() || given || email.split('@')[0]!,
    lastName: claims.family_name?.trim() || family.join(' ') || '-',
  };
}

/** A birth date the provider vouches for, if plausible; without one no patient record can be started. */
function patientFrom(claims: IdentityClaims) {
  const birthdate = claims.birthdate;
  if (!birthdate || !/^\d{4}-\d{2}-\d{2}$/.test(birthdate) || birthdate < EARLIEST_BIRTH_DATE) return undefined;
  const sex = claims.gender === 'male' || claims.gender === 'female' ? claims.gender : 'unknown';
  return { dateOfBirth: birthdate, sex } as const;
}

/**
 * The account an OIDC identity signs in to. Known identity: its account. Otherwise, only if the
 * provider verified the email, the account with that address gets the identity linked
 * (OidcIdentityLinked); if that account had never proved the address, its password is cleared
 * and its sessions end first, and the address is told (see the decider's linkOidcIdentity).
 * Otherwise a patient account is created, with its patient record when the provider gave a birth
 * date. Every link is an event, and the identity is a unique claim: one account per identity.
 */
export async function accountForIdentity(
  deps: MailingDeps & { revocations: RevocationList },
  claims: IdentityClaims,
  metadata: EventMetadata,
  now: Date,
): Promise<Account> {
  const { store } = deps;
  const issuer = claims.iss!;
  const linkIdentity = (accountId: string, role: string, email: string, on?: Queryable) =>
    handleCommand(
      store,
      accountDecider,
      {
        streamId: accountId,
        command: { type: 'LinkOidcIdentity', accountId, issuer, subject: claims.sub, email },
        metadata: asSelf(metadata, accountId, role),
        now,
      },
      on,
    );

  const linkedId = await store.claimHolder(CLAIM_SCOPES.oidc, oidcKey(issuer, claims.sub));
  if (linkedId) return (await loadAccount(store, linkedId))!;

  const email = claims.email?.trim();
  if (!email || claims.email_verified !== true) {
    throw signInFailed('The provider did not vouch for an email address, so no account can be matched or created.');
  }
  const existingId = await accountIdByEmail(store, email);
  if (existingId) {
    const existing = (await loadAccount(store, existingId))!;
    if (existing.status !== 'active') throw signInFailed('This account is deactivated.');
    const ended = await store.transaction(async (client) => {
      const outcome = await linkIdentity(existingId, existing.role ?? 'anonymous', email, client);
      if (!outcome.events.some((event) => event.type === 'PasswordCleared')) return [];
      await clearPasswordHash(client, existingId);
      await enqueueMail(client, accountClaimedMail(existing.email, existing.firstName));
      return revokeAllSessions(client, existingId, 'address proven by an OIDC sign-in');
    });
    deps.revocations.add(ended);
    return (await loadAccount(store, existingId))!;
  }
  const patient = patientFrom(claims);
  const created = await createAccount(
    deps,
    {
      role: 'patient',
      email,
      phone: null,
      username: null,
      ...namesOf(claims, email),
      registeredVia: 'oidc',
      emailVerified: true,
      ...(patient ? { patient } : {}),
      welcome: 'none',
      then: (accountId, client) => linkIdentity(accountId, 'patient', email, client),
    },
    (accountId) => asSelf(metadata, accountId, 'patient'),
    now,
  );
  return (await loadAccount(store, created.accountId))!;
}
