import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// Every process the bench starts is tracked here and ended with it: by a clean stop, by the exit
// hook if the bench dies, or by the signal handlers in run.ts.
const running = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface Service {
  name: string;
  child: ChildProcess;
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

function track(name: string, child: ChildProcess, logFile: string): Service {
  running.add(child);
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      if (signal) log.write(`\n[bench] ${name} ended by ${signal}\n`);
      log.end();
      resolve(code);
    });
  });
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  return {
    name,
    child,
    pid: child.pid,
    exited,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A Node program started as a user would start it (`node dist/...`), its output kept in `logDir`. */
export function startNode(name: string, script: string, env: NodeJS.ProcessEnv, logDir: string, nodeArgs: string[] = []): Service {
  const child = spawn(process.execPath, [...nodeArgs, script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return track(name, child, path.join(logDir, `${name}.log`));
}

/** A Node program with an IPC channel, for the load driver. */
export function forkNode(name: string, script: string, env: NodeJS.ProcessEnv, logDir: string): Service {
  const child = fork(script, [], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [] });
  return track(name, child, path.join(logDir, `${name}.log`));
}

/** Runs a command to completion, output to `logDir/name.log`; rejects on a non-zero exit. */
export async function runCommand(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, logDir: string, timeoutMs: number) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const service = track(name, child, path.join(logDir, `${name}.log`));
  const timer = setTimeout(() => void service.stop(2_000), timeoutMs);
  const code = await service.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${code}); see ${path.join(logDir, `${name}.log`)}`);
  return stdout;
}

export async function stopAll() {
  await Promise.all([...running].map((child) => {
    child.kill('SIGTERM');
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }));
}

/** Polls `url` until it answers 200, or fails after `timeoutMs` or when `service` exits first. */
export async function waitUntilReady(url: string, service: Service, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${service.name} exited before it was ready; see its log`);
    // A connection per attempt, closed after it: no idle keep-alive connection outlives the check.
    const status = await new Promise<number>((resolve) => {
      const request = http.get(url, { agent: false }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.setTimeout(2_000, () => request.destroy());
      request.on('error', () => resolve(0)); // not listening yet
    });
    if (status === 200) return;
    await sleep(100);
  }
  throw new Error(`${service.name} was not ready at ${url} within ${timeoutMs} ms`);
}

export interface MemoryReading {
  rssMb: number;
  /** VmHWM: the peak resident set since the process started, as the kernel counts it. */
  peakMb: number;
}

export async function memoryOf(pid: number): Promise<MemoryReading | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined; // exited, or no /proc on this system
  }
}

/**
 * Samples the resident set of some processes every `everyMs`; `mark(phase)` starts a new phase so
 * that the peak under each kind of load can be told apart.
 */
export async function sampleMemory(services: Service[], everyMs = 200) {
  // Start-up and sign-in are not load: sign-in alone hashes with scrypt at 128 MiB. Their peak is
  // kept apart, and the kernel's peak counter starts again from here (clear_refs 5).
  const startup: Record<string, number | null> = {};
  for (const service of services) {
    startup[service.name] = (await memoryOf(service.pid))?.peakMb ?? null;
    await writeFile(`/proc/${service.pid}/clear_refs`, '5').catch(() => {});
  }
  const peaks = new Map<string, Map<string, number>>();
  let phase = 'start';
  const timer = setInterval(() => {
    for (const service of services) {
      void memoryOf(service.pid).then((reading) => {
        if (!reading) return;
        const byPhase = peaks.get(service.name) ?? new Map<string, number>();
        byPhase.set(phase, Math.max(byPhase.get(phase) ?? 0, reading.rssMb));
        peaks.set(service.name, byPhase);
      });
    }
  }, everyMs);
  timer.unref();
  return {
    mark(next: string) {
      phase = next;
    },
    async stop() {
      clearInterval(timer);
      const result: Record<string, { peakRssMb: number; hwmMb: number | null; startupPeakMb: number | null; byPhase: Record<string, number> }> = {};
      for (const service of services) {
        const byPhase = Object.fromEntries(peaks.get(service.name) ?? []);
        const reading = await memoryOf(service.pid);
        result[service.name] = {
          peakRssMb: Math.max(0, ...Object.values(byPhase)),
          hwmMb: reading?.peakMb ?? null,
          startupPeakMb: startup[service.name] ?? null,
          byPhase,
        };
      }
      return result;
    },
  };
}
