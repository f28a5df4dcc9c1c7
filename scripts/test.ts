import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/embedded-postgres.js';
import { databaseUrl, prepareTemplate } from '../test/helpers/test-server.js';

// `npm test`: runs the suite against TEST_DATABASE_URL or DATABASE_URL (a server where we may
// create databases), or, with neither, against an embedded PostgreSQL started for the run.
// Every test file then works in its own copy of a migrated template database.

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Counts the leaf tests (the `t.test` blocks with no tests inside), a crashed file counting as one. */
function countResults(tap: string) {
  const open: Array<{ indent: number; hasChild: boolean }> = [];
  let passed = 0;
  let failed = 0;
  for (const line of tap.split('\n')) {
    const subtest = /^( *)# Subtest: /.exec(line);
    if (subtest) {
      const parent = open.at(-1);
      if (parent) parent.hasChild = true;
      open.push({ indent: subtest[1]!.length, hasChild: false });
      continue;
    }
    const result = /^( *)(not )?ok \d+ /.exec(line);
    const top = open.at(-1);
    if (!result || !top || result[1]!.length !== top.indent) continue;
    open.pop();
    if (top.hasChild && !result[2]) continue;
    if (result[2]) failed += top.hasChild ? 0 : 1;
    else passed += 1;
  }
  return { passed, failed };
}

let embedded: EmbeddedDatabase | undefined;
let serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
if (!serverUrl) {
  embedded = await startEmbeddedPostgres({ dataDir: './data/test-pg', port: await freePort(), database: 'postgres' });
  serverUrl = embedded.url;
}
let exitCode = 1;
try {
  const template = await prepareTemplate(serverUrl);
  const child = spawn(process.execPath, ['node_modules/tap/dist/esm/run.mjs', ...process.argv.slice(2)], {
    stdio: ['inherit', 'pipe', 'inherit'],
    env: { ...process.env, PAMS_TEST_SERVER_URL: databaseUrl(serverUrl, 'postgres'), PAMS_TEST_TEMPLATE: template },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(chunk);
  });
  exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  const { passed, failed } = countResults(output);
  console.log(`tests: ${passed} passed, ${failed} failed`);
  if (failed > 0 && exitCode === 0) exitCode = 1;
} finally {
  await embedded?.stop();
}
process.exit(exitCode);
