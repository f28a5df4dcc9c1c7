import { digest, newSecret } from '../accounts/credentials.js';
import type { Queryable } from '../event-store/types.js';

// Long enough for a browser to follow a redirect and the app to post the code, no longer.
const CODE_TTL_SECONDS = 60;

/**
 * A one-time code that hands a finished OIDC sign-in to the app, so that tokens never travel in a
 * URL (browser history, logs, Referer). 256 bits, stored only as a digest.
 */
export async function issueSignInCode(on: Queryable, accountId: string, now: Date): Promise<string> {
  const code = newSecret();
  await on.query('insert into oidc_sign_in_codes (code_hash, account_id, expires_at) values ($1, $2, $3)', [
    digest(code),
    accountId,
    new Date(now.getTime() + CODE_TTL_SECONDS * 1000),
  ]);
  return code;
}

/** The account a code was issued for, if it is unexpired; redeeming deletes it, so it works once. */
export async function redeemSignInCode(on: Queryable, code: string, now: Date): Promise<string | undefined> {
  const result = await on.query<{ account_id: string; expires_at: Date }>(
    'delete from oidc_sign_in_codes where code_hash = $1 returning account_id, expires_at',
    [digest(code)],
  );
  const row = result.rows[0];
  return row && row.expires_at > now ? row.account_id : undefined;
}
