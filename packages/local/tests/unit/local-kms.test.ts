import { randomUUID } from 'node:crypto';
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  InvalidCiphertextException,
  KMSClient,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalKms, startLocalKms } from '../../src/local-kms.js';

/** The rejection of `promise`, for asserting on its name and fields. */
async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

describe('startLocalKms', () => {
  let local: LocalKms;

  beforeAll(async () => {
    local = await startLocalKms();
  });

  afterEach(() => {
    local.faults.reset();
    local.requests.reset();
  });

  afterAll(async () => {
    await local.stop();
  });

  it('makes a key in process, with an alias, and refuses a taken or invalid alias', async () => {
    const key = local.createKey('flowguard-made');
    const bare = local.createKey();

    expect(local.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(key.keyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(key).toEqual({
      keyId: key.keyId,
      arn: `arn:aws:kms:us-east-1:000000000000:key/${key.keyId}`,
      aliasName: 'alias/flowguard-made',
      aliasArn: 'arn:aws:kms:us-east-1:000000000000:alias/flowguard-made',
    });
    expect(bare.aliasName).toBeUndefined();
    expect(() => local.createKey('alias/flowguard-made')).toThrow(
      expect.objectContaining({ name: 'AlreadyExistsException' }),
    );
    expect(() => local.createKey('alias/aws/reserved')).toThrow(
      expect.objectContaining({ name: 'InvalidAliasNameException' }),
    );
  });

  it('resolves a key by id, ARN, alias name and alias ARN', async () => {
    const { keyId, arn } = local.createKey('flowguard-resolve');

    for (const id of [
      keyId,
      arn,
      'alias/flowguard-resolve',
      'arn:aws:kms:us-east-1:000000000000:alias/flowguard-resolve',
    ]) {
      const encrypted = await local.client.send(
        new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('x') }),
      );
      expect(encrypted.KeyId).toBe(arn);
    }
  });

  it('generates a data key whose blob decrypts, without KeyId, to the same plaintext', async () => {
    const { arn } = local.createKey('flowguard-data');

    const generated = await local.client.send(
      new GenerateDataKeyCommand({ KeyId: 'alias/flowguard-data', KeySpec: 'AES_256' }),
    );
    const decrypted = await local.client.send(
      new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob }),
    );
    const sized = await local.client.send(new GenerateDataKeyCommand({ KeyId: arn, NumberOfBytes: 16 }));

    expect(generated.KeyId).toBe(arn);
    expect(generated.Plaintext?.length).toBe(32);
    expect(Buffer.from(decrypted.Plaintext ?? [])).toEqual(Buffer.from(generated.Plaintext ?? []));
    expect(decrypted.KeyId).toBe(arn);
    expect(sized.Plaintext?.length).toBe(16);
  });

  it('round-trips Encrypt and Decrypt, with and without an encryption context', async () => {
    const { arn } = local.createKey();
    const context = { 'flowguard:contact-id': 'c-1', 'flowguard:purpose': 'card' };
    const plaintext = Buffer.from('4111 1111 1111 1111');

    const bare = await local.client.send(new EncryptCommand({ KeyId: arn, Plaintext: plaintext }));
    const bound = await local.client.send(
      new EncryptCommand({ KeyId: arn, Plaintext: plaintext, EncryptionContext: context }),
    );
    const openedBare = await local.client.send(new DecryptCommand({ CiphertextBlob: bare.CiphertextBlob }));
    const openedBound = await local.client.send(
      new DecryptCommand({
        KeyId: arn,
        CiphertextBlob: bound.CiphertextBlob,
        // The order of the entries does not matter.
        EncryptionContext: { 'flowguard:purpose': 'card', 'flowguard:contact-id': 'c-1' },
      }),
    );

    expect(bare.KeyId).toBe(arn);
    expect(Buffer.from(bare.CiphertextBlob ?? []).includes(plaintext)).toBe(false);
    expect(text(openedBare.Plaintext)).toBe('4111 1111 1111 1111');
    expect(text(openedBound.Plaintext)).toBe('4111 1111 1111 1111');
    expect(openedBound.KeyId).toBe(arn);
    expect(openedBound.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
  });

  it('refuses a different or missing encryption context with InvalidCiphertextException', async () => {
    const { arn } = local.createKey();
    const { CiphertextBlob } = await local.client.send(
      new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('x'), EncryptionContext: { purpose: 'card' } }),
    );

    const wrong = await failure(
      local.client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { purpose: 'pin' } })),
    );
    const missing = await failure(local.client.send(new DecryptCommand({ CiphertextBlob })));

    expect(wrong).toBeInstanceOf(InvalidCiphertextException);
    expect(wrong.$metadata?.httpStatusCode).toBe(400);
    expect(missing.name).toBe('InvalidCiphertextException');
  });

  it('refuses a tampered or truncated blob with InvalidCiphertextException', async () => {
    const { arn } = local.createKey();
    const { CiphertextBlob } = await local.client.send(
      new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('secret') }),
    );
    const blob = Buffer.from(CiphertextBlob ?? []);

    // Version byte, key id, IV, GCM tag, ciphertext: 1 + 1 + 36 + 12 + 16 + n bytes.
    for (const index of [0, 10, 40, 55, blob.length - 1]) {
      const tampered = Buffer.from(blob);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      const error = await failure(local.client.send(new DecryptCommand({ CiphertextBlob: tampered })));
      expect(error.name).toBe('InvalidCiphertextException');
    }
    const truncated = await failure(
      local.client.send(new DecryptCommand({ CiphertextBlob: blob.subarray(0, 20) })),
    );
    expect(truncated.name).toBe('InvalidCiphertextException');
  });

  it('answers NotFoundException for an unknown key or alias', async () => {
    const unknownId = randomUUID();

    const byId = await failure(
      local.client.send(new EncryptCommand({ KeyId: unknownId, Plaintext: Buffer.from('x') })),
    );
    const byAlias = await failure(
      local.client.send(new GenerateDataKeyCommand({ KeyId: 'alias/no-such-alias', KeySpec: 'AES_256' })),
    );

    expect(byId).toBeInstanceOf(NotFoundException);
    expect(byId.message).toBe(`Key 'arn:aws:kms:us-east-1:000000000000:key/${unknownId}' does not exist`);
    expect(byAlias.name).toBe('NotFoundException');
  });

  it('refuses Decrypt with another KeyId than the blob’s with IncorrectKeyException', async () => {
    const first = local.createKey();
    const second = local.createKey();
    const { CiphertextBlob } = await local.client.send(
      new EncryptCommand({ KeyId: first.arn, Plaintext: Buffer.from('x') }),
    );

    const error = await failure(local.client.send(new DecryptCommand({ KeyId: second.arn, CiphertextBlob })));

    expect(error.name).toBe('IncorrectKeyException');
  });

  it('answers UnknownOperationException, naming what it serves, for an operation flowguard does not call', async () => {
    const { arn } = local.createKey();

    const refused = [
      await failure(local.client.send(new CreateKeyCommand({}))),
      await failure(local.client.send(new DescribeKeyCommand({ KeyId: arn }))),
      await failure(
        local.client.send(new CreateAliasCommand({ AliasName: 'alias/by-request', TargetKeyId: arn })),
      ),
      await failure(
        local.client.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: arn, KeySpec: 'AES_256' })),
      ),
    ];

    for (const error of refused) {
      expect(error.name).toBe('UnknownOperationException');
      expect(error.$metadata?.httpStatusCode).toBe(400);
    }
    expect(refused[1]?.message).toBe(
      'Unknown operation TrentService.DescribeKey: the local KMS answers only Decrypt, Encrypt, GenerateDataKey.',
    );
    expect(local.requests.total()).toBe(0);
  });

  it('answers a throttle the SDK retries', async () => {
    const { arn } = local.createKey();
    local.faults.failNext(1, 'throttle');

    const { KeyId } = await local.client.send(
      new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('x') }),
    );

    expect(KeyId).toBe(arn);
    expect(local.requests.byOperation.get('Encrypt')).toBe(2);
  });

  it('is reached by a default SDK client through AWS_ENDPOINT_URL_KMS', async () => {
    const { arn } = local.createKey();
    const saved = { ...process.env };
    Object.assign(process.env, local.env);
    try {
      const client = new KMSClient({});
      const { KeyId } = await client.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('x') }));
      client.destroy();

      expect(KeyId).toBe(arn);
    } finally {
      for (const key of Object.keys(local.env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  describe('with the AWS Encryption SDK', () => {
    const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

    it('encrypts and decrypts through KmsKeyringNode with the key ARN', async () => {
      const { arn } = local.createKey();
      const keyring = new KmsKeyringNode({ generatorKeyId: arn, clientProvider: () => local.client });
      const context = { 'flowguard:purpose': 'esdk-test' };

      const { result } = await encrypt(keyring, 'card 4111', { encryptionContext: context });
      const { plaintext, messageHeader } = await decrypt(keyring, result);

      expect(plaintext.toString('utf8')).toBe('card 4111');
      expect(messageHeader.encryptionContext).toMatchObject(context);
      expect(messageHeader.encryptedDataKeys[0]?.providerInfo).toBe(arn);
      expect(local.requests.byOperation.get('GenerateDataKey')).toBe(1);
      expect(local.requests.byOperation.get('Decrypt')).toBe(1);
    });

    it('needs the aggregated KMS client: a bare KMSClient has no generateDataKey method', async () => {
      const { arn } = local.createKey();
      const bare = new KMSClient({ region: 'us-east-1', endpoint: local.endpoint });
      const keyring = new KmsKeyringNode({
        generatorKeyId: arn,
        clientProvider: (() => bare) as unknown as () => LocalKms['client'],
      });
      try {
        await expect(encrypt(keyring, 'x')).rejects.toThrow(/generateDataKey is not a function/);
      } finally {
        bare.destroy();
      }
    });
  });
});
