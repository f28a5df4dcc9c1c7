import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';
import type { Service } from './processes.js';

// Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ) on every platform we run on.
const TICKS_PER_SECOND = 100;

async function cpuSecondsOf(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0; // exited, or no /proc here
  }
}

/** Every PostgreSQL server process on this machine: backends, WAL writer, checkpointer. */
async function postgresPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'postgres') pids.push(Number(entry));
  }
  return pids;
}

/** CPU seconds so far by process id, each with the name it is reported under and, for a PostgreSQL backend, whom it serves. */
export type CpuSnapshot = Map<number, { name: string; seconds: number; serves?: string }>;

// Each process's connections name themselves (application_name): src/server.ts, src/worker.ts and
// the projection listener, the floor harness, pg-boss (in both the API and the worker).
const SERVED_BY_APPLICATION: Array<[RegExp, string]> = [
  [/^pams-api$/, 'api'],
  [/^pams-(worker|listen-)/, 'worker'],
  [/^pams-bench-floor$/, 'floor'],
  [/^pgboss$/, 'pg-boss'],
];

/**
 * Whom each backend of the bench database serves, so that PostgreSQL's CPU per request can be
 * split: the API's appends and reads, the worker's projection passes, the floor's queries. Server
 * processes of no connection (WAL writer, checkpointer) and the bench's own watchers are `other`.
 */
export async function watchBackends(url: string) {
  const client = new pg.Client({ connectionString: url, application_name: 'pams-bench-cpu' });
  await client.connect();
  return {
    async serving(): Promise<Map<number, string>> {
      const result = await client.query<{ pid: number; application_name: string }>(
        'select pid, application_name from pg_stat_activity where datname = current_database()',
      );
      return new Map(
        result.rows.map((row) => [row.pid, SERVED_BY_APPLICATION.find(([pattern]) => pattern.test(row.application_name))?.[1] ?? 'other']),
      );
    },
    close: () => client.end(),
  };
}

export async function snapshotCpu(services: Service[], serving: Map<number, string>): Promise<CpuSnapshot> {
  const snapshot: CpuSnapshot = new Map();
  for (const service of services) snapshot.set(service.pid, { name: service.name, seconds: await cpuSecondsOf(service.pid) });
  for (const pid of await postgresPids()) {
    snapshot.set(pid, { name: 'postgres', seconds: await cpuSecondsOf(pid), serves: serving.get(pid) ?? 'other' });
  }
  return snapshot;
}

/**
 * CPU time each process spent per 2xx response between two snapshots, in microseconds: where a
 * request's cost goes (the API, PostgreSQL, the worker folding its events, the load driver). With
 * two cores, the sum bounds the rate: 2 s of CPU per second. PostgreSQL's figure is also given split
 * by whom its backends serve (`postgres for api`, `postgres for worker`, ...).
 */
export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, responses: number): Record<string, number> {
  const used = new Map<string, number>();
  const add = (name: string, seconds: number) => used.set(name, (used.get(name) ?? 0) + seconds);
  // A PostgreSQL backend that started during the run counts from zero; one that ended is lost.
  for (const [pid, { name, seconds, serves }] of after) {
    const spent = seconds - (before.get(pid)?.seconds ?? 0);
    add(name, spent);
    if (serves) add(`${name} for ${serves}`, spent);
  }
  const perRequest: Record<string, number> = {};
  for (const [name, seconds] of used) {
    if (seconds > 0 && responses > 0) perRequest[name] = Math.round((seconds / responses) * 1e6);
  }
  return perRequest;
}

/** The machine's context switches since boot (`ctxt` in /proc/stat); 0 where there is no /proc. */
export async function contextSwitches(): Promise<number> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => '');
  return Number(/^ctxt (\d+)$/m.exec(stat)?.[1] ?? 0);
}
