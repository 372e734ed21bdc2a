import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { chatEvent, transferEvent, voiceEvent } from '@flowguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { phoneIdentity } from '../../src/identity.js';
import { callSignals } from '../../src/signals.js';
import { contactOf, distinctContacts, type Rig, startRig, T0, windowStart } from './helpers.js';

const CALLER = '+14155550123';
let sequence = 0;
/** A distinct caller per test, so tests sharing one table never see each other's counts. */
function nextCaller(): string {
  sequence += 1;
  return `+1415555${String(1000 + sequence).slice(-4)}`;
}

describe('Screener against dynalite', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ FLOWGUARD_AUTO_BLOCK_FACTOR: '0' });
    // Load the (empty) rules once, so the counts below are those of decisions alone.
    await rig.screener.ruleSet();
  });

  afterAll(async () => {
    await rig.local.stop();
  });

  beforeEach(() => {
    rig.clock.ms = T0;
    rig.counter.reset();
  });

  it('allows a first-seen caller with one UpdateItem', async () => {
    const result = await rig.screener.screen(contactOf(voiceEvent(CALLER)));

    expect(result).toMatchObject({
      decision: 'ALLOW',
      reason: 'ok',
      callerType: 'phone',
      callerCountry: 'US',
    });
    expect(Object.fromEntries(rig.counter.byOperation)).toEqual({ UpdateItem: 1 });
  });

  it('throttles the contact past the limit, one request each, until the window ends', async () => {
    const caller = nextCaller();
    rig.clock.ms = windowStart(rig.screener, caller, 600);
    await rig.screener.ruleSet();
    rig.counter.reset();
    const decisions: string[] = [];
    for (let i = 0; i < 4; i++)
      decisions.push((await rig.screener.screen(contactOf(voiceEvent(caller)))).decision);
    rig.clock.advance(30);
    const throttled = await rig.screener.screen(contactOf(voiceEvent(caller)));

    expect(decisions).toEqual(['ALLOW', 'ALLOW', 'ALLOW', 'THROTTLE']);
    expect(throttled).toMatchObject({
      decision: 'THROTTLE',
      reason: 'rate_limited',
      retryAfterSeconds: 600 - 30,
    });
    expect(rig.counter.total()).toBe(5);
  });

  it('opens a new 10-minute window but keeps counting the day', async () => {
    const caller = nextCaller();
    const dayStart = windowStart(rig.screener, caller, 86_400);
    rig.clock.ms = windowStart(rig.screener, caller, 600, dayStart);
    const day: string[] = [];
    for (let window = 0; window < 3; window++) {
      for (let i = 0; i < 3; i++)
        day.push((await rig.screener.screen(contactOf(voiceEvent(caller)))).decision);
      rig.clock.advance(600);
    }
    const last = await rig.screener.screen(contactOf(voiceEvent(caller)));

    // 3/10m and 6/1d: two full windows, then the day is spent.
    expect(day).toEqual([
      'ALLOW',
      'ALLOW',
      'ALLOW',
      'ALLOW',
      'ALLOW',
      'ALLOW',
      'THROTTLE',
      'THROTTLE',
      'THROTTLE',
    ]);
    expect(last.decision).toBe('THROTTLE');
    expect(last.retryAfterSeconds).toBe((dayStart + 86_400_000 - rig.clock.ms) / 1000);
  });

  it('admits exactly the limit among 200 concurrent contacts of one caller on several instances', async () => {
    const caller = nextCaller();
    const instances = [rig.screener, rig.instance(), rig.instance(), rig.instance()];
    await Promise.all(instances.map((instance) => instance.ruleSet()));
    rig.counter.reset();

    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        instances[i % instances.length]?.screen(contactOf(voiceEvent(caller))),
      ),
    );

    expect(results.filter((r) => r?.decision === 'ALLOW')).toHaveLength(3);
    expect(results.filter((r) => r?.decision === 'THROTTLE')).toHaveLength(197);
    expect(rig.counter.total()).toBe(200);
  });

  it('counts a contact once when Connect invokes it three times, with the same decision each time', async () => {
    const caller = nextCaller();
    const [first = voiceEvent(caller), ...others] = distinctContacts(caller, 4);

    const a1 = await rig.screener.screen(contactOf(first));
    for (const event of others) await rig.screener.screen(contactOf(event));
    const retriesOfFirst = [
      await rig.screener.screen(contactOf(first)),
      await rig.screener.screen(contactOf(first)),
    ];
    const retryOfThrottled = await rig.screener.screen(contactOf(others[2] ?? first));
    const state = await rig.store.getState(`tel:${caller}`);
    const tenMinutes = [...(state?.counts.entries() ?? [])].find(([name]) => name.startsWith('n600_'))?.[1];

    expect(a1.decision).toBe('ALLOW');
    expect(retriesOfFirst.map((r) => r.decision)).toEqual(['ALLOW', 'ALLOW']);
    expect(retryOfThrottled.decision).toBe('THROTTLE');
    expect(tenMinutes).toBe(4);
  });

  it('does not count a transfer again: same InitialContactId, same decision', async () => {
    const caller = nextCaller();
    rig.clock.ms = windowStart(rig.screener, caller, 600);
    const [first = voiceEvent(caller), second = voiceEvent(caller)] = distinctContacts(caller, 2);
    await rig.screener.screen(contactOf(first));
    await rig.screener.screen(contactOf(second));

    rig.clock.advance(120);
    const transferred = await rig.screener.screen(contactOf(transferEvent(first)));
    const third = await rig.screener.screen(contactOf(voiceEvent(caller)));

    expect(transferred.decision).toBe('ALLOW');
    expect(third.decision).toBe('ALLOW');
  });

  it('lets a contact retried after its window ended keep its first decision', async () => {
    const caller = nextCaller();
    rig.clock.ms = windowStart(rig.screener, caller, 600);
    const events = distinctContacts(caller, 4);
    for (const event of events) await rig.screener.screen(contactOf(event));

    rig.clock.advance(601);
    const retried = await Promise.all(events.map((event) => rig.screener.screen(contactOf(event))));

    expect(retried.map((r) => r.decision)).toEqual(['ALLOW', 'ALLOW', 'ALLOW', 'THROTTLE']);
  });

  it('blocks a blocklisted caller with one request, then from memory with none', async () => {
    const caller = nextCaller();
    const screener = rig.instance();
    await screener.ruleSet();
    await rig.store.block({
      key: `tel:${caller}`,
      untilSeconds: T0 / 1000 + 3600,
      reason: 'fraud ring',
      by: 'analyst',
      nowSeconds: T0 / 1000,
      action: 'block',
    });
    rig.counter.reset();

    const first = await screener.screen(contactOf(voiceEvent(caller)));
    const countAfterFirst = rig.counter.total();
    const second = await screener.screen(contactOf(voiceEvent(caller)));

    expect(first).toMatchObject({ decision: 'BLOCK', reason: 'blocklisted', retryAfterSeconds: 3600 });
    expect(first.blockedUntil).toBe(T0 / 1000 + 3600);
    expect(countAfterFirst).toBe(1);
    expect(second.decision).toBe('BLOCK');
    expect(rig.counter.total()).toBe(1);
  });

  it('asks the store again once the cached block is older than the staleness bound', async () => {
    const caller = nextCaller();
    const screener = rig.instance();
    await screener.ruleSet();
    await rig.store.block({
      key: `tel:${caller}`,
      untilSeconds: T0 / 1000 + 3600,
      reason: 'abuse',
      by: 'analyst',
      nowSeconds: T0 / 1000,
      action: 'block',
    });
    await screener.screen(contactOf(voiceEvent(caller)));
    await rig.store.unblock({
      key: `tel:${caller}`,
      by: 'analyst',
      reason: 'mistake',
      nowSeconds: T0 / 1000,
    });
    rig.counter.reset();

    const cached = await screener.screen(contactOf(voiceEvent(caller)));
    rig.clock.advance(61);
    await screener.ruleSet();
    rig.counter.reset();
    const fresh = await screener.screen(contactOf(voiceEvent(caller)));

    expect(cached.decision).toBe('BLOCK');
    expect(fresh.decision).toBe('ALLOW');
    expect(rig.counter.byOperation.get('UpdateItem')).toBe(1);
  });

  it('treats an expired block that TTL has not deleted yet as no block', async () => {
    const caller = nextCaller();
    await rig.store.block({
      key: `tel:${caller}`,
      untilSeconds: T0 / 1000 + 60,
      reason: 'short',
      by: 'analyst',
      nowSeconds: T0 / 1000,
      action: 'block',
    });
    rig.clock.advance(61);

    const result = await rig.instance().screen(contactOf(voiceEvent(caller)));
    const state = await rig.store.getState(`tel:${caller}`);

    expect(result.decision).toBe('ALLOW');
    expect(state?.blockedUntil).toBe(T0 / 1000 + 60);
  });

  it('never shortens a block: a shorter flag keeps the longer block', async () => {
    const caller = nextCaller();
    const identity = rig.screener.phone(caller);

    const long = await rig.screener.flag(identity, { reason: 'fraud', seconds: 86_400, by: 'agent-1' });
    const short = await rig.screener.flag(identity, { reason: 'again', seconds: 3600, by: 'agent-2' });
    const state = await rig.store.getState(`tel:${caller}`);
    const history = await rig.store.history(`tel:${caller}`);

    expect(long.result).toBe('applied');
    expect(short).toEqual({ result: 'kept', blockedUntil: T0 / 1000 + 86_400 });
    expect(state?.blockedUntil).toBe(T0 / 1000 + 86_400);
    expect(history.map((h) => [h.action, h.by, h.reason])).toEqual([['block', 'agent-1', 'fraud']]);
  });

  it('keeps the item past a short block, so the block never lets TTL drop the caller’s counts', async () => {
    const caller = nextCaller();
    await rig.screener.screen(contactOf(voiceEvent(caller)));
    await rig.screener.flag(rig.screener.phone(caller), { reason: 'short', seconds: 60, by: 'agent' });

    const { Item } = await rig.local.client.send(
      new GetItemCommand({
        TableName: rig.local.tableName,
        Key: { pk: { S: `tel:${caller}` }, sk: { S: 'state' } },
      }),
    );

    expect(Number(Item?.expiresAt?.N)).toBeGreaterThan(T0 / 1000 + 2 * 86_400);
  });

  it('lists history written in one second in the order it was written', async () => {
    const caller = nextCaller();
    const key = `tel:${caller}`;
    for (let i = 0; i < 5; i++) {
      await rig.store.block({
        key,
        untilSeconds: T0 / 1000 + 100 + i,
        reason: `r${i}`,
        by: 'a',
        nowSeconds: T0 / 1000,
        action: 'block',
      });
      await rig.store.unblock({ key, by: 'a', reason: `u${i}`, nowSeconds: T0 / 1000 });
    }

    const history = await rig.store.history(key);

    expect(history.map((h) => h.reason)).toEqual([
      'r0',
      'u0',
      'r1',
      'u1',
      'r2',
      'u2',
      'r3',
      'u3',
      'r4',
      'u4',
    ]);
  });

  it('keeps who, when, why and until for every block change', async () => {
    const caller = nextCaller();
    const key = `tel:${caller}`;
    await rig.screener.flag(rig.screener.phone(caller), { reason: 'fraud', seconds: 3600, by: 'agent-1' });
    rig.clock.advance(10);
    await rig.store.unblock({ key, by: 'supervisor', reason: 'cleared', nowSeconds: T0 / 1000 + 10 });

    const history = await rig.store.history(key);

    expect(history).toEqual([
      { key, action: 'block', at: T0 / 1000, by: 'agent-1', reason: 'fraud', until: T0 / 1000 + 3600 },
      {
        key,
        action: 'unblock',
        at: T0 / 1000 + 10,
        by: 'supervisor',
        reason: 'cleared',
        until: T0 / 1000 + 10,
      },
    ]);
  });

  it('gives withheld callers their own class and never touches the store', async () => {
    const results = await Promise.all(
      ['anonymous', 'Restricted', '', '+266696687'].map((address) =>
        rig.screener.screen(contactOf(voiceEvent(address))),
      ),
    );
    const nullEndpoint = await rig.screener.screen(contactOf(voiceEvent(null)));

    for (const result of [...results, nullEndpoint]) {
      expect(result).toMatchObject({ decision: 'ALLOW', reason: 'withheld', callerType: 'withheld' });
    }
    expect(rig.counter.total()).toBe(0);
  });

  it('keys chat by the IP attribute, grouping IPv6 by /64', async () => {
    const ip = (address: string) => contactOf(chatEvent({ attributes: { customerIp: address } }));
    const decisions: string[] = [];
    for (const address of ['2001:db8:7:1::1', '2001:db8:7:1::2', '2001:db8:7:1:aaaa::3']) {
      decisions.push((await rig.screener.screen(ip(address))).decision);
    }
    const state = await rig.store.getState('ip:2001:db8:7:1::/64');

    expect(decisions).toEqual(['ALLOW', 'ALLOW', 'ALLOW']);
    expect([...(state?.counts.values() ?? [])]).toEqual([3, 3]);
  });

  it('refuses an unknown policy with a stable code', async () => {
    await expect(
      rig.screener.screen(contactOf(voiceEvent(CALLER)), { policy: 'nope' }),
    ).rejects.toMatchObject({
      code: 'unknown_policy',
    });
  });
});

describe('Screener on an emulator that omits the item from a failed condition', () => {
  it('falls back to one consistent read for a blocklisted caller', async () => {
    const rig = await startRig({}, { conditionFailureItem: false });
    try {
      await rig.screener.ruleSet();
      await rig.store.block({
        key: `tel:${CALLER}`,
        untilSeconds: T0 / 1000 + 600,
        reason: 'fraud',
        by: 'analyst',
        nowSeconds: T0 / 1000,
        action: 'block',
      });
      rig.counter.reset();

      const result = await rig.screener.screen(contactOf(voiceEvent(CALLER)));

      expect(result).toMatchObject({ decision: 'BLOCK', reason: 'blocklisted' });
      expect(Object.fromEntries(rig.counter.byOperation)).toEqual({ UpdateItem: 1, GetItem: 1 });
    } finally {
      await rig.local.stop();
    }
  });
});

describe('Screener rules against dynalite', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig();
    const rule = { note: '', createdBy: 'test', createdAt: T0 / 1000, expiresAt: 0 };
    await rig.store.putRule({ ...rule, type: 'prefix', value: '+1900', action: 'BLOCK' });
    await rig.store.putRule({ ...rule, type: 'caller', value: 'tel:+14155550100', action: 'ALLOW' });
    await rig.store.putRule({ ...rule, type: 'country', value: 'KP', action: 'BLOCK' });
    await rig.store.putRule({ ...rule, type: 'signal', value: 'caller_is_dialed', action: 'BLOCK' });
    await rig.store.putRule({
      ...rule,
      type: 'prefix',
      value: '+1212',
      action: 'BLOCK',
      expiresAt: T0 / 1000 - 1,
    });
  });

  afterAll(async () => {
    await rig.local.stop();
  });

  beforeEach(() => {
    rig.clock.ms = T0;
  });

  it('loads the rules with one query and caches them', async () => {
    const screener = rig.instance();
    rig.counter.reset();

    const first = await screener.screen(contactOf(voiceEvent('+19005550123')));
    const second = await screener.screen(contactOf(voiceEvent('+19005550124')));

    expect(first).toMatchObject({ decision: 'BLOCK', reason: 'rule', rule: 'prefix:+1900' });
    expect(second.decision).toBe('BLOCK');
    expect(Object.fromEntries(rig.counter.byOperation)).toEqual({ Query: 1 });
  });

  it('reloads the rules after FLOWGUARD_RULES_TTL', async () => {
    const screener = rig.instance();
    await screener.ruleSet();
    rig.counter.reset();

    rig.clock.advance(59);
    await screener.ruleSet();
    const before = rig.counter.total();
    rig.clock.advance(2);
    await screener.ruleSet();

    expect(before).toBe(0);
    expect(rig.counter.total()).toBe(1);
  });

  it('ignores an expired rule', async () => {
    const result = await rig.instance().screen(contactOf(voiceEvent('+12125550199')));

    expect(result.decision).toBe('ALLOW');
  });

  it('blocks by country and by the caller-is-dialed signal', async () => {
    const screener = rig.instance();

    const korea = await screener.screen(contactOf(voiceEvent('+85023812345')));
    const caller = phoneIdentity('+14155550177');
    const spoof = await screener.screen(contactOf(voiceEvent('+14155550177')), {
      signals: callSignals({ caller, systemEndpoint: '+14155550177' }),
    });

    expect(korea).toMatchObject({ decision: 'BLOCK', rule: 'country:KP' });
    expect(spoof).toMatchObject({ decision: 'BLOCK', rule: 'signal:caller_is_dialed' });
  });

  it('lets an allowlisted caller past the rate limit with one read', async () => {
    const screener = rig.instance();
    await screener.ruleSet();
    rig.counter.reset();

    const results = [];
    for (let i = 0; i < 8; i++) results.push(await screener.screen(contactOf(voiceEvent('+14155550100'))));

    expect(results.every((r) => r.decision === 'ALLOW' && r.reason === 'allowlisted')).toBe(true);
    expect(Object.fromEntries(rig.counter.byOperation)).toEqual({ GetItem: 8 });
  });

  it('lets an explicit block win over the allowlist', async () => {
    await rig.store.block({
      key: 'tel:+14155550100',
      untilSeconds: T0 / 1000 + 600,
      reason: 'compromised line',
      by: 'security',
      nowSeconds: T0 / 1000,
      action: 'block',
    });

    const result = await rig.instance().screen(contactOf(voiceEvent('+14155550100')));

    expect(result).toMatchObject({ decision: 'BLOCK', reason: 'blocklisted' });
  });
});

describe('Screener auto-block against dynalite', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ FLOWGUARD_LIMITS: '3/10m,100/1d', FLOWGUARD_AUTO_BLOCK_FACTOR: '2' });
  });

  afterAll(async () => {
    await rig.local.stop();
  });

  it('blocks a caller at twice its limit, once, with reason auto', async () => {
    const caller = '+14155550142';
    const screener = rig.instance();
    const decisions: string[] = [];
    for (let i = 0; i < 9; i++) {
      const result = await screener.screen(contactOf(voiceEvent(caller)));
      decisions.push(`${result.decision}:${result.reason}`);
    }
    const history = await rig.store.history(`tel:${caller}`);
    const state = await rig.store.getState(`tel:${caller}`);

    expect(decisions).toEqual([
      'ALLOW:ok',
      'ALLOW:ok',
      'ALLOW:ok',
      'THROTTLE:rate_limited',
      'THROTTLE:rate_limited',
      'BLOCK:auto_blocked',
      'BLOCK:auto_blocked',
      'BLOCK:auto_blocked',
      'BLOCK:auto_blocked',
    ]);
    expect(history.map((h) => h.action)).toEqual(['auto']);
    expect(state?.blockedUntil).toBe(T0 / 1000 + 86_400);
  });

  it('writes one auto-block among 60 concurrent contacts on several instances', async () => {
    const caller = '+14155550143';
    const instances = [rig.instance(), rig.instance(), rig.instance()];

    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => instances[i % 3]?.screen(contactOf(voiceEvent(caller)))),
    );
    const history = await rig.store.history(`tel:${caller}`);

    const after = await rig.instance().screen(contactOf(voiceEvent(caller)));

    expect(results.filter((r) => r?.decision === 'ALLOW')).toHaveLength(3);
    // Contacts counted before the block landed are throttled; the one that reached the threshold
    // and those after the block are blocked. No answer claims a block that was never written.
    expect(results.filter((r) => r?.decision === 'BLOCK').length).toBeGreaterThanOrEqual(1);
    expect(
      results.every(
        (r) => r?.decision === 'ALLOW' || r?.reason === 'rate_limited' || r?.reason === 'auto_blocked',
      ),
    ).toBe(true);
    expect(history.map((h) => h.action)).toEqual(['auto']);
    expect(after).toMatchObject({ decision: 'BLOCK', reason: 'auto_blocked' });
  });
});

describe('Screener store hygiene against dynalite', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ FLOWGUARD_LIMITS: '100/10m,1000/1d', FLOWGUARD_AUTO_BLOCK_FACTOR: '0' });
  });

  afterAll(async () => {
    await rig.local.stop();
  });

  it('bounds the lists a caller who returns after gaps leaves behind', async () => {
    const caller = '+14155550144';
    let cleanups = 0;
    for (let i = 0; i < 40; i++) {
      await rig.screener.screen(contactOf(voiceEvent(caller)), {
        onEvent: (event) => {
          if (event === 'StoreCleanup') cleanups++;
        },
      });
      rig.clock.advance(30 * 60);
    }
    const state = await rig.store.getState(`tel:${caller}`);

    expect(cleanups).toBeGreaterThanOrEqual(1);
    expect(state?.counts.size).toBeLessThanOrEqual(30);
  });

  it('never grants extra allowance to an instance whose clock lags across a window boundary', async () => {
    const caller = '+14155550145';
    const limited = await startRig({ FLOWGUARD_LIMITS: '2/10m', FLOWGUARD_AUTO_BLOCK_FACTOR: '0' });
    try {
      const ahead = limited.instance();
      const boundary = windowStart(ahead, caller, 600);
      limited.clock.ms = boundary + 1000; // 1 s into the caller's next 10-minute window
      await ahead.screen(contactOf(voiceEvent(caller)));
      await ahead.screen(contactOf(voiceEvent(caller)));
      limited.clock.ms = boundary - 2000; // an instance 3 s behind, still in the old window
      const lagging = await limited.instance().screen(contactOf(voiceEvent(caller)));

      expect(lagging.decision).toBe('THROTTLE');
    } finally {
      await limited.local.stop();
    }
  });
});
