import {
  readScreeningConfig,
  Screener,
  type ScreeningStore,
  StoreUnavailableError,
} from '@flowguard/caller-screening';
import { parseContactEvent } from '@flowguard/contact';
import { voiceEvent } from '@flowguard/testing';
import { describe, expect, it } from 'vitest';
import { cli, localTables, NOW, NOW_MS } from './support/cli.js';

let store: ScreeningStore;
localTables((fresh) => {
  store = fresh;
});

const TWO_SHARDS = { FLOWGUARD_AGGREGATE_SHARDS: '2', USER: 'alice' };
/** The counter names of `code` at NOW (minute tag in base 36; NOW is the first second of a minute: slot 0). */
const minuteTag = (seconds: number) => (Math.floor(seconds / 60) % 1296).toString(36).padStart(2, '0');
const TAG = minuteTag(NOW);

async function items(shards = 2) {
  return Promise.all(Array.from({ length: shards }, (_, shard) => store.readAggregates(shard)));
}

describe('flowguard surge', () => {
  it('turns a manual surge on across every shard, shows it, and turns it off', async () => {
    const on = await cli(['surge', 'on', '--for', '30m'], { store, env: TWO_SHARDS });
    expect(on.code).toBe(0);
    expect(on.err).toBe('');
    expect(on.out.split('\n')[0]).toBe(
      'manual surge on until 2025-06-01T12:30:00Z (30m) on 2 shards, by alice',
    );
    expect(on.out).toContain('CHALLENGE');
    for (const item of await items()) expect(item).toEqual({ m: NOW + 1800, mby: 'alice' });

    const later = () => NOW_MS + 60_000;
    const status = await cli(['surge', 'status'], { store, env: TWO_SHARDS, now: later });
    expect(status).toEqual({
      code: 0,
      err: '',
      out: [
        'surge: on (manual)',
        'manual: on until 2025-06-01T12:30:00Z (29m left), by alice',
        'scopes: none in surge',
        'thresholds: none configured here (FLOWGUARD_SURGE_THRESHOLDS is empty): no automatic surge to measure',
        '',
      ].join('\n'),
    });
    const json = JSON.parse(
      (await cli(['surge', 'status', '--json'], { store, env: TWO_SHARDS, now: later })).out,
    );
    expect(json).toMatchObject({
      surge: true,
      in: ['manual'],
      shards: 2,
      manual: { until: '2025-06-01T12:30:00Z', by: 'alice', remainingSeconds: 1740 },
      scopes: [],
      thresholds: [],
      warnings: [],
    });

    const off = await cli(['surge', 'off'], { store, env: TWO_SHARDS, now: later });
    expect(off.code).toBe(0);
    expect(off.out.split('\n')).toEqual([
      'ended manual surge (was until 2025-06-01T12:30:00Z, by alice)',
      'note: an automatic scope starts again at the next flush while its rate is still at its threshold (FLOWGUARD_SURGE_THRESHOLDS)',
      '',
    ]);
    for (const item of await items()) expect(item).toEqual({});
    expect((await cli(['surge', 'status'], { store, env: TWO_SHARDS })).out.split('\n')[0]).toBe(
      'surge: off',
    );
    expect((await cli(['surge', 'off'], { store, env: TWO_SHARDS })).out.split('\n')[0]).toBe(
      'no surge on; nothing changed',
    );
  });

  it('replaces the end of a manual surge already on, shorter too, and says what it replaced', async () => {
    await cli(['surge', 'on', '--for', '2h', '--by', 'bob'], { store });
    const shorter = await cli(['surge', 'on', '--for', '10m', '--json'], { store, env: { USER: 'carol' } });
    expect(JSON.parse(shorter.out)).toEqual({
      surge: 'on',
      until: '2025-06-01T12:10:00Z',
      seconds: 600,
      by: 'carol',
      shards: 1,
      replaced: { until: '2025-06-01T14:00:00Z', by: 'bob' },
    });
    expect(await store.readAggregates(0)).toEqual({ m: NOW + 600, mby: 'carol' });
    const again = await cli(['surge', 'on', '--for', '1h'], { store });
    expect(again.out).toContain(
      'replaced: the manual surge until 2025-06-01T12:10:00Z by carol (surge on sets the end, shorter or longer)',
    );
  });

  it('shows an automatic scope screen-caller started, live or lapsed, and the rates against the thresholds', async () => {
    // As a flush and a surge start write them: counters on both shards, the scope on both.
    await store.updateAggregates({
      shard: 0,
      add: { [`${TAG}.a`]: 50, [`${TAG}0.a`]: 40, [`${TAG}.w`]: 12 },
    });
    await store.updateAggregates({
      shard: 1,
      add: { [`${TAG}.a`]: 30, [`${TAG}0.a`]: 25, [`${TAG}.p:17`]: 31 },
    });
    for (const shard of [0, 1]) {
      await store.updateAggregates({
        shard,
        set: { 'h.a': NOW - 5 },
        setIfAbsent: { 's.a': NOW - 60 },
        returnOld: true,
      });
      await store.updateAggregates({
        shard,
        set: { 'h.p:17': NOW - 600 },
        setIfAbsent: { 's.p:17': NOW - 900 },
      });
    }
    const env = {
      ...TWO_SHARDS,
      FLOWGUARD_SURGE_THRESHOLDS: 'all:60/10s,withheld:20/1m,prefix:30/1m,dialled:300/1m',
    };
    const status = await cli(['surge', 'status'], { store, env });
    expect(status.code).toBe(0);
    expect(status.out.split('\n')).toEqual([
      'surge: on (all)',
      'manual: off',
      'scope prefix:17: lapsed, since 2025-06-01T11:45:00Z, last above 2025-06-01T11:50:00Z (10m ago, over the 2m hold: ends at the next flush)',
      'scope all: live, since 2025-06-01T11:59:00Z, last above 2025-06-01T11:59:55Z (5s ago)',
      'thresholds: off below 50% for 2m',
      'rate all:60/10s all: 65 calls in 10s, on at 60, off below 30: above',
      'rate withheld:20/1m withheld: 12 calls in 1m, on at 20, off below 10: between',
      'rate prefix:30/1m prefix:17: 31 calls in 1m, on at 30, off below 15: above',
      'rate dialled:300/1m: no calls counted',
      '',
    ]);
    const json = JSON.parse((await cli(['surge', 'status', '--json'], { store, env })).out);
    expect(json.scopes).toEqual([
      { scope: 'prefix:17', since: '2025-06-01T11:45:00Z', lastAbove: '2025-06-01T11:50:00Z', live: false },
      { scope: 'all', since: '2025-06-01T11:59:00Z', lastAbove: '2025-06-01T11:59:55Z', live: true },
    ]);
    expect(json.thresholds[0]).toEqual({
      threshold: 'all:60/10s',
      scope: 'all',
      window: '10s',
      calls: 65,
      on: 60,
      off: 30,
      level: 'above',
    });

    const off = await cli(['surge', 'off'], { store, env });
    expect(off.out).toContain('ended automatic surge prefix:17 (since 2025-06-01T11:45:00Z)\n');
    expect(off.out).toContain('ended automatic surge all (since 2025-06-01T11:59:00Z)\n');
    // The counters stay: only the surge state goes.
    const [first] = await items();
    expect(Object.keys(first ?? {}).sort()).toEqual([`${TAG}.a`, `${TAG}.w`, `${TAG}0.a`]);
  });

  it('ends one scope with --scope and leaves the others and the manual surge', async () => {
    for (const shard of [0, 1]) {
      await store.updateAggregates({ shard, set: { 'h.a': NOW - 5, 's.a': NOW - 60 } });
      await store.updateAggregates({ shard, set: { 'h.p:17': NOW - 5, 's.p:17': NOW - 90 } });
    }
    await cli(['surge', 'on', '--for', '10m', '--by', 'dana'], { store, env: TWO_SHARDS });

    const off = await cli(['surge', 'off', '--scope', 'prefix:17'], { store, env: TWO_SHARDS });
    expect(off.code).toBe(0);
    expect(off.out.split('\n')[0]).toBe('ended automatic surge prefix:17 (since 2025-06-01T11:58:30Z)');
    for (const item of await items()) {
      expect(Object.keys(item).sort()).toEqual(['h.a', 'm', 'mby', 's.a']);
    }
    const manual = await cli(['surge', 'off', '--scope', 'manual'], { store, env: TWO_SHARDS });
    expect(manual.out.split('\n')[0]).toMatch(/^ended manual surge \(was until .*, by dana\)$/);
    for (const item of await items()) expect(Object.keys(item).sort()).toEqual(['h.a', 's.a']);
    const again = await cli(['surge', 'off', '--scope', 'prefix:17'], { store, env: TWO_SHARDS });
    expect(again.out.split('\n')[0]).toBe('no surge prefix:17 on; nothing changed');

    const bad = await cli(['surge', 'off', '--scope', 'everyone'], { store, env: TWO_SHARDS });
    expect(bad.code).toBe(2);
    expect(bad.err.split('\n')[0]).toMatch(/^flowguard: --scope: not a scope name/);
    for (const item of await items()) expect(Object.keys(item).sort()).toEqual(['h.a', 's.a']);
  });

  it('finds shard items beyond FLOWGUARD_AGGREGATE_SHARDS and writes them too', async () => {
    await store.updateAggregates({ shard: 2, add: { [`${TAG}.a`]: 1 } });
    const on = await cli(['surge', 'on', '--for', '5m'], { store });
    expect(on.out).toContain('on 3 shards');
    expect(on.out).toContain('beyond FLOWGUARD_AGGREGATE_SHARDS=1 here');
    expect((await items(3)).map((item) => item.m)).toEqual([NOW + 300, NOW + 300, NOW + 300]);
  });

  it.each([
    [
      ['surge', 'on'],
      'flowguard: --for is required: how long the manual surge lasts, 1m to 7d (e.g. --for 30m)',
    ],
    [['surge', 'on', '--for', 'soon'], "flowguard: --for 'soon': a duration is <n><s|m|h|d>, e.g. 30m or 7d"],
    [['surge', 'on', '--for', '30s'], "flowguard: --for '30s': a manual surge lasts 1m to 7d"],
    [['surge', 'on', '--for', '8d'], "flowguard: --for '8d': a manual surge lasts 1m to 7d"],
    [['surge', 'on', '--for'], "flowguard: option '--for <value>' argument missing"],
    [['surge', 'frob'], "flowguard: unknown command 'surge frob'"],
    [['surge'], "flowguard: 'flowguard surge' needs a command"],
    [['surge', 'off', 'now'], "flowguard: unexpected argument 'now'"],
  ])('refuses %j with exit 2 and writes nothing', async (argv, message) => {
    const r = await cli(argv, { store, env: TWO_SHARDS });
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')[0]).toBe(message);
    for (const item of await items()) expect(item).toEqual({});
  });

  it('refuses a bad aggregate setting in the environment, naming it', async () => {
    const shards = await cli(['surge', 'on', '--for', '5m'], {
      store,
      env: { FLOWGUARD_AGGREGATE_SHARDS: '99' },
    });
    expect(shards.code).toBe(2);
    expect(shards.err).toMatch(/^flowguard: FLOWGUARD_AGGREGATE_SHARDS: /);
    const thresholds = await cli(['surge', 'status'], {
      store,
      env: { FLOWGUARD_SURGE_THRESHOLDS: 'all:x' },
    });
    expect(thresholds.code).toBe(2);
    expect(thresholds.err).toMatch(/^flowguard: FLOWGUARD_SURGE_THRESHOLDS: "all:x": expected/);
    expect(await store.readAggregates(0)).toEqual({});
  });

  it('exits 1 with one line when the store fails, saying how far it got', async () => {
    const failing = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property === 'updateAggregates')
          return async (update: { shard: number }) => {
            if (update.shard === 1) throw new StoreUnavailableError('aggregate');
            return value.call(target, update);
          };
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const r = await cli(['surge', 'on', '--for', '5m'], { store: failing, env: TWO_SHARDS });
    expect(r).toEqual({
      code: 1,
      out: '',
      err: 'flowguard: surge on stopped after 1 of 2 shards (run it again): store unavailable: store aggregate failed\n',
    });
    const down = await cli(['surge', 'status'], {
      store: new Proxy(store, {
        get: (target, property) =>
          property === 'readAggregates'
            ? () => Promise.reject(new StoreUnavailableError('aggregate read'))
            : Reflect.get(target, property),
      }),
    });
    expect(down).toMatchObject({ code: 1, out: '' });
    expect(down.err).toMatch(/^flowguard: reading the aggregate items: store unavailable: /);
  });

  it('prints help without touching the store', async () => {
    for (const name of ['on', 'off', 'status']) {
      const r = await cli(['surge', name, '--help'], { env: { FLOWGUARD_TABLE_NAME: '!' } });
      expect(r.code).toBe(0);
      expect(r.out.split('\n')[0]).toMatch(new RegExp(`^usage: flowguard surge ${name}\\b`));
    }
    expect((await cli(['surge', 'on', '--help'])).out.split('\n')[0]).toBe(
      'usage: flowguard surge on --for <time> [options]',
    );
  });
});

describe('a manual surge, as screen-caller sees it', () => {
  const contact = parseContactEvent(voiceEvent('+14155550123'));
  const screener = () =>
    new Screener({
      store,
      config: readScreeningConfig({ FLOWGUARD_AGGREGATES: 'on', FLOWGUARD_AGGREGATE_SHARDS: '2' }),
      clock: () => NOW_MS + 1000,
    });

  it('challenges a voice caller after surge on, and allows it again after surge off', async () => {
    expect((await screener().screen(contact, { voice: {} })).decision).toBe('ALLOW');

    await cli(['surge', 'on', '--for', '15m'], { store, env: TWO_SHARDS });
    const during = await screener().screen(contact, { voice: {} });
    expect(during).toMatchObject({ decision: 'CHALLENGE', reason: 'surge', rule: 'surge:manual' });
    // Not a voice contact: no surge applies.
    expect((await screener().screen(contact)).decision).toBe('ALLOW');

    await cli(['surge', 'off'], { store, env: TWO_SHARDS });
    const after = await screener().screen(contact, { voice: {} });
    expect(after).toMatchObject({ decision: 'ALLOW', rule: '' });
  });

  // A running instance keeps its view until its next flush: a quiet one flushes less often than
  // every FLOWGUARD_AGGREGATE_FLUSH_MS, so the clock moves a minute.
  it('reaches a running instance at its next flush', async () => {
    let now = NOW_MS;
    const running = new Screener({
      store,
      config: readScreeningConfig({ FLOWGUARD_AGGREGATE_FLUSH_MS: '1000' }),
      clock: () => now,
    });
    expect((await running.screen(contact, { voice: {} })).decision).toBe('ALLOW');
    await cli(['surge', 'on', '--for', '1h'], { store });
    now += 60_000;
    expect(await running.screen({ ...contact, initialContactId: 'c2' }, { voice: {} })).toMatchObject({
      decision: 'CHALLENGE',
      rule: 'surge:manual',
    });
    await cli(['surge', 'off'], { store });
    now += 60_000;
    expect((await running.screen({ ...contact, initialContactId: 'c3' }, { voice: {} })).decision).toBe(
      'ALLOW',
    );
  });
});
