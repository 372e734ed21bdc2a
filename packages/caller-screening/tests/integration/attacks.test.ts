// The attack and operator cases of issue 13 on dynalite with a virtual clock: a persistent caller,
// an operator lifting a block, an auto-block that runs out, retries and transfers at a window
// edge, slot reuse, and a store outage.
import { transferEvent, voiceEvent } from '@flowguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readScreeningConfig } from '../../src/config.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { contactToken, slotOf } from '../../src/ledger.js';
import { MemoryScreeningStore } from '../../src/memory-store.js';
import { Screener } from '../../src/screener.js';
import type { ScreeningStore } from '../../src/store.js';
import { contactOf, distinctContacts, type Rig, startRig, T0, windowStart } from './helpers.js';

let sequence = 0;
function nextCaller(): string {
  sequence += 1;
  return `+1415556${String(1000 + sequence).slice(-4)}`;
}

/**
 * A start of the caller's 10-minute bucket `hours` into its day bucket: the day window ends
 * nowhere near it (each caller's windows have their own phase).
 */
function edgeOf(screener: Screener, caller: string, hours = 1): number {
  return windowStart(screener, caller, 600, windowStart(screener, caller, 86_400) + hours * 3_600_000);
}

const decide = async (screener: Screener, event: ReturnType<typeof voiceEvent>) => {
  const result = await screener.screen(contactOf(event));
  return `${result.decision}/${result.reason}`;
};

describe('an operator lifting a block, an auto-block running out (virtual clock)', () => {
  let rig: Rig;

  beforeAll(async () => {
    // 3/10m, 10/1d; auto-block at 3 x 3 = 9 contacts in a 10-minute bucket, for 2 minutes.
    rig = await startRig({
      FLOWGUARD_LIMITS: '3/10m,10/1d',
      FLOWGUARD_AUTO_BLOCK_FACTOR: '3',
      FLOWGUARD_AUTO_BLOCK_DURATION: '2m',
      FLOWGUARD_BLOCK_CACHE_SECONDS: '0',
    });
  });

  afterAll(async () => {
    await rig.local.stop();
  });

  beforeEach(() => {
    rig.clock.ms = T0;
  });

  it('lets an unblocked caller straight back in: the unblock resets the counts that would re-trigger it', async () => {
    const caller = nextCaller();
    rig.clock.ms = edgeOf(rig.screener, caller, 0);
    const answers: string[] = [];
    for (let i = 0; i < 9; i++) answers.push(await decide(rig.screener, voiceEvent(caller)));
    const key = `tel:${caller}`;

    rig.clock.advance(5);
    const lifted = await rig.store.unblock({
      key,
      by: 'supervisor',
      reason: 'verified customer',
      nowSeconds: rig.clock.ms / 1000,
    });
    const next = await decide(rig.screener, voiceEvent(caller));
    const history = await rig.store.history(key);

    expect(answers.slice(0, 3)).toEqual(['ALLOW/ok', 'ALLOW/ok', 'ALLOW/ok']);
    expect(answers[8]).toBe('BLOCK/auto_blocked');
    expect(lifted).toBe(true);
    expect(next).toBe('ALLOW/ok');
    expect(history.map((h) => `${h.action}:${h.by}:${h.reason}`)).toEqual([
      'auto:screen-caller:auto',
      'unblock:supervisor:verified customer',
    ]);
  });

  it('judges a caller afresh once its auto-block has run out, in the same window', async () => {
    const caller = nextCaller();
    rig.clock.ms = edgeOf(rig.screener, caller, 0);
    for (let i = 0; i < 9; i++) await decide(rig.screener, voiceEvent(caller));
    rig.clock.advance(60);
    const during = await decide(rig.screener, voiceEvent(caller));

    rig.clock.advance(180); // three minutes after the 2-minute block began, same 10-minute bucket
    const after = [];
    for (let i = 0; i < 4; i++) after.push(await decide(rig.screener, voiceEvent(caller)));

    expect(during).toBe('BLOCK/auto_blocked');
    // The counts that caused the block went with it: three admissions, then throttled.
    expect(after).toEqual(['ALLOW/ok', 'ALLOW/ok', 'ALLOW/ok', 'THROTTLE/rate_limited']);
  });

  it('keeps counting a caller who keeps calling past its limit, without letting it in', async () => {
    const caller = nextCaller();
    const screener = new Screener({
      store: rig.store,
      config: { ...rig.config, autoBlockFactor: 0 },
      clock: rig.clock.now,
    });
    rig.clock.ms = edgeOf(screener, caller, 0);
    const answers = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const answer = await decide(screener, voiceEvent(caller));
      answers.set(answer, (answers.get(answer) ?? 0) + 1);
    }
    const state = await rig.store.getState(`tel:${caller}`);

    expect(Object.fromEntries(answers)).toEqual({ 'ALLOW/ok': 3, 'THROTTLE/rate_limited': 297 });
    expect([...(state?.counts.values() ?? [])].sort((a, b) => a - b)).toEqual([300, 300]);
    expect(state?.contacts.size).toBeLessThanOrEqual(24);
  });
});

describe('retries and transfers at a window edge (virtual clock)', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ FLOWGUARD_LIMITS: '2/10m,20/1d', FLOWGUARD_AUTO_BLOCK_FACTOR: '2' });
  });

  afterAll(async () => {
    await rig.local.stop();
  });

  it('gives a contact retried in the next window its first answer and does not count it again', async () => {
    const caller = nextCaller();
    const boundary = edgeOf(rig.screener, caller);
    const [a = voiceEvent(caller), b = voiceEvent(caller), c = voiceEvent(caller)] = distinctContacts(
      caller,
      3,
    );
    rig.clock.ms = boundary - 4000; // 4 s before the caller's 10-minute bucket ends
    const first = [
      await decide(rig.screener, a),
      await decide(rig.screener, b),
      await decide(rig.screener, c),
    ];

    rig.clock.ms = boundary + 1000; // Connect retries each one a second into the next bucket
    const retried = [
      await decide(rig.screener, c),
      await decide(rig.screener, a),
      await decide(rig.screener, b),
    ];
    const state = await rig.store.getState(`tel:${caller}`);
    const newBucket = [...(state?.counts ?? [])].filter(([name]) => name.startsWith('n600_'));

    expect(first).toEqual(['ALLOW/ok', 'ALLOW/ok', 'THROTTLE/rate_limited']);
    expect(retried).toEqual(['THROTTLE/rate_limited', 'ALLOW/ok', 'ALLOW/ok']);
    // Nothing was counted in the new bucket: only the old bucket's counter exists.
    expect(newBucket.map(([, count]) => count)).toEqual([3]);
  });

  it('lets a transfer of an admitted contact in a later window through without counting it or triggering the auto-block', async () => {
    const caller = nextCaller();
    const boundary = edgeOf(rig.screener, caller);
    const [admitted = voiceEvent(caller), ...others] = distinctContacts(caller, 4);
    rig.clock.ms = boundary - 60_000;
    const answers = [];
    for (const event of [admitted, ...others]) answers.push(await decide(rig.screener, event));

    rig.clock.ms = boundary + 300_000;
    const transferred = await decide(rig.screener, transferEvent(admitted));
    const history = await rig.store.history(`tel:${caller}`);

    // 2/10m with factor 2: the fourth contact reaches 4 and triggers the auto-block.
    expect(answers).toEqual(['ALLOW/ok', 'ALLOW/ok', 'THROTTLE/rate_limited', 'BLOCK/auto_blocked']);
    // A live block still wins over a remembered admission.
    expect(transferred).toBe('BLOCK/auto_blocked');
    expect(history.map((h) => h.action)).toEqual(['auto']);
  });

  it('remembers an admitted contact across windows, so its transfer is not counted against the caller', async () => {
    const caller = nextCaller();
    const boundary = edgeOf(rig.screener, caller);
    const [admitted = voiceEvent(caller), second = voiceEvent(caller), third = voiceEvent(caller)] =
      distinctContacts(caller, 3);
    rig.clock.ms = boundary - 60_000;
    await decide(rig.screener, admitted);

    rig.clock.ms = boundary + 60_000;
    const transferred = await decide(rig.screener, transferEvent(admitted));
    const later = [await decide(rig.screener, second), await decide(rig.screener, third)];

    expect(transferred).toBe('ALLOW/ok');
    // The transfer took no place in the new bucket: two more contacts are admitted there.
    expect(later).toEqual(['ALLOW/ok', 'ALLOW/ok']);
  });

  it('counts a retry again only when another contact of the caller took its slot, and never admits past the limit then', async () => {
    const caller = nextCaller();
    rig.clock.ms = edgeOf(rig.screener, caller);
    const first = voiceEvent(caller);
    const slot = slotOf(contactToken(first.Details.ContactData.InitialContactId));
    let sameSlot = voiceEvent(caller);
    while (slotOf(contactToken(sameSlot.Details.ContactData.InitialContactId)) !== slot)
      sameSlot = voiceEvent(caller);

    const answers = [await decide(rig.screener, first), await decide(rig.screener, sameSlot)];
    const retry = await decide(rig.screener, first);
    const state = await rig.store.getState(`tel:${caller}`);

    expect(answers).toEqual(['ALLOW/ok', 'ALLOW/ok']);
    // Forgotten, the retry is a new contact: third in the window, over the limit of 2.
    expect(retry).toBe('THROTTLE/rate_limited');
    expect([...(state?.counts ?? [])].find(([name]) => name.startsWith('n600_'))?.[1]).toBe(3);
  });
});

/** A store whose every request fails, as when DynamoDB is unreachable. */
class DownStore extends MemoryScreeningStore {
  override async count(): Promise<never> {
    throw new StoreUnavailableError('count', { cause: new Error('connect ECONNREFUSED') });
  }
}

describe('a store outage, bounded by the in-memory limits', () => {
  it('admits each caller at most its limits per instance while the store is down, and counts a retry once', async () => {
    const config = readScreeningConfig({ FLOWGUARD_LIMITS: '3/10m' });
    const store: ScreeningStore = new DownStore();
    const screener = new Screener({ store, config, clock: () => T0 });
    const caller = nextCaller();
    const events = distinctContacts(caller, 6);

    const answers = [];
    for (const event of events) answers.push(await screener.screen(contactOf(event)));
    const retry = await screener.screen(contactOf(events[0] ?? voiceEvent(caller)));
    const other = await screener.screen(contactOf(voiceEvent(nextCaller())));

    expect(answers.map((a) => `${a.decision}/${a.reason}/${a.error}`)).toEqual([
      'ALLOW/store_unavailable/store_unavailable',
      'ALLOW/store_unavailable/store_unavailable',
      'ALLOW/store_unavailable/store_unavailable',
      'THROTTLE/store_unavailable/store_unavailable',
      'THROTTLE/store_unavailable/store_unavailable',
      'THROTTLE/store_unavailable/store_unavailable',
    ]);
    expect(retry.decision).toBe('ALLOW');
    expect(other.decision).toBe('ALLOW');
  });

  it('blocks every caller while the store is down when the fail mode is closed', async () => {
    const config = readScreeningConfig({ FLOWGUARD_FAIL_MODE: 'closed' });
    const screener = new Screener({ store: new DownStore(), config, clock: () => T0 });

    const result = await screener.screen(contactOf(voiceEvent(nextCaller())));

    expect(result).toMatchObject({
      decision: 'BLOCK',
      reason: 'store_unavailable',
      error: 'store_unavailable',
    });
  });
});
