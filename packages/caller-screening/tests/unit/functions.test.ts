import { flowHandler } from '@flowguard/contact';
import { voiceEvent } from '@flowguard/testing';
import { describe, expect, it } from 'vitest';
import { readScreeningConfig } from '../../src/config.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { FAIL_OPEN_METRIC, screenCaller } from '../../src/functions.js';
import { MemoryScreeningStore } from '../../src/memory-store.js';
import { Screener } from '../../src/screener.js';
import type { ScreeningStore } from '../../src/store.js';

/** A store every request to which fails as a store outage does (refused, or timed out). */
function downStore(timedOut: boolean): ScreeningStore {
  const store = new MemoryScreeningStore();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return () => Promise.reject(new StoreUnavailableError(String(property), { timedOut }));
    },
  });
}

/** screen-caller on `store` with fail mode `failMode`, its EMF lines parsed. */
function screening(store: ScreeningStore, failMode: 'open' | 'closed') {
  const lines: string[] = [];
  const config = readScreeningConfig({ FLOWGUARD_FAIL_MODE: failMode });
  const handler = flowHandler(screenCaller(new Screener({ store, config })), {
    env: {},
    config: { logLevel: 'silent', metrics: true },
    metricSink: (line) => lines.push(line),
  });
  const metrics = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { handler, metrics };
}

describe('screen-caller FailOpen metric', () => {
  it('counts an ALLOW given because the store was down, with the store outcome', async () => {
    const { handler, metrics } = screening(downStore(false), 'open');

    const response = await handler(voiceEvent('+14155550123'));

    expect(response.decision).toBe('ALLOW');
    expect(metrics()[0]).toMatchObject({
      function: 'screen-caller',
      outcome: 'store_unavailable',
      [FAIL_OPEN_METRIC]: 1,
    });
  });

  it('counts an ALLOW given because the store timed out, with outcome timeout', async () => {
    const { handler, metrics } = screening(downStore(true), 'open');

    const response = await handler(voiceEvent('+14155550123'));

    expect(response.decision).toBe('ALLOW');
    expect(metrics()[0]).toMatchObject({ outcome: 'timeout', [FAIL_OPEN_METRIC]: 1 });
  });

  it('counts the fail-mode ALLOW of a call it could not screen at all (a bad parameter)', async () => {
    const { handler, metrics } = screening(new MemoryScreeningStore(), 'open');

    const response = await handler(voiceEvent('+14155550123', { parameters: { unidentified: 'maybe' } }));

    expect(response).toMatchObject({ decision: 'ALLOW', error: 'bad_parameter' });
    expect(metrics()[0]).toMatchObject({ outcome: 'bad_parameter', [FAIL_OPEN_METRIC]: 1 });
  });

  it('does not count a screened ALLOW', async () => {
    const { handler, metrics } = screening(new MemoryScreeningStore(), 'open');

    const response = await handler(voiceEvent('+14155550123'));

    expect(response.decision).toBe('ALLOW');
    expect(metrics()[0]).toMatchObject({ outcome: 'ok', Allow: 1 });
    expect(metrics()[0]).not.toHaveProperty(FAIL_OPEN_METRIC);
  });

  it('does not count anything as fail-open when the fail mode is closed', async () => {
    const down = screening(downStore(false), 'closed');
    const bad = screening(new MemoryScreeningStore(), 'closed');

    const blocked = await down.handler(voiceEvent('+14155550123'));
    const failed = await bad.handler(voiceEvent('+14155550123', { parameters: { unidentified: 'maybe' } }));

    expect([blocked.decision, failed.decision]).toEqual(['BLOCK', 'BLOCK']);
    for (const line of [...down.metrics(), ...bad.metrics()])
      expect(line).not.toHaveProperty(FAIL_OPEN_METRIC);
  });
});
