import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { requestFactory, type HttpRequest, type Targets } from './requests.js';
import { distribution, type Distribution } from './stats.js';

export interface LagSpec {
  /** Commands per second, sent on a fixed schedule (open loop) whatever the responses do. */
  rate: number;
  seconds: number;
  /** The bench database, to watch the read model directly. */
  databaseUrl: string;
  /** How long to keep watching after the last command for effects still on their way. */
  drainMs: number;
  seed: number;
}

export interface LagResult {
  targetRate: number;
  /** Commands acknowledged (2xx) per second. */
  rate: number;
  commands: number;
  failed: number;
  /** Commands not sent because too many were already in flight: the API could not keep up. */
  skipped: number;
  /** Acknowledged commands whose effect never showed within the drain time. */
  unseen: number;
  /** Milliseconds from a command's 2xx to its effect being visible in patient_summary. */
  lag: Distribution;
  /** The commands' own latency, sent to 2xx. */
  latency: Distribution;
  /** How often the watcher looked, on average (ms): the resolution of the lag figures. */
  pollMs: number;
  /**
   * The oldest transaction seen open in another database of the same PostgreSQL server during the
   * run (ms). The runner's fence (pg_snapshot_xmin) is server-wide: such a transaction holds back
   * every projection until it ends, so a lag spike next to a large figure here has that cause.
   */
  oldestForeignTransactionMs: number;
  /**
   * The load driver's own event-loop delay during the run (ms). The driver timestamps responses and
   * sightings, so a pause of its own (a garbage collection) shows in both figures as if the system
   * had stalled; a max here as long as the latency's max tells which it was.
   */
  driverDelayMs: { p99: number; max: number };
}

interface Waiting {
  position: number;
  acknowledgedAt: number;
}

const MAX_IN_FLIGHT = 256;

function send(agent: http.Agent, request: HttpRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      request.url,
      {
        agent,
        method: request.method,
        headers: request.body === undefined ? request.headers : { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/**
 * Sends registrations and demographic updates alternately at a fixed rate, and watches the read
 * model for each one's effect: a patient_summary row at (or past) the position the command
 * returned. The watcher asks PostgreSQL directly, about every millisecond, for the rows still
 * awaited, so the figure is the projection's lag and not the latency of a read endpoint.
 */
export async function measureLag(spec: LagSpec, targets: Targets): Promise<LagResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const nextRegistration = requestFactory('register', targets, spec.seed);
  const nextUpdate = requestFactory('update', targets, spec.seed + 1);
  const watcher = new pg.Client({ connectionString: spec.databaseUrl, application_name: 'pams-bench-lag' });
  await watcher.connect();
  const observer = new pg.Client({ connectionString: spec.databaseUrl, application_name: 'pams-bench-lag-observer' });
  await observer.connect();

  const waiting = new Map<string, Waiting[]>();
  const lags: number[] = [];
  const latencies: number[] = [];
  let sent = 0;
  let failed = 0;
  let skipped = 0;
  let inFlight = 0;
  let acknowledged = 0;
  let sending = true;
  let polls = 0;

  function fire() {
    const request = sent % 2 === 0 ? nextRegistration() : nextUpdate();
    sent += 1;
    if (inFlight >= MAX_IN_FLIGHT) {
      skipped += 1;
      return;
    }
    inFlight += 1;
    const sentAt = performance.now();
    send(agent, request)
      .then(({ status, body }) => {
        const acknowledgedAt = performance.now();
        if (status < 200 || status > 299) {
          failed += 1;
          return;
        }
        acknowledged += 1;
        latencies.push(acknowledgedAt - sentAt);
        const { id, position } = JSON.parse(body) as { id: string; position: number };
        const entries = waiting.get(id) ?? [];
        entries.push({ position, acknowledgedAt });
        waiting.set(id, entries);
      })
      .catch(() => {
        failed += 1;
      })
      .finally(() => {
        inFlight -= 1;
      });
  }

  const driverDelay = monitorEventLoopDelay({ resolution: 1 });
  driverDelay.enable();
  const startedAt = performance.now();
  const schedule = setInterval(() => {
    const due = Math.min(Math.floor(((performance.now() - startedAt) / 1000) * spec.rate), Math.round(spec.rate * spec.seconds));
    while (sent < due) fire();
    if (performance.now() - startedAt >= spec.seconds * 1000) {
      clearInterval(schedule);
      sending = false;
    }
  }, 2);

  let oldestForeignTransactionMs = 0;
  let lookingAround = false;
  const lookAround = setInterval(() => {
    // On a starved machine an answer can take longer than the interval: one question at a time.
    if (lookingAround) return;
    lookingAround = true;
    observer
      .query<{ ms: number | null }>(
        `select max(extract(epoch from clock_timestamp() - xact_start) * 1000)::float8 as ms from pg_stat_activity
         where datname is distinct from current_database() and backend_xid is not null`,
      )
      .then((result) => {
        oldestForeignTransactionMs = Math.max(oldestForeignTransactionMs, result.rows[0]?.ms ?? 0);
      })
      .catch(() => {})
      .finally(() => {
        lookingAround = false;
      });
  }, 50);

  let watchUntil = Number.POSITIVE_INFINITY;
  const watchStartedAt = performance.now();
  try {
    while (performance.now() < watchUntil) {
      if (!sending && watchUntil === Number.POSITIVE_INFINITY && inFlight === 0) watchUntil = performance.now() + spec.drainMs;
      if (!sending && inFlight === 0 && waiting.size === 0) break;
      if (waiting.size === 0) {
        await sleep(1);
        continue;
      }
      const result = await watcher.query<{ id: string; position: string }>({
        name: 'lag_watch',
        text: 'select patient_id::text as id, position from patient_summary where patient_id = any($1::uuid[])',
        values: [[...waiting.keys()]],
      });
      const seenAt = performance.now();
      polls += 1;
      for (const row of result.rows) {
        const entries = waiting.get(row.id);
        if (!entries) continue;
        const position = Number(row.position);
        const still = entries.filter((entry) => {
          if (entry.position > position) return true;
          lags.push(Math.max(0, seenAt - entry.acknowledgedAt));
          return false;
        });
        if (still.length === 0) waiting.delete(row.id);
        else waiting.set(row.id, still);
      }
      await sleep(1);
    }
  } finally {
    clearInterval(schedule);
    clearInterval(lookAround);
    driverDelay.disable();
    await watcher.end().catch(() => {});
    await observer.end().catch(() => {});
    agent.destroy();
  }
  let unseen = 0;
  for (const entries of waiting.values()) unseen += entries.length;
  return {
    targetRate: spec.rate,
    rate: acknowledged / spec.seconds,
    commands: sent,
    failed,
    skipped,
    unseen,
    lag: distribution(lags),
    latency: distribution(latencies),
    pollMs: polls === 0 ? Number.NaN : (performance.now() - watchStartedAt) / polls,
    oldestForeignTransactionMs,
    driverDelayMs: { p99: driverDelay.percentile(99) / 1e6, max: driverDelay.max / 1e6 },
  };
}
