import t from 'tap';
import { v4 as uuid } from 'uuid';
import { createTestApp } from '../helpers/app.js';
import { bearer, PASSWORD, signIn, signUp } from '../helpers/accounts.js';
import { appendToStream, LONG_STREAM } from '../helpers/long-streams.js';

// Nothing limits how often an account changes its own profile, so its stream can grow past any
// read's page: whether it may sign in is decided on all of it.
t.test('an account deactivated after a long history cannot sign in or refresh', async (t) => {
  const test = await createTestApp(t);
  const { app, db } = test;
  const longHistory = async () => {
    const person = await signUp(test);
    const updates = Array.from({ length: LONG_STREAM }, (_, index) => ({
      type: 'AccountProfileUpdated',
      data: { accountId: person.id, changes: { firstName: `Ada${index}` } },
    }));
    await appendToStream(db.store, person.id, updates);
    return person;
  };
  const login = (username: string) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: PASSWORD } });

  t.test('deactivated by an admin, the account cannot sign in', async (t) => {
    const person = await longHistory();
    t.equal((await login(person.email)).statusCode, 200, 'active, it signs in');
    const deactivate = await app.inject({
      method: 'POST',
      url: `/api/v1/accounts/${person.id}/deactivate`,
      headers: bearer(test.token({ role: 'admin', id: uuid() })),
      payload: { reason: 'left the hospital' },
    });
    t.equal(deactivate.statusCode, 200);
    t.equal((await login(person.email)).statusCode, 401, 'deactivated, it is refused');
  });

  t.test('a refresh token issued before the deactivation no longer refreshes', async (t) => {
    const person = await longHistory();
    const { refreshToken } = await signIn(test, person.email);
    // Recorded straight in the stream, without the route's ending of every session: the refresh
    // itself must find the deactivation at the stream's end.
    await appendToStream(db.store, person.id, [{ type: 'AccountDeactivated', data: { accountId: person.id, reason: 'left the hospital' } }]);
    const refresh = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
    t.equal(refresh.statusCode, 401, 'the refresh is refused');
    t.equal((await login(person.email)).statusCode, 401, 'nor sign in');
  });
});
