import t from 'tap';
import { passwordHashing } from '../../src/accounts/password-hashing.js';
import { createTestApp, json } from '../helpers/app.js';
import { PASSWORD, signUp, signUpFields } from '../helpers/accounts.js';

t.test('password hashing is capped per process', async (t) => {
  const passwords = passwordHashing({ cost: 10, concurrency: 1 });
  const test = await createTestApp(t, { passwords });
  const { app, db } = test;
  const register = (payload: object) => app.inject({ method: 'POST', url: '/api/v1/auth/register', payload });
  const existing = await signUp(test);

  /** Takes every slot until the returned function is called. */
  function fillSlots() {
    let free!: () => void;
    const held = passwords.withSlot(() => new Promise<void>((resolve) => (free = resolve)));
    return async () => {
      free();
      await held;
    };
  }

  t.test('with every slot busy, sign-up and sign-in answer 503 with Retry-After and change nothing', async (t) => {
    const release = fillSlots();
    const fields = signUpFields();
    const signUpRefused = await register(fields);
    const signInRefused = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: existing.email, password: PASSWORD } });
    await release();
    for (const response of [signUpRefused, signInRefused]) {
      t.equal(response.statusCode, 503);
      t.equal(response.headers['retry-after'], '1');
      t.match(json(response), { type: 'https://pams.dev/problems/busy', status: 503 });
    }
    t.equal(await db.store.claimHolder('email', fields.email), undefined, 'no account');
    const counted = await db.pool.query('select 1 from login_throttle where key like $1', [`%account:${existing.id}`]);
    t.equal(counted.rowCount, 0, 'the refused sign-in counts as no attempt');
    t.equal((await register(fields)).statusCode, 201, 'once a slot is free, the same sign-up works');
  });

  t.test('a sign-up that cheap checks refuse needs no slot: taken address, weak password', async (t) => {
    const release = fillSlots();
    const taken = await register(signUpFields({ email: existing.email }));
    const weak = await register(signUpFields({ password: 'password1234' }));
    await release();
    t.equal(taken.statusCode, 409);
    t.match(json(taken), { type: 'https://pams.dev/problems/unique-value-taken', field: 'email' });
    t.equal(weak.statusCode, 400);
    t.match(json(weak).errors, [{ field: 'password' }]);
  });
});
