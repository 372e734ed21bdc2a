// The attack benchmark's engine on a short run: the figures it reports add up, the flood puts the
// centre in surge, bots do not get through the challenge, and the legitimate callers are not
// refused. The full mixes run with `pnpm attack`.
import { describe, expect, it } from 'vitest';
import {
  type AttackMix,
  legitimateCalls,
  MAIN_NUMBER,
  runMix,
  seeded,
  usNumber,
} from '../scripts/lib/attack.js';

const FLOOD: AttackMix = {
  name: 'test-flood',
  title: 'random numbers, 40 calls/s for 10 s',
  startsAt: 5,
  calls: (random) =>
    Array.from({ length: 400 }, (_, i) => ({
      at: 5000 + i * 25,
      caller: usNumber(random),
      dialled: MAIN_NUMBER,
    })),
};

describe('attack benchmark engine', () => {
  it('offers the same legitimate traffic for the same seed, at about the rate asked', () => {
    const a = legitimateCalls(seeded(7), 100, 3);
    const b = legitimateCalls(seeded(7), 100, 3);
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(240);
    expect(a.length).toBeLessThan(360);
    // Callbacks: some callers call more than once.
    const callers = new Set(a.map((c) => c.caller));
    expect(callers.size).toBeLessThan(a.length);
  });

  it('runs a flood through screen-caller and the challenge and reports figures that add up', {
    timeout: 120_000,
  }, async () => {
    const result = await runMix(FLOOD, { challengeDigits: 2, seconds: 20 });
    const total = result.seconds.reduce((sum, s) => sum + s.offered, 0);
    const attack = result.seconds.reduce((sum, s) => sum + s.attackOffered, 0);
    const queued = result.seconds.reduce((sum, s) => sum + s.queued, 0);
    const challenged = result.seconds.reduce((sum, s) => sum + s.challenged, 0);
    const refused = result.seconds.reduce((sum, s) => sum + s.refused, 0);

    expect(attack).toBe(400);
    expect(result.attackCalls).toBe(400);
    expect(total).toBe(attack + result.legitCalls);
    // Every call either reached the queue, was refused, or was challenged and failed it.
    expect(queued + refused).toBeLessThanOrEqual(total);
    expect(queued + refused + challenged).toBeGreaterThanOrEqual(total);
    expect(result.timeToSurge).not.toBeNull();
    expect(result.surgeScopes).toContain('all');
    expect(result.seconds.some((s) => s.surge)).toBe(true);
    expect(result.attackQueuedAfter10s).toBeLessThanOrEqual(result.attackAfter10s);
    // 10 s after the flood started it had long been in surge: bots guessing two digits rarely pass.
    expect(challenged).toBeGreaterThan(200);
    expect(result.legitRefused).toBe(0);
    // One count per call, plus the flushes.
    expect(result.storeRequestsPerCall).toBeGreaterThanOrEqual(1);
    expect(result.storeRequestsPerCall).toBeLessThan(1.2);
    expect(result.hottestWritesPerSecond).toBeGreaterThan(0);
  });
});
