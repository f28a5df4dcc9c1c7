import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import PgBoss from 'pg-boss';
import t from 'tap';
import { startMailWorker } from '../../src/mail/worker.js';
import { createTestApp, json } from '../helpers/app.js';
import { signUpFields } from '../helpers/accounts.js';
import { eventually } from '../helpers/eventually.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on loopback, as the worker will meet one; `refuse` makes it turn mail away. */
async function startSmtpServer(t: { teardown(fn: () => unknown): void }, refuse = false) {
  const received: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    // Real servers quote the address they refuse, as this one does.
    onRcptTo(address, _session, callback) {
      callback(refuse ? Object.assign(new Error(`<${address.address}>: mailbox unavailable`), { responseCode: 450 }) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(() => resolve(undefined))));
  return { url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, received };
}

// Long lines travel quoted-printable: undo soft line breaks and =XX escapes to read the link.
const decodeQuotedPrintable = (text: string) =>
  text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

/**
 * The worker process's pg-boss, which the mail worker shares. Without its schedule, the queue stays
 * empty and pg-boss never wakes the worker: only a NOTIFY (or the test) can.
 */
async function startBoss(connectionString: string) {
  const boss = new PgBoss({ connectionString, schema: 'pgboss', max: 2, schedule: false });
  await boss.start();
  return boss;
}

const quiet = () => {
  const lines: Array<{ obj: object; msg: string }> = [];
  const record = (obj: object, msg: string) => void lines.push({ obj, msg });
  return { lines, log: { info: record, warn: record, error: record } };
};

t.test('a sign-up’s verification mail reaches a real SMTP server, woken by the commit, and its link works', async (t) => {
  const smtp = await startSmtpServer(t);
  const test = await createTestApp(t);
  const { lines, log } = quiet();
  const boss = await startBoss(test.db.url);
  const worker = await startMailWorker({ boss, connectionString: test.db.url, pool: test.db.pool, smtpUrl: smtp.url, from: 'PAMS <no-reply@pams.test>', log });
  t.teardown(async () => {
    await worker.stop();
    await boss.stop({ graceful: false, wait: true });
  });

  // The drain the listener starts once connected, done before the sign-up: it cannot be what sends.
  await worker.drain();
  const fields = signUpFields();
  t.equal((await test.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: fields })).statusCode, 201);
  const mail = await eventually(() => smtp.received.find((message) => message.to.includes(fields.email)));
  t.equal(mail.from, 'no-reply@pams.test');
  t.match(mail.raw, /Subject: Confirm your email address for PAMS/);
  const token = /#token=([\w-]{43})/.exec(decodeQuotedPrintable(mail.raw))?.[1];
  t.ok(token, 'the mail carries the link');
  const verified = await test.app.inject({ method: 'POST', url: '/api/v1/auth/verify-email', payload: { token } });
  t.equal(verified.statusCode, 200, json(verified).detail);

  const row = await eventually(async () => {
    const result = await test.db.pool.query(`select status, body, attempts from mail_outbox where to_address = $1 and status = 'sent'`, [fields.email]);
    return result.rows[0];
  });
  t.same(row, { status: 'sent', body: null, attempts: 1 }, 'a delivered body, holding a single-use link, is erased');
  t.notMatch(JSON.stringify(lines), new RegExp(`${token}|${fields.email}`), 'logs name neither the token nor the recipient');
});

t.test('without SMTP, mail is held in the outbox for a developer, and the log line has no token', async (t) => {
  const test = await createTestApp(t);
  const { lines, log } = quiet();
  const boss = await startBoss(test.db.url);
  const worker = await startMailWorker({ boss, connectionString: test.db.url, pool: test.db.pool, from: 'PAMS <no-reply@pams.test>', log });
  t.teardown(async () => {
    await worker.stop();
    await boss.stop({ graceful: false, wait: true });
  });

  const fields = signUpFields();
  await test.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: fields });
  const row = await eventually(async () => {
    const result = await test.db.pool.query(`select id, status, body from mail_outbox where to_address = $1 and status = 'held'`, [fields.email]);
    return result.rows[0];
  });
  t.match(row.body, /#token=[\w-]{43}/, 'the link stays readable in mail_outbox');
  const line = lines.find((entry) => /held/.test(entry.msg));
  t.match(line, { obj: { mailId: row.id, subject: 'Confirm your email address for PAMS' }, msg: /no SMTP_URL/ });
  t.notMatch(JSON.stringify(lines), /token=|@example\.org/);
});

t.test('a refused delivery is retried later, then given up on, and its body erased; neither the log nor the outbox quotes the refusal, which names the recipient', async (t) => {
  const smtp = await startSmtpServer(t, true);
  const test = await createTestApp(t);
  const { lines, log } = quiet();
  const boss = await startBoss(test.db.url);
  const worker = await startMailWorker({ boss, connectionString: test.db.url, pool: test.db.pool, smtpUrl: smtp.url, from: 'PAMS <no-reply@pams.test>', log });
  t.teardown(async () => {
    await worker.stop();
    await boss.stop({ graceful: false, wait: true });
  });

  const fields = signUpFields();
  await test.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: fields });
  const failed = await eventually(async () => {
    const result = await test.db.pool.query(
      `select status, attempts, last_error, next_attempt_at > now() as later, body is not null as kept from mail_outbox where to_address = $1 and attempts > 0`,
      [fields.email],
    );
    return result.rows[0];
  });
  t.match(failed, { status: 'pending', attempts: 1, last_error: 'EENVELOPE 450 RCPT TO', later: true, kept: true });
  const logged = lines.find((entry) => /will retry/.test(entry.msg));
  t.match(logged, { obj: { attempts: 1, failure: 'EENVELOPE 450 RCPT TO' } });
  t.notMatch(JSON.stringify(lines), new RegExp(`${fields.email}|mailbox unavailable`), 'the log quotes neither the address nor the reply');

  await test.db.pool.query(`update mail_outbox set attempts = 7, next_attempt_at = now() where to_address = $1`, [fields.email]);
  await worker.drain();
  const given = await test.db.pool.query(`select status, attempts, body from mail_outbox where to_address = $1`, [fields.email]);
  t.same(given.rows, [{ status: 'failed', attempts: 8, body: null }]);
});
