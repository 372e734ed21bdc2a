import { inspect } from 'node:util';
import type {
  GetSecretValueCommand,
  GetSecretValueCommandInput,
  GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { errorAttributes } from '@flowguard/contact';
import { describe, expect, it } from 'vitest';
import {
  SecretAccessDeniedError,
  SecretCache,
  type SecretCacheEvent,
  type SecretCacheOptions,
  SecretFormatError,
  SecretNotFoundError,
  type SecretsClient,
  SecretUnavailableError,
} from '../../src/index.js';

const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);
const TTL = 300_000;
const MAX_STALE = 3_600_000;
const ID = 'flowguard/hmac-key';
const SECRET_VALUE = 'hunter2-super-secret';

type Answer = GetSecretValueCommandOutput | Error;

interface Call {
  readonly input: GetSecretValueCommandInput;
  readonly signal: AbortSignal | undefined;
  resolve(output: GetSecretValueCommandOutput): void;
  reject(error: Error): void;
}

/**
 * Stands in for SecretsManagerClient: records each send and answers it with the current answer,
 * or (after `hold()`) leaves it pending until the test settles `calls[i]`. Rejects on abort, as
 * the SDK does.
 */
class FakeSecretsManager implements SecretsClient {
  readonly calls: Call[] = [];
  private answer: Answer = version('v1', SECRET_VALUE);
  private holding = false;

  answerWith(answer: Answer): void {
    this.answer = answer;
    this.holding = false;
  }

  hold(): void {
    this.holding = true;
  }

  send(
    command: GetSecretValueCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<GetSecretValueCommandOutput> {
    return new Promise((resolve, reject) => {
      const signal = options?.abortSignal;
      signal?.addEventListener('abort', () => reject(sdkError('AbortError')), { once: true });
      this.calls.push({ input: command.input, signal, resolve, reject });
      if (this.holding) return;
      if (this.answer instanceof Error) reject(this.answer);
      else resolve(this.answer);
    });
  }
}

class Clock {
  ms = T0;
  readonly now = (): number => this.ms;

  advance(ms: number): void {
    this.ms += ms;
  }
}

function version(
  versionId: string,
  value: string | Uint8Array,
  stage = 'AWSCURRENT',
): GetSecretValueCommandOutput {
  const field = typeof value === 'string' ? { SecretString: value } : { SecretBinary: value };
  return {
    ARN: `arn:${ID}`,
    Name: ID,
    VersionId: versionId,
    VersionStages: [stage],
    ...field,
    $metadata: {},
  };
}

/** Errors as the SDK throws them: the exception type is the `name`. */
function sdkError(name: string, message = 'x'): Error {
  return Object.assign(new Error(message), { name });
}

interface Rig {
  readonly cache: SecretCache;
  readonly client: FakeSecretsManager;
  readonly clock: Clock;
  readonly events: SecretCacheEvent[];
  readonly warnings: Array<{ message: string; attributes: unknown }>;
}

/** random = 0.5 puts every expiry exactly at fetchedAt + ttl, unless a test says otherwise. */
function rig(options: SecretCacheOptions = {}): Rig {
  const client = new FakeSecretsManager();
  const clock = new Clock();
  const events: SecretCacheEvent[] = [];
  const warnings: Array<{ message: string; attributes: unknown }> = [];
  const cache = new SecretCache({
    client,
    clock: clock.now,
    random: () => 0.5,
    logger: { warn: (message, attributes) => warnings.push({ message, attributes }) },
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { cache, client, clock, events, warnings };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Lets pending promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('SecretCache.get', () => {
  it('returns the value, version, stage and fetch time of AWSCURRENT', async () => {
    const { cache, client } = rig();

    const secret = await cache.get(ID);

    expect(secret).toEqual({
      value: SECRET_VALUE,
      versionId: 'v1',
      stage: 'AWSCURRENT',
      fetchedAt: T0,
      stale: false,
    });
    expect(client.calls.map((call) => call.input)).toEqual([{ SecretId: ID, VersionStage: 'AWSCURRENT' }]);
  });

  it('serves hits until the TTL ends, then fetches again', async () => {
    const { cache, client, clock, events } = rig();
    await cache.get(ID);

    clock.advance(TTL - 1);
    const before = await cache.get(ID);
    const sendsBefore = client.calls.length;
    clock.advance(1);
    client.answerWith(version('v2', 'next'));
    const after = await cache.get(ID);

    expect(sendsBefore).toBe(1);
    expect(before).toMatchObject({ value: SECRET_VALUE, fetchedAt: T0 });
    expect(client.calls).toHaveLength(2);
    expect(after).toMatchObject({ value: 'next', versionId: 'v2', fetchedAt: T0 + TTL, stale: false });
    expect(events).toEqual(['miss', 'hit', 'miss', 'refresh']);
  });

  it.each([
    [0, TTL * 0.9],
    [1, TTL * 1.1],
    [0.25, TTL * 0.95],
  ])('with random() = %s expires the entry after %s ms (jitter 0.1)', async (random, expiry) => {
    const { cache, client, clock } = rig({ random: () => random, jitter: 0.1 });
    await cache.get(ID);

    clock.advance(expiry - 1);
    await cache.get(ID);
    const sendsBeforeExpiry = client.calls.length;
    clock.advance(1);
    await cache.get(ID);

    expect(sendsBeforeExpiry).toBe(1);
    expect(client.calls).toHaveLength(2);
  });

  it('keeps stages and version ids apart', async () => {
    const { cache, client } = rig();
    client.answerWith(version('v2', 'current'));
    const current = await cache.get(ID);
    client.answerWith(version('v1', 'previous', 'AWSPREVIOUS'));
    const previous = await cache.get(ID, { versionStage: 'AWSPREVIOUS' });
    client.answerWith(version('v0', 'oldest'));
    const byId = await cache.get(ID, { versionId: 'v0' });
    client.answerWith(version('v9', 'pending', 'AWSPENDING'));
    const pending = await cache.get(ID, { versionStage: 'AWSPENDING' });

    const again = await Promise.all([
      cache.get(ID),
      cache.get(ID, { versionStage: 'AWSPREVIOUS' }),
      cache.get(ID, { versionId: 'v0' }),
      cache.get(ID, { versionStage: 'AWSPENDING' }),
    ]);

    expect([current.value, previous.value, byId.value, pending.value]).toEqual([
      'current',
      'previous',
      'oldest',
      'pending',
    ]);
    expect(again.map((secret) => secret.value)).toEqual(['current', 'previous', 'oldest', 'pending']);
    expect(client.calls.map((call) => call.input)).toEqual([
      { SecretId: ID, VersionStage: 'AWSCURRENT' },
      { SecretId: ID, VersionStage: 'AWSPREVIOUS' },
      { SecretId: ID, VersionId: 'v0' },
      { SecretId: ID, VersionStage: 'AWSPENDING' },
    ]);
    expect(byId.stage).toBeUndefined();
  });

  it('sends both a version id and a stage when both are given, as a key of their own', async () => {
    const { cache, client } = rig();

    await cache.get(ID, { versionId: 'v1' });
    await cache.get(ID, { versionId: 'v1', versionStage: 'AWSCURRENT' });

    expect(client.calls.map((call) => call.input)).toEqual([
      { SecretId: ID, VersionId: 'v1' },
      { SecretId: ID, VersionStage: 'AWSCURRENT', VersionId: 'v1' },
    ]);
  });

  it('returns binary secrets as a copy the caller may wipe', async () => {
    const { cache, client } = rig();
    client.answerWith(version('v1', new Uint8Array([1, 2, 3])));

    const first = await cache.get(ID);
    if (first.value instanceof Uint8Array) first.value.fill(0);
    const second = await cache.get(ID);

    expect(second.value).toEqual(new Uint8Array([1, 2, 3]));
    expect(client.calls).toHaveLength(1);
  });

  it('keeps working when onEvent or the logger throws', async () => {
    const { cache, clock, client } = rig({
      onEvent: () => {
        throw new Error('observer bug');
      },
      logger: {
        warn: () => {
          throw new Error('logger bug');
        },
      },
    });
    await cache.get(ID);
    clock.advance(TTL);
    client.answerWith(sdkError('ThrottlingException'));

    const secret = await cache.get(ID);

    expect(secret).toMatchObject({ value: SECRET_VALUE, stale: true });
  });

  it('rejects an empty secret id before sending', async () => {
    const { cache, client } = rig();

    const error = await rejectionOf(cache.get(''));

    expect(error).toBeInstanceOf(TypeError);
    expect(client.calls).toHaveLength(0);
  });
});

describe('SecretCache options', () => {
  it.each([
    [{ jitter: 1.5 }, /jitter/],
    [{ ttlMs: -1 }, /ttlMs/],
    [{ maxStaleMs: Number.NaN }, /maxStaleMs/],
    [{ fetchTimeoutMs: -1 }, /fetchTimeoutMs/],
    [{ minRefreshIntervalMs: 10_000, maxBackoffMs: 5_000 }, /maxBackoffMs/],
  ])('rejects %o', (options, message) => {
    expect(() => new SecretCache(options)).toThrow(message);
  });
});

describe('SecretCache single flight', () => {
  it('sends once for ten concurrent gets and gives them all the value', async () => {
    const { cache, client } = rig();
    client.hold();

    const pending = Array.from({ length: 10 }, () => cache.get(ID));
    await settle();
    client.calls[0]?.resolve(version('v1', SECRET_VALUE));
    const secrets = await Promise.all(pending);

    expect(client.calls).toHaveLength(1);
    expect(new Set(secrets.map((secret) => secret.value))).toEqual(new Set([SECRET_VALUE]));
  });

  it('gives every waiter the same error when the one fetch fails', async () => {
    const { cache, client } = rig();
    client.hold();

    const pending = Array.from({ length: 10 }, () => rejectionOf(cache.get(ID)));
    await settle();
    client.calls[0]?.reject(sdkError('InternalServiceError'));
    const errors = await Promise.all(pending);

    expect(client.calls).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SecretUnavailableError);
    expect(new Set(errors).size).toBe(1);
  });

  it('sends once for concurrent forced refreshes', async () => {
    const { cache, client, clock } = rig();
    await cache.get(ID);
    clock.advance(60_000);
    client.hold();

    const pending = Array.from({ length: 5 }, () => cache.refresh(ID));
    await settle();
    client.calls[1]?.resolve(version('v2', 'rotated'));
    const secrets = await Promise.all(pending);

    expect(client.calls).toHaveLength(2);
    expect(secrets.map((secret) => secret.versionId)).toEqual(['v2', 'v2', 'v2', 'v2', 'v2']);
  });

  it('starts a new fetch once the previous one has settled and its backoff has passed', async () => {
    const { cache, client, clock } = rig({ minRefreshIntervalMs: 5_000 });
    client.hold();
    const first = cache.get(ID);
    await settle();
    client.calls[0]?.reject(sdkError('ThrottlingException'));
    await rejectionOf(first);
    clock.advance(10_000);
    client.answerWith(version('v1', SECRET_VALUE));

    const second = await cache.get(ID);

    expect(client.calls).toHaveLength(2);
    expect(second.value).toBe(SECRET_VALUE);
  });
});

describe('SecretCache stale-if-error', () => {
  it('serves the last value flagged stale when the refresh fails, and says so', async () => {
    const { cache, client, clock, events, warnings } = rig();
    await cache.get(ID);
    clock.advance(TTL);
    client.answerWith(sdkError('ThrottlingException', `quoted ${SECRET_VALUE}`));

    const secret = await cache.get(ID);

    expect(secret).toEqual({
      value: SECRET_VALUE,
      versionId: 'v1',
      stage: 'AWSCURRENT',
      fetchedAt: T0,
      stale: true,
    });
    expect(events).toEqual(['miss', 'miss', 'refresh', 'refresh_failed', 'stale_served']);
    expect(warnings).toEqual([
      {
        message: 'secret refresh failed, serving the cached value',
        attributes: { secretId: ID, errorName: 'ThrottlingException' },
      },
    ]);
  });

  it.each(['ThrottlingException', 'InternalServiceError', 'ServiceUnavailable', 'TimeoutError'])(
    'serves the stale value after %s once the secret was read',
    async (name) => {
      const { cache, client, clock } = rig();
      await cache.get(ID);
      clock.advance(TTL);
      client.answerWith(sdkError(name));

      const secret = await cache.get(ID);

      expect(secret).toMatchObject({ value: SECRET_VALUE, stale: true });
    },
  );

  it('does not fetch again while backing off, then retries', async () => {
    const { cache, client, clock } = rig({ minRefreshIntervalMs: 5_000 });
    await cache.get(ID);
    clock.advance(TTL);
    client.answerWith(sdkError('ThrottlingException'));
    await cache.get(ID);

    // One failure: the interval is 2 × 5 s.
    clock.advance(9_999);
    const during = await cache.get(ID);
    const sendsDuring = client.calls.length;
    clock.advance(1);
    client.answerWith(version('v2', 'recovered'));
    const after = await cache.get(ID);

    expect(during).toMatchObject({ value: SECRET_VALUE, stale: true });
    expect(sendsDuring).toBe(2);
    expect(after).toMatchObject({ value: 'recovered', stale: false });
    expect(client.calls).toHaveLength(3);
  });

  it('gives up a fetch that hangs past fetchTimeoutMs, serves the stale value and backs off', async () => {
    const { cache, client, clock, events } = rig({ fetchTimeoutMs: 20 });
    await cache.get(ID);
    clock.advance(TTL);
    client.hold();

    const secret = await cache.get(ID);
    const sent = client.calls[1]?.signal;
    const inBackoff = await cache.get(ID);

    expect(secret).toMatchObject({ value: SECRET_VALUE, stale: true });
    expect(sent?.aborted).toBe(true);
    expect(events).toEqual(['miss', 'miss', 'refresh', 'refresh_failed', 'stale_served', 'stale_served']);
    expect(inBackoff).toMatchObject({ value: SECRET_VALUE, stale: true });
    expect(client.calls).toHaveLength(2);
  });

  it('throws "timed out" for a fetch that hangs with nothing cached, and fetches again after the backoff', async () => {
    const { cache, client, clock } = rig({ fetchTimeoutMs: 20, minRefreshIntervalMs: 5_000 });
    client.hold();

    const error = await rejectionOf(cache.get(ID));
    client.answerWith(version('v1', SECRET_VALUE));
    clock.advance(10_000);
    const next = await cache.get(ID);

    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(error).toMatchObject({
      code: 'secret_unavailable',
      message: `secret ${ID} unavailable: timed out`,
    });
    expect(next).toMatchObject({ value: SECRET_VALUE, stale: false });
    expect(client.calls).toHaveLength(2);
  });

  it('throws once the cached value is older than maxStale', async () => {
    const { cache, client, clock } = rig();
    await cache.get(ID);
    client.answerWith(sdkError('ThrottlingException'));
    clock.advance(TTL);
    await cache.get(ID);

    clock.advance(MAX_STALE - TTL + 1);
    const error = await rejectionOf(cache.get(ID));

    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(error).toMatchObject({ code: 'secret_unavailable', secretId: ID });
    expect(client.calls).toHaveLength(3);
  });

  it('serves a value exactly maxStale old', async () => {
    const { cache, client, clock } = rig();
    await cache.get(ID);
    client.answerWith(sdkError('ThrottlingException'));

    clock.advance(MAX_STALE);
    const secret = await cache.get(ID);

    expect(secret).toMatchObject({ value: SECRET_VALUE, stale: true });
  });

  it('throws when the first fetch fails, having nothing to serve', async () => {
    const { cache, client, events, warnings } = rig();
    client.answerWith(sdkError('ThrottlingException'));

    const error = await rejectionOf(cache.get(ID));

    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(events).toEqual(['miss', 'refresh_failed']);
    expect(warnings).toEqual([]);
  });
});

describe('SecretCache.refresh', () => {
  it('fetches the rotated version inside the TTL, and get serves it', async () => {
    const { cache, client, clock, events } = rig();
    await cache.get(ID);
    clock.advance(60_000);
    client.answerWith(version('v2', 'rotated'));

    const refreshed = await cache.refresh(ID);
    const got = await cache.get(ID);

    expect(refreshed).toMatchObject({ value: 'rotated', versionId: 'v2', stale: false });
    expect(got).toMatchObject({ value: 'rotated', versionId: 'v2' });
    expect(client.calls).toHaveLength(2);
    expect(events).toEqual(['miss', 'refresh', 'hit']);
  });

  it('fetches when nothing is cached yet', async () => {
    const { cache, client } = rig();

    const secret = await cache.refresh(ID, { versionStage: 'AWSPENDING' });

    expect(secret).toMatchObject({ value: SECRET_VALUE, stage: 'AWSPENDING' });
    expect(client.calls.map((call) => call.input)).toEqual([{ SecretId: ID, VersionStage: 'AWSPENDING' }]);
  });

  it('does not fetch for a second forced refresh inside the interval', async () => {
    const { cache, client, clock, events } = rig({ minRefreshIntervalMs: 5_000 });
    await cache.refresh(ID);
    clock.advance(4_999);
    client.answerWith(version('v2', 'rotated'));

    const throttled = await cache.refresh(ID);
    clock.advance(1);
    const allowed = await cache.refresh(ID);

    expect(throttled).toMatchObject({ value: SECRET_VALUE, versionId: 'v1', stale: false });
    expect(allowed).toMatchObject({ value: 'rotated', versionId: 'v2' });
    expect(client.calls).toHaveLength(2);
    expect(events.filter((event) => event === 'refresh_throttled')).toHaveLength(1);
  });

  it('doubles the interval with each consecutive failure, up to the maximum', async () => {
    const { cache, client, clock } = rig({ minRefreshIntervalMs: 5_000, maxBackoffMs: 20_000 });
    await cache.get(ID);
    client.answerWith(sdkError('InternalServiceError'));
    const sendsAfter = async (waitMs: number): Promise<number> => {
      clock.advance(waitMs);
      await cache.refresh(ID);
      return client.calls.length;
    };

    await cache.refresh(ID); // failure 1: interval 10 s
    const sends = [
      await sendsAfter(9_999),
      await sendsAfter(1), // failure 2: interval 20 s
      await sendsAfter(19_999),
      await sendsAfter(1), // failure 3: interval capped at 20 s
      await sendsAfter(19_999),
      await sendsAfter(1),
    ];

    expect(sends).toEqual([2, 3, 3, 4, 4, 5]);
  });

  it('returns to the minimum interval after a success', async () => {
    const { cache, client, clock } = rig({ minRefreshIntervalMs: 5_000, maxBackoffMs: 60_000 });
    await cache.get(ID);
    client.answerWith(sdkError('InternalServiceError'));
    await cache.refresh(ID); // interval 10 s
    clock.advance(10_000);
    await cache.refresh(ID); // interval 20 s
    clock.advance(20_000);
    client.answerWith(version('v2', 'rotated'));
    await cache.refresh(ID); // success: interval 5 s
    client.answerWith(version('v3', 'rotated again'));

    clock.advance(4_999);
    const throttled = await cache.refresh(ID);
    clock.advance(1);
    const refreshed = await cache.refresh(ID);

    expect(throttled.versionId).toBe('v2');
    expect(refreshed.versionId).toBe('v3');
    expect(client.calls).toHaveLength(5);
  });

  it('serves the cached value flagged stale when the forced fetch fails', async () => {
    const { cache, client, clock, events } = rig();
    await cache.get(ID);
    clock.advance(60_000);
    client.answerWith(sdkError('ThrottlingException'));

    const secret = await cache.refresh(ID);

    expect(secret).toMatchObject({ value: SECRET_VALUE, stale: true });
    expect(events).toEqual(['miss', 'refresh', 'refresh_failed', 'stale_served']);
  });

  it('rethrows the last error when throttled with nothing to serve', async () => {
    const { cache, client } = rig();
    client.answerWith(sdkError('ResourceNotFoundException'));
    const first = await rejectionOf(cache.refresh(ID));

    const second = await rejectionOf(cache.refresh(ID));

    expect(first).toBeInstanceOf(SecretNotFoundError);
    expect(second).toBe(first);
    expect(client.calls).toHaveLength(1);
  });
});

describe('SecretCache.getJson', () => {
  it('parses once per version: two gets share one object', async () => {
    const { cache, client } = rig();
    client.answerWith(version('v1', '{"key":"abc","kid":1}'));

    const first = await cache.getJson<{ key: string; kid: number }>(ID);
    const second = await cache.getJson<{ key: string; kid: number }>(ID);

    expect(first.value).toEqual({ key: 'abc', kid: 1 });
    expect(second.value).toBe(first.value);
  });

  it('parses again when a refresh brings a new version', async () => {
    const { cache, client, clock } = rig();
    client.answerWith(version('v1', '{"kid":1}'));
    const before = await cache.getJson(ID);
    clock.advance(10_000);
    client.answerWith(version('v2', '{"kid":2}'));

    await cache.refresh(ID);
    const after = await cache.getJson(ID);

    expect(after.value).toEqual({ kid: 2 });
    expect(after.value).not.toBe(before.value);
    expect(after.versionId).toBe('v2');
  });

  it('keeps the parsed object when a TTL refresh brings back the same version', async () => {
    const { cache, client, clock } = rig();
    client.answerWith(version('v1', '{"kid":1}'));
    const before = await cache.getJson(ID);
    clock.advance(TTL);

    const after = await cache.getJson(ID);

    expect(client.calls).toHaveLength(2);
    expect(after.fetchedAt).toBe(T0 + TTL);
    expect(after.value).toBe(before.value);
  });

  it('parses JSON held in SecretBinary', async () => {
    const { cache, client } = rig();
    client.answerWith(version('v1', new TextEncoder().encode('{"kid":7}')));

    const secret = await cache.getJson(ID);

    expect(secret.value).toEqual({ kid: 7 });
  });

  it('names the secret, never the value, when the JSON is malformed', async () => {
    const { cache, client } = rig();
    client.answerWith(version('v1', `{"password": ${SECRET_VALUE}`));

    const error = await rejectionOf(cache.getJson(ID));
    const again = await rejectionOf(cache.getJson(ID));

    expect(error).toBeInstanceOf(SecretFormatError);
    expect(error).toMatchObject({ code: 'secret_malformed', secretId: ID });
    expect((error as Error).message).toBe(`secret ${ID}: not valid JSON`);
    expect(inspect(error)).not.toContain(SECRET_VALUE);
    expect(JSON.stringify(errorAttributes(error))).not.toContain(SECRET_VALUE);
    expect(again).toBe(error);
  });
});

describe('SecretCache errors', () => {
  it.each([
    ['ResourceNotFoundException', SecretNotFoundError, 'secret_not_found', `secret ${ID} not found`],
    [
      'AccessDeniedException',
      SecretAccessDeniedError,
      'secret_access_denied',
      `access to secret ${ID} denied`,
    ],
    ['AccessDenied', SecretAccessDeniedError, 'secret_access_denied', `access to secret ${ID} denied`],
    [
      'ThrottlingException',
      SecretUnavailableError,
      'secret_unavailable',
      `secret ${ID} unavailable: fetch failed`,
    ],
    [
      'InternalServiceError',
      SecretUnavailableError,
      'secret_unavailable',
      `secret ${ID} unavailable: fetch failed`,
    ],
    ['TimeoutError', SecretUnavailableError, 'secret_unavailable', `secret ${ID} unavailable: timed out`],
  ])('maps %s to %o', async (name, type, code, message) => {
    const { cache, client } = rig();
    const original = sdkError(name);
    client.answerWith(original);

    const error = await rejectionOf(cache.get(ID));

    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code, message, secretId: ID });
    expect((error as Error).cause).toBe(original);
  });

  it('logs nothing of the SDK message through errorAttributes', async () => {
    const { cache, client } = rig();
    client.answerWith(sdkError('InternalServiceError', `response body: {"SecretString":"${SECRET_VALUE}"}`));

    const error = await rejectionOf(cache.get(ID));
    const logged = JSON.stringify(errorAttributes(error));

    expect(logged).toContain('secret_unavailable');
    expect(logged).toContain('InternalServiceError');
    expect(logged).not.toContain(SECRET_VALUE);
  });

  it('rejects a secret with neither SecretString nor SecretBinary', async () => {
    const { cache, client } = rig();
    client.answerWith({ VersionId: 'v1', $metadata: {} });

    const error = await rejectionOf(cache.get(ID));

    expect(error).toBeInstanceOf(SecretFormatError);
    expect(error).toMatchObject({
      code: 'secret_malformed',
      message: `secret ${ID}: has neither SecretString nor SecretBinary`,
    });
  });
});

describe('SecretCache abort', () => {
  it("passes an abort signal to send that follows the caller's", async () => {
    const { cache, client, events } = rig();
    client.hold();
    const controller = new AbortController();
    const reason = new Error('budget spent');

    const pending = rejectionOf(cache.get(ID, { signal: controller.signal }));
    await settle();
    const sent = client.calls[0]?.signal;
    const abortedBefore = sent?.aborted;
    controller.abort(reason);
    const error = await pending;

    expect(abortedBefore).toBe(false);
    expect(sent?.aborted).toBe(true);
    expect(sent?.reason).toBe(reason);
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(error).toMatchObject({ message: `secret ${ID} unavailable: fetch aborted`, cause: reason });
    expect(events).not.toContain('refresh_failed');
  });

  it('keeps the shared fetch going while another caller still waits', async () => {
    const { cache, client } = rig();
    client.hold();
    const controller = new AbortController();

    const leaving = rejectionOf(cache.get(ID, { signal: controller.signal }));
    const staying = cache.get(ID, { signal: new AbortController().signal });
    await settle();
    controller.abort();
    await leaving;
    const sentAborted = client.calls[0]?.signal?.aborted;
    client.calls[0]?.resolve(version('v1', SECRET_VALUE));

    expect(sentAborted).toBe(false);
    expect((await staying).value).toBe(SECRET_VALUE);
    expect(client.calls).toHaveLength(1);
  });

  it('starts a fresh fetch for the next caller after an abandoned one', async () => {
    const { cache, client } = rig();
    client.hold();
    const controller = new AbortController();
    const abandoned = rejectionOf(cache.get(ID, { signal: controller.signal }));
    await settle();
    controller.abort();
    await abandoned;
    client.answerWith(version('v1', SECRET_VALUE));

    const secret = await cache.get(ID);

    expect(secret.value).toBe(SECRET_VALUE);
    expect(client.calls).toHaveLength(2);
  });

  it('does not send for a signal already aborted', async () => {
    const { cache, client } = rig();

    const error = await rejectionOf(cache.get(ID, { signal: AbortSignal.abort() }));

    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(client.calls).toHaveLength(0);
  });
});

describe('SecretCache negative caching at cold start', () => {
  it('answers the last error without fetching until the backoff has passed, then fetches once', async () => {
    const { cache, client, clock, events } = rig({ minRefreshIntervalMs: 5_000 });
    client.answerWith(sdkError('InternalServiceError'));
    const first = await rejectionOf(cache.get(ID));

    // One failure: the interval is 2 × 5 s.
    const during = await Promise.all(Array.from({ length: 20 }, () => rejectionOf(cache.get(ID))));
    clock.advance(9_999);
    const lastInside = await rejectionOf(cache.get(ID));
    const sendsInside = client.calls.length;
    clock.advance(1);
    const retried = await rejectionOf(cache.get(ID));

    expect(first).toBeInstanceOf(SecretUnavailableError);
    expect(new Set([...during, lastInside])).toEqual(new Set([first]));
    expect(sendsInside).toBe(1);
    expect(retried).toBeInstanceOf(SecretUnavailableError);
    expect(client.calls).toHaveLength(2);
    expect(events.filter((event) => event === 'error_served')).toHaveLength(21);
  });

  it('doubles the interval while the service stays down, and serves the value once it is back', async () => {
    const { cache, client, clock } = rig({ minRefreshIntervalMs: 5_000, maxBackoffMs: 60_000 });
    client.answerWith(sdkError('ThrottlingException'));
    await rejectionOf(cache.get(ID)); // failure 1: 10 s
    clock.advance(10_000);
    await rejectionOf(cache.get(ID)); // failure 2: 20 s
    clock.advance(19_999);
    await rejectionOf(cache.get(ID));
    const sendsInside = client.calls.length;
    clock.advance(1);
    client.answerWith(version('v1', SECRET_VALUE));

    const secret = await cache.get(ID);

    expect(sendsInside).toBe(2);
    expect(secret).toMatchObject({ value: SECRET_VALUE, stale: false });
    expect(client.calls).toHaveLength(3);
  });

  it('holds back a forced refresh with nothing cached during the backoff too', async () => {
    const { cache, client } = rig();
    client.answerWith(sdkError('InternalServiceError'));
    const first = await rejectionOf(cache.get(ID));

    const forced = await rejectionOf(cache.refresh(ID, { reason: 'key-2' }));

    expect(forced).toBe(first);
    expect(client.calls).toHaveLength(1);
  });
});

describe('SecretCache revocation', () => {
  it.each([
    ['AccessDeniedException', SecretAccessDeniedError],
    ['AccessDenied', SecretAccessDeniedError],
    ['ResourceNotFoundException', SecretNotFoundError],
  ])(
    'stops serving the cached value at once on %s, and does not fetch again while backing off',
    async (name, type) => {
      const { cache, client, clock, events, warnings } = rig();
      await cache.get(ID);
      clock.advance(TTL);
      client.answerWith(sdkError(name));

      const revoked = await rejectionOf(cache.get(ID));
      const again = await rejectionOf(cache.get(ID));

      expect(revoked).toBeInstanceOf(type);
      expect(again).toBe(revoked);
      expect(client.calls).toHaveLength(2);
      expect(events).not.toContain('stale_served');
      expect(warnings).toEqual([]);
    },
  );

  it('stops a forced refresh from serving the cached value once access is denied', async () => {
    const { cache, client, clock } = rig();
    await cache.get(ID);
    clock.advance(60_000);
    client.answerWith(sdkError('AccessDeniedException'));

    const refreshed = await rejectionOf(cache.refresh(ID));
    const got = await rejectionOf(cache.get(ID));

    expect(refreshed).toBeInstanceOf(SecretAccessDeniedError);
    expect(got).toBe(refreshed);
  });

  it('reads the secret again once access is restored and the backoff has passed', async () => {
    const { cache, client, clock } = rig({ minRefreshIntervalMs: 5_000 });
    await cache.get(ID);
    clock.advance(TTL);
    client.answerWith(sdkError('AccessDeniedException'));
    await rejectionOf(cache.get(ID));
    clock.advance(10_000);
    client.answerWith(version('v2', 'restored'));

    const secret = await cache.get(ID);

    expect(secret).toMatchObject({ value: 'restored', versionId: 'v2', stale: false });
  });
});

describe('SecretCache.refresh and fetches already in flight', () => {
  it('does not join a fetch that started before it was asked for: it waits for one of its own', async () => {
    const { cache, client, clock } = rig();
    await cache.get(ID);
    clock.advance(TTL);
    client.hold();
    const ttlGet = cache.get(ID); // a TTL fetch starts, before the rotation
    await settle();

    const refreshed = cache.refresh(ID, { reason: 'new-key' }); // a message for the new key arrives
    await settle();
    client.calls[1]?.resolve(version('v1', SECRET_VALUE)); // the TTL fetch read the old version
    await settle();
    client.calls[2]?.resolve(version('v2', 'rotated'));

    expect((await ttlGet).versionId).toBe('v1');
    expect(await refreshed).toMatchObject({ versionId: 'v2', value: 'rotated', stale: false });
    expect(client.calls).toHaveLength(3);
  });

  it('starts its own fetch after a TTL fetch that fails, and serves what it gets', async () => {
    const { cache, client, clock } = rig();
    await cache.get(ID);
    clock.advance(TTL);
    client.hold();
    const ttlGet = cache.get(ID);
    await settle();

    const refreshed = cache.refresh(ID, { reason: 'new-key' });
    await settle();
    client.calls[1]?.reject(sdkError('InternalServiceError'));
    await settle();
    client.calls[2]?.resolve(version('v2', 'rotated'));

    expect(await ttlGet).toMatchObject({ versionId: 'v1', stale: true });
    expect(await refreshed).toMatchObject({ versionId: 'v2', stale: false });
  });

  it('queues refreshes for several reasons asked during one fetch onto one later fetch', async () => {
    const { cache, client, clock } = rig();
    await cache.get(ID);
    clock.advance(TTL);
    client.hold();
    const ttlGet = cache.get(ID);
    await settle();

    const pending = ['key-a', 'key-b', 'key-a'].map((reason) => cache.refresh(ID, { reason }));
    await settle();
    client.calls[1]?.resolve(version('v1', SECRET_VALUE));
    await settle();
    client.calls[2]?.resolve(version('v2', 'rotated'));
    const secrets = await Promise.all(pending);
    await ttlGet;

    expect(secrets.map((secret) => secret.versionId)).toEqual(['v2', 'v2', 'v2']);
    expect(client.calls).toHaveLength(3);
  });

  it('lets a waiting refresh leave on its signal before its fetch starts', async () => {
    const { cache, client, clock } = rig();
    await cache.get(ID);
    clock.advance(TTL);
    client.hold();
    const ttlGet = cache.get(ID);
    await settle();
    const controller = new AbortController();

    const leaving = rejectionOf(cache.refresh(ID, { reason: 'k', signal: controller.signal }));
    controller.abort(new Error('budget spent'));
    const error = await leaving;
    client.calls[1]?.resolve(version('v1', SECRET_VALUE));
    await ttlGet;

    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(error).toMatchObject({ message: `secret ${ID} unavailable: fetch aborted` });
  });
});

describe('SecretCache.refresh rate limit per reason', () => {
  it('does not let refreshes for an unknown key id use up the refresh for the next genuine one', async () => {
    const { cache, client, clock } = rig({ minRefreshIntervalMs: 5_000 });
    await cache.get(ID);
    clock.advance(1_000);
    await cache.refresh(ID, { reason: 'bogus-key' });
    clock.advance(1_000);
    await cache.refresh(ID, { reason: 'bogus-key' }); // throttled: same reason inside 5 s
    clock.advance(1_000);
    client.answerWith(version('v2', 'rotated'));

    const genuine = await cache.refresh(ID, { reason: 'new-key' });

    expect(genuine).toMatchObject({ versionId: 'v2', value: 'rotated' });
    expect(client.calls).toHaveLength(3);
  });

  it('still throttles each reason on its own interval', async () => {
    const { cache, client, clock, events } = rig({ minRefreshIntervalMs: 5_000 });
    await cache.refresh(ID, { reason: 'k1' });
    clock.advance(4_999);
    client.answerWith(version('v2', 'rotated'));

    const throttled = await cache.refresh(ID, { reason: 'k1' });
    clock.advance(1);
    const allowed = await cache.refresh(ID, { reason: 'k1' });

    expect(throttled.versionId).toBe('v1');
    expect(allowed.versionId).toBe('v2');
    expect(events.filter((event) => event === 'refresh_throttled')).toHaveLength(1);
  });

  it('caps forced fetches across all reasons at maxForcedRefreshes per interval', async () => {
    const { cache, client, clock } = rig({ minRefreshIntervalMs: 5_000, maxForcedRefreshes: 3 });
    await cache.get(ID);

    for (let i = 0; i < 10; i++) {
      clock.advance(100);
      await cache.refresh(ID, { reason: `random-key-${i}` });
    }
    const sendsInside = client.calls.length;
    clock.advance(5_000);
    await cache.refresh(ID, { reason: 'new-key' });

    expect(sendsInside).toBe(1 + 3);
    expect(client.calls).toHaveLength(5);
  });
});
