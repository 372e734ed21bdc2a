import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { type LocalSecretsManager, startLocalSecretsManager } from '@flowguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  SecretAccessDeniedError,
  SecretCache,
  type SecretCacheEvent,
  SecretNotFoundError,
  SecretUnavailableError,
} from '../../src/index.js';

const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);
const TTL = 300_000;
const MAX_STALE = 3_600_000;

let sequence = 0;
/** A secret of its own per test: tests share one server. */
function nextName(): string {
  sequence += 1;
  return `flowguard/integration-${sequence}`;
}

describe('SecretCache against the local Secrets Manager', () => {
  let local: LocalSecretsManager;
  let now = T0;
  let events: SecretCacheEvent[] = [];

  const newCache = (): SecretCache =>
    new SecretCache({
      client: local.client,
      clock: () => now,
      random: () => 0.5,
      ttlMs: TTL,
      maxStaleMs: MAX_STALE,
      onEvent: (event) => events.push(event),
    });

  const create = async (value: string | Uint8Array): Promise<{ name: string; versionId: string }> => {
    const name = nextName();
    const field = typeof value === 'string' ? { SecretString: value } : { SecretBinary: value };
    const created = await local.client.send(new CreateSecretCommand({ Name: name, ...field }));
    return { name, versionId: created.VersionId ?? '' };
  };

  const rotate = async (name: string, value: string): Promise<string> => {
    const put = await local.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    return put.VersionId ?? '';
  };

  const fetches = (): number => local.requests.byOperation.get('GetSecretValue') ?? 0;

  beforeAll(async () => {
    // One attempt per fetch: the faults below reach the cache instead of the SDK's retries.
    local = await startLocalSecretsManager({ clientConfig: { maxAttempts: 1 } });
  });

  afterAll(async () => {
    await local.stop();
  });

  beforeEach(() => {
    now = T0;
    events = [];
    local.faults.reset();
    local.requests.reset();
  });

  it('reads a string secret once and serves it from the cache until the TTL ends', async () => {
    const { name, versionId } = await create('s3cr3t');
    const cache = newCache();

    const first = await cache.get(name);
    const second = await cache.get(name);
    const fetchesWhileFresh = fetches();
    now += TTL;
    await cache.get(name);

    expect(first).toEqual({ value: 's3cr3t', versionId, stage: 'AWSCURRENT', fetchedAt: T0, stale: false });
    expect(second.value).toBe('s3cr3t');
    expect(fetchesWhileFresh).toBe(1);
    expect(fetches()).toBe(2);
  });

  it('reads binary and JSON secrets', async () => {
    const binary = await create(new Uint8Array([0, 1, 254, 255]));
    const json = await create('{"kid":"k1","key":"abc"}');
    const cache = newCache();

    const bytes = await cache.get(binary.name);
    const parsed = await cache.getJson<{ kid: string }>(json.name);

    expect(bytes.value).toEqual(new Uint8Array([0, 1, 254, 255]));
    expect(parsed.value).toEqual({ kid: 'k1', key: 'abc' });
  });

  it('picks up a rotation on refresh, and keeps the old version under AWSPREVIOUS', async () => {
    const { name, versionId: oldVersion } = await create('key-1');
    const cache = newCache();
    await cache.get(name);
    const newVersion = await rotate(name, 'key-2');

    const cached = await cache.get(name);
    now += 10_000;
    const refreshed = await cache.refresh(name);
    const current = await cache.get(name);
    const previous = await cache.get(name, { versionStage: 'AWSPREVIOUS' });

    expect(cached.value).toBe('key-1');
    expect(refreshed).toMatchObject({ value: 'key-2', versionId: newVersion, stale: false });
    expect(current.value).toBe('key-2');
    expect(previous).toMatchObject({ value: 'key-1', versionId: oldVersion, stage: 'AWSPREVIOUS' });
    expect(fetches()).toBe(3);
  });

  it('reads a version by id', async () => {
    const { name, versionId } = await create('first');
    await rotate(name, 'second');
    const cache = newCache();

    const secret = await cache.get(name, { versionId });

    expect(secret).toMatchObject({ value: 'first', versionId, stage: undefined });
  });

  it('throws SecretNotFoundError for a missing secret or stage', async () => {
    const { name } = await create('only current');
    const cache = newCache();

    const missing = await cache.get('flowguard/does-not-exist').catch((error: unknown) => error);
    const noPending = await cache.get(name, { versionStage: 'AWSPENDING' }).catch((error: unknown) => error);

    expect(missing).toBeInstanceOf(SecretNotFoundError);
    expect(missing).toMatchObject({ code: 'secret_not_found', secretId: 'flowguard/does-not-exist' });
    expect(noPending).toBeInstanceOf(SecretNotFoundError);
  });

  it('throws SecretAccessDeniedError when the role may not read the secret', async () => {
    const { name } = await create('forbidden');
    local.faults.deny(name);
    const cache = newCache();

    const error = await cache.get(name).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(SecretAccessDeniedError);
    expect((error as Error).cause).toMatchObject({ name: 'AccessDeniedException' });
  });

  it('serves the last value while the service fails, and throws past maxStale', async () => {
    const { name } = await create('still-good');
    const cache = newCache();
    await cache.get(name);
    local.faults.failNext(1000, 'internal');

    now += TTL;
    const stale = await cache.get(name);
    now += MAX_STALE;
    const error = await cache.get(name).catch((caught: unknown) => caught);

    expect(stale).toMatchObject({ value: 'still-good', stale: true });
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect((error as Error).cause).toMatchObject({ name: 'InternalServiceError' });
    expect(events).toContain('stale_served');
  });

  it('stops serving the last value at once when access is revoked after it worked', async () => {
    const { name } = await create('was-allowed');
    const cache = newCache();
    await cache.get(name);
    local.faults.deny(name);

    now += TTL;
    const revoked = await cache.get(name).catch((caught: unknown) => caught);
    const again = await cache.get(name).catch((caught: unknown) => caught);

    expect(revoked).toBeInstanceOf(SecretAccessDeniedError);
    expect(again).toBe(revoked);
    expect(fetches()).toBe(2);
    expect(events).not.toContain('stale_served');
  });

  it('stops serving the last value at once when the secret is deleted', async () => {
    const { name } = await create('was-there');
    const cache = newCache();
    await cache.get(name);
    await local.client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));

    now += TTL;
    const gone = await cache.get(name).catch((caught: unknown) => caught);

    expect(gone).toBeInstanceOf(SecretNotFoundError);
  });

  it('keeps serving through throttling, and fetches once per backoff interval at a cold start', async () => {
    const { name } = await create('steady');
    const warm = newCache();
    await warm.get(name);
    local.faults.failNext(1000, 'throttle');
    now += TTL;
    const stale = await warm.get(name);
    local.requests.reset();

    const cold = newCache();
    const errors = await Promise.all(
      Array.from({ length: 5 }, async () => cold.get(name).catch((caught: unknown) => caught)),
    );
    for (let i = 0; i < 5; i++) await cold.get(name).catch(() => undefined);

    expect(stale).toMatchObject({ value: 'steady', stale: true });
    expect(errors[0]).toBeInstanceOf(SecretUnavailableError);
    expect(fetches()).toBe(1);
  });

  it('gives up a slow fetch when the caller aborts', async () => {
    const { name } = await create('slow');
    const cache = newCache();
    // The service would answer after 20 s; an abort that works ends the wait long before. The
    // bound is the gap between the two, not a measurement of how fast the abort is.
    local.faults.delay(20_000);

    const started = Date.now();
    const error = await cache
      .get(name, { signal: AbortSignal.timeout(100) })
      .catch((caught: unknown) => caught);
    const elapsed = Date.now() - started;

    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect((error as Error).message).toContain('fetch aborted');
    expect(elapsed).toBeLessThan(10_000);
  });
});
