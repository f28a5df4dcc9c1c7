import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';

// The dependency rules of STYLE.md, as .dependency-cruiser.cjs states them, over every TypeScript
// folder of the repository.
const FOLDERS = ['src', 'projections', 'migrations', 'scripts', 'test', 'bench'];

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: Array<{ name: string }>;
}

async function violations(): Promise<Violation[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['node_modules/dependency-cruiser/bin/dependency-cruise.mjs', ...FOLDERS, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'],
    { maxBuffer: 64 * 1024 * 1024 },
  ).catch((error: { stdout?: string }) => {
    // It exits non-zero when a rule is broken; the report is still on stdout.
    if (!error.stdout) throw error;
    return { stdout: error.stdout };
  });
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const described = (violation: Violation) =>
  violation.cycle ? [violation.from, ...violation.cycle.map((step) => step.name)].join(' → ') : `${violation.from} → ${violation.to}`;

t.test('the dependency rules', async (t) => {
  const found = await violations();
  const broken = (rule: string) => found.filter((violation) => violation.rule.name === rule).map(described);

  t.test('no module imports itself back through others (no import cycle, not even of types)', async (t) => {
    t.same(broken('no-import-cycle'), [], 'each line is a cycle: move what both sides need to a module of its own');
  });

  t.test('deciders, events, commands and projection files take only types from outside the pure core', async (t) => {
    t.same(broken('pure-imports-only-types'), [], 'each line is an import to make `import type`, or to move out of the pure file');
  });

  t.test('no other rule of the configuration is broken', async (t) => {
    t.same(found.filter((violation) => !['no-import-cycle', 'pure-imports-only-types'].includes(violation.rule.name)).map(described), []);
  });
});
