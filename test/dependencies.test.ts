import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

// The dependency rules of STYLE.md, as .dependency-cruiser.cjs states them: first shown to catch
// what they are for, on a small tree made for it, then held over the repository's own folders.

const CONFIG = resolve('.dependency-cruiser.cjs');
const CRUISER = resolve('node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const RULES = ['no-import-cycle', 'pure-imports-only-types'];

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: Array<{ name: string }>;
}

const described = (violation: Violation) =>
  violation.cycle ? [violation.from, ...violation.cycle.map((step) => step.name)].join(' → ') : `${violation.from} → ${violation.to}`;

/** Every broken rule under `folders` of `cwd`, as `rule: from → to` (a cycle: each step). */
async function brokenRules(cwd: string, folders: string[]): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [CRUISER, ...folders, '--config', CONFIG, '--output-type', 'json'], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => {
    // It exits non-zero when a rule is broken; the report is still on stdout.
    if (!error.stdout) throw error;
    return { stdout: error.stdout };
  });
  const { violations } = (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary;
  return violations.map((violation) => `${violation.rule.name}: ${described(violation)}`).sort();
}

t.test('the dependency rules catch what they are for', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'pams-dependencies-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }),
    'src/io.ts': 'export const query = () => 1;\nexport type Row = { id: string };\n',
    'src/cycle/one.ts': "import { two } from './two.js';\nexport const one = () => two;\n",
    'src/cycle/two.ts': "import type { one } from './one.js';\nexport const two = (): typeof one | undefined => undefined;\n",
    'src/slice/events.ts': "export const STREAM = 'slice';\n",
    'src/slice/decider.ts':
      "import { isDeepStrictEqual } from 'node:util';\nimport type { Row } from '../io.js';\nimport { STREAM } from './events.js';\n" +
      "import { query } from '../io.js';\nexport const decide = (row: Row) => [STREAM, query(), isDeepStrictEqual(row, row)];\n",
    'projections/summary.ts': "import { query } from '../src/io.js';\nexport const fold = () => query();\n",
    'projections/runner.ts': "import { query } from '../src/io.js';\nexport const run = () => query();\n",
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  const broken = await brokenRules(root, ['src', 'projections']);
  const cycles = broken.filter((line) => line.startsWith('no-import-cycle: '));
  t.ok(cycles.length > 0, 'the cycle is found, though one of its imports is of a type only');
  t.ok(
    cycles.every((line) => /^no-import-cycle: src\/cycle\/(one|two)\.ts → src\/cycle\/(one|two)\.ts → src\/cycle\/(one|two)\.ts$/.test(line)),
    `the cycle is named step by step: ${cycles.join('; ')}`,
  );
  t.same(
    broken.filter((line) => !cycles.includes(line)),
    ['pure-imports-only-types: projections/summary.ts → src/io.ts', 'pure-imports-only-types: src/slice/decider.ts → src/io.ts'],
    'a decider may take types, node:util and the pure core; the projection runner may do I/O',
  );
});

t.test('the repository keeps the dependency rules', async (t) => {
  const broken = await brokenRules(process.cwd(), ['src', 'projections', 'migrations', 'scripts', 'test', 'bench']);
  const of = (rule: string) => broken.filter((line) => line.startsWith(`${rule}: `));

  t.test('no module imports itself back through others (no import cycle, not even of types)', async (t) => {
    t.same(of('no-import-cycle'), [], 'each line is a cycle: move what both sides need to a module of its own');
  });

  t.test('deciders, events, commands and projection files take only types from outside the pure core', async (t) => {
    t.same(of('pure-imports-only-types'), [], 'each line is an import to make `import type`, or to move out of the pure file');
  });

  t.test('no other rule of the configuration is broken', async (t) => {
    t.same(broken.filter((line) => !RULES.some((rule) => line.startsWith(`${rule}: `))), []);
  });
});
