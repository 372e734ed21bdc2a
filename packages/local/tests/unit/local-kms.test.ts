import { randomUUID } from 'node:crypto';
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  ListAliasesCommand,
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

  it('creates a symmetric key with realistic metadata', async () => {
    const { KeyMetadata } = await local.client.send(new CreateKeyCommand({ Description: 'tokens' }));

    expect(local.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(KeyMetadata?.KeyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(KeyMetadata?.Arn).toBe(`arn:aws:kms:us-east-1:000000000000:key/${KeyMetadata?.KeyId}`);
    expect(KeyMetadata).toMatchObject({
      KeyState: 'Enabled',
      Enabled: true,
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      Description: 'tokens',
    });
    expect(KeyMetadata?.CreationDate).toBeInstanceOf(Date);
  });

  it('resolves a key by id, ARN, alias name and alias ARN', async () => {
    const { KeyMetadata } = await local.client.send(new CreateKeyCommand({}));
    const keyId = String(KeyMetadata?.KeyId);
    await local.client.send(
      new CreateAliasCommand({ AliasName: 'alias/flowguard-resolve', TargetKeyId: keyId }),
    );
    const { Aliases } = await local.client.send(new ListAliasesCommand({ KeyId: keyId }));

    expect(Aliases).toEqual([
      expect.objectContaining({
        AliasName: 'alias/flowguard-resolve',
        AliasArn: 'arn:aws:kms:us-east-1:000000000000:alias/flowguard-resolve',
        TargetKeyId: keyId,
      }),
    ]);
    for (const id of [
      keyId,
      String(KeyMetadata?.Arn),
      'alias/flowguard-resolve',
      'arn:aws:kms:us-east-1:000000000000:alias/flowguard-resolve',
    ]) {
      const described = await local.client.send(new DescribeKeyCommand({ KeyId: id }));
      expect(described.KeyMetadata?.KeyId).toBe(keyId);
    }
    const duplicate = await failure(
      local.client.send(new CreateAliasCommand({ AliasName: 'alias/flowguard-resolve', TargetKeyId: keyId })),
    );
    expect(duplicate.name).toBe('AlreadyExistsException');
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
      local.client.send(new DescribeKeyCommand({ KeyId: 'alias/no-such-alias' })),
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

  it('answers DisabledException for a disabled key until it is enabled again', async () => {
    const { arn, keyId } = local.createKey();
    const { CiphertextBlob } = await local.client.send(
      new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('x') }),
    );
    await local.client.send(new DisableKeyCommand({ KeyId: keyId }));

    const encrypting = await failure(
      local.client.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('x') })),
    );
    const decrypting = await failure(local.client.send(new DecryptCommand({ CiphertextBlob })));
    const { KeyMetadata } = await local.client.send(new DescribeKeyCommand({ KeyId: arn }));
    await local.client.send(new EnableKeyCommand({ KeyId: arn }));
    const reopened = await local.client.send(new DecryptCommand({ CiphertextBlob }));

    expect(encrypting.name).toBe('DisabledException');
    expect(decrypting.name).toBe('DisabledException');
    expect(KeyMetadata?.KeyState).toBe('Disabled');
    expect(text(reopened.Plaintext)).toBe('x');
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
      const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: arn }));
      client.destroy();

      expect(KeyMetadata?.Arn).toBe(arn);
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
