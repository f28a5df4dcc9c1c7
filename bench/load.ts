import autocannon from 'autocannon';
import { measureLag, type LagSpec, type LagResult } from './lag.js';
import { requestFactory, type RequestKind, type Targets } from './requests.js';
import { distribution, type Distribution } from './stats.js';

// The load driver: its own process (forked by run.ts), so that generating load does not share an
// event loop with what is measured. It receives work over IPC and answers with raw figures.

export interface HttpRunSpec {
  kind: RequestKind;
  connections: number;
  seconds: number;
  seed: number;
}

export interface HttpRunResult {
  kind: RequestKind;
  connections: number;
  seconds: number;
  /** 2xx responses per second. */
  rate: number;
  ok: number;
  /** Every non-2xx status seen, with its count. */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Milliseconds from request sent to response received, every response recorded. */
  latency: Distribution;
}

export type LoadMessage =
  | { type: 'targets'; targets: Targets }
  | { type: 'http'; id: number; spec: HttpRunSpec }
  | { type: 'lag'; id: number; spec: LagSpec };

export type LoadReply =
  | { type: 'result'; id: number; result: HttpRunResult | LagResult }
  | { type: 'failed'; id: number; message: string };

let targets: Targets | undefined;

async function runHttp(spec: HttpRunSpec, seconds: number, record: boolean): Promise<HttpRunResult> {
  if (!targets) throw new Error('no targets yet');
  const next = requestFactory(spec.kind, targets, spec.seed);
  const first = new URL(next().url);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const options: autocannon.Options = {
    url: first.origin,
    connections: spec.connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        // Called for every request: each one is new (a fresh MRN, another patient, another page).
        setupRequest: (request) => {
          const made = next();
          const url = new URL(made.url);
          return {
            ...request,
            method: made.method,
            path: url.pathname + url.search,
            headers: { ...request.headers, ...made.headers },
            ...(made.body === undefined ? {} : { body: made.body }),
          };
        },
      },
    ],
  };
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
  // autocannon's own histogram keeps whole milliseconds; reads here take less than one.
  instance!.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    if (!record) return;
    latencies.push(responseTime);
    if (status < 200 || status > 299) statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await finished;
  return {
    kind: spec.kind,
    connections: spec.connections,
    seconds: result.duration,
    rate: result['2xx'] / result.duration,
    ok: result['2xx'],
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    latency: distribution(latencies),
  };
}

async function handle(message: LoadMessage): Promise<LoadReply | undefined> {
  if (message.type === 'targets') {
    targets = message.targets;
    return undefined;
  }
  try {
    if (message.type === 'http') {
      return { type: 'result', id: message.id, result: await runHttp(message.spec, message.spec.seconds, true) };
    }
    if (!targets) throw new Error('no targets yet');
    return { type: 'result', id: message.id, result: await measureLag(message.spec, targets) };
  } catch (error) {
    return { type: 'failed', id: message.id, message: (error as Error).stack ?? String(error) };
  }
}

process.on('message', (message: LoadMessage) => {
  void handle(message).then((reply) => {
    if (reply) process.send?.(reply);
  });
});

// Orphaned (the bench died without stopping us): nothing to drive load for any more.
process.on('disconnect', () => process.exit(0));
