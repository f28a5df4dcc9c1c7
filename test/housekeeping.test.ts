import t from 'tap';
import { v4 as uuid } from 'uuid';
import { sweepExpired } from '../src/housekeeping.js';
import { createTestDatabase } from './helpers/database.js';

t.test('the hourly sweep deletes only what can no longer matter', async (t) => {
  const db = await createTestDatabase(t);
  const q = (sql: string, values: unknown[] = []) => db.pool.query(sql, values);
  const ago = (interval: string) => `now() - interval '${interval}'`;
  const account = uuid();
  const family = async (created: string, revoked: string | null, tokens: Array<[hash: string, expires: string]>) => {
    const id = uuid();
    await q(`insert into session_families (family_id, account_id, created_at, revoked_at) values ($1, $2, ${created}, ${revoked ?? 'null'})`, [id, account]);
    for (const [hash, expires] of tokens) {
      await q(`insert into refresh_tokens (token_hash, family_id, issued_at, expires_at) values ($1, $2, ${created}, ${expires})`, [hash, id]);
    }
    return id;
  };
  const live = await family(ago('40 days'), null, [['live-old', ago('10 days')], ['live-new', `now() + interval '20 days'`]]);
  const ended = await family(ago('3 days'), ago('2 days'), [['ended', `now() + interval '27 days'`]]);
  const justEnded = await family(ago('3 days'), ago('1 hour'), [['just-ended', `now() + interval '27 days'`]]);
  const expired = await family(ago('40 days'), null, [['expired', ago('2 days')]]);
  await q(`update refresh_tokens set replaced_at = ${ago('2 hours')}, successor = 'sealed' where token_hash = 'live-new'`);
  await q(`update refresh_tokens set replaced_at = ${ago('1 minute')}, successor = 'sealed' where token_hash = 'just-ended'`);
  await q(`insert into oidc_sign_in_codes (code_hash, account_id, expires_at) values
           ('code-old', $1, ${ago('1 minute')}), ('code-new', $1, now() + interval '1 minute')`, [account]);
  await q(`insert into account_tokens (token_hash, account_id, purpose, email, expires_at) values
           ('link-old', $1, 'verify-email', 'a@example.org', ${ago('8 days')}),
           ('link-new', $1, 'verify-email', 'a@example.org', ${ago('1 day')})`, [account]);
  await q(`insert into login_throttle (key, failures, last_failure_at, locked_until) values
           ('quiet', 3, ${ago('2 days')}, null), ('recent', 3, ${ago('1 hour')}, null)`);
  await q(`insert into mail_outbox (id, to_address, subject, body, status, created_at) values
           ($1, 'a@example.org', 'old', null, 'sent', ${ago('31 days')}),
           ($2, 'a@example.org', 'pending', 'link', 'pending', ${ago('31 days')}),
           ($3, 'a@example.org', 'new', null, 'sent', ${ago('1 day')})`, [uuid(), uuid(), uuid()]);

  await q(`insert into idempotency_keys (scope, key, request_hash, status_code, response, created_at) values
           ('someone', 'old', 'h', 201, '{}', ${ago('25 hours')}), ('someone', 'recent', 'h', 201, '{}', ${ago('23 hours')})`);

  const deleted = await sweepExpired(db.pool);

  t.same(deleted, { refreshTokens: 3, sessions: 2, refreshSuccessors: 1, accountTokens: 1, oidcSignInCodes: 1, loginThrottle: 1, mail: 1, idempotencyKeys: 1 });
  const tokens = (await q('select token_hash from refresh_tokens order by token_hash')).rows.map((row) => row.token_hash);
  t.same(tokens, ['just-ended', 'live-new'], 'an unexpired token of a live session stays, and an ended session’s for a day');
  const families = (await q('select family_id from session_families')).rows.map((row) => row.family_id).sort();
  t.same(families, [live, justEnded].sort());
  t.notOk(families.includes(ended) || families.includes(expired));
  t.same((await q('select token_hash from account_tokens')).rows, [{ token_hash: 'link-new' }]);
  const sealed = (await q('select token_hash from refresh_tokens where successor is not null')).rows;
  t.same(sealed, [{ token_hash: 'just-ended' }], 'a sealed successor is dropped once the grace window is long past');
  t.same((await q('select code_hash from oidc_sign_in_codes')).rows, [{ code_hash: 'code-new' }], 'an expired OIDC sign-in code goes at once');
  t.same((await q('select key from login_throttle')).rows, [{ key: 'recent' }]);
  t.same((await q('select subject from mail_outbox order by subject')).rows, [{ subject: 'new' }, { subject: 'pending' }], 'undelivered mail is never swept');
  t.same((await q('select key from idempotency_keys')).rows, [{ key: 'recent' }], 'a retry within a day is still answered from its key');
  t.same(await sweepExpired(db.pool), { refreshTokens: 0, sessions: 0, refreshSuccessors: 0, accountTokens: 0, oidcSignInCodes: 0, loginThrottle: 0, mail: 0, idempotencyKeys: 0 }, 'a second sweep finds nothing');
});
