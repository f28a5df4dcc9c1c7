import t from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loggerOptions, redact } from '../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: pino(loggerOptions('info'), stream) };
}

t.test('secret fields are censored at any depth, in arrays, in any letter case, and at the top level', async (t) => {
  const { lines, logger } = capture();
  logger.warn(
    {
      password: 'top-level-secret',
      outcome: { patient: { contact: { current: { email: 'deep@example.org', phone: '+2348055501234' } } } },
      changes: [{ field: 'name', value: { FirstName: 'Zebulonia', lastname: 'Quixotterly' } }],
      headers: { Authorization: 'Bearer abc.def.ghi', 'Idempotency-Key': 'idem-key-1' },
      mrn: 'visible-MRN-123',
    },
    'something happened',
  );
  t.equal(lines.length, 1);
  for (const secret of ['top-level-secret', 'deep@example.org', '2348055501234', 'Zebulonia', 'Quixotterly', 'abc.def.ghi', 'idem-key-1']) {
    t.notOk(lines[0]!.includes(secret), `"${secret}" is not logged`);
  }
  const entry = JSON.parse(lines[0]!);
  t.equal(entry.outcome.patient.contact.current.email, '[redacted]', 'the field stays, its value does not');
  t.equal(entry.mrn, 'visible-MRN-123', 'everything else is kept');
  t.equal(entry.changes[0].field, 'name');
});

t.test('an object deeper than anything we log is cut off, not walked without end', async (t) => {
  const cycle: Record<string, unknown> = { name: 'loop' };
  cycle.self = cycle;
  const redacted = redact({ cycle }) as Record<string, any>;
  let node = redacted.cycle;
  let depth = 0;
  while (typeof node === 'object') {
    node = node.self;
    depth += 1;
  }
  t.equal(node, '[redacted]');
  t.ok(depth < 20, `cut off after ${depth} levels`);
});

t.test('an object with no secret field is logged as it is, without being copied', async (t) => {
  const entry = { mailId: 'm-1', attempts: [1, { at: 'now' }], nested: { ok: true } };
  t.equal(redact(entry), entry);
});
