// The challenge against the DynamoDB store (dynalite): single use, verifiedUntil on the caller's
// item next to counts and blocks, and the store requests each verify costs.
import { randomBytes } from 'node:crypto';
import { flowHandler } from '@flowguard/contact';
import { voiceEvent } from '@flowguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { challengeFunction, readChallengeConfig } from '../../src/challenge.js';
import { SigningKeys } from '../../src/signed-identity.js';
import { contactOf, type Rig, startRig, T0 } from './helpers.js';

const CALLER = '+14155550177';

describe('challenge on DynamoDB', () => {
  let rig: Rig;
  let handler: ReturnType<typeof flowHandler>;
  const key = randomBytes(32).toString('base64');

  beforeAll(async () => {
    rig = await startRig();
    const keys = new SigningKeys({ get: async () => ({ value: key }) }, 'challenge');
    const config = readChallengeConfig({ FLOWGUARD_CHALLENGE_SECRET_ID: 'challenge' });
    handler = flowHandler(challengeFunction({ screener: rig.screener, store: rig.store, keys, config }), {
      env: {},
      config: { logLevel: 'silent', metrics: false },
    });
  });
  afterAll(async () => {
    await rig.local.stop();
  });
  beforeEach(() => {
    rig.clock.ms = T0;
  });

  const call = (id: string, parameters: Record<string, unknown>) =>
    handler(voiceEvent(CALLER, { initialContactId: id, parameters }));
  const issue = async (id: string) => {
    const answer = await call(id, { action: 'issue' });
    return { digits: String(answer.digits), token: String(answer.challengeToken) };
  };

  it('issue costs no store request; a pass costs two (the claim, the mark), a wrong guess one', async () => {
    rig.counter.reset();
    const first = await issue('ddb-1');
    expect(rig.counter.total()).toBe(0);

    const wrong = first.digits === '1' ? '2' : '1';
    expect(
      await call('ddb-1', { action: 'verify', challengeToken: first.token, input: wrong }),
    ).toMatchObject({
      passed: 'false',
      reason: 'wrong_input',
    });
    expect(rig.counter.total()).toBe(1);
    // The right digits, second guess on the same token: replayed, and nothing marked.
    expect(
      await call('ddb-1', { action: 'verify', challengeToken: first.token, input: first.digits }),
    ).toMatchObject({ passed: 'false', reason: 'replayed' });
    expect((await rig.store.getState(`tel:${CALLER}`))?.verifiedUntil ?? 0).toBe(0);

    const second = await issue('ddb-2');
    rig.counter.reset();
    expect(
      await call('ddb-2', { action: 'verify', challengeToken: second.token, input: second.digits }),
    ).toMatchObject({ passed: 'true', reason: 'ok', verifiedUntil: '2026-03-03T10:00:00Z' });
    expect(Object.fromEntries(rig.counter.byOperation)).toEqual({ UpdateItem: 2 });
  });

  it("verifiedUntil sits on the caller's item next to its counts, and the next count returns it", async () => {
    const number = '+14155550188';
    const screened = await rig.screener.screen(contactOf(voiceEvent(number)));
    expect(screened.decision).toBe('ALLOW');
    await rig.store.markVerified(`tel:${number}`, T0 / 1000 + 600);
    // A shorter verification later does not shorten it; a longer one lengthens it.
    expect(await rig.store.markVerified(`tel:${number}`, T0 / 1000 + 60)).toBe(T0 / 1000 + 600);
    expect(await rig.store.markVerified(`tel:${number}`, T0 / 1000 + 900)).toBe(T0 / 1000 + 900);
    const state = await rig.store.getState(`tel:${number}`);
    expect(state?.verifiedUntil).toBe(T0 / 1000 + 900);
    expect([...(state?.counts.values() ?? [])]).toContain(1);
    // screen-caller's one UpdateItem gets it back (what surge mode reads).
    const counted = await rig.store.count({
      key: `tel:${number}`,
      contact: 'feedfacefeedface',
      nowSeconds: T0 / 1000 + 1,
      windows: rig.screener.windowsFor(`tel:${number}`, rig.config.limits.phone),
    });
    expect(counted.kind).toBe('counted');
    expect(counted.state.verifiedUntil).toBe(T0 / 1000 + 900);
  });

  it('a block stays a block: marking verified touches no block field', async () => {
    const number = '+14155550199';
    await rig.store.block({
      key: `tel:${number}`,
      untilSeconds: T0 / 1000 + 3600,
      reason: 'test',
      by: 'test',
      nowSeconds: T0 / 1000,
      action: 'block',
    });
    await rig.store.markVerified(`tel:${number}`, T0 / 1000 + 86_400);
    const state = await rig.store.getState(`tel:${number}`);
    expect(state).toMatchObject({
      blockedUntil: T0 / 1000 + 3600,
      blockReason: 'test',
      verifiedUntil: T0 / 1000 + 86_400,
    });
  });
});
