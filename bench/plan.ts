import type { RequestKind } from './requests.js';
import type { SeedPlan } from './seed.js';

export interface Plan {
  mode: 'full' | 'quick';
  seed: SeedPlan;
  connections: number[];
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  lagSeconds: number;
  /** How many random list positions the list scenarios page from. */
  cursors: number;
  /** `--only register,get,lag`: just these scenarios (and nothing else), for profiling one path. */
  only: string[] | undefined;
  /** CPU profiles of the API and the worker (node --cpu-prof), kept with the logs. */
  profile: boolean;
  /** The whole run is abandoned (and cleaned up) past this. */
  deadlineMs: number;
}

/**
 * Within a round each subject runs right after its floor, so the two are measured seconds apart
 * on the same machine state; the rounds then repeat the whole sequence to show the spread.
 */
export const SEQUENCE: Array<{ kind: RequestKind; onlyAt?: number }> = [
  { kind: 'floor-validate' },
  { kind: 'floor-insert' },
  { kind: 'register' },
  { kind: 'register-idempotent', onlyAt: 10 },
  { kind: 'floor-append', onlyAt: 10 },
  { kind: 'floor-read-insert', onlyAt: 10 },
  { kind: 'update' },
  { kind: 'floor-get' },
  { kind: 'get' },
  { kind: 'floor-list' },
  { kind: 'list' },
];

export function planFor(argv: string[]): Plan {
  const quick = argv.includes('--quick');
  const option = (name: string) => {
    const index = argv.indexOf(name);
    if (index < 0) return undefined;
    const value = Number(argv[index + 1]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
    return value;
  };
  const base: Plan = quick
    ? {
        mode: 'quick',
        seed: { patients: 2_000, updates: 8_000, writers: 2, batch: 250 },
        connections: [10, 50],
        rounds: 1,
        seconds: 1.5,
        warmupSeconds: 0.25,
        lagSeconds: 3,
        cursors: 100,
        profile: false,
        only: undefined,
        deadlineMs: 4 * 60_000,
      }
    : {
        mode: 'full',
        // ~1M events: one registration per patient and nine corrections each on average.
        seed: { patients: 100_000, updates: 900_000, writers: 3, batch: 250 },
        connections: [10, 50],
        rounds: 3,
        seconds: 10,
        warmupSeconds: 2,
        lagSeconds: 20,
        cursors: 1_000,
        profile: false,
        only: undefined,
        deadlineMs: 45 * 60_000,
      };
  return {
    ...base,
    profile: argv.includes('--profile'),
    only: argv.includes('--only') ? (argv[argv.indexOf('--only') + 1] ?? '').split(',').filter(Boolean) : undefined,
    rounds: option('--rounds') ?? base.rounds,
    seconds: option('--seconds') ?? base.seconds,
  };
}
