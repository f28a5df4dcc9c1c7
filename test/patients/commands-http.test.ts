import t from 'tap';
import { v4 as uuid } from 'uuid';
import { createTestApp, json } from '../helpers/app.js';

const admin = { role: 'admin' as const, id: uuid() };

const registration = (overrides: Record<string, unknown> = {}) => ({
  mrn: `MRN-${uuid().slice(0, 8)}`,
  firstName: 'Ada',
  lastName: 'Lovelace',
  dateOfBirth: '1990-02-03',
  sex: 'female',
  ...overrides,
});

t.test('registering a patient over HTTP', async (t) => {
  const { app, db, token } = await createTestApp(t);
  const auth = { authorization: `Bearer ${token(admin)}` };

  t.test('appends PatientRegistered and answers id, version, position with an ETag', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/patients', headers: auth, payload: registration() });
    t.equal(response.statusCode, 201);
    const body = json(response);
    t.match(body, { id: String, version: 1, position: Number });
    t.equal(response.headers.etag, '"1"');
    t.equal(response.headers.location, `/api/v1/patients/${body.id}`);
    const events = await db.store.readStream(body.id);
    t.same(events.map((event) => event.type), ['PatientRegistered']);
    t.match(events[0]!.metadata, { actorId: admin.id, actorRole: 'admin' });
  });

  t.test('an anonymous caller is refused before anything is read', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/patients', payload: { nonsense: true } });
    t.equal(response.statusCode, 401);
    t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.equal(response.headers['www-authenticate'], 'Bearer realm="pams"');
  });
});
