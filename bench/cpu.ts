import { readdir, readFile } from 'node:fs/promises';
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

/** CPU seconds so far by process id, each with the name it is reported under. */
export type CpuSnapshot = Map<number, { name: string; seconds: number }>;

export async function snapshotCpu(services: Service[]): Promise<CpuSnapshot> {
  const snapshot: CpuSnapshot = new Map();
  for (const service of services) snapshot.set(service.pid, { name: service.name, seconds: await cpuSecondsOf(service.pid) });
  for (const pid of await postgresPids()) snapshot.set(pid, { name: 'postgres', seconds: await cpuSecondsOf(pid) });
  return snapshot;
}

/**
 * CPU time each process spent per 2xx response between two snapshots, in microseconds: where a
 * request's cost goes (the API, PostgreSQL, the worker folding its events, the load driver). With
 * two cores, the sum bounds the rate: 2 s of CPU per second.
 */
export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, responses: number): Record<string, number> {
  const used = new Map<string, number>();
  // A PostgreSQL backend that started during the run counts from zero; one that ended is lost.
  for (const [pid, { name, seconds }] of after) used.set(name, (used.get(name) ?? 0) + seconds - (before.get(pid)?.seconds ?? 0));
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
