// Aggregate velocity and surge mode on dynalite: floods of first-seen callers and of withheld
// callers put their scope in surge, several instances see it, the right callers pass, and the
// aggregate item is written at most once per instance per flush interval.
import { flowHandler } from '@flowguard/contact';
import { voiceEvent } from '@flowguard/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FLUSH_BATCH, surgeStateOf } from '../../src/aggregates.js';
import { screenCaller } from '../../src/functions.js';
import type { Screener } from '../../src/screener.js';
import { contactOf, type Rig, startRig, T0 } from './helpers.js';

const DIALLED = '+18005550100';
let serial = 0;
/** A first-seen number each time, as a flood of spoofed caller IDs presents. */
const spoofed = () => `+1415${String(2_000_000 + serial++).padStart(7, '0')}`;

/** A voice contact to the centre's number, as screen-caller passes it to the screener. */
async function call(screener: Screener, number: string) {
  const event = voiceEvent(number);
  event.Details.ContactData.SystemEndpoint = { Address: DIALLED, Type: 'TELEPHONE_NUMBER' };
  return screener.screen(contactOf(event), { voice: { dialled: DIALLED } });
}

describe('surge mode against dynalite', () => {
  let rig: Rig | undefined;

  afterEach(async () => {
    await rig?.local.stop();
    rig = undefined;
  });

  it('challenges first-seen callers once a flood of them crosses the threshold, on every instance', async () => {
    rig = await startRig({ FLOWGUARD_SURGE_THRESHOLDS: 'all:100/10s' });
    const instances = [rig.screener, rig.instance(), rig.instance()];
    await Promise.all(instances.map((s) => s.ruleSet()));
    rig.counter.reset();
    const answers: string[] = [];
    // 60 calls a second over three instances for 6 s: each instance flushes once a second.
    for (let i = 0; i < 360; i++) {
      const screener = instances[i % 3] as Screener;
      const result = await call(screener, spoofed());
      answers.push(`${result.decision}/${result.reason}/${result.rule}`);
      rig.clock.ms += 1000 / 60;
    }
    const firstChallenge = answers.findIndex((a) => a.startsWith('CHALLENGE'));
    // Detected within about the threshold plus one flush interval of each instance.
    expect(firstChallenge).toBeGreaterThanOrEqual(100);
    expect(firstChallenge).toBeLessThan(100 + 60 * 2);
    // Every instance sees the surge at its next flush, at most one interval (60 calls here) later.
    expect(answers.slice(firstChallenge + 60)).toEqual(
      Array(360 - firstChallenge - 60).fill('CHALLENGE/surge/surge:all'),
    );
    // One count per call, plus at most one flush per instance per second (and the surge's start).
    const requests = [...rig.counter.byOperation.values()].reduce((a, b) => a + b, 0);
    expect(requests).toBeLessThanOrEqual(360 + 3 * 7 + 1);
    const state = surgeStateOf(await rig.store.readAggregates(0));
    expect(state.scopes.map((s) => s.code)).toEqual(['a']);
  });

  it('lets verified, allowlisted and known-good callers through, and blocks a repeat offender', async () => {
    rig = await startRig({ FLOWGUARD_SURGE_THRESHOLDS: 'all:10/10s', FLOWGUARD_SURGE_REPEAT: '3' });
    const screener = rig.screener;
    const now = T0 / 1000;
    await rig.store.putRule({
      type: 'caller',
      value: 'tel:+14155550199',
      action: 'ALLOW',
      note: 'VIP',
      createdBy: 'test',
      createdAt: now,
      expiresAt: 0,
    });
    await rig.store.markVerified('tel:+14155550188', now + 86_400);
    await screener.ruleSet();
    for (let i = 0; i < 30; i++) {
      await call(screener, spoofed());
      rig.clock.ms += 100;
    }
    expect(screener.aggregates?.surgeFor(['a'])).toBe('all');

    expect(await call(screener, '+14155550199')).toMatchObject({ decision: 'ALLOW', reason: 'allowlisted' });
    expect(await call(screener, '+14155550188')).toMatchObject({ decision: 'ALLOW', reason: 'ok' });
    const repeat = '+14155550177';
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push((await call(screener, repeat)).reason);
    expect(decisions).toEqual(['surge', 'surge', 'surge_repeat']);
    expect(await call(screener, repeat)).toMatchObject({ decision: 'BLOCK', rule: 'surge:all' });
  });

  it('counts withheld callers (never counted before) and challenges them, not everyone, in a withheld surge', async () => {
    rig = await startRig({ FLOWGUARD_SURGE_THRESHOLDS: 'withheld:50/1m,all:1000/10s' });
    const screener = rig.screener;
    await screener.ruleSet();
    const answers = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const result = await screener.screen(contactOf(voiceEvent('anonymous')), { voice: {} });
      answers.set(result.decision, (answers.get(result.decision) ?? 0) + 1);
      rig.clock.ms += 100;
    }
    expect(answers.get('ALLOW')).toBeGreaterThanOrEqual(50);
    expect(answers.get('ALLOW')).toBeLessThanOrEqual(70);
    expect(answers.get('CHALLENGE')).toBe(300 - (answers.get('ALLOW') ?? 0));
    expect(await call(screener, spoofed())).toMatchObject({ decision: 'ALLOW', reason: 'ok' });
    const item = await rig.store.readAggregates(0);
    const withheld = Object.entries(item)
      .filter(([name]) => /^[0-9a-z]{2}\.w$/.test(name))
      .reduce((sum, [, v]) => sum + Number(v), 0);
    // All but the contacts since the instance's last flush (fewer than a batch).
    expect(withheld).toBeGreaterThan(300 - FLUSH_BATCH);
  });

  it('only reports what it would do in monitor mode, with a metric', async () => {
    rig = await startRig({ FLOWGUARD_SURGE_THRESHOLDS: 'all:10/10s', FLOWGUARD_SURGE_MONITOR: 'true' });
    const lines: string[] = [];
    const handler = flowHandler(screenCaller(rig.screener), {
      env: {},
      config: { logLevel: 'info', metrics: true },
      logSink: (line) => lines.push(line),
      metricSink: (line) => lines.push(line),
    });
    const answers = [];
    for (let i = 0; i < 30; i++) {
      answers.push(await handler(voiceEvent(spoofed()), {}));
      rig.clock.ms += 100;
    }
    expect(answers.every((a) => a.decision === 'ALLOW')).toBe(true);
    expect(answers.at(-1)).toMatchObject({ monitoredDecision: 'CHALLENGE', monitoredRule: 'surge:all' });
    expect(lines.some((l) => l.includes('"SurgeStarted"'))).toBe(true);
    expect(lines.some((l) => l.includes('"WouldChallenge"'))).toBe(true);
    expect(lines.some((l) => l.includes('surge started'))).toBe(true);
  });

  it('starts a surge once when two instances cross the threshold at the same moment', async () => {
    rig = await startRig({ FLOWGUARD_SURGE_THRESHOLDS: 'all:5/10s' });
    const a = rig.screener;
    const b = rig.instance();
    const events: string[] = [];
    const onSurge = (e: { kind: string }) => events.push(e.kind);
    // A batch (FLUSH_BATCH) on each instance, so the next call of each flushes.
    for (let i = 0; i < FLUSH_BATCH; i++) {
      await a.screen(contactOf(voiceEvent(spoofed())), { voice: {}, onSurge });
      await b.screen(contactOf(voiceEvent(spoofed())), { voice: {}, onSurge });
    }
    rig.clock.ms += 1000;
    await Promise.all([
      a.screen(contactOf(voiceEvent(spoofed())), { voice: {}, onSurge }),
      b.screen(contactOf(voiceEvent(spoofed())), { voice: {}, onSurge }),
    ]);
    expect(events).toEqual(['started']);
  });
});
