import type { BlockCounts } from './buffers.js';
import type { LagResult } from './lag.js';
import type { HttpRunResult } from './load.js';
import { SEQUENCE } from './plan.js';
import type { RequestKind } from './requests.js';
import { spread, type Spread } from './stats.js';

export type RoundResult = HttpRunResult & {
  round: number;
  /** CPU time per 2xx response by process (api, worker, floor, load, postgres), in µs. */
  cpuMicros: Record<string, number>;
  /** PostgreSQL blocks per 2xx response: read from outside its shared buffers, and found in them. */
  blocks: BlockCounts;
  /**
   * The machine's context switches per 2xx response, every process counted. On the bench's virtual
   * machine a process that sleeps and is woken costs far more than the work it wakes for, so this
   * counts what round trips and wake-ups cost; it varies less between runs than rates do.
   */
  contextSwitches: number;
};

export interface Row {
  scenario: string;
  connections: number | null;
  rate: Spread;
  unit: string;
  p50: Spread | null;
  p99: Spread | null;
  /** Paired per round: the subject's rate over its floor's rate, seconds apart. */
  ratio: Spread | null;
  floor: string | null;
  errors: number;
  /** Median over the rounds of each process's CPU µs per 2xx response. */
  cpuMicros?: Record<string, number>;
}

export interface Target {
  figure: string;
  wanted: string;
  measured: string;
  met: boolean;
  /** What bounds the figure on this machine, measured in the same run: a missed target is read against it. */
  limits?: string;
}

export interface RebuildResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

export type MemoryResult = Record<
  string,
  { peakRssMb: number; hwmMb: number | null; startupPeakMb: number | null; byPhase: Record<string, number> }
>;

const LABEL: Record<RequestKind, string> = {
  'floor-validate': 'floor (b): validate body, no DB',
  'floor-insert': 'floor (a): validate + INSERT 1 event row',
  'floor-read-insert': 'diagnostic: read a record, then (a)',
  'floor-append': 'diagnostic: (b) + append_events only',
  register: 'POST /patients',
  'register-idempotent': 'POST /patients + Idempotency-Key',
  update: 'PATCH /patients/{id} (clinical command)',
  'floor-get': 'floor (c): raw GET by primary key',
  get: 'GET /patients/{id}',
  'floor-list': 'floor (d): raw keyset page of 50',
  list: 'GET /patients?limit=50 (keyset page)',
};

const FLOOR_OF: Partial<Record<RequestKind, RequestKind>> = {
  'floor-read-insert': 'floor-insert',
  'floor-append': 'floor-insert',
  register: 'floor-insert',
  'register-idempotent': 'floor-insert',
  update: 'floor-insert',
  get: 'floor-get',
  list: 'floor-list',
};

/** The diagnostic that does only what a command must: append as a registration does, or read a record and then insert. */
const BOUND_OF = { register: 'floor-append', update: 'floor-read-insert' } as const satisfies Partial<Record<RequestKind, RequestKind>>;

function medianCpu(runs: RoundResult[]): Record<string, number> {
  const names = [...new Set(runs.flatMap((run) => Object.keys(run.cpuMicros)))];
  return Object.fromEntries(names.map((name) => [name, spread(runs.map((run) => run.cpuMicros[name] ?? 0)).median]));
}

// The processes that do a request's work, in the order a request meets them.
const CPU_COLUMNS = ['api', 'floor', 'postgres', 'worker', 'load'];
const formatCpu = (cpu: Record<string, number> | undefined) =>
  cpu
    ? CPU_COLUMNS.filter((name) => (cpu[name] ?? 0) >= 1)
        .map((name) => `${name} ${Math.round(cpu[name]!)}`)
        .join(' · ')
    : '';

export function buildRows(
  runs: RoundResult[],
  connections: number[],
  lag: LagResult | undefined,
  rebuild: RebuildResult | undefined,
  memory: MemoryResult,
): Row[] {
  const rows: Row[] = [];
  for (const count of connections) {
    for (const { kind, onlyAt } of SEQUENCE) {
      if (onlyAt !== undefined && onlyAt !== count) continue;
      const own = runs.filter((run) => run.kind === kind && run.connections === count);
      if (own.length === 0) continue;
      const floorKind = FLOOR_OF[kind];
      const ratios = floorKind
        ? own.flatMap((run) => {
            const floor = runs.find((other) => other.kind === floorKind && other.connections === count && other.round === run.round);
            return floor && floor.rate > 0 ? [run.rate / floor.rate] : [];
          })
        : [];
      rows.push({
        scenario: LABEL[kind],
        connections: count,
        rate: spread(own.map((run) => run.rate)),
        unit: 'req/s',
        p50: spread(own.map((run) => run.latency.p50)),
        p99: spread(own.map((run) => run.latency.p99)),
        ratio: floorKind ? spread(ratios) : null,
        floor: floorKind ? LABEL[floorKind].split(':')[0]! : null,
        errors: own.reduce(
          (sum, run) => sum + run.errors + run.timeouts + Object.values(run.statuses).reduce((a, b) => a + b, 0),
          0,
        ),
        cpuMicros: medianCpu(own),
      });
    }
  }
  if (lag) {
    rows.push({
      scenario: `projection lag at ${Math.round(lag.targetRate)}/s (2xx → visible)`,
      connections: null,
      rate: spread([lag.rate]),
      unit: 'cmd/s',
      p50: spread([lag.lag.p50]),
      p99: spread([lag.lag.p99]),
      ratio: null,
      floor: null,
      errors: lag.failed + lag.unseen + lag.skipped,
    });
  }
  if (rebuild) {
    rows.push({
      scenario: `rebuild patient_summary (${rebuild.events} events)`,
      connections: null,
      rate: spread([rebuild.eventsPerSecond]),
      unit: 'events/s',
      p50: null,
      p99: null,
      ratio: null,
      floor: null,
      errors: 0,
    });
  }
  for (const [name, reading] of Object.entries(memory)) {
    rows.push({
      scenario: `${name} peak RSS under load`,
      connections: null,
      rate: spread([Math.max(reading.peakRssMb, reading.hwmMb ?? 0)]),
      unit: 'MB',
      p50: null,
      p99: null,
      ratio: null,
      floor: null,
      errors: 0,
    });
  }
  return rows;
}

const ms = (value: number) => (!Number.isFinite(value) ? '—' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const whole = (value: number) => (!Number.isFinite(value) ? '—' : Math.round(value).toLocaleString('en-US'));
const withRange = (value: Spread, format: (n: number) => string) =>
  value.min === value.max ? format(value.median) : `${format(value.median)} (${format(value.min)}–${format(value.max)})`;

export function formatTable(rows: Row[]): string {
  const header = ['scenario', 'conn', 'rate', 'p50 ms', 'p99 ms', 'ratio to floor', 'errors', 'CPU µs per request'];
  const lines = rows.map((row) => [
    row.scenario,
    row.connections === null ? '' : String(row.connections),
    `${withRange(row.rate, whole)} ${row.unit}`,
    row.p50 ? withRange(row.p50, ms) : '',
    row.p99 ? withRange(row.p99, ms) : '',
    row.ratio ? `${withRange(row.ratio, (n) => (Number.isFinite(n) ? n.toFixed(2) : '—'))} of ${row.floor}` : '',
    String(row.errors),
    formatCpu(row.cpuMicros),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const render = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ').trimEnd();
  return [render(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...lines.map(render)].join('\n');
}

function find(rows: Row[], scenario: string, connections: number) {
  return rows.find((row) => row.scenario === scenario && row.connections === connections);
}

/** The issue's targets, each against the figure it names; quick runs print them but assert nothing. */
export function evaluateTargets(rows: Row[], lag: LagResult | undefined, rebuild: RebuildResult | undefined, memory: MemoryResult): Target[] {
  const targets: Target[] = [];
  const floorA = find(rows, LABEL['floor-insert'], 10);
  for (const kind of ['register', 'update'] as const) {
    const row = find(rows, LABEL[kind], 10);
    if (!row) continue;
    const bound = find(rows, LABEL[BOUND_OF[kind]], 10);
    targets.push({
      figure: `${LABEL[kind]} at 10 connections`,
      wanted: '≥ 0.50 of floor (a), p99 ≤ 25 ms',
      measured: `${row.ratio?.median.toFixed(2)} of floor (a), p99 ${ms(row.p99?.median ?? Number.NaN)} ms`,
      met: (row.ratio?.median ?? 0) >= 0.5 && (row.p99?.median ?? Number.POSITIVE_INFINITY) <= 25,
      limits: [
        bound && `${bound.scenario} ${bound.ratio?.median.toFixed(2)} of floor (a), p99 ${ms(bound.p99?.median ?? Number.NaN)} ms`,
        floorA?.p99 && tailAtHalfTheFloor(floorA.p99.median),
      ]
        .filter(Boolean)
        .join('; '),
    });
  }
  if (lag) {
    targets.push({
      figure: 'projection lag at half the sustained command rate',
      wanted: 'p99 ≤ 100 ms',
      measured: `p50 ${ms(lag.lag.p50)}, p95 ${ms(lag.lag.p95)}, p99 ${ms(lag.lag.p99)}, max ${ms(lag.lag.max)} ms over ${lag.lag.count} commands${lag.unseen ? `, ${lag.unseen} never seen` : ''}`,
      met: lag.lag.p99 <= 100 && lag.unseen === 0,
    });
  }
  const get = find(rows, LABEL.get, 10);
  const floorC = find(rows, LABEL['floor-get'], 10);
  if (get) {
    targets.push({
      figure: 'authenticated GET /patients/{id} at 10 connections',
      wanted: '≥ 0.70 of floor (c), p99 ≤ 10 ms',
      measured: `${get.ratio?.median.toFixed(2)} of floor (c), p99 ${ms(get.p99?.median ?? Number.NaN)} ms`,
      met: (get.ratio?.median ?? 0) >= 0.7 && (get.p99?.median ?? Number.POSITIVE_INFINITY) <= 10,
      limits: floorC?.p99 ? `floor (c) itself: p99 ${ms(floorC.p99.median)} ms` : undefined,
    });
  }
  if (rebuild) {
    targets.push({
      figure: 'rebuild',
      wanted: '≥ 20,000 events/s',
      measured: `${whole(rebuild.eventsPerSecond)} events/s over ${whole(rebuild.events)} events`,
      met: rebuild.eventsPerSecond >= 20_000,
    });
  }
  const api = memory.api;
  if (api) {
    const peak = Math.max(api.peakRssMb, api.hwmMb ?? 0);
    targets.push({ figure: 'API RSS under load', wanted: '≤ 250 MB', measured: `${whole(peak)} MB`, met: peak <= 250 });
  }
  return targets;
}

/**
 * With a fixed number of connections each waiting for its answer, a request's mean latency is
 * connections ÷ rate: at half floor (a)'s rate it is twice the floor's, and a command whose
 * latencies spread as the floor's own do has twice the floor's p99.
 */
function tailAtHalfTheFloor(floorP99: number): string {
  return `floor (a) p99 ${ms(floorP99)} ms: at half its rate, latencies spread like its own give p99 ${ms(floorP99 * 2)} ms`;
}

export function formatTargets(targets: Target[]): string {
  return targets
    .map((target) => {
      const verdict = `${target.met ? 'met   ' : 'MISSED'}  ${target.figure}: ${target.measured} (target ${target.wanted})`;
      return target.limits ? `${verdict}\n        limits in this run: ${target.limits}` : verdict;
    })
    .join('\n');
}
