import t from 'tap';
import { v4 as uuid } from 'uuid';
import { createTestApp, json, type Caller } from '../helpers/app.js';
import { linkTokenMailedTo, signUp, verifyEmail } from '../helpers/accounts.js';
import { registrationBody } from '../helpers/patients.js';
import { givenPractitioner } from '../helpers/practitioners.js';
import { problem } from '../helpers/problems.js';

// A keyed command is run first and its stored answer read only when the command did not claim the
// key. These are the cases where skipping that read would answer a retry wrongly.

const admin: Caller = { role: 'admin', id: uuid() };

t.test('Idempotency-Key: a retry answers as the first request did, whatever it would decide now', async (t) => {
  const test = await createTestApp(t);
  const { app, db, token } = test;
  const auth = { authorization: `Bearer ${token(admin)}` };
  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { ...auth, ...headers }, payload });
  const registered = async () => json<{ id: string }>(await post('/patients', registrationBody())).id;
  const streamTypes = async (id: string) => (await db.store.readStream(id)).map((event) => event.type);
  /** Counts the reads of stored answers until the end of the test `t`. */
  const lookups = (t: { teardown(fn: () => void): void }) => {
    const find = db.store.findIdempotentResponse;
    let count = 0;
    db.store.findIdempotentResponse = (...args) => {
      count += 1;
      return find(...args);
    };
    t.teardown(() => {
      db.store.findIdempotentResponse = find;
    });
    return () => count;
  };

  t.test('a first keyed command reads no stored answer: its append claims the key', async (t) => {
    const counted = lookups(t);
    const key = { 'idempotency-key': uuid() };
    const body = registrationBody();
    t.equal((await post('/patients', body, key)).statusCode, 201);
    t.equal(counted(), 0, 'no look-up before or after the append');
    t.equal((await post('/patients', body, key)).headers['idempotent-replayed'], 'true');
    t.equal(counted(), 1, 'the retry, refused by the key, reads the answer to replay');
  });

  t.test('a retry that would now change nothing replays the first answer', async (t) => {
    const patientId = await registered();
    const { practitionerId } = await givenPractitioner(db.store);
    const key = { 'idempotency-key': uuid() };
    const first = await post(`/patients/${patientId}/care-team`, { practitionerId }, key);
    t.equal(first.statusCode, 200);
    const retry = await post(`/patients/${patientId}/care-team`, { practitionerId }, key);
    t.equal(retry.statusCode, 200);
    t.equal(retry.headers['idempotent-replayed'], 'true', 'a replay, not a fresh "nothing to change"');
    t.same(json(retry), json(first));
    t.equal(retry.headers.etag, first.headers.etag);
    t.same(await streamTypes(patientId), ['PatientRegistered', 'PractitionerAssignedToPatient']);
  });

  t.test('another request under a used key is refused (422), even one that would change nothing', async (t) => {
    const patientId = await registered();
    const [member, newcomer] = [await givenPractitioner(db.store), await givenPractitioner(db.store)];
    t.equal((await post(`/patients/${patientId}/care-team`, { practitionerId: member.practitionerId })).statusCode, 200);
    const key = { 'idempotency-key': uuid() };
    t.equal((await post(`/patients/${patientId}/care-team`, { practitionerId: newcomer.practitionerId }, key)).statusCode, 200);
    const reused = await post(`/patients/${patientId}/care-team`, { practitionerId: member.practitionerId }, key);
    t.match(problem(t, reused, 422).detail, /Idempotency-Key/);
  });

  t.test('a retry with the If-Match of the version it started from replays, not 412', async (t) => {
    const patientId = await registered();
    const key = { 'idempotency-key': uuid(), 'if-match': '"1"' };
    const first = await post(`/patients/${patientId}/deactivate`, { reason: 'Duplicate record' }, key);
    t.equal(first.statusCode, 200);
    const retry = await post(`/patients/${patientId}/deactivate`, { reason: 'Duplicate record' }, key);
    t.equal(retry.statusCode, 200);
    t.equal(retry.headers['idempotent-replayed'], 'true');
    t.same(json(retry), json(first));
  });

  t.test('a retry after the record moved back never appends twice, though it would decide to', async (t) => {
    const patientId = await registered();
    const key = { 'idempotency-key': uuid() };
    const first = await post(`/patients/${patientId}/deactivate`, { reason: 'Duplicate record' }, key);
    t.equal((await post(`/patients/${patientId}/reactivate`, { reason: 'Not a duplicate' })).statusCode, 200);
    // This process remembers the record as active: the retry decides on that state to deactivate.
    const retry = await post(`/patients/${patientId}/deactivate`, { reason: 'Duplicate record' }, key);
    t.equal(retry.headers['idempotent-replayed'], 'true');
    t.same(json(retry), json(first), 'the first answer, at the version it appended');
    t.same(await streamTypes(patientId), ['PatientRegistered', 'PatientDeactivated', 'PatientReactivated']);
  });

  t.test('concurrent duplicates of a change append once and all answer the first one', async (t) => {
    for (let round = 0; round < 3; round += 1) {
      const patientId = await registered();
      const key = { 'idempotency-key': uuid() };
      const responses = await Promise.all(
        Array.from({ length: 6 }, () => post(`/patients/${patientId}/deactivate`, { reason: 'Duplicate record' }, key)),
      );
      t.same(responses.map((response) => response.statusCode), Array(6).fill(200), `round ${round}: none refused as already inactive`);
      t.equal(new Set(responses.map((response) => response.body)).size, 1, `round ${round}: one answer`);
      t.same(await streamTypes(patientId), ['PatientRegistered', 'PatientDeactivated'], `round ${round}: one deactivation`);
    }
  });

  t.test('a command that changed nothing leaves its key unused', async (t) => {
    const patientId = await registered();
    const { practitionerId } = await givenPractitioner(db.store);
    t.equal((await post(`/patients/${patientId}/care-team`, { practitionerId })).statusCode, 200);
    const key = { 'idempotency-key': uuid() };
    const nothing = await post(`/patients/${patientId}/care-team`, { practitionerId }, key);
    t.equal(nothing.statusCode, 200);
    t.notOk(nothing.headers['idempotent-replayed']);
    const change = await post(`/patients/${patientId}/deactivate`, { reason: 'Duplicate record' }, key);
    t.equal(change.statusCode, 200, 'the key is free for another request');
    t.notOk(change.headers['idempotent-replayed']);
  });

  t.test('a retried password reset replays, although its link is used up, and resets once', async (t) => {
    const person = await signUp(test);
    // Reset links go only to a proven address.
    await verifyEmail(test, person.email);
    t.equal((await post('/auth/password/forgot', { email: person.email })).statusCode, 202);
    const link = await linkTokenMailedTo(test, person.email, /password/i);
    const key = { 'idempotency-key': uuid() };
    const body = { token: link, newPassword: 'another long passphrase 8' };
    const first = await post('/auth/password/reset', body, key);
    t.equal(first.statusCode, 200);
    const retry = await post('/auth/password/reset', body, key);
    t.equal(retry.statusCode, 200);
    t.equal(retry.headers['idempotent-replayed'], 'true');
    t.same(json(retry), json(first));
    t.equal((await streamTypes(person.id)).filter((type) => type === 'PasswordReset').length, 1);
  });

  t.test('the mailers ignore Idempotency-Key: a stored answer would tell a known address from an unknown one', async (t) => {
    const person = await signUp(test);
    const key = { 'idempotency-key': uuid() };
    t.equal((await post('/auth/password/forgot', { email: person.email }, key)).statusCode, 202);
    const again = await post('/auth/password/forgot', { email: person.email }, key);
    t.equal(again.statusCode, 202);
    t.notOk(again.headers['idempotent-replayed']);
  });
});
