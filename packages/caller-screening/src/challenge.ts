// The IVR challenge (docs/screening.md, "The IVR challenge"): `issue` draws one or two digits for
// the caller to press and binds them to the contact in an HMAC token; `verify` checks what the
// caller pressed against the token, once, and marks the caller verified for a while.
import { createHmac, randomInt } from 'node:crypto';
import {
  type Contact,
  type Env,
  envEnum,
  envInt,
  envString,
  type FlowFunction,
  FlowguardError,
  type InvocationContext,
  stringParameter,
} from '@flowguard/contact';
import type { FailMode } from './config.js';
import {
  CHALLENGE_BUDGET_MS,
  CHALLENGE_OUTPUTS,
  CHALLENGE_SECRET_VARIABLE,
  CHALLENGE_SENSITIVE_OUTPUTS,
} from './contract.js';
import { ScreeningInputError, StoreUnavailableError } from './errors.js';
import { contactToken } from './ledger.js';
import type { Screener } from './screener.js';
import { canonicalMac, newNonce, type SigningKeys, sameMac } from './signed-identity.js';
import type { ScreeningStore } from './store.js';

export interface ChallengeConfig {
  /** Unset: every call answers `error=not_configured`. */
  readonly secretId: string | undefined;
  /** How long after `issue` the caller may answer. */
  readonly tokenSeconds: number;
  /** How long a pass marks the caller verified; 0 marks nothing. */
  readonly verifiedSeconds: number;
  readonly failMode: FailMode;
}

export function readChallengeConfig(env: Env = process.env): ChallengeConfig {
  const secretId = envString(CHALLENGE_SECRET_VARIABLE, { env, default: '' });
  return {
    secretId: secretId === '' ? undefined : secretId,
    tokenSeconds: envInt('FLOWGUARD_CHALLENGE_TTL_SECONDS', { env, min: 10, max: 600, default: 60 }),
    verifiedSeconds: envInt('FLOWGUARD_VERIFIED_SECONDS', { env, min: 0, max: 30 * 86_400, default: 86_400 }),
    failMode: envEnum('FLOWGUARD_CHALLENGE_FAIL_MODE', ['open', 'closed'] as const, { env, default: 'open' }),
  };
}

/** Why a verify did not pass (`ok` when it did); a metric each, `Challenge_<reason>`. */
export type ChallengeReason = 'ok' | 'wrong_input' | 'expired' | 'replayed' | 'bad_token' | 'no_input';

const VERSION = 'c1';
const TOKEN_CONTEXT = 'flowguard-challenge-token-v1';
const ANSWER_CONTEXT = 'flowguard-challenge-answer-v1';
const NONCE = /^[A-Za-z0-9_-]{22}$/;
const TAG = /^[A-Za-z0-9_-]{22}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;
/** A token issued by an instance whose clock is ahead of this one's by this much is still good. */
const FUTURE_SKEW_SECONDS = 30;
/** What Connect stores when the caller typed nothing, or only the terminator (connect-facts.md §3). */
const NO_INPUT = new Set(['Timeout', '#']);
/** The store's requests stop this long before the budget, so a slow store gets the fail-mode answer. */
const STORE_MARGIN_MS = 150;

/** The challenge's parts: what `issue` signs and `verify` checks. */
export interface ChallengeToken {
  /** Epoch seconds of `issue`. */
  readonly issuedAt: number;
  /** 128 random bits, base64url: single use. */
  readonly nonce: string;
  /** HMAC over the contact, the nonce and the digits (128 bits, base64url): not the digits. */
  readonly tag: string;
}

const hmac = (key: Uint8Array, parts: readonly (string | number)[]) =>
  // JSON of an array: no choice of fields can make two challenges MAC the same text.
  createHmac('sha256', key).update(JSON.stringify(parts)).digest();

/** The answer's tag: binds the digits to the contact and the nonce without revealing them. */
function answerTag(key: Uint8Array, initialContactId: string, nonce: string, digits: string): Buffer {
  return hmac(key, [ANSWER_CONTEXT, initialContactId, nonce, digits]).subarray(0, 16);
}

function tokenMac(key: Uint8Array, initialContactId: string, token: ChallengeToken): Buffer {
  return hmac(key, [TOKEN_CONTEXT, initialContactId, token.issuedAt, token.nonce, token.tag]);
}

/**
 * The challenge token for `digits` on this contact: `c1.<issuedAt>.<nonce>.<tag>.<mac>`, about
 * 105 characters. The tag is an HMAC over the digits, so the token does not reveal them; the mac
 * binds the rest to the contact's InitialContactId (a transfer keeps it; another contact cannot
 * use the token).
 */
export function signChallenge(
  key: Uint8Array,
  initialContactId: string,
  digits: string,
  issuedAt: number,
  nonce: string = newNonce(),
): string {
  if (key.byteLength < 32) throw new RangeError('the challenge key must be at least 32 bytes');
  if (!/^\d{1,2}$/.test(digits)) throw new RangeError('a challenge is one or two digits');
  const token: ChallengeToken = {
    issuedAt,
    nonce,
    tag: answerTag(key, initialContactId, nonce, digits).toString('base64url'),
  };
  const mac = tokenMac(key, initialContactId, token).toString('base64url');
  return `${VERSION}.${issuedAt}.${nonce}.${token.tag}.${mac}`;
}

/** The token's parts when its shape is right and one of `keys` made it for this contact; else null. */
export function openChallenge(
  keys: readonly Uint8Array[],
  initialContactId: string,
  text: string,
): { token: ChallengeToken; key: Uint8Array } | null {
  const [version, issued, nonce, tag, mac, ...rest] = text.split('.');
  if (
    version !== VERSION ||
    rest.length > 0 ||
    issued === undefined ||
    !/^\d{1,12}$/.test(issued) ||
    nonce === undefined ||
    !NONCE.test(nonce) ||
    tag === undefined ||
    !TAG.test(tag) ||
    mac === undefined ||
    !MAC.test(mac)
  )
    return null;
  const token: ChallengeToken = { issuedAt: Number(issued), nonce, tag };
  const given = canonicalMac(mac);
  if (given === null) return null;
  for (const key of keys) if (sameMac(tokenMac(key, initialContactId, token), given)) return { token, key };
  return null;
}

/** Whether `input` is the token's digits (constant time). */
export function answers(
  key: Uint8Array,
  initialContactId: string,
  token: ChallengeToken,
  input: string,
): boolean {
  return sameMac(answerTag(key, initialContactId, token.nonce, input), Buffer.from(token.tag, 'base64url'));
}

/**
 * `length` random digits for the caller to press: 1 to 9 (no 0, which many callers and bots
 * press for an operator), two different ones when two (no "press 4, then 4"). A random guess
 * passes 1 in 9, or 1 in 72.
 */
export function drawDigits(length: 1 | 2): string {
  const first = randomInt(1, 10);
  if (length === 1) return String(first);
  const second = randomInt(1, 9);
  return `${first}${second >= first ? second + 1 : second}`;
}

/** The store key of a challenge's nonce claim: apart from start-contact's (`edge:<nonce>`). */
const claimToken = (nonce: string) => contactToken(`challenge:${nonce}`);

/**
 * Who claims a challenge: the contact and what it pressed. The same contact with the same input
 * (a Connect retry of the invocation) is the owner again and gets the same answer; any other
 * guess on the token is `replayed`. The store keeps only this hash, never the input.
 */
const claimOwner = (key: Uint8Array, initialContactId: string, nonce: string, input: string) =>
  contactToken(hmac(key, ['flowguard-challenge-claim-v1', initialContactId, nonce, input]).toString('hex'));

export interface ChallengeOptions {
  /** Identity (who the caller is) and the clock. */
  readonly screener: Screener;
  /** Where nonces are claimed and callers marked verified (the screening table). */
  readonly store: ScreeningStore;
  /** The token key; undefined when `FLOWGUARD_CHALLENGE_SECRET_ID` is unset. */
  readonly keys: SigningKeys | undefined;
  readonly config: ChallengeConfig;
}

/** The reason a store request was cut short: the budget is nearly spent. */
class StoreDeadlineError extends Error {
  constructor() {
    super('the time budget is nearly spent');
    this.name = 'TimeoutError';
  }
}

/** Codes of a dependency down: `open` passes them (a right answer, or no way to check one). */
const OUTAGES = new Set(['store_unavailable', 'timeout', 'key_unavailable']);

const isoOrEmpty = (epochSeconds: number) =>
  epochSeconds > 0 ? new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z') : '';

const EMPTY = { digits: '', digitsSpoken: '', challengeToken: '', verifiedUntil: '' };

/**
 * `challenge`: `action=issue` answers `digits` to speak and a `challengeToken`; `action=verify`
 * with `challengeToken` and `input` (the caller's keys) answers `passed` and `reason`, and marks
 * the caller verified on a pass.
 */
export function challengeFunction(options: ChallengeOptions): FlowFunction {
  const { screener, store, keys, config } = options;
  const open = config.failMode === 'open';
  const keyUnavailable = (cause: unknown): never => {
    throw new FlowguardError('key_unavailable', 'the challenge key could not be read', { cause });
  };
  const needKeys = (): SigningKeys => {
    if (!keys)
      throw new ScreeningInputError(
        'not_configured',
        `no challenge key is configured (${CHALLENGE_SECRET_VARIABLE})`,
      );
    return keys;
  };

  async function issue(contact: Contact, context: InvocationContext) {
    const lengthText = stringParameter(contact, 'length', { maxLength: 2 }) ?? '1';
    if (lengthText !== '1' && lengthText !== '2')
      throw new ScreeningInputError('bad_parameter', 'parameter length: 1 or 2');
    const key = await needKeys().current(context.signal).catch(keyUnavailable);
    const digits = drawDigits(lengthText === '1' ? 1 : 2);
    context.addMetric('Challenge_issued');
    return {
      ...EMPTY,
      passed: false,
      reason: 'issued',
      digits,
      // Spoken one by one in any language: "4 7", not "forty-seven".
      digitsSpoken: digits.split('').join(' '),
      challengeToken: signChallenge(key, contact.initialContactId, digits, screener.nowSeconds()),
    };
  }

  async function verify(contact: Contact, context: InvocationContext) {
    const fail = (reason: ChallengeReason, extra: Record<string, string> = {}) => {
      context.addMetric(`Challenge_${reason}`);
      return { ...EMPTY, passed: false, reason, ...extra };
    };
    const input = stringParameter(contact, 'input', { maxLength: 64 });
    const text = stringParameter(contact, 'challengeToken', { maxLength: 256 });
    const signing = needKeys();
    if (input === undefined || NO_INPUT.has(input)) return fail('no_input');
    if (text === undefined) return fail('bad_token');
    const id = contact.initialContactId;
    let opened = openChallenge([await signing.current(context.signal).catch(keyUnavailable)], id, text);
    if (!opened) {
      // Issued just before a rotation moved AWSCURRENT: the previous key is asked for only then.
      const previous = await signing.previous(context.signal);
      if (previous) opened = openChallenge([previous], id, text);
    }
    if (!opened) return fail('bad_token');
    const { token, key } = opened;
    const now = screener.nowSeconds();
    const age = now - token.issuedAt;
    if (age > config.tokenSeconds || age < -FUTURE_SKEW_SECONDS) return fail('expired');
    // The digits pressed (a `#` terminator dropped); never logged, never stored.
    const pressed = input.replace(/#$/, '');
    const right = answers(key, id, token, pressed);

    // The store's requests stop a little before the budget, so a slow store gets an answer here.
    const stop = new AbortController();
    const timer = setTimeout(
      () => stop.abort(new StoreDeadlineError()),
      Math.max(1, context.deadline - Date.now() - STORE_MARGIN_MS),
    );
    try {
      let claim: 'claimed' | 'replayed';
      try {
        claim = await store.claim(
          {
            nonce: claimToken(token.nonce),
            contact: claimOwner(key, id, token.nonce, pressed),
            expiresAt: token.issuedAt + config.tokenSeconds + FUTURE_SKEW_SECONDS,
          },
          stop.signal,
        );
      } catch (error) {
        // Single use cannot be checked. Open: the digits still decide (a wrong answer never
        // passes), unclaimed and unmarked; closed: the fail-mode answer, passed=false.
        if (!(error instanceof StoreUnavailableError) || !open) throw error;
        context.addMetric('Challenge_unclaimed');
        const code = error.timedOut ? 'timeout' : 'store_unavailable';
        if (!right) return fail('wrong_input', { error: code });
        context.addMetric('Challenge_ok');
        return { ...EMPTY, passed: true, reason: 'ok', error: code };
      }
      if (claim === 'replayed') return fail('replayed');
      if (!right) return fail('wrong_input');
      context.addMetric('Challenge_ok');
      const identity = screener.identify(contact);
      // A withheld or unidentified caller passes, but has no item to mark.
      if (identity.key === null || config.verifiedSeconds === 0)
        return { ...EMPTY, passed: true, reason: 'ok' };
      try {
        const until = await store.markVerified(identity.key, now + config.verifiedSeconds, stop.signal);
        return { ...EMPTY, passed: true, reason: 'ok', verifiedUntil: isoOrEmpty(until) };
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        // The caller did pass: only the memory of it is lost (challenged again next time).
        context.addMetric('Challenge_unmarked');
        return {
          ...EMPTY,
          passed: true,
          reason: 'ok',
          error: error.timedOut ? 'timeout' : 'store_unavailable',
        };
      }
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    name: 'challenge',
    outputKeys: CHALLENGE_OUTPUTS,
    budgetMs: CHALLENGE_BUDGET_MS,
    // The caller's keys and the digits are never logged; the token is no use in a log either.
    sensitiveKeys: ['input', 'challengeToken', ...CHALLENGE_SENSITIVE_OUTPUTS],
    neverLogEvent: true,
    failMode: (code) => ({
      ...EMPTY,
      // Open passes only an outage; a bad event, parameter or configuration never passes.
      passed: open && OUTAGES.has(code),
      reason: code,
    }),
    async handle(contact: Contact, context: InvocationContext) {
      const action = stringParameter(contact, 'action', { required: true, maxLength: 16 });
      if (action === 'issue') return issue(contact, context);
      if (action === 'verify') return verify(contact, context);
      throw new ScreeningInputError('bad_parameter', 'parameter action: issue or verify');
    },
  };
}
