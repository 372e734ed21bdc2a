// Load: many screen-caller invocations at once over many callers and one hot caller, against
// dynalite, through the real handler. CI runs a reduced size; LOAD=full runs the size
// (5,000 invocations at concurrency 64 over 500 callers plus one hot caller).
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  DynamoScreeningStore,
  readScreeningConfig,
  Screener,
  screenCaller,
  screeningDynamoClient,
} from '@flowguard/caller-screening';
import { flowHandler, parseContactEvent } from '@flowguard/contact';
import { reportRows } from '@flowguard/scripts/bench-rows';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalDynamoDB,
  startLocalDynamoDB,
  voiceEvent,
} from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FULL = process.env.LOAD === 'full';
const INVOCATIONS = FULL ? 5000 : 1200;
const CONCURRENCY = FULL ? 64 : 32;
const CALLERS = FULL ? 500 : 120;
const HOT_SHARE = 0.1;
const LIMIT = 4;
const FACTOR = 3;
const INSTANCES = 8;
const BURST = FULL ? 500 : 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

describe(`load: ${INVOCATIONS} screen-caller invocations at concurrency ${CONCURRENCY}`, () => {
  let local: LocalDynamoDB;

  beforeAll(async () => {
    local = await startLocalDynamoDB();
  });

  afterAll(async () => {
    await local.stop();
  });

  it('answers every call, admits exactly what the limits allow, and auto-blocks the hot caller once', async () => {
    // One 10-minute window for the whole run: admissions are exact within a window.
    const start = Math.ceil(Date.now() / 600_000) * 600_000 + 1000;
    const clock = () => start;
    const config = readScreeningConfig({
      FLOWGUARD_LIMITS: `${LIMIT}/10m`,
      FLOWGUARD_AUTO_BLOCK_FACTOR: String(FACTOR),
      FLOWGUARD_STORE_TIMEOUT_MS: '3000',
    });
    const store = new DynamoScreeningStore({ client: local.client, tableName: local.tableName });
    const handlers = Array.from({ length: INSTANCES }, () =>
      flowHandler(screenCaller(new Screener({ store, config, clock })), {
        env: {},
        config: { logLevel: 'silent', metrics: false, budgetMs: 8000 },
      }),
    );
    const hot = '+14155559999';
    const callers = Array.from(
      { length: CALLERS },
      (_, i) => `+1415${String(3_000_000 + i).padStart(7, '0')}`,
    );
    const calls = Array.from({ length: INVOCATIONS }, (_, i) =>
      i % Math.round(1 / HOT_SHARE) === 0 ? hot : (callers[i % CALLERS] ?? hot),
    );
    const latencies: number[] = [];
    const results: { caller: string; decision: string; error: string }[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        for (let i = next++; i < calls.length; i = next++) {
          const caller = calls[i] ?? hot;
          const t = performance.now();
          const response = await (handlers[(i + worker) % INSTANCES] ?? handlers[0])?.(voiceEvent(caller));
          latencies.push(performance.now() - t);
          results.push({ caller, decision: response?.decision ?? '', error: response?.error ?? 'none' });
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    reportRows([
      {
        group: 'load',
        name: `screen-caller, ${INVOCATIONS} calls at concurrency ${CONCURRENCY}, ${CALLERS} callers + 1 hot, on dynalite`,
        measured: `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ${(INVOCATIONS / seconds).toFixed(0)}/s, 0 errors`,
      },
    ]);
    console.log(
      `load: ${INVOCATIONS} calls in ${seconds.toFixed(1)} s (${(INVOCATIONS / seconds).toFixed(0)}/s), handler p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    );

    expect(results.filter((r) => r.error !== '')).toEqual([]);
    const byCaller = new Map<string, string[]>();
    for (const r of results) byCaller.set(r.caller, [...(byCaller.get(r.caller) ?? []), r.decision]);
    for (const [caller, decisions] of byCaller) {
      const allowed = decisions.filter((d) => d === 'ALLOW').length;
      expect(allowed, caller).toBe(Math.min(decisions.length, LIMIT));
    }
    const hotDecisions = byCaller.get(hot) ?? [];
    expect(hotDecisions.length).toBeGreaterThan(LIMIT * FACTOR);
    // Past its limit the hot caller is refused: throttled until the contact that reaches the
    // threshold writes the block (contacts counted concurrently before it landed stay throttled),
    // blocked from then on.
    expect(hotDecisions.filter((d) => d === 'BLOCK').length).toBeGreaterThanOrEqual(1);
    expect(hotDecisions.at(-1)).toBe('BLOCK');
    const history = await store.history(`tel:${hot}`);
    expect(history.map((h) => h.action)).toEqual(['auto']);
  }, 300_000);

  it(`meets a ${BURST}-contact burst from one number on ${BURST} instances with at most two requests a decision at p99`, async () => {
    const config = readScreeningConfig({
      FLOWGUARD_LIMITS: `${LIMIT}/10m`,
      FLOWGUARD_STORE_TIMEOUT_MS: '5000',
    });
    const client = screeningDynamoClient(config, {
      endpoint: local.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    // Each decision's requests counted apart: the SDK middleware reads which decision it serves.
    const decision = new AsyncLocalStorage<{ requests: number }>();
    client.middlewareStack.add(
      (next) => async (args) => {
        const counter = decision.getStore();
        if (counter) counter.requests += 1;
        return next(args);
      },
      { step: 'initialize', name: 'loadRequestsPerDecision' },
    );
    const store = new DynamoScreeningStore({ client, tableName: local.tableName });
    const caller = '+14155558888';
    // Every contact on a screener of its own, as every Lambda instance would be; no shared caches.
    const screeners = await Promise.all(
      Array.from({ length: BURST }, async () => {
        const screener = new Screener({ store, config });
        await screener.ruleSet();
        return screener;
      }),
    );

    const results = await Promise.all(
      screeners.map(async (screener) => {
        const counter = { requests: 0 };
        const result = await decision.run(counter, () =>
          screener.screen(parseContactEvent(voiceEvent(caller))),
        );
        return { ...result, requests: counter.requests };
      }),
    );
    const requests = results.map((r) => r.requests).sort((a, b) => a - b);
    reportRows([
      {
        group: 'load',
        name: `${BURST}-contact burst of one caller on ${BURST} instances, on dynalite: requests per decision p50 / p99 / max`,
        measured: `${percentile(requests, 50)} / ${percentile(requests, 99)} / ${requests.at(-1)}`,
        target: '<= 2 at p99',
      },
    ]);

    expect(results.filter((r) => r.decision === 'ALLOW' && r.reason === 'ok')).toHaveLength(LIMIT);
    expect(results.every((r) => r.decision !== 'ALLOW' || r.reason === 'ok')).toBe(true);
    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
    expect(percentile(requests, 99)).toBeLessThanOrEqual(2);
  }, 120_000);
});
