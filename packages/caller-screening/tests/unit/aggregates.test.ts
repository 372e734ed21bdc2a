import { parseContactEvent } from '@flowguard/contact';
import { voiceEvent } from '@flowguard/testing';
import { describe, expect, it } from 'vitest';
import {
  Aggregates,
  callCodes,
  parseSurgeThresholds,
  prefixSlot,
  ratesOf,
  SurgeSyntaxError,
  scopeCode,
  scopeName,
  surgeStateOf,
} from '../../src/aggregates.js';
import { readAggregateConfig, readScreeningConfig } from '../../src/config.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { phoneIdentity } from '../../src/identity.js';
import { MemoryScreeningStore } from '../../src/memory-store.js';
import { Screener } from '../../src/screener.js';

/** 2026-03-02T10:00:00Z: a minute boundary. */
const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);

describe('parseSurgeThresholds', () => {
  it('reads dimensions, counts and windows', () => {
    expect(parseSurgeThresholds('all:60/10s, withheld:20/1m,prefix:30/1m,dialled:300/60s')).toEqual([
      { dimension: 'all', count: 60, windowSeconds: 10 },
      { dimension: 'withheld', count: 20, windowSeconds: 60 },
      { dimension: 'prefix', count: 30, windowSeconds: 60 },
      { dimension: 'dialled', count: 300, windowSeconds: 60 },
    ]);
    expect(parseSurgeThresholds('')).toEqual([]);
    expect(parseSurgeThresholds('none')).toEqual([]);
  });

  it('does not spread a flood that stopped early in the previous minute over the minute that follows', () => {
    const thresholds = parseSurgeThresholds('prefix:20/1m');
    const now = T0 / 1000 + 20;
    const minute = Math.floor(now / 60);
    const tag = (m: number) => (m % 1296).toString(36).padStart(2, '0');
    // 600 calls in the first 20 s of the previous minute, 60 of them in prefix slot 7.
    const item: Record<string, number> = {
      [`${tag(minute - 1)}0.a`]: 300,
      [`${tag(minute - 1)}1.a`]: 300,
      [`${tag(minute - 1)}.a`]: 600,
      [`${tag(minute - 1)}.p:7`]: 60,
    };
    const [rate] = ratesOf(thresholds, Object.keys(item), (n) => item[n] ?? 0, now, 1);
    // None of those calls is in the last 60 s: an even spread would have said 40.
    expect(rate?.calls).toBe(0);
  });

  it('reads a threshold for one value of a keyed dimension, which the general one then leaves alone', () => {
    const thresholds = parseSurgeThresholds(
      'dialled:600/1m,dialled=+18005550199:60/1m,country=ng:10/1m,prefix=121255:20/1m',
    );
    expect(thresholds.map((t) => t.code)).toEqual([
      undefined,
      'd:+18005550199',
      'c:NG',
      `p:${prefixSlot('121255')}`,
    ]);
    const now = T0 / 1000 + 30;
    const tag = (Math.floor(now / 60) % 1296).toString(36).padStart(2, '0');
    const item: Record<string, number> = { [`${tag}.d:+18005550199`]: 70, [`${tag}.d:+14155550100`]: 500 };
    const rates = ratesOf(thresholds.slice(0, 2), Object.keys(item), (n) => item[n] ?? 0, now, 1);
    expect(rates.map((r) => [r.code, r.threshold.count, r.calls])).toEqual([
      ['d:+14155550100', 600, 500],
      ['d:+18005550199', 60, 70],
    ]);
  });

  it.each([
    ['all=x:5/1m', /only dialled, prefix, country and line take a value/],
    ['dialled=12345:5/1m', /not an E.164 number/],
    ['everything:5/1m', /unknown dimension/],
    ['all:5/5m', /expected/],
    ['prefix:5/10s', /10s window/],
    ['all:0/1m', /at least 1/],
    ['all:5/1m,all:6/60s', /two thresholds/],
    ['all:5', /expected/],
  ])('refuses %s', (text, message) => {
    expect(() => parseSurgeThresholds(text)).toThrow(SurgeSyntaxError);
    expect(() => parseSurgeThresholds(text)).toThrow(message);
  });
});

describe('callCodes and scopes', () => {
  it('counts a phone caller by all, dialled number, prefix, country and line type', () => {
    const caller = phoneIdentity('+14155550123', 'US');
    expect(callCodes(caller, '+18005550100', 6)).toEqual([
      'a',
      'd:+18005550100',
      `p:${prefixSlot('141555')}`,
      'c:US',
      `l:${caller.lineType}`,
    ]);
  });

  it('counts an invalid number as invalid, and ignores a dialled value that is not E.164', () => {
    const caller = phoneIdentity('+1415555', 'US');
    const codes = callCodes(caller, 'sip:evil@example', 6);
    expect(codes).toContain('i');
    expect(codes.some((c) => c.startsWith('d:'))).toBe(false);
  });

  it('names scopes both ways', () => {
    for (const name of ['all', 'withheld', 'manual', 'prefix:17', 'country:NG', 'dialled:+18005550100'])
      expect(scopeName(scopeCode(name) ?? '')).toBe(name);
    expect(scopeCode('country:<script>')).toBeNull();
    expect(scopeCode('everything')).toBeNull();
  });

  it('spreads prefixes over the slots', () => {
    const slots = new Set<number>();
    for (let i = 0; i < 1000; i++) slots.add(prefixSlot(String(100_000 + i * 37)));
    expect(slots.size).toBe(64);
  });
});

describe('ratesOf', () => {
  it('weighs the previous window by how much of it the sliding window still covers', () => {
    const thresholds = parseSurgeThresholds('all:60/10s,all:100/1m');
    // 10:00:05: slot 0 of minute m; the previous slot is slot 5 of the minute before.
    const now = T0 / 1000 + 5;
    const minute = Math.floor(now / 60);
    const tag = (m: number) => (m % 1296).toString(36).padStart(2, '0');
    const item: Record<string, number> = {
      [`${tag(minute)}0.a`]: 10,
      [`${tag(minute - 1)}5.a`]: 40,
      [`${tag(minute)}.a`]: 10,
      [`${tag(minute - 1)}.a`]: 120,
    };
    const rates = ratesOf(thresholds, Object.keys(item), (n) => item[n] ?? 0, now, 1);
    // The previous minute's calls all came in its last 10 s (slot 5), all still covered.
    expect(rates.map((r) => r.calls)).toEqual([10 + 40 * 0.5, 10 + 120]);
    // Spread over the minute instead (no slot counts): 55 of its 60 s still covered.
    delete item[`${tag(minute - 1)}5.a`];
    const even = ratesOf(thresholds, Object.keys(item), (n) => item[n] ?? 0, now, 1);
    expect(even.map((r) => r.calls)).toEqual([10, 10 + 120 * (55 / 60)]);
    // Two shards: one shard's counts stand for half.
    expect(ratesOf(thresholds, Object.keys(item), (n) => item[n] ?? 0, now, 2)[0]?.calls).toBe(20);
  });
});

describe('Aggregates', () => {
  const setup = (env: Record<string, string>) => {
    const clock = { ms: T0 };
    const store = new MemoryScreeningStore();
    const config = readAggregateConfig({ FLOWGUARD_SURGE_THRESHOLDS: 'all:20/10s', ...env });
    const instance = () => new Aggregates({ config, store, clock: () => clock.ms });
    return { clock, store, instance };
  };

  it('starts a surge when the rate crosses, once across instances, and ends it after the hold', async () => {
    const { clock, store, instance } = setup({
      FLOWGUARD_SURGE_THRESHOLDS: 'all:200/10s',
      FLOWGUARD_SURGE_HOLD: '30s',
    });
    const a = instance();
    const b = instance();
    let contact = 0;
    const events: string[] = [];
    const call = async (x: Aggregates) => {
      x.record(`c${contact++}`, ['a']);
      if (x.due()) for (const e of await x.flush()) events.push(`${e.kind}:${e.scope}`);
    };
    // 30 calls a second on each instance: 60/s, 600 per 10 s, over the threshold of 200.
    for (let s = 0; s < 6; s++) {
      for (let i = 0; i < 30; i++) {
        await call(a);
        await call(b);
      }
      clock.ms += 1000;
    }
    expect(events).toEqual(['started:all']);
    expect(a.surgeFor(['a'])).toBe('all');
    expect(b.surgeFor(['a'])).toBe('all');
    expect(surgeStateOf(await store.readAggregates(0)).scopes.map((s) => s.code)).toEqual(['a']);

    // Quiet: one call every 2 s, well under the lower threshold (100 per 10 s); a quiet instance
    // flushes every 10 intervals.
    for (let s = 0; s < 60; s += 2) {
      await call(a);
      clock.ms += 2000;
    }
    expect(events).toEqual(['started:all', 'ended:all']);
    expect(a.surgeFor(['a'])).toBeNull();
    expect(surgeStateOf(await store.readAggregates(0)).scopes).toEqual([]);
  });

  it('keeps a surge on while the rate stays above the lower threshold (hysteresis)', async () => {
    const { clock, instance } = setup({
      FLOWGUARD_SURGE_THRESHOLDS: 'all:200/10s',
      FLOWGUARD_SURGE_HOLD: '20s',
      FLOWGUARD_SURGE_OFF_PERCENT: '50',
    });
    const a = instance();
    let contact = 0;
    const events: string[] = [];
    /** `calls` contacts every `every` seconds, for `seconds`. */
    const run = async (seconds: number, calls: number, every: number) => {
      for (let s = 0; s < seconds; s += every) {
        for (let i = 0; i < calls; i++) {
          a.record(`c${contact++}`, ['a']);
          if (a.due()) for (const e of await a.flush()) events.push(e.kind);
        }
        clock.ms += every * 1000;
      }
    };
    await run(10, 40, 1); // 400 per 10 s: starts
    await run(90, 30, 2); // 150 per 10 s: under 200, over 100: stays on
    expect(events).toEqual(['started']);
    expect(a.surgeFor(['a'])).toBe('all');
    await run(60, 1, 3); // about 3 per 10 s: ends after the hold (quiet flushes come every 10 s)
    expect(events).toEqual(['started', 'ended']);
  });

  it('writes each counter at most once per flush interval, whatever the call rate', async () => {
    const { clock, store, instance } = setup({});
    const writes: number[] = [];
    const counting = {
      ...store,
      updateAggregates: (update: Parameters<typeof store.updateAggregates>[0]) => {
        writes.push(clock.ms);
        return store.updateAggregates(update);
      },
    } as unknown as MemoryScreeningStore;
    const config = readAggregateConfig({});
    const a = new Aggregates({ config, store: counting, clock: () => clock.ms });
    for (let i = 0; i < 5000; i++) {
      a.record(`c${i}`, ['a', 'w']);
      if (a.due()) await a.flush();
      clock.ms += 2; // 500 calls a second for 10 s
    }
    expect(writes.length).toBe(10);
    const item = await store.readAggregates(0);
    const total = Object.entries(item)
      .filter(([name]) => /^[0-9a-z]{2}\.a$/.test(name))
      .reduce((sum, [, v]) => sum + Number(v), 0);
    // Everything but the counts since the last flush is in the item.
    expect(total).toBeGreaterThan(4500);
    expect(instance()).toBeInstanceOf(Aggregates);
  });

  it('flushes a quiet instance only every ten intervals, and a cold one at once', async () => {
    const { clock, instance } = setup({});
    const a = instance();
    const flushedAt: number[] = [];
    for (let s = 0; s < 60; s += 2) {
      a.record(`c${s}`, ['a']);
      if (a.due()) {
        flushedAt.push(s);
        await a.flush();
      }
      clock.ms += 2000;
    }
    expect(flushedAt).toEqual([0, 10, 20, 30, 40, 50]);
  });

  it('asks the item before a quiet instance believes a surge has lapsed, so no call slips through on an old view', async () => {
    const { clock, instance } = setup({
      FLOWGUARD_SURGE_THRESHOLDS: 'all:20/10s',
      FLOWGUARD_SURGE_HOLD: '10s',
    });
    const busy = instance();
    const quiet = instance();
    quiet.record('q0', ['a']);
    await quiet.flush();
    // A flood on the busy instance puts all in surge; the quiet one reads it once.
    for (let s = 0; s < 4; s++) {
      for (let i = 0; i < 30; i++) {
        busy.record(`b${s}-${i}`, ['a']);
        if (busy.due(['a'])) await busy.flush();
      }
      clock.ms += 1000;
    }
    await quiet.flush();
    expect(quiet.surgeFor(['a'])).toBe('all');
    // The rate stays over the lower threshold (10 per 10 s) on the busy instance, which refreshes
    // the surge; 9 s later the surge has lapsed in the quiet instance's view (it started about 1 s
    // in), so a flush is due before that instance answers.
    for (let s = 0; s < 9; s++) {
      for (let i = 0; i < 2; i++) {
        busy.record(`c${s}-${i}`, ['a']);
        if (busy.due(['a'])) await busy.flush();
      }
      clock.ms += 1000;
    }
    expect(quiet.due(['a'])).toBe(true);
    await quiet.flush();
    expect(quiet.surgeFor(['a'])).toBe('all');
  });

  it('starts no narrower scope while everyone is in surge already', async () => {
    // 40 calls a second: all crosses 100/10s at 2.5 s, country 150/1m at 3.75 s.
    const { clock, store, instance } = setup({ FLOWGUARD_SURGE_THRESHOLDS: 'all:100/10s,country:150/1m' });
    const a = instance();
    for (let s = 0; s < 5; s++) {
      for (let i = 0; i < 40; i++) {
        a.record(`c${s}-${i}`, ['a', 'c:US']);
        if (a.due()) await a.flush();
      }
      clock.ms += 1000;
    }
    expect(surgeStateOf(await store.readAggregates(0)).scopes.map((x) => x.code)).toEqual(['a']);
  });

  it('counts a contact once however often it is recorded', async () => {
    const { store, instance } = setup({});
    const a = instance();
    for (let i = 0; i < 3; i++) a.record('same-contact', ['a']);
    await a.flush();
    const item = await store.readAggregates(0);
    expect(
      Object.entries(item)
        .filter(([n]) => n.endsWith('.a'))
        .map(([, v]) => v),
    ).toEqual([1, 1]);
  });

  it('removes counters older than the previous minute', async () => {
    const { clock, store, instance } = setup({});
    const a = instance();
    a.record('c1', ['a', 'c:US']);
    await a.flush();
    clock.ms += 61_000;
    a.record('c2', ['a']);
    await a.flush();
    clock.ms += 61_000;
    a.record('c3', ['a']);
    await a.flush();
    const names = Object.keys(await store.readAggregates(0)).sort();
    const tag = (ms: number) => (Math.floor(ms / 60_000) % 1296).toString(36).padStart(2, '0');
    expect(names.every((n) => n.startsWith(tag(clock.ms)) || n.startsWith(tag(clock.ms - 60_000)))).toBe(
      true,
    );
  });

  it('answers a manual surge for every contact until it ends', async () => {
    const { clock, store, instance } = setup({ FLOWGUARD_SURGE_THRESHOLDS: '' });
    await store.updateAggregates({ shard: 0, set: { m: T0 / 1000 + 60, mby: 'ops' } });
    const a = instance();
    const b = instance();
    a.record('c1', ['a']);
    const started = [...(await a.flush()), ...(await b.flush())];
    expect(started).toEqual([{ kind: 'started', scope: 'manual', calls: 0, threshold: 'by ops' }]);
    expect(a.surgeFor(['a', 'c:US'])).toBe('manual');
    expect(b.surgeFor(['a'])).toBe('manual');
    clock.ms += 61_000;
    expect(a.surgeFor(['a'])).toBeNull();
    const ended = [...(await a.flush()), ...(await b.flush())];
    expect(ended).toEqual([{ kind: 'ended', scope: 'manual', calls: 0, threshold: '' }]);
    expect((await store.readAggregates(0)).ms).toBeUndefined();
  });

  it('keeps counts a failed flush could not write, for the next', async () => {
    const { store } = setup({});
    let fail = true;
    const flaky = {
      updateAggregates: (update: Parameters<typeof store.updateAggregates>[0]) => {
        if (fail) return Promise.reject(new Error('down'));
        return store.updateAggregates(update);
      },
    } as unknown as MemoryScreeningStore;
    const clock = { ms: T0 };
    const a = new Aggregates({ config: readAggregateConfig({}), store: flaky, clock: () => clock.ms });
    a.record('c1', ['a']);
    await expect(a.flush()).rejects.toThrow('down');
    fail = false;
    clock.ms += 1000;
    a.record('c2', ['a']);
    await a.flush();
    const item = await store.readAggregates(0);
    const tag = (Math.floor(T0 / 60_000) % 1296).toString(36).padStart(2, '0');
    expect(item[`${tag}.a`]).toBe(2);
  });
});

describe('surge when the store fails', () => {
  it('still challenges in a surge the instance saw, while the in-memory limits answer for the store', async () => {
    const inner = new MemoryScreeningStore();
    let down = false;
    const failing = new Proxy(inner, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          down && name !== 'loadRules'
            ? Promise.reject(new StoreUnavailableError(String(name)))
            : value.apply(target, args);
      },
    });
    const clock = { ms: T0 };
    const screener = new Screener({
      store: failing,
      config: readScreeningConfig({ FLOWGUARD_LIMITS: '5/10m' }),
      clock: () => clock.ms,
    });
    await inner.updateAggregates({ shard: 0, set: { m: T0 / 1000 + 600, mby: 'ops' } });
    const events: string[] = [];
    const call = (n: string) =>
      screener.screen(parseContactEvent(voiceEvent(n)), {
        voice: {},
        onEvent: (e) => events.push(e),
      });
    expect(await call('+14155550101')).toMatchObject({ decision: 'CHALLENGE', rule: 'surge:manual' });
    down = true;
    clock.ms += 20_000;
    const during = await call('+14155550102');
    expect(during).toMatchObject({ decision: 'CHALLENGE', reason: 'surge', error: 'store_unavailable' });
    expect(events).toContain('AggregateFlushFailed');
  });
});
