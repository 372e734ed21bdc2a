// Edge benchmarks (`pnpm bench`): what start-contact's screening costs a website's request before
// Connect's StartChatContact is called. Three figures, each next to its floor in the same run:
// - store requests per request on dynalite (target: at most 1);
// - the latency added before StartChatContact (median, p99): the real endpoint on dynalite against
//   the same endpoint whose store answers at once without I/O (the floor: everything but the store);
// - our own CPU per request (target: at most 2 ms), the whole handler with an in-memory store and
//   an instant Connect, against the floor of the same handler refusing the request at its origin
//   check (parsing and answering only).
import { randomBytes } from 'node:crypto';
import {
  type CallerState,
  DynamoScreeningStore,
  MemoryScreeningStore,
  readScreeningConfig,
  Screener,
  type ScreeningStore,
  stateOf,
} from '@flowguard/caller-screening';
import {
  type ConnectStarter,
  type HttpLambdaHandler,
  readEdgeConfig,
  startContact,
  TokenVerifier,
} from '@flowguard/edge';
import { countRequests, startLocalDynamoDB } from '@flowguard/testing';
import { printAndReport } from '../lib/bench-rows.js';

const ORIGIN = 'https://www.example.com';
const ENV = {
  FLOWGUARD_CONNECT_INSTANCE_ID: '11111111-2222-3333-4444-555555555555',
  FLOWGUARD_EDGE_FLOWS: 'support=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  FLOWGUARD_EDGE_ALLOWED_ORIGINS: ORIGIN,
  FLOWGUARD_EDGE_SIGNING_SECRET_ID: 'flowguard/edge-signing',
  FLOWGUARD_IP_LIMITS: '1000/10m',
  FLOWGUARD_AUTO_BLOCK_FACTOR: '0',
  FLOWGUARD_LOG_LEVEL: 'silent',
  FLOWGUARD_METRICS: 'false',
};
const KEY = randomBytes(32);
const rows: string[][] = [];
let failed = false;

/** A store that answers every request at once, holding nothing: the endpoint without its store. */
class InstantStore extends MemoryScreeningStore {
  override async count(input: Parameters<ScreeningStore['count']>[0]) {
    return { kind: 'counted' as const, state: stateOf(input.key, {}) as CallerState };
  }
}

/** Connect answering at once; `calledAt` is when each StartChatContact was asked for. */
function instantConnect(calledAt: number[]): ConnectStarter {
  let n = 0;
  return {
    async start() {
      calledAt.push(performance.now());
      n += 1;
      return { kind: 'chat', contactId: `contact-${n}`, participantId: 'p', participantToken: 't' } as never;
    },
  };
}

function endpoint(store: ScreeningStore, calledAt: number[]): HttpLambdaHandler {
  const env = { ...ENV };
  return startContact({
    config: readEdgeConfig(env),
    screener: new Screener({ store, config: readScreeningConfig(env) }),
    connect: instantConnect(calledAt),
    signingKeys: { current: async () => KEY },
    tokens: new TokenVerifier({ config: null, required: false }),
    env,
    logSink: () => {},
    metricSink: () => {},
  });
}

/** A chat request from `ip` as a Function URL delivers it (payload format 2.0). */
function request(ip: string, origin = ORIGIN) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { origin, 'content-type': 'application/json' },
    requestContext: {
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: ip },
      requestId: 'bench',
    },
    body: JSON.stringify({ kind: 'chat', flow: 'support', displayName: 'Bench Customer' }),
    isBase64Encoded: false,
  };
}

const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 10_000 };
const ipOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** Milliseconds from each request's arrival to its StartChatContact call, for `n` requests. */
async function latencies(handler: HttpLambdaHandler, calledAt: number[], n: number, first: number) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = calledAt.length;
    const start = performance.now();
    const response = await handler(request(ipOf(first + (i % 200))), context);
    if (response.statusCode !== 200 || calledAt.length !== before + 1)
      throw new Error(`request ${i}: ${response.statusCode}, Connect not called once`);
    out.push((calledAt[before] as number) - start);
  }
  return out;
}

async function storeAndLatency(): Promise<void> {
  const local = await startLocalDynamoDB();
  try {
    const counter = countRequests(local.client);
    const dynamoCalls: number[] = [];
    const real = endpoint(
      new DynamoScreeningStore({ client: local.client, tableName: local.tableName }),
      dynamoCalls,
    );
    const floorCalls: number[] = [];
    const floor = endpoint(new InstantStore(), floorCalls);
    // Warm both: the rules loaded, the code paths compiled.
    await latencies(real, dynamoCalls, 200, 0);
    await latencies(floor, floorCalls, 200, 0);

    counter.reset();
    const n = 400;
    await latencies(real, dynamoCalls, n, 1_000);
    const perRequest = counter.total() / n;
    const requestsOk = perRequest <= 1;
    if (!requestsOk) failed = true;
    rows.push([
      'store requests per admitted request (dynalite, warm)',
      perRequest.toFixed(2),
      '≤ 1',
      `${counter.total()} for ${n}`,
      requestsOk ? 'ok' : 'MISSED',
    ]);

    // Interleaved rounds, so a busy moment on the machine falls on both alike.
    const measured: number[] = [];
    const base: number[] = [];
    for (let round = 0; round < 10; round++) {
      measured.push(...(await latencies(real, dynamoCalls, 100, 10_000 + round * 100)));
      base.push(...(await latencies(floor, floorCalls, 100, 10_000 + round * 100)));
    }
    const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
    for (const [label, q] of [
      ['median', 0.5],
      ['p99', 0.99],
    ] as const) {
      const m = quantile(measured, q);
      const f = quantile(base, q);
      rows.push([
        `latency before StartChatContact, ${label} (dynalite in-process)`,
        fmt(m),
        'reported',
        `floor without the store ${fmt(f)}; added ${fmt(m - f)}`,
        '',
      ]);
    }
  } finally {
    await local.stop();
  }
}

/** CPU milliseconds per request over `n` requests. */
async function cpuPerRequest(handler: HttpLambdaHandler, n: number, make: (i: number) => unknown) {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await handler(make(i), context);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / n;
}

async function ownCpu(): Promise<void> {
  const calls: number[] = [];
  const handler = endpoint(new MemoryScreeningStore(), calls);
  const n = 3000;
  // Warm-up, then measured: first-seen and repeat callers alike (3,000 requests over 300 addresses).
  await cpuPerRequest(handler, 1000, (i) => request(ipOf(50_000 + (i % 300))));
  const measured = await cpuPerRequest(handler, n, (i) => request(ipOf(60_000 + (i % 300))));
  const refused = await cpuPerRequest(handler, n, (i) => request(ipOf(i), 'https://other.example'));
  const ok = measured <= 2;
  if (!ok) failed = true;
  rows.push([
    'own CPU per admitted request (in-memory store, instant Connect)',
    `${measured.toFixed(3)} ms`,
    '≤ 2 ms',
    `floor (refused at the origin check) ${refused.toFixed(3)} ms; ${(measured / refused).toFixed(1)}×`,
    ok ? 'ok' : 'MISSED',
  ]);
}

await storeAndLatency();
await ownCpu();
printAndReport('edge', rows);
if (failed) process.exitCode = 1;
