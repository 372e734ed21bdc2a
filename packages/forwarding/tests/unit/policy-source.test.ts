// Policy sources: SSM through aws-sdk-client-mock (there is no local SSM), Secrets Manager through
// the local server.
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SecretCache } from '@flowguard/secrets';
import { type LocalSecretsManager, startLocalSecretsManager } from '@flowguard/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  PolicyError,
  parameterPolicySource,
  secretFingerprintKeys,
  secretPolicySource,
} from '../../src/index.js';
import { fingerprintSecret } from '../support.js';

const policy = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: 1,
    policies: [
      { name, match: { channels: ['VOICE'] }, destination: { type: 'kinesis', stream: 'out' }, ...extra },
    ],
  });

describe('parameterPolicySource', () => {
  const client = new SSMClient({ region: 'us-east-1' });
  const ssm = mockClient(client);
  let now = 0;
  const source = (options = {}) =>
    parameterPolicySource(client, '/fg/policy', { ttlMs: 60_000, clock: () => now, ...options });

  beforeEach(() => {
    ssm.reset();
    now = 0;
  });

  it('reads the parameter with decryption and compiles it', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: policy('cards'), Version: 1 } });
    const compiled = await source().get();
    expect(compiled.policies.map((p) => p.name)).toEqual(['cards']);
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/fg/policy',
      WithDecryption: true,
    });
  });

  it('reads again after the TTL, and compiles again only when the version changed', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: policy('cards'), Version: 1 } });
    const src = source();
    const first = await src.get();
    now = 30_000;
    expect(await src.get()).toBe(first);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    now = 61_000;
    expect(await src.get()).toBe(first);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: policy('loans'), Version: 2 } });
    now = 122_000;
    expect((await src.get()).policies[0]?.name).toBe('loans');
  });

  it('keeps using the last good policy while SSM fails, for up to an hour', async () => {
    const stale: unknown[] = [];
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: policy('cards'), Version: 1 } });
    const src = source({ onStale: (error: unknown) => stale.push(error) });
    await src.get();
    ssm
      .on(GetParameterCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    now = 120_000;
    expect((await src.get()).policies[0]?.name).toBe('cards');
    expect(stale).toHaveLength(1);
    now = 3_700_000;
    await expect(src.get()).rejects.toThrow('throttled');
  });

  it('fails closed on a document that does not validate, naming the parameter and the path', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: policy('cards'), Version: 1 } });
    const src = source();
    await src.get();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: policy('Cards'), Version: 2 } });
    now = 120_000;
    const error = await src.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).toMatch(
      /^parameter \/fg\/policy: invalid policy: \/policies\/0\/name: must match/,
    );
  });

  it('refuses a policy that hashes when no fingerprint secret is configured', async () => {
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: policy('cards', { hash: ['customerId'] }), Version: 1 } });
    await expect(source({ needsKey: true }).get()).rejects.toThrow(
      'parameter /fg/policy: invalid policy: /policies/0/hash: needs FLOWGUARD_FINGERPRINT_SECRET_ID',
    );
    await expect(source({ needsKey: true, fingerprintSecretId: 'fg/fp' }).get()).resolves.toBeDefined();
  });

  it('reads once for callers arriving together', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: policy('cards'), Version: 1 } });
    const src = source();
    await Promise.all([src.get(), src.get(), src.get()]);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
  });
});

describe('secret sources, against the local Secrets Manager', () => {
  let local: LocalSecretsManager;
  let cache: SecretCache;

  beforeAll(async () => {
    local = await startLocalSecretsManager();
  });

  afterAll(async () => {
    await local?.stop();
  });

  beforeEach(() => {
    cache = new SecretCache({ client: local.client, ttlMs: 0 });
  });

  it('reads the policy from a secret, and a new version of it', async () => {
    await local.client.send(new CreateSecretCommand({ Name: 'fg/policy-1', SecretString: policy('cards') }));
    const src = secretPolicySource(cache, 'fg/policy-1');
    expect((await src.get()).policies[0]?.name).toBe('cards');
    await local.client.send(
      new PutSecretValueCommand({ SecretId: 'fg/policy-1', SecretString: policy('loans') }),
    );
    expect((await src.get()).policies[0]?.name).toBe('loans');
  });

  it('names the secret when its policy does not validate', async () => {
    await local.client.send(new CreateSecretCommand({ Name: 'fg/policy-2', SecretString: '{"version": 1}' }));
    await expect(secretPolicySource(cache, 'fg/policy-2').get()).rejects.toThrow(
      "secret fg/policy-2: invalid policy: /: needs the property 'policies'",
    );
  });

  it('reads fingerprint keys in secure-input’s format, the current one first', async () => {
    const secret = fingerprintSecret([1, 2], 2);
    await local.client.send(
      new CreateSecretCommand({ Name: 'fg/fingerprint', SecretString: JSON.stringify(secret) }),
    );
    const keys = await secretFingerprintKeys(cache, 'fg/fingerprint').get();
    expect(keys.current.version).toBe(2);
    expect(keys.keys.map((k) => k.version)).toEqual([2, 1]);
    await expect(secretFingerprintKeys(cache, undefined).get()).rejects.toThrow(
      'no fingerprint secret is configured',
    );
  });
});
