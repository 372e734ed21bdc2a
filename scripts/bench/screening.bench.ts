// Screening benchmarks (`pnpm bench`): DynamoDB requests per decision against dynalite, and the
// warm handler's overhead with an in-memory store, next to a floor measured in the same run.
import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DynamoScreeningStore,
  readScreeningConfig,
  Screener,
  screeningDynamoClient,
} from '@flowguard/caller-screening';
import { parseContactEvent } from '@flowguard/contact';
import {
  countRequests,
  itemSize,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startLocalDynamoDB,
  startLocalDynamoDBProcess,
  storedItem,
  voiceEvent,
  writeUnits,
} from '@flowguard/testing';
import { reportRows } from '../lib/bench-rows.js';
import { bundleFunction } from '../lib/bundle.js';

const config = readScreeningConfig({ FLOWGUARD_LIMITS: '3/10m,20/1d', FLOWGUARD_AUTO_BLOCK_FACTOR: '0' });
const rows: string[][] = [];
let failed = false;

async function requestsPerDecision(): Promise<void> {
  const local = await startLocalDynamoDB();
  try {
    const counter = countRequests(local.client);
    const store = new DynamoScreeningStore({ client: local.client, tableName: local.tableName });
    const screener = new Screener({ store, config });
    await screener.ruleSet();
    const now = Math.floor(Date.now() / 1000);
    await store.block({
      key: 'tel:+14155550999',
      untilSeconds: now + 3600,
      reason: 'bench',
      by: 'bench',
      nowSeconds: now,
      action: 'block',
    });

    const measure = async (scenario: string, caller: string, target: number, expected: string) => {
      counter.reset();
      const result = await screener.screen(parseContactEvent(voiceEvent(caller)));
      const requests = counter.total();
      const ok = requests === target && result.decision === expected;
      if (!ok) failed = true;
      rows.push([
        `requests per decision: ${scenario}`,
        String(requests),
        `${target}`,
        `${result.decision}`,
        ok ? 'ok' : 'MISSED',
      ]);
    };
    await measure('first-seen', '+14155550101', 1, 'ALLOW');
    await measure('allowed (seen before)', '+14155550101', 1, 'ALLOW');
    await screener.screen(parseContactEvent(voiceEvent('+14155550101')));
    await measure('throttled', '+14155550101', 1, 'THROTTLE');
    await measure('blocklisted', '+14155550999', 1, 'BLOCK');
    await measure('cached blocked', '+14155550999', 0, 'BLOCK');
  } finally {
    await local.stop();
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * A 500-contact burst from one number, as 500 Lambda instances would send it: each contact on a
 * screener of its own (no shared caches), all at once, through the production client settings
 * (but a budget long enough for the emulator: dynalite serves one item's writes one at a time).
 * Each decision's DynamoDB requests are counted apart (AsyncLocalStorage in SDK middleware).
 */
async function burst(): Promise<void> {
  const local = await startLocalDynamoDBProcess({ tableName: 'flowguard-bench-burst' });
  try {
    const burstConfig = readScreeningConfig({
      FLOWGUARD_LIMITS: '5/10m,20/1d',
      FLOWGUARD_STORE_TIMEOUT_MS: '5000',
    });
    const client = screeningDynamoClient(burstConfig, {
      endpoint: local.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const decision = new AsyncLocalStorage<{ requests: number }>();
    client.middlewareStack.add(
      (next) => async (args) => {
        const counter = decision.getStore();
        if (counter) counter.requests += 1;
        return next(args);
      },
      { step: 'initialize', name: 'benchRequestsPerDecision' },
    );
    const store = new DynamoScreeningStore({ client, tableName: local.tableName });
    const caller = '+14155550777';
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 500 }, async () => {
        const counter = { requests: 0 };
        const screener = new Screener({ store, config: { ...burstConfig, rulesTtlSeconds: 3600 } });
        await screener.ruleSet();
        const result = await decision.run(counter, () =>
          screener.screen(parseContactEvent(voiceEvent(caller))),
        );
        return { decision: result.decision, reason: result.reason, requests: counter.requests };
      }),
    );
    const ms = performance.now() - started;
    const requests = results.map((r) => r.requests).sort((a, b) => a - b);
    const allowed = results.filter((r) => r.decision === 'ALLOW' && r.reason === 'ok').length;
    const refused = results.filter((r) => r.decision === 'THROTTLE' || r.decision === 'BLOCK').length;
    const p99 = percentile(requests, 99);
    const ok = allowed === 5 && refused === 495 && p99 <= 2;
    if (!ok) failed = true;
    rows.push([
      'requests per decision, 500-contact burst of one caller on 500 instances: p50 / p99 / max',
      `${percentile(requests, 50)} / ${p99} / ${requests.at(-1)}`,
      '<= 2 at p99',
      `${allowed} ALLOW, ${refused} refused, ${ms.toFixed(0)} ms on dynalite`,
      ok ? 'ok' : 'MISSED',
    ]);

    // A caller who keeps calling: the item and its write units as the contacts add up. The 24
    // contact slots fill within the first hundred or so; after that only the counts gain digits.
    const persistent = new Screener({ store, config: { ...burstConfig, autoBlockFactor: 0 } });
    const samples = new Map([
      [100, 0],
      [1000, 0],
      [5000, 0],
    ]);
    for (let i = 1; i <= 5000; i++) {
      await persistent.screen(parseContactEvent(voiceEvent('+14155550778')));
      if (samples.has(i))
        samples.set(
          i,
          itemSize(await storedItem(local.client, local.tableName, { pk: 'tel:+14155550778', sk: 'state' })),
        );
    }
    const sizes = [...samples.values()];
    const units = Math.max(...sizes.map(writeUnits));
    if (units > 1) failed = true;
    rows.push([
      'caller item after 100 / 1,000 / 5,000 contacts (5/10m,20/1d), bytes; write units per decision',
      `${sizes.join(' / ')}; ${units} WCU`,
      '1 WCU throughout',
      '',
      units === 1 ? 'ok' : 'MISSED',
    ]);
  } finally {
    await local.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Median µs per call over `batches` batches of `size` calls each. */
async function timePerCall(
  call: (i: number) => Promise<unknown>,
  size: number,
  batches: number,
): Promise<number> {
  const samples: number[] = [];
  let i = 0;
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let k = 0; k < size; k++) await call(i++);
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / size);
  }
  return median(samples);
}

type Handler = (event: unknown) => Promise<Record<string, string>>;

async function warmOverhead(): Promise<void> {
  const bundle = await bundleFunction('screen-caller-memory', {
    handlersDir: join(import.meta.dirname, 'entries'),
    outDir: join(import.meta.dirname, 'dist'),
  });
  const entry = (await import(pathToFileURL(bundle.file).href)) as {
    handler: Handler;
    floor: Handler;
    screener: { ruleSet(): Promise<unknown> };
  };
  await entry.screener.ruleSet();
  const size = 500;
  const batches = 30;
  // Every call a caller this instance has not seen (each parsed, each a store write): the
  // expensive case. Built before timing.
  const events = Array.from({ length: size * (batches + 10) }, (_, i) =>
    voiceEvent(`+1415${String(2_000_000 + i).padStart(7, '0')}`),
  );
  for (let i = 0; i < size * 10; i++) await entry.handler(events[i]);
  await timePerCall((i) => entry.floor(events[i]), size, 10);

  const floorUs = await timePerCall((i) => entry.floor(events[size * 10 + i]), size, batches);
  const handlerUs = await timePerCall((i) => entry.handler(events[size * 10 + i]), size, batches);
  // A caller this instance has seen before: the identity is cached, the store still counts the call.
  const known = Array.from({ length: size }, (_, i) =>
    voiceEvent(`+1415${String(5_000_000 + i).padStart(7, '0')}`),
  );
  const repeat = (i: number) => ({ ...known[i % size], Details: { ...known[i % size]?.Details } });
  for (let i = 0; i < size; i++) await entry.handler(repeat(i));
  const knownUs = await timePerCall((i) => entry.handler(repeat(i)), size, 10);
  const ok = handlerUs <= 50;
  if (!ok) failed = true;
  rows.push(['flowHandler floor (constant answer), µs median', floorUs.toFixed(1), '', '', '']);
  rows.push([
    'screen-caller warm, known caller, in-memory store, µs median',
    knownUs.toFixed(1),
    '',
    `${(knownUs / floorUs).toFixed(2)}x floor`,
    '',
  ]);
  rows.push([
    'screen-caller warm, new caller, in-memory store, µs median',
    handlerUs.toFixed(1),
    '<= 50',
    `${(handlerUs / floorUs).toFixed(2)}x floor`,
    ok ? 'ok' : 'MISSED',
  ]);
}

await requestsPerDecision();
await burst();
await warmOverhead();

const header = ['screening benchmark', 'measured', 'target', 'note', 'verdict'];
const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]?.length ?? 0)));
for (const row of [header, ...rows])
  console.log(
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
reportRows(
  rows.map(([name = '', measured = '', target = '', note = '', verdict = '']) => ({
    group: 'screening',
    name,
    measured: `${measured}${note ? ` (${note})` : ''}`,
    target,
    verdict: verdict === 'ok' || verdict === 'MISSED' ? verdict : '',
  })),
);
if (failed) process.exitCode = 1;
