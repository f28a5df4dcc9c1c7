import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { projections } from '../projections/registry.js';
import { loadConfig } from '../src/config.js';
import { connect, migrateToLatest } from '../src/db.js';
import { encodeCursor } from '../src/http/schemas.js';
import { authHeaders } from './auth.js';
import { createThrowAwayDatabase, freePort, type ThrowAwayDatabase } from './database.js';
import type { LagResult } from './lag.js';
import type { HttpRunResult, HttpRunSpec, LoadMessage, LoadReply } from './load.js';
import { planFor, SEQUENCE } from './plan.js';
import {
  forkNode,
  runCommand,
  sampleMemory,
  startNode,
  stopAll,
  waitUntilReady,
  type Service,
} from './processes.js';
import { blocksPerRequest, watchBlocks } from './buffers.js';
import { contextSwitches, cpuPerRequest, snapshotCpu, watchBackends } from './cpu.js';
import { buildRows, evaluateTargets, formatTable, formatTargets, type MemoryResult, type RebuildResult, type RoundResult } from './report.js';
import { requestFactory, REQUEST_KINDS, type HttpRequest, type Targets } from './requests.js';
import { formatRevocationLookup, measureRevocationLookup } from './revocation-lookup.js';
import { seed, seedPractitioner } from './seed.js';
import { perResponse, spread } from './stats.js';

// `npm run bench [-- --quick] [--rounds N] [--seconds S]`: see bench/README.md.

const plan = planFor(process.argv.slice(2));
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultsDir = path.resolve('bench/results');
const logDir = path.join(resultsDir, `logs-${stamp}`);
const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

let database: ThrowAwayDatabase | undefined;
let cleaning: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await stopAll();
    await database?.drop().catch((error: unknown) => log(`could not drop ${database?.name}: ${(error as Error).message}`));
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping every process and dropping the database`);
    void cleanUp().finally(() => process.exit(130));
  });
}
setTimeout(() => {
  log(`the run took longer than ${plan.deadlineMs / 60_000} minutes: abandoning it`);
  void cleanUp().finally(() => process.exit(1));
}, plan.deadlineMs).unref();

function driver(service: Service) {
  let nextId = 0;
  const waiting = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  service.child.on('message', (reply: LoadReply) => {
    const pending = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (reply.type === 'result') pending?.resolve(reply.result);
    else pending?.reject(new Error(`load driver: ${reply.message}`));
  });
  void service.exited.then(() => {
    for (const pending of waiting.values()) pending.reject(new Error('the load driver exited'));
  });
  const ask = <T>(message: LoadMessage & { id: number }) =>
    new Promise<T>((resolve, reject) => {
      waiting.set(message.id, { resolve: resolve as (result: unknown) => void, reject });
      service.child.send(message);
    });
  return {
    targets: (targets: Targets) => service.child.send({ type: 'targets', targets } satisfies LoadMessage),
    http: (spec: HttpRunSpec) => ask<HttpRunResult>({ type: 'http', id: (nextId += 1), spec }),
    lag: (spec: Extract<LoadMessage, { type: 'lag' }>['spec']) => ask<LagResult>({ type: 'lag', id: (nextId += 1), spec }),
  };
}

/** The worker has no HTTP port: it is ready when its LISTEN connection is open. */
async function waitForWorker(url: string, worker: Service, timeoutMs: number) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (worker.child.exitCode !== null) throw new Error('the worker exited before it was ready; see its log');
      const result = await client.query(
        `select 1 from pg_stat_activity where datname = current_database() and application_name = 'pams-listen-pams_events'`,
      );
      if (result.rowCount) return;
      await sleep(100);
    }
    throw new Error(`the worker was not listening within ${timeoutMs} ms`);
  } finally {
    await client.end();
  }
}

/** One request on a connection of its own, closed after it: the bench holds no idle connection to a service it stops. */
function once(request: HttpRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(request.url, { method: request.method, headers: request.headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error(`no answer from ${request.url}`)));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/** One request of every kind, before any load: a 401 or a 400 should stop the run, not fill the table. */
async function checkEveryKind(targets: Targets) {
  for (const kind of REQUEST_KINDS) {
    const request = requestFactory(kind, targets, 7)();
    const response = await once(request);
    if (response.status < 200 || response.status > 299) {
      throw new Error(`${kind}: ${request.method} ${request.url} answered ${response.status}: ${response.body.slice(0, 500)}`);
    }
  }
}

async function main() {
  await mkdir(logDir, { recursive: true });
  log(`${plan.mode} run; logs in ${path.relative(process.cwd(), logDir)}`);
  // In this process and before any service starts, so that nothing else shares the CPU with it.
  const revocationLookup = !plan.only || plan.only.includes('revocation-lookup') ? measureRevocationLookup() : undefined;
  if (revocationLookup) log(formatRevocationLookup(revocationLookup));

  log('building (npm run build)');
  await runCommand('build', 'npm', ['run', 'build', '--silent'], process.env, logDir, 5 * 60_000);

  database = await createThrowAwayDatabase(log);
  log(`database ${database.name} (${database.kind})`);
  const url = database.url;
  const db = connect(url, 4, 'pams-bench');
  try {
    await migrateToLatest(db.kysely);
  } finally {
    await db.close();
  }

  const jwt = { secret: randomBytes(48).toString('base64url'), issuer: 'pams' };
  const commonEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: url,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    JWT_SECRET: jwt.secret,
    JWT_ISSUER: jwt.issuer,
    // One sign-in serves the whole run, which outlasts the default 15 minutes.
    ACCESS_TOKEN_TTL_SECONDS: String(4 * 3600),
  };
  delete commonEnv.TEST_DATABASE_URL;
  log('creating and verifying the bench practitioner, who signs in for every measured request');
  const practitioner = await seedPractitioner(url, loadConfig(commonEnv));
  const total = plan.seed.patients + plan.seed.updates;
  log(`seeding ${plan.seed.patients} patients and ${plan.seed.updates} corrections through appendBatch`);
  let lastReport = 0;
  const seeded = await seed(url, plan.seed, practitioner, (events) => {
    if (Date.now() - lastReport < 5_000) return;
    lastReport = Date.now();
    log(`  ${events}/${total} events`);
  });
  log(`seeded ${seeded.events} events in ${seeded.seconds.toFixed(1)} s (${Math.round(seeded.events / seeded.seconds)}/s)`);

  // The rebuild scenario doubles as the initial projection: the worker starts caught up.
  log('rebuild: npm run projections:rebuild -- patient_summary');
  const rebuildOutput = await runCommand('rebuild', 'npm', ['run', 'projections:rebuild', '--', 'patient_summary'], commonEnv, logDir, 20 * 60_000);
  const rebuildLine = rebuildOutput.split('\n').filter((line) => line.startsWith('{')).at(-1);
  if (!rebuildLine) throw new Error('projections:rebuild printed no result line');
  const rebuild = JSON.parse(rebuildLine) as RebuildResult;
  log(`rebuild: ${rebuild.events} events in ${rebuild.seconds.toFixed(1)} s = ${rebuild.eventsPerSecond}/s`);

  // Every other read model is brought up to date too (untimed), before the statistics are taken:
  // a worker catching up on a million events during the measurements would load the database and
  // fence the projection under test, and a table analyzed while still empty (care_team, which
  // every practitioner's read joins) gets plans made for an empty table.
  const others = projections.filter((projection) => projection.name !== 'patient_summary').map((projection) => projection.name);
  log(`catching up ${others.join(', ')} (npm run projections:rebuild -- <name>, side by side)`);
  await Promise.all(
    others.map((name) => runCommand(`rebuild-${name}`, 'npm', ['run', 'projections:rebuild', '--', name], commonEnv, logDir, 20 * 60_000)),
  );

  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  let cursors: string[];
  try {
    await admin.query(`vacuum (analyze) ${projections.map((projection) => `"${projection.name}"`).join(', ')}`);
    const sample = await admin.query<{ last_name_key: string; first_name_key: string; patient_id: string }>(
      'select last_name_key, first_name_key, patient_id::text from patient_summary order by random() limit $1',
      [plan.cursors],
    );
    cursors = sample.rows.map((row) => encodeCursor([row.last_name_key, row.first_name_key, row.patient_id]));
  } finally {
    await admin.end();
  }

  const [apiPort, floorPort] = [await freePort(), await freePort()];
  log(`starting the API (:${apiPort}), the worker and the floor harness (:${floorPort})`);
  // --profile: CPU profiles of the API and the worker, written when they stop, for finding a cause.
  const profile = plan.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(logDir, 'profiles')}`] : [];
  // As `npm run start:api` and the Dockerfile start it, heap cap included.
  const api = startNode('api', 'dist/src/server.js', { ...commonEnv, PORT: String(apiPort) }, logDir, ['--max-old-space-size=384', ...profile]);
  const worker = startNode('worker', 'dist/src/worker.js', { ...commonEnv, PORT: '0' }, logDir, profile);
  const floor = startNode('floor', 'dist/bench/floor-server.js', { ...commonEnv, PORT: String(floorPort) }, logDir);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  await Promise.all([
    waitUntilReady(`${apiUrl}/health/ready`, api, 60_000),
    waitUntilReady(`${floorUrl}/floor/ready`, floor, 60_000),
    waitForWorker(url, worker, 60_000),
  ]);
  const targets: Targets = {
    apiUrl,
    floorUrl,
    auth: await authHeaders(apiUrl, practitioner),
    patientIds: seeded.patientIds,
    cursors,
  };
  await checkEveryKind(targets);
  const memory = await sampleMemory([api, worker, floor]);
  const loadService = forkNode('load', 'dist/bench/load.js', process.env, logDir);
  const measured = [api, worker, floor, loadService];
  const load = driver(loadService);
  load.targets(targets);

  const runs: RoundResult[] = [];
  let seedCounter = 100;
  const blocks = await watchBlocks(url);
  const backends = await watchBackends(url);
  for (const connections of plan.connections) {
    for (let round = 1; round <= plan.rounds; round += 1) {
      for (const { kind, onlyAt } of SEQUENCE) {
        if (onlyAt !== undefined && onlyAt !== connections) continue;
        if (plan.only && !plan.only.includes(kind)) continue;
        memory.mark(`${kind}@${connections}`);
        // The first round of each scenario starts with an unrecorded run: the JIT, the pools and
        // the caches settle.
        if (round === 1 && plan.warmupSeconds > 0) {
          await load.http({ kind, connections, seconds: plan.warmupSeconds, seed: (seedCounter += 10) });
        }
        const cpuBefore = await snapshotCpu(measured, await backends.serving());
        const [blocksBefore, switchesBefore] = [await blocks.counts(), await contextSwitches()];
        const result = await load.http({ kind, connections, seconds: plan.seconds, seed: (seedCounter += 10) });
        const cpuMicros = cpuPerRequest(cpuBefore, await snapshotCpu(measured, await backends.serving()), result.ok);
        const switches = perResponse((await contextSwitches()) - switchesBefore, result.ok);
        const blocksPer = blocksPerRequest(blocksBefore, await blocks.counts(), result.ok);
        runs.push({ ...result, round, cpuMicros, blocks: blocksPer, contextSwitches: switches });
        const problems = result.errors + result.timeouts + Object.values(result.statuses).reduce((a, b) => a + b, 0);
        log(
          `  ${kind.padEnd(19)} c=${String(connections).padEnd(3)} round ${round}: ${Math.round(result.rate)} req/s, ` +
            `p50 ${result.latency.p50.toFixed(2)} ms, p99 ${result.latency.p99.toFixed(2)} ms` +
            (problems ? `, ${problems} errors ${JSON.stringify(result.statuses)}` : '') +
            `; CPU µs/request ${Object.entries(cpuMicros).map(([name, micros]) => `${name} ${micros}`).join(', ')}` +
            `; PostgreSQL blocks/request ${blocksPer.read} read, ${blocksPer.hit} hit; context switches/request ${switches}`,
        );
      }
    }
  }
  await blocks.close();
  await backends.close();

  // Half the sustained rate of the slower command at 10 connections: a busy but unsaturated API.
  const sustained = Math.min(
    ...(['register', 'update'] as const).map(
      (kind) => spread(runs.filter((run) => run.kind === kind && run.connections === 10).map((run) => run.rate)).median,
    ),
  );
  let lag: LagResult | undefined;
  if (!plan.only || plan.only.includes('lag')) {
    const lagRate = Number.isFinite(sustained) ? Math.max(1, Math.round(sustained / 2)) : 50;
    log(`projection lag at ${lagRate} commands/s for ${plan.lagSeconds} s`);
    memory.mark('lag');
    lag = await load.lag({ rate: lagRate, seconds: plan.lagSeconds, databaseUrl: url, drainMs: 10_000, seed: 99 });
    log(
      `  lag p50 ${lag.lag.p50.toFixed(1)} ms, p99 ${lag.lag.p99.toFixed(1)} ms, max ${lag.lag.max.toFixed(1)} ms; ` +
        `watcher looked every ${lag.pollMs.toFixed(2)} ms; oldest transaction in another database ${Math.round(lag.oldestForeignTransactionMs)} ms; ` +
        `command latency p99 ${lag.latency.p99.toFixed(1)} ms, max ${lag.latency.max.toFixed(1)} ms; ` +
        `the driver's own event-loop delay p99 ${lag.driverDelayMs.p99.toFixed(1)} ms, max ${lag.driverDelayMs.max.toFixed(1)} ms`,
    );
  }

  const memoryResult: MemoryResult = await memory.stop();
  // The load driver first, so that its connections are gone; then the services, as an operator
  // would stop them (SIGTERM): a clean exit 0 is part of what is checked.
  await loadService.stop();
  const stopping = performance.now();
  const exits: Record<string, { code: number | null; ms: number }> = Object.fromEntries(
    await Promise.all(
      [api, worker, floor].map(async (service) => [service.name, { code: await service.stop(), ms: Math.round(performance.now() - stopping) }] as const),
    ),
  );
  log(`stopped: ${Object.entries(exits).map(([name, exit]) => `${name} exit ${exit.code} after ${exit.ms} ms`).join(', ')}`);

  const rows = buildRows(runs, plan.connections, lag, rebuild, memoryResult);
  const targetResults = evaluateTargets(rows, lag, rebuild, memoryResult);
  const report = {
    startedAt: stamp,
    plan,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    database: { kind: database.kind },
    seed: { events: seeded.events, seconds: seeded.seconds },
    rebuild,
    runs,
    lag,
    memory: memoryResult,
    exits,
    revocationLookup,
    rows,
    targets: targetResults,
  };
  const file = path.join(resultsDir, `bench-${stamp}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);

  console.log(`\nPAMS bench (${plan.mode}, ${plan.rounds} round(s) of ${plan.seconds} s; medians with min–max of the rounds)\n`);
  console.log(formatTable(rows));
  if (revocationLookup) console.log(`\n${formatRevocationLookup(revocationLookup)}`);
  console.log(`\nTargets (issue 4)${plan.mode === 'quick' ? ' — quick run: the figures only show that the suite works; nothing is asserted' : ''}:`);
  console.log(formatTargets(targetResults));
  console.log(`\nRaw figures: ${path.relative(process.cwd(), file)}`);
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  log(`failed: ${(error as Error).stack ?? String(error)}`);
  exitCode = 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);
