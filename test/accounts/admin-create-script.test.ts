import { spawn } from 'node:child_process';
import t from 'tap';
import { v4 as uuid } from 'uuid';
import { createTestApp, json } from '../helpers/app.js';
import { bearer, signIn } from '../helpers/accounts.js';

function adminCreate(databaseUrl: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/admin-create.ts', ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, PASSWORD_HASH_COST: '10', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('npm run admin:create', async (t) => {
  const test = await createTestApp(t);
  const email = `root.${uuid().slice(0, 8)}@example.org`;

  t.test('creates a verified admin who can sign in and create other accounts', async (t) => {
    const run = await adminCreate(test.db.url, ['--email', email, '--password', 'first admin of the clinic']);
    t.equal(run.code, 0, run.stderr);
    const { id } = JSON.parse(run.stdout);
    const events = await test.db.store.readStream(id);
    t.same(events.map((event) => event.type), ['AccountRegistered', 'RoleGranted', 'EmailVerified']);
    t.match(events[0]!.metadata, { actorId: null, actorRole: 'system', reason: 'npm run admin:create' });
    t.match(events[0]!.data, { registeredVia: 'command-line', firstName: 'PAMS', lastName: 'Administrator' });
    const { accessToken } = await signIn(test, email, 'first admin of the clinic');
    const created = await test.app.inject({
      method: 'POST',
      url: '/api/v1/accounts',
      headers: bearer(accessToken),
      payload: { role: 'auditor', firstName: 'Ida', lastName: 'Audit', email: `ida.${uuid().slice(0, 8)}@example.org` },
    });
    t.equal(created.statusCode, 201, json(created).detail);
  });

  t.test('refuses a second account with the same email, a weak password, and a missing password without a terminal', async (t) => {
    const again = await adminCreate(test.db.url, ['--email', email.toUpperCase(), '--password', 'another admin password']);
    t.equal(again.code, 1);
    t.match(again.stderr, /already uses that email/);
    const weak = await adminCreate(test.db.url, ['--email', `x.${email}`, '--password', 'password1234']);
    t.equal(weak.code, 1);
    t.match(weak.stderr, /too common/);
    const silent = await adminCreate(test.db.url, ['--email', `y.${email}`]);
    t.equal(silent.code, 2);
    t.match(silent.stderr, /pass --password/);
  });
});
