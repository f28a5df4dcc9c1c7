import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { passwordProblem } from '../src/accounts/password-policy.js';
import { hashPassword } from '../src/accounts/passwords.js';
import { createAccount } from '../src/accounts/registration.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { UniqueValueTaken } from '../src/event-store/errors.js';
import { startRuntime } from '../src/runtime.js';

// `npm run admin:create -- --email <email> [--password <password>]`: the first admin, who then
// creates every other staff account through the API. Without --password, asks for it (unechoed)
// when run in a terminal; a password on the command line is visible to `ps`, so prefer the prompt.
const USAGE = `Usage: npm run admin:create -- --email <email> [--password <password>] [--first-name <name>] [--last-name <name>] [--username <name>]`;

function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

async function askHidden(question: string): Promise<string> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  // Echo the question, not the keys typed after it.
  const writer = prompt as unknown as { _writeToOutput(text: string): void };
  let asked = false;
  writer._writeToOutput = (text) => {
    if (!asked) process.stdout.write(text);
    asked = true;
  };
  const answer = await new Promise<string>((resolve) => prompt.question(question, resolve));
  prompt.close();
  process.stdout.write('\n');
  return answer;
}

let args;
try {
  args = parseArgs({
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      'first-name': { type: 'string', default: 'PAMS' },
      'last-name': { type: 'string', default: 'Administrator' },
      username: { type: 'string' },
    },
  }).values;
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`, 2);
}
const email = args.email?.trim();
if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) fail(`An --email address is needed.\n${USAGE}`, 2);

let password = args.password;
if (password === undefined) {
  if (!process.stdin.isTTY) fail(`No terminal to ask for the password in: pass --password.\n${USAGE}`, 2);
  password = await askHidden('Password for the new admin: ');
  if ((await askHidden('The same password again: ')) !== password) fail('The passwords differ; nothing was created.');
}
const weak = passwordProblem(password, { email, username: args.username ?? null });
if (weak) fail(`The password ${weak}; nothing was created.`);

try {
  const config = loadConfig();
  const runtime = await startRuntime(config, { allowEmbedded: true, attachToRunning: true, applicationName: 'pams-admin-create' });
  try {
    const created = await createAccount(
      { store: runtime.store, config },
      {
        role: 'admin',
        email,
        phone: null,
        username: args.username ?? null,
        firstName: args['first-name'],
        lastName: args['last-name'],
        registeredVia: 'command-line',
        // Whoever runs this on the server vouches for the address.
        emailVerified: true,
        passwordHash: await hashPassword(password, config.PASSWORD_HASH_COST),
        welcome: 'none',
      },
      () => ({ actorId: null, actorRole: 'system', reason: 'npm run admin:create' }),
      new Date(),
    );
    console.log(JSON.stringify({ created: 'admin', id: created.accountId, email }));
  } finally {
    await runtime.close();
  }
} catch (error) {
  if (error instanceof UniqueValueTaken) fail(`An account already uses that ${error.scope}; nothing was created.`);
  fail(error instanceof ConfigError ? error.message : String((error as Error).stack ?? error));
}
