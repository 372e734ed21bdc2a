// screen-caller under store faults, through a fault-injecting proxy in front of dynalite: an
// answer inside the budget with the fail mode and a reason, recovery once the fault clears, and
// no contact counted twice when a write succeeded but its answer was lost.
import {
  DynamoScreeningStore,
  readScreeningConfig,
  Screener,
  screenCaller,
  screeningDynamoClient,
} from '@flowguard/caller-screening';
import { flowHandler } from '@flowguard/contact';
import {
  type FaultProxy,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalDynamoDB,
  startFaultProxy,
  startLocalDynamoDB,
  voiceEvent,
} from '@flowguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const BUDGET = 1500;

describe('screen-caller under store faults', () => {
  let local: LocalDynamoDB;
  let proxy: FaultProxy;
  let store: DynamoScreeningStore;
  let handler: ReturnType<typeof flowHandler>;
  let caller = 0;
  const nextCaller = () => `+1415556${String(1000 + ++caller).slice(-4)}`;

  beforeAll(async () => {
    local = await startLocalDynamoDB();
    proxy = await startFaultProxy(local.endpoint);
    const config = readScreeningConfig({
      FLOWGUARD_LIMITS: '3/10m',
      FLOWGUARD_STORE_TIMEOUT_MS: '300',
      FLOWGUARD_STORE_ATTEMPTS: '3',
      FLOWGUARD_BLOCK_CACHE_SECONDS: '0',
    });
    const client = screeningDynamoClient(config, {
      region: LOCAL_REGION,
      endpoint: proxy.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    store = new DynamoScreeningStore({ client, tableName: local.tableName });
    const screener = new Screener({ store, config });
    await screener.ruleSet();
    handler = flowHandler(screenCaller(screener), {
      env: {},
      config: { logLevel: 'silent', metrics: false, budgetMs: BUDGET },
    });
  });

  afterAll(async () => {
    await proxy.stop();
    await local.stop();
  });

  beforeEach(() => {
    proxy.clear();
  });

  it.each([
    ['latency beyond the client timeout', { kind: 'latency', ms: 15_000 } as const],
    ['dropped connections', { kind: 'drop' } as const],
    ['HTTP 500s', { kind: 'status', status: 500 } as const],
    ['throttling', { kind: 'throttle' } as const],
    ['malformed bodies', { kind: 'malformed' } as const],
  ])('answers %s inside the budget with ALLOW, reason store_unavailable, then recovers', async (_, fault) => {
    const number = nextCaller();
    proxy.inject(fault);
    const started = performance.now();

    const during = await handler(voiceEvent(number));
    const elapsed = performance.now() - started;
    proxy.clear();
    const after = await handler(voiceEvent(number));

    expect(during).toMatchObject({ decision: 'ALLOW', reason: 'store_unavailable' });
    expect(['store_unavailable', 'timeout']).toContain(during.error);
    // Answered at the budget, not after the 15 s fault: the bound is generous, not a measurement.
    expect(elapsed).toBeLessThan(BUDGET + 4000);
    expect(after).toMatchObject({ decision: 'ALLOW', reason: 'ok', error: '' });
  });

  it('rides out a fault that clears before the retries run out', async () => {
    const number = nextCaller();
    proxy.inject({ kind: 'status', status: 500 }, 1);

    const response = await handler(voiceEvent(number));

    expect(response).toMatchObject({ decision: 'ALLOW', reason: 'ok', error: '' });
  });

  it('never counts a contact twice when its write landed but the answer was lost', async () => {
    const number = nextCaller();
    const event = voiceEvent(number);
    proxy.inject({ kind: 'drop-after' }, 1);
    const before = proxy.seen.get('UpdateItem') ?? 0;

    const first = await handler(event);
    // The lost answer made the client send the same UpdateItem again; the store saw it as a repeat.
    const afterFirst = (proxy.seen.get('UpdateItem') ?? 0) - before;
    const again = await handler(event);
    const state = await store.getState(`tel:${number}`);
    const counted = [...(state?.counts.entries() ?? [])].find(([name]) => name.startsWith('n600_'))?.[1];

    expect(first).toMatchObject({ decision: 'ALLOW', error: '' });
    expect(again).toMatchObject({ decision: 'ALLOW', error: '' });
    expect(afterFirst).toBe(2);
    expect(counted).toBe(1);
  });
});
