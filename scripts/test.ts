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

/** Counts each file's own tests (the `t.test` titles), and a file that crashed outside them. */
function countResults(tap: string) {
  let passed = 0;
  let failed = 0;
  let failedInFile = 0;
  for (const line of tap.split('\n')) {
    if (/^    ok \d+ /.test(line)) passed += 1;
    else if (/^    not ok \d+ /.test(line)) {
      failed += 1;
      failedInFile += 1;
    } else if (/^(not )?ok \d+ /.test(line)) {
      if (line.startsWith('not ok') && failedInFile === 0) failed += 1;
      failedInFile = 0;
    }
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
