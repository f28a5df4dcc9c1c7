import t from 'tap';
import { createTestApp, json } from '../helpers/app.js';
import { bearer, linkTokenMailedTo, PASSWORD, signIn, signUp, verifyEmail } from '../helpers/accounts.js';

const HOUR = 3_600_000;

t.test('links sent by mail', async (t) => {
  let offsetMs = 0;
  const test = await createTestApp(t, { now: () => new Date(Date.now() + offsetMs) });
  const { app, db } = test;
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url: `/api/v1${url}`, payload });
  const later = (t: { teardown(fn: () => void): void }, ms: number) => {
    offsetMs = ms;
    t.teardown(() => {
      offsetMs = 0;
    });
  };
  const mailsTo = async (to: string) =>
    (await db.pool.query('select subject, body from mail_outbox where to_address = $1 order by created_at', [to])).rows;

  t.test('signing up mails a verification link; following it verifies the address, once', async (t) => {
    const person = await signUp(test);
    const token = await linkTokenMailedTo(test, person.email, /Confirm your email/);
    t.match(token, /^[\w-]{43}$/, '256 bits');
    const stored = await db.pool.query('select token_hash from account_tokens where account_id = $1', [person.id]);
    t.not(stored.rows[0].token_hash, token, 'only a digest of the token is stored');

    const response = await post('/auth/verify-email', { token });
    t.equal(response.statusCode, 200);
    t.equal((await db.store.readStream(person.id)).at(-1)!.type, 'EmailVerified');
    const { accessToken } = await signIn(test, person.email);
    t.equal(json(await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(accessToken) })).emailVerified, true);

    const again = await post('/auth/verify-email', { token });
    t.equal(again.statusCode, 400, 'a link works once');
    t.match(json(again), { type: 'https://pams.dev/problems/invalid-link', detail: /already been used/ });
  });

  t.test('an expired, tampered or superseded link is refused and changes nothing', async (t) => {
    const person = await signUp(test);
    const first = await linkTokenMailedTo(test, person.email, /Confirm/);
    const tampered = `${first.slice(0, -1)}${first.endsWith('A') ? 'B' : 'A'}`;
    t.equal((await post('/auth/verify-email', { token: tampered })).statusCode, 400);
    t.same(json(await post('/auth/verify-email', { token: 'short' })).errors, [{ in: 'body', field: 'token', message: 'is not a token from a PAMS link' }]);

    later(t, 25 * HOUR);
    const expired = await post('/auth/verify-email', { token: first });
    t.equal(expired.statusCode, 400);
    t.match(json(expired), { detail: /expired/ });
    offsetMs = 0;

    const before = (await db.store.readStream(person.id)).length;
    await db.pool.query(`update account_tokens set created_at = created_at - interval '2 minutes' where account_id = $1`, [person.id]);
    t.equal((await post('/auth/resend-verification', { email: person.email })).statusCode, 202);
    const second = await linkTokenMailedTo(test, person.email, /Confirm/);
    t.not(second, first);
    t.equal((await post('/auth/verify-email', { token: first })).statusCode, 400, 'a newer link replaces the older one');
    t.equal((await db.store.readStream(person.id)).length, before + 1, 'only EmailVerificationRequested was added');
    t.equal((await post('/auth/verify-email', { token: second })).statusCode, 200);
  });

  t.test('resend and forgot answer the same whether or not the address is known, and do not mail in a loop', async (t) => {
    const person = await signUp(test);
    const known = await post('/auth/resend-verification', { email: person.email });
    const unknown = await post('/auth/resend-verification', { email: 'nobody@example.org' });
    t.equal(known.statusCode, 202);
    t.same(json(known), json(unknown));
    t.equal((await mailsTo(person.email)).length, 1, 'no second link within a minute of the first');
    t.equal((await mailsTo('nobody@example.org')).length, 0);

    await verifyEmail(test, person.email);
    const forgot = await post('/auth/password/forgot', { email: person.email.toUpperCase() });
    const forgotUnknown = await post('/auth/password/forgot', { email: 'nobody@example.org' });
    t.equal(forgot.statusCode, 202);
    t.same(json(forgot), json(forgotUnknown));
    await post('/auth/password/forgot', { email: person.email });
    t.same((await mailsTo(person.email)).map((mail) => mail.subject), ['Confirm your email address for PAMS', 'Reset your PAMS password']);
  });

  t.test('a reset link goes only to a verified address; an unverified one gets the same answer and no mail', async (t) => {
    const person = await signUp(test);
    const forgot = await post('/auth/password/forgot', { email: person.email });
    t.equal(forgot.statusCode, 202);
    t.same(json(forgot), json(await post('/auth/password/forgot', { email: 'nobody@example.org' })));
    t.same((await mailsTo(person.email)).map((mail) => mail.subject), ['Confirm your email address for PAMS']);
    t.notOk((await db.store.readStream(person.id)).some((event) => event.type === 'PasswordResetRequested'));
  });

  t.test('a reset link sets a new password once and ends every session', async (t) => {
    const person = await signUp(test);
    await verifyEmail(test, person.email);
    const session = await signIn(test, person.email);
    await post('/auth/password/forgot', { email: person.email });
    const token = await linkTokenMailedTo(test, person.email, /Reset/);

    const weak = await post('/auth/password/reset', { token, newPassword: 'password123456' });
    t.equal(weak.statusCode, 400);
    t.match(json(weak).errors, [{ field: 'newPassword', message: /common/ }]);

    const response = await post('/auth/password/reset', { token, newPassword: 'reset and remembered 3' });
    t.equal(response.statusCode, 200, 'the refused password left the link usable');
    t.same((await db.store.readStream(person.id)).slice(-2).map((event) => event.type), ['PasswordResetRequested', 'PasswordReset']);
    t.equal((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(session.accessToken) })).statusCode, 401);
    t.equal((await post('/auth/password/reset', { token, newPassword: 'and once more again 4' })).statusCode, 400, 'once only');
    await signIn(test, person.email, 'reset and remembered 3');
  });

  t.test('a reset link expires after PASSWORD_RESET_TTL_SECONDS', async (t) => {
    const person = await signUp(test);
    await verifyEmail(test, person.email);
    await post('/auth/password/forgot', { email: person.email });
    const token = await linkTokenMailedTo(test, person.email, /Reset/);
    later(t, 2 * HOUR);
    t.equal((await post('/auth/password/reset', { token, newPassword: 'too late for this one' })).statusCode, 400);
    offsetMs = 0;
    await signIn(test, person.email, PASSWORD);
  });

  t.test('changing the password needs the old one; wrong guesses are throttled', async (t) => {
    const person = await signUp(test);
    const { accessToken } = await signIn(test, person.email);
    const change = (oldPassword: string, newPassword = 'another fine passphrase') =>
      app.inject({ method: 'PUT', url: '/api/v1/users/me/password', headers: bearer(accessToken), payload: { oldPassword, newPassword } });
    const wrong = await change('not my password at all');
    t.equal(wrong.statusCode, 400);
    t.same(json(wrong).errors, [{ in: 'body', field: 'oldPassword', message: 'is not your current password' }]);
    t.match(json(await change(PASSWORD, PASSWORD)).errors, [{ field: 'newPassword', message: /differ/ }]);
    for (let attempt = 0; attempt < 5; attempt += 1) await change(`wrong guess ${attempt}!!`);
    const held = await change(PASSWORD);
    t.equal(held.statusCode, 429);
    t.ok(held.headers['retry-after']);
  });

  t.test('PATCH /users/me changes only what is sent; a new email must be verified again, and the old one is told', async (t) => {
    const person = await signUp(test);
    await verifyEmail(test, person.email);
    const { accessToken } = await signIn(test, person.email);
    const newEmail = `new.${person.email}`;
    const response = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: bearer(accessToken),
      payload: { lastName: 'King', email: newEmail, currentPassword: PASSWORD },
    });
    t.equal(response.statusCode, 200);
    const me = json(await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(accessToken) }));
    t.match(me, { firstName: 'Ada', lastName: 'King', email: newEmail, emailVerified: false });
    t.same((await mailsTo(person.email)).at(-1)?.subject, 'The email address of your PAMS account was changed');
    await post('/auth/verify-email', { token: await linkTokenMailedTo(test, newEmail, /Confirm/) });
    await signIn(test, newEmail);
    const old = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: person.email, password: PASSWORD }, remoteAddress: '10.7.7.7' });
    t.equal(old.statusCode, 401, 'the old address no longer signs in');

    const other = await signUp(test);
    const taken = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: bearer(accessToken),
      payload: { phone: other.phone, currentPassword: PASSWORD },
    });
    t.equal(taken.statusCode, 409);
    t.equal(json(taken).field, 'phone');
    const role = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(accessToken), payload: { role: 'admin' } });
    t.equal(role.statusCode, 400);
    t.same(json(role).errors, [{ in: 'body', field: 'role', message: 'is not an allowed field' }]);
  });

  t.test('a stolen access token alone cannot change the email or phone: the current password is needed', async (t) => {
    const person = await signUp(test);
    await verifyEmail(test, person.email);
    const { accessToken } = await signIn(test, person.email);
    const patch = (payload: object) => app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(accessToken), payload, remoteAddress: '10.9.9.1' });
    const before = (await db.store.readStream(person.id)).length;

    const missing = await patch({ email: 'thief@example.org' });
    t.equal(missing.statusCode, 400);
    t.same(json(missing).errors, [{ in: 'body', field: 'currentPassword', message: 'is required to change your email or phone' }]);
    t.equal((await patch({ phone: '+2348099999999' })).statusCode, 400);

    const wrong = await patch({ email: 'thief@example.org', currentPassword: 'a guess at the password' });
    t.equal(wrong.statusCode, 403);
    t.match(json(wrong), { type: 'https://pams.dev/problems/wrong-password', errors: [{ field: 'currentPassword' }] });
    t.equal((await db.store.readStream(person.id)).length, before, 'nothing changed');
    t.same(await mailsTo('thief@example.org'), []);

    for (let attempt = 0; attempt < 4; attempt += 1) await patch({ email: 'thief@example.org', currentPassword: `guess number ${attempt}` });
    t.equal((await patch({ email: 'thief@example.org', currentPassword: PASSWORD })).statusCode, 429, 'wrong guesses are throttled like sign-ins');

    const names = await patch({ firstName: 'Augusta' });
    t.equal(names.statusCode, 200, 'a name needs no password');
  });
});
