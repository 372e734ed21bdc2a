// The deployable bundles, imported as Lambda would, reaching local DynamoDB through the SDK's
// standard AWS_ENDPOINT_URL_DYNAMODB: the production code path, end to end.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { FUNCTION_NAMES } from '@flowguard/functions/registry';
import { bundleFunction, HANDLERS_DIR, listFunctions } from '@flowguard/scripts/bundle';
import { coldImportMs, FUNCTION_ENV } from '@flowguard/scripts/cold-import';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import {
  type LocalDynamoDB,
  startLocalAws,
  startLocalDynamoDB,
  type TestKeyPart,
  testKeyPem,
  voiceEvent,
} from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Handler = (event: unknown, context?: unknown) => Promise<Record<string, string>>;

describe('function bundles', () => {
  let local: LocalDynamoDB;
  let outDir: string;
  const saved = { ...process.env };

  async function load(name: string): Promise<Handler> {
    const bundle = await bundleFunction(name, { outDir });
    return ((await import(pathToFileURL(bundle.file).href)) as { handler: Handler }).handler;
  }

  beforeAll(async () => {
    local = await startLocalDynamoDB({ tableName: 'flowguard-bundles' });
    outDir = await mkdtemp(join(tmpdir(), 'flowguard-functions-'));
    Object.assign(process.env, local.env, {
      // The stream functions need a policy and a dead-letter bucket to start (docs/data-minimisation.md).
      FLOWGUARD_FORWARD_POLICY: JSON.stringify({
        version: 1,
        policies: [
          {
            name: 'cards',
            match: { queues: ['Cards'] },
            fields: ['ContactId'],
            destination: { type: 'kinesis', stream: 'cards-records' },
            recordings: { bucket: 'cards-recordings', kmsKeyId: 'alias/cards' },
          },
        ],
      }),
      FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET: 'flowguard-dead-letters',
      FLOWGUARD_LIMITS: '2/10m',
      FLOWGUARD_LOG_LEVEL: 'silent',
      FLOWGUARD_METRICS: 'false',
    });
  });

  afterAll(async () => {
    process.env = saved;
    await local.stop();
    await rm(outDir, { recursive: true, force: true });
  });

  it('has a bundle for screen-caller and flag-caller', async () => {
    expect(await listFunctions(HANDLERS_DIR)).toEqual(
      expect.arrayContaining(['flag-caller', 'screen-caller']),
    );
  });

  it('imports every bundle in a fresh Node process with the environment the stack gives it', async () => {
    const names = await listFunctions(HANDLERS_DIR);
    const times: Record<string, boolean> = {};
    for (const name of names) {
      const bundle = await bundleFunction(name, { outDir });
      // Throws (naming the bundle's error) if the bundle does not load: the cold-import benchmark's path.
      times[name] = coldImportMs(bundle.file, { ...FUNCTION_ENV[name] }) > 0;
    }

    expect(names).toEqual([...FUNCTION_NAMES].sort());
    expect(Object.values(times).every(Boolean)).toBe(true);
  });

  it('refuses to load secure-input with a secrets fetch timeout out of range, naming the variable', async () => {
    const bundle = await bundleFunction('secure-input', { outDir });
    const failure = (() => {
      try {
        coldImportMs(bundle.file, { FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS: '50' });
        return 'loaded';
      } catch (error) {
        return String((error as { stderr?: unknown }).stderr);
      }
    })();

    expect(failure).toMatch(/FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS: must be an integer from 100 to 2000/);
    expect(coldImportMs(bundle.file, { FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS: '1500' })).toBeGreaterThan(0);
  });

  it('carries in each bundle only the AWS clients its function calls (besides the credential chain)', async () => {
    const credentialChain = new Set(['SSO', 'SSO OIDC', 'STS', 'Signin']);
    const clients: Record<string, string[]> = {};
    for (const name of await listFunctions(HANDLERS_DIR)) {
      const code = readFileSync((await bundleFunction(name, { outDir })).file, 'utf8');
      clients[name] = [...code.matchAll(/serviceId:\w+\?\.serviceId\?\?"([^"]+)"/g)]
        .map((match) => match[1] ?? '')
        .filter((service) => !credentialChain.has(service))
        .sort();
    }

    expect(clients).toEqual({
      challenge: ['DynamoDB', 'Secrets Manager'],
      'encrypt-input': ['KMS'],
      'flag-caller': ['DynamoDB'],
      'forward-contact-records': ['EventBridge', 'Firehose', 'Kinesis', 'S3', 'SSM', 'Secrets Manager'],
      'forward-recordings': ['S3', 'SSM', 'Secrets Manager'],
      'screen-caller': ['DynamoDB', 'Secrets Manager'],
      'secure-input': ['KMS', 'Secrets Manager'],
      'start-contact': ['Connect', 'DynamoDB', 'Secrets Manager'],
      'validate-input': [],
    });
  });

  it('screens, throttles and, once flagged, blocks a caller through the real bundles', async () => {
    const screen = await load('screen-caller');
    const flag = await load('flag-caller');
    const caller = '+14155550170';

    const first = await screen(voiceEvent(caller));
    await screen(voiceEvent(caller));
    const third = await screen(voiceEvent(caller));
    const flagged = await flag(voiceEvent(caller, { parameters: { reason: 'abusive', duration: '1h' } }));
    const after = await screen(voiceEvent(caller));

    expect(first).toMatchObject({ decision: 'ALLOW', reason: 'ok', error: '' });
    expect(third).toMatchObject({ decision: 'THROTTLE', reason: 'rate_limited' });
    expect(flagged).toMatchObject({ flagged: 'true', error: '' });
    expect(after).toMatchObject({
      decision: 'BLOCK',
      reason: 'blocklisted',
      blockedUntil: flagged.blockedUntil,
    });
  });

  it('answers a malformed event without throwing', async () => {
    const screen = await load('screen-caller');

    await expect(screen({ nonsense: true })).resolves.toMatchObject({
      decision: 'ALLOW',
      error: 'bad_event',
    });
  });

  it('decrypts Connect input and tokenizes it through the secure-input bundle, on local Secrets Manager and KMS', async () => {
    const aws = await startLocalAws({ secretsManager: true, kms: true });
    try {
      const key = (part: TestKeyPart) => testKeyPem(1, part);
      await aws.secretsManager.client.send(
        new CreateSecretCommand({
          Name: 'connect-keys',
          SecretString: JSON.stringify({ keys: [{ keyId: 'test-only-key-1', privateKey: key('private') }] }),
        }),
      );
      await aws.secretsManager.client.send(
        new CreateSecretCommand({
          Name: 'fingerprint',
          SecretString: JSON.stringify({ key: Buffer.alloc(32, 9).toString('base64') }),
        }),
      );
      const tokenKey = aws.kms.createKey('flowguard-tokens');
      Object.assign(process.env, aws.env, {
        FLOWGUARD_CONNECT_KEYS_SECRET_ID: 'connect-keys',
        FLOWGUARD_FINGERPRINT_SECRET_ID: 'fingerprint',
        FLOWGUARD_TOKEN_KMS_KEY_ID: tokenKey.arn,
      });
      const secure = await load('secure-input');
      const encrypt = await load('encrypt-input');
      const ciphertext = await encryptLikeConnect('4111111111111111', {
        keyId: 'test-only-key-1',
        publicKey: key('cert'),
      });

      const decrypted = await secure(
        voiceEvent('+14155550123', { parameters: { encryptedInput: ciphertext, format: 'card' } }),
      );
      const encrypted = await encrypt(
        voiceEvent('+14155550123', { parameters: { input: '5555 5555 5555 4444', format: 'card' } }),
      );

      expect(decrypted).toMatchObject({ valid: 'true', last4: '1111', brand: 'visa', error: '' });
      expect(decrypted.fingerprint).toMatch(/^v1:[A-Za-z0-9_-]{43}$/);
      expect(decrypted.token).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(encrypted).toMatchObject({ valid: 'true', masked: '************4444', error: '' });
      expect(JSON.stringify([decrypted, encrypted])).not.toContain('4111111111111111');
    } finally {
      await aws.stop();
    }
  });
});
