import t from 'tap';
import { v4 as uuid } from 'uuid';
import { MAX_FIELD_ERRORS } from '../../src/http/validation.js';
import { createTestApp } from '../helpers/app.js';
import { problem } from '../helpers/problems.js';

t.test(`a 400 lists at most ${MAX_FIELD_ERRORS} offending fields, and a body of 5,000 unknown fields gets one short answer`, async (t) => {
  const { app, db, token } = await createTestApp(t);
  const unknown = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`unknownField${i}`, i]));
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/patients',
    headers: { authorization: `Bearer ${token({ role: 'admin', id: uuid() })}` },
    payload: { mrn: 'MRN-1', firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1990-02-03', sex: 'female', ...unknown },
  });
  const body = problem(t, response, 400);
  t.equal(body.errors.length, MAX_FIELD_ERRORS, `${MAX_FIELD_ERRORS} fields listed`);
  t.match(body.errors[0], { in: 'body', field: 'unknownField0', message: 'is not an allowed field' });
  t.match(body.detail, new RegExp(`only the first ${MAX_FIELD_ERRORS} are listed`), 'says that more were left out');
  t.ok(response.body.length < 4096, `the answer is short (${response.body.length} bytes)`);
  t.equal((await db.pool.query('select count(*)::int as n from events')).rows[0].n, 0, 'nothing was recorded');
});
