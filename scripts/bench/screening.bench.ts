// Screening benchmarks (`pnpm bench`): DynamoDB requests per decision against dynalite, and the
// warm handler's overhead with an in-memory store, next to a floor measured in the same run.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoScreeningStore, readScreeningConfig, Screener } from '@flowguard/caller-screening';
import { parseContactEvent } from '@flowguard/contact';
import {
  countRequests,
  itemSize,
  startLocalDynamoDB,
  startLocalDynamoDBProcess,
  storedItem,
  voiceEvent,
  writeUnits,
} from '@flowguard/testing';
import { printAndReport } from '../lib/bench-rows.js';
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

/** A caller who keeps calling, against dynalite in its own process (the burst is in the load suite). */
async function persistentCaller(): Promise<void> {
  const local = await startLocalDynamoDBProcess({ tableName: 'flowguard-bench-persistent' });
  try {
    const persistentConfig = readScreeningConfig({
      FLOWGUARD_LIMITS: '5/10m,20/1d',
      FLOWGUARD_AUTO_BLOCK_FACTOR: '0',
    });
    const store = new DynamoScreeningStore({ client: local.client, tableName: local.tableName });
    // A caller who keeps calling: the item and its write units as the contacts add up. The 24
    // contact slots fill within the first hundred or so; after that only the counts gain digits.
    const persistent = new Screener({ store, config: persistentConfig });
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
    surgeHandler: Handler;
    offHandler: Handler;
    floor: Handler;
    screener: { ruleSet(): Promise<unknown> };
    surgeScreener: { ruleSet(): Promise<unknown> };
    offScreener: { ruleSet(): Promise<unknown> };
  };
  await entry.screener.ruleSet();
  await entry.surgeScreener.ruleSet();
  await entry.offScreener.ruleSet();
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
  // What the aggregates cost: new callers through the same handler with them off, and with surge
  // thresholds to check, in alternating batches so the machine's load falls on both alike.
  const offSamples: number[] = [];
  const surgeSamples: number[] = [];
  const aggregateEvents = Array.from({ length: size * 2 * batches }, (_, i) =>
    voiceEvent(`+1415${String(6_000_000 + i).padStart(7, '0')}`),
  );
  for (let i = 0; i < size * 4; i++) {
    await entry.offHandler(aggregateEvents[i]);
    await entry.surgeHandler(aggregateEvents[i]);
  }
  for (let b = 0; b < batches; b++) {
    const from = b * size;
    offSamples.push(await timePerCall((i) => entry.offHandler(aggregateEvents[from + i]), size, 1));
    surgeSamples.push(await timePerCall((i) => entry.surgeHandler(aggregateEvents[from + i]), size, 1));
  }
  const offUs = median(offSamples);
  const surgeUs = median(surgeSamples);
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
    'screen-caller warm, new caller, aggregates off / on with surge thresholds, µs median',
    `${offUs.toFixed(1)} / ${surgeUs.toFixed(1)}`,
    '',
    `${(surgeUs / offUs).toFixed(2)}x without aggregates`,
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
await persistentCaller();
await warmOverhead();

printAndReport('screening', rows);
if (failed) process.exitCode = 1;
