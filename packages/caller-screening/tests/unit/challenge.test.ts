import { randomBytes } from 'node:crypto';
import { flowHandler } from '@flowguard/contact';
import { voiceEvent } from '@flowguard/testing';
import { describe, expect, it } from 'vitest';
import {
  answers,
  challengeFunction,
  drawDigits,
  openChallenge,
  readChallengeConfig,
  signChallenge,
} from '../../src/challenge.js';
import { readScreeningConfig } from '../../src/config.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { MemoryScreeningStore } from '../../src/memory-store.js';
import { Screener } from '../../src/screener.js';
import { SigningKeys, type SigningSecretSource } from '../../src/signed-identity.js';
import type { ScreeningStore } from '../../src/store.js';

const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);
const CALLER = '+14155550123';

/** A secrets source holding AWSCURRENT (and AWSPREVIOUS when given), counting reads. */
function source(current: Buffer | null, previous?: Buffer) {
  const reads: string[] = [];
  const src: SigningSecretSource = {
    async get(_id, options) {
      const stage = options?.versionStage ?? 'AWSCURRENT';
      reads.push(stage);
      const value = stage === 'AWSCURRENT' ? current : previous;
      if (!value) throw new Error('no such version');
      return { value: value.toString('base64') };
    },
  };
  return { src, reads };
}

/** A store whose every request fails as an outage does. */
function downStore(timedOut = false): ScreeningStore {
  return new Proxy(new MemoryScreeningStore(), {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return () => Promise.reject(new StoreUnavailableError(String(property), { timedOut }));
    },
  });
}

function rig(
  options: {
    env?: Record<string, string>;
    store?: ScreeningStore;
    key?: Buffer | null;
    previous?: Buffer;
  } = {},
) {
  const key = options.key === undefined ? randomBytes(32) : options.key;
  const { src, reads } = source(key, options.previous);
  const clock = { ms: T0 };
  const store = options.store ?? new MemoryScreeningStore();
  const screener = new Screener({ store, config: readScreeningConfig({}), clock: () => clock.ms });
  const config = readChallengeConfig({ FLOWGUARD_CHALLENGE_SECRET_ID: 'challenge', ...options.env });
  const logs: string[] = [];
  const metrics: string[] = [];
  const handler = flowHandler(
    challengeFunction({
      screener,
      store,
      keys: config.secretId ? new SigningKeys(src, config.secretId) : undefined,
      config,
    }),
    {
      env: {},
      config: { logLevel: 'debug', metrics: true },
      logSink: (line: string) => logs.push(line),
      metricSink: (line: string) => metrics.push(line),
    },
  );
  const event = (
    parameters: Record<string, unknown>,
    options: { initialContactId?: string; caller?: string | null } = {},
  ) =>
    voiceEvent(options.caller === undefined ? CALLER : options.caller, {
      parameters,
      ...(options.initialContactId ? { initialContactId: options.initialContactId } : {}),
    });
  const call = (
    parameters: Record<string, unknown>,
    options: { initialContactId?: string; caller?: string | null } = {},
  ) => handler(event(parameters, options));
  /** Issues a challenge on contact `id` and answers what it said. */
  const issue = async (id: string, length = '1') => {
    const answer = await call({ action: 'issue', length }, { initialContactId: id });
    return { digits: String(answer.digits), token: String(answer.challengeToken), answer };
  };
  return { key, store, screener, clock, handler, call, issue, logs, metrics, reads };
}

const wrong = (digits: string) => (digits === '1' ? '2' : digits.length === 2 ? '00' : '1');

describe('challenge tokens', () => {
  const key = randomBytes(32);
  it('do not carry the digits, and open only for their contact and key', () => {
    const token = signChallenge(key, 'contact-a', '47', 1_000);
    expect(token).toMatch(/^c1\.1000\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    // The digits are in no part of it (each part is checked whole: a random part may hold "47").
    const [, , nonce, tag] = token.split('.');
    expect(tag).not.toBe(Buffer.from('47').toString('base64url'));
    expect(token.split('.')).not.toContain('47');
    expect(nonce).toHaveLength(22);
    const opened = openChallenge([key], 'contact-a', token);
    expect(opened).not.toBeNull();
    if (!opened) return;
    expect(answers(key, 'contact-a', opened.token, '47')).toBe(true);
    expect(answers(key, 'contact-a', opened.token, '74')).toBe(false);
    expect(answers(key, 'contact-a', opened.token, '4')).toBe(false);
    expect(openChallenge([key], 'contact-b', token)).toBeNull();
    expect(openChallenge([randomBytes(32)], 'contact-a', token)).toBeNull();
    // Any one character changed: refused.
    for (let i = 0; i < token.length; i++) {
      const c = token[i] === 'A' ? 'B' : 'A';
      if (token[i] === '.') continue;
      expect(openChallenge([key], 'contact-a', token.slice(0, i) + c + token.slice(i + 1))).toBeNull();
    }
  });

  it('takes one spelling of a token: the unused bits of the last character of its MAC must be zero', () => {
    const token = signChallenge(key, 'contact-a', '47', 1_000);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1) as string);
    const respelled = `${token.slice(0, -1)}${alphabet[last | 1]}`;
    expect(openChallenge([key], 'contact-a', token)).not.toBeNull();
    expect(openChallenge([key], 'contact-a', respelled)).toBeNull();
  });

  it('draws 1..9, two different digits for two', () => {
    const ones = new Set(Array.from({ length: 500 }, () => drawDigits(1)));
    expect([...ones].sort()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const twos = new Set(Array.from({ length: 3000 }, () => drawDigits(2)));
    for (const two of twos) expect(two).toMatch(/^([1-9])(?!\1)[1-9]$/);
    expect(twos.size).toBe(72);
  });
});

describe('challenge issue and verify', () => {
  it('a caller who presses the digits passes once and is marked verified for a day', async () => {
    const r = rig();
    const { digits, token, answer } = await r.issue('c-1');
    expect(answer).toMatchObject({ passed: 'false', reason: 'issued', error: '' });
    expect(digits).toMatch(/^[1-9]$/);
    expect(answer.digitsSpoken).toBe(digits);

    const passed = await r.call(
      { action: 'verify', challengeToken: token, input: digits },
      { initialContactId: 'c-1' },
    );
    expect(passed).toMatchObject({
      passed: 'true',
      reason: 'ok',
      error: '',
      verifiedUntil: '2026-03-03T10:00:00Z',
    });
    const state = await r.store.getState(`tel:${CALLER}`);
    expect(state?.verifiedUntil).toBe(T0 / 1000 + 86_400);
    // Nothing else of the caller's item was touched: no count, no block.
    expect(state?.counts.size).toBe(0);
    expect(state?.blockedUntil).toBe(0);
  });

  it('speaks two digits one by one', async () => {
    const r = rig();
    const { digits, answer } = await r.issue('c-2', '2');
    expect(digits).toMatch(/^[1-9]{2}$/);
    expect(answer.digitsSpoken).toBe(`${digits[0]} ${digits[1]}`);
  });

  it('a Connect retry of the same verify gets the same answer; a second guess is replayed', async () => {
    const r = rig();
    const { digits, token } = await r.issue('c-3');
    const guess = (input: string) =>
      r.call({ action: 'verify', challengeToken: token, input }, { initialContactId: 'c-3' });
    expect(await guess(wrong(digits))).toMatchObject({ passed: 'false', reason: 'wrong_input' });
    expect(await guess(wrong(digits))).toMatchObject({ passed: 'false', reason: 'wrong_input' });
    // The right digits after a wrong guess: too late.
    expect(await guess(digits)).toMatchObject({ passed: 'false', reason: 'replayed' });
    expect(await r.store.getState(`tel:${CALLER}`)).toBeNull();
  });

  it('a pass cannot be replayed with other input, and a retry of it passes again', async () => {
    const r = rig();
    const { digits, token } = await r.issue('c-4');
    const guess = (input: string) =>
      r.call({ action: 'verify', challengeToken: token, input }, { initialContactId: 'c-4' });
    expect(await guess(`${digits}#`)).toMatchObject({ passed: 'true' });
    expect(await guess(digits)).toMatchObject({ passed: 'true' });
    expect(await guess(wrong(digits))).toMatchObject({ passed: 'false', reason: 'replayed' });
  });

  it("refuses another contact's token, a forged one and one past its time", async () => {
    const r = rig();
    const { digits, token } = await r.issue('c-5');
    const verify = (id: string, challengeToken: string) =>
      r.call({ action: 'verify', challengeToken, input: digits }, { initialContactId: id });
    expect(await verify('c-6', token)).toMatchObject({ passed: 'false', reason: 'bad_token' });
    expect(await verify('c-5', `${token.slice(0, -2)}AA`)).toMatchObject({
      passed: 'false',
      reason: 'bad_token',
    });
    expect(await verify('c-5', 'garbage')).toMatchObject({ passed: 'false', reason: 'bad_token' });
    r.clock.ms += 61_000;
    expect(await verify('c-5', token)).toMatchObject({ passed: 'false', reason: 'expired' });
    r.clock.ms -= 2_000;
    expect(await verify('c-5', token)).toMatchObject({ passed: 'true', reason: 'ok' });
  });

  it('no input, the terminator alone or a missing token fail without a store request', async () => {
    const store = downStore();
    const r = rig({ store });
    const { token } = await r.issue('c-7');
    for (const input of ['Timeout', '#', '']) {
      expect(
        await r.call({ action: 'verify', challengeToken: token, input }, { initialContactId: 'c-7' }),
      ).toMatchObject({
        passed: 'false',
        reason: 'no_input',
        error: '',
      });
    }
    expect(await r.call({ action: 'verify', input: '5' }, { initialContactId: 'c-7' })).toMatchObject({
      passed: 'false',
      reason: 'bad_token',
      error: '',
    });
  });

  it('accepts a token made with the previous key during a rotation', async () => {
    const previous = randomBytes(32);
    const r = rig({ previous });
    const token = signChallenge(previous, 'c-8', '3', T0 / 1000);
    expect(
      await r.call({ action: 'verify', challengeToken: token, input: '3' }, { initialContactId: 'c-8' }),
    ).toMatchObject({
      passed: 'true',
    });
    expect(r.reads).toContain('AWSPREVIOUS');
  });

  it('a withheld caller passes but nothing is marked', async () => {
    const r = rig();
    const issued = await r.call({ action: 'issue' }, { initialContactId: 'c-9', caller: 'anonymous' });
    const passed = await r.call(
      { action: 'verify', challengeToken: String(issued.challengeToken), input: String(issued.digits) },
      { initialContactId: 'c-9', caller: 'anonymous' },
    );
    expect(passed).toMatchObject({ passed: 'true', reason: 'ok', verifiedUntil: '' });
  });

  it('never shortens a later verification', async () => {
    const r = rig({ env: { FLOWGUARD_VERIFIED_SECONDS: '3600' } });
    await r.store.markVerified(`tel:${CALLER}`, T0 / 1000 + 86_400);
    const { digits, token } = await r.issue('c-10');
    const passed = await r.call(
      { action: 'verify', challengeToken: token, input: digits },
      { initialContactId: 'c-10' },
    );
    expect(passed).toMatchObject({ passed: 'true', verifiedUntil: '2026-03-03T10:00:00Z' });
  });

  it('bad parameters and a missing key never pass, whatever the fail mode', async () => {
    const r = rig();
    expect(await r.call({ action: 'nope' })).toMatchObject({ passed: 'false', error: 'bad_parameter' });
    expect(await r.call({ action: 'issue', length: '3' })).toMatchObject({
      passed: 'false',
      error: 'bad_parameter',
    });
    expect(await r.call({})).toMatchObject({ passed: 'false', error: 'missing_parameter' });
    const unset = rig({ env: { FLOWGUARD_CHALLENGE_SECRET_ID: '' } });
    expect(await unset.call({ action: 'issue' })).toMatchObject({ passed: 'false', error: 'not_configured' });
  });

  it('logs neither the digits, the input nor the token', async () => {
    const r = rig();
    const { digits, token } = await r.issue('c-11', '2');
    await r.call({ action: 'verify', challengeToken: token, input: digits }, { initialContactId: 'c-11' });
    const text = r.logs.join('\n');
    expect(r.logs.length).toBeGreaterThan(0);
    expect(text).not.toContain(token.split('.')[2]);
    expect(text).not.toMatch(/"(input|digits|digitsSpoken)":"(?!\[REDACTED\])/);
    expect(text).toContain('[REDACTED]');
  });
});

describe('challenge fail modes', () => {
  it('open: with the store down a right answer still passes (unclaimed), a wrong one fails', async () => {
    const r = rig({ store: downStore() });
    const { digits, token } = await r.issue('c-20');
    const verify = (input: string) =>
      r.call({ action: 'verify', challengeToken: token, input }, { initialContactId: 'c-20' });
    expect(await verify(digits)).toMatchObject({
      passed: 'true',
      reason: 'ok',
      error: 'store_unavailable',
      verifiedUntil: '',
    });
    expect(await verify(wrong(digits))).toMatchObject({
      passed: 'false',
      reason: 'wrong_input',
      error: 'store_unavailable',
    });
    expect(r.metrics.join('\n')).toContain('Challenge_unclaimed');
  });

  it('closed: with the store down nobody passes', async () => {
    const r = rig({ store: downStore(true), env: { FLOWGUARD_CHALLENGE_FAIL_MODE: 'closed' } });
    const { digits, token } = await r.issue('c-21');
    expect(
      await r.call({ action: 'verify', challengeToken: token, input: digits }, { initialContactId: 'c-21' }),
    ).toMatchObject({ passed: 'false', reason: 'store_unavailable', error: 'store_unavailable' });
  });

  it('the key unreadable: open passes the caller, closed does not', async () => {
    const open = rig({ key: null });
    expect(await open.call({ action: 'issue' })).toMatchObject({
      passed: 'true',
      reason: 'key_unavailable',
      challengeToken: '',
    });
    const closed = rig({ key: null, env: { FLOWGUARD_CHALLENGE_FAIL_MODE: 'closed' } });
    expect(await closed.call({ action: 'issue' })).toMatchObject({
      passed: 'false',
      reason: 'key_unavailable',
    });
  });

  it('a pass whose marking fails still passes', async () => {
    const inner = new MemoryScreeningStore();
    const store = new Proxy(inner, {
      get(target, property, receiver) {
        if (property === 'markVerified') return () => Promise.reject(new StoreUnavailableError('verify'));
        return Reflect.get(target, property, receiver);
      },
    });
    const r = rig({ store, env: { FLOWGUARD_CHALLENGE_FAIL_MODE: 'closed' } });
    const { digits, token } = await r.issue('c-22');
    expect(
      await r.call({ action: 'verify', challengeToken: token, input: digits }, { initialContactId: 'c-22' }),
    ).toMatchObject({ passed: 'true', error: 'store_unavailable', verifiedUntil: '' });
  });
});
