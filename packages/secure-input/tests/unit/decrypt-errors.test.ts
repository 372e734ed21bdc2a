import { createPrivateKey } from 'node:crypto';
import type { AwsEsdkKeyObject } from '@aws-crypto/material-management-node';
import { NodeAlgorithmSuite, NodeDecryptionMaterial } from '@aws-crypto/material-management-node';
import { RawRsaKeyringNode } from '@aws-crypto/raw-rsa-keyring-node';
import { describe, expect, it } from 'vitest';
import { ConnectMaterials } from '../../src/connect-materials.js';
import { decryptMessage } from '../../src/connect-message.js';
import { ConnectDecryptor } from '../../src/decrypt.js';
import { DataKeyUnwrapError } from '../../src/errors.js';
import { CONNECT_SUITE_ID } from '../../src/message.js';
import { FakeSecrets, keysSecret, knownAnswer, testKey } from './helpers.js';

// How a failed decrypt becomes a flow code, each case produced by the real Encryption SDK (no
// mocked errors): a data key nothing unwrapped is `DataKeyUnwrapError` (our class, thrown by
// ConnectMaterials), everything else the SDK throws is the message's fault. When the SDK is
// upgraded, these say whether that split still holds.

const LIMITS = { maxBodySize: 1024, maxEncryptedDataKeys: 1 };

function materialsFor(keyName: string, key: 1 | 2): ConnectMaterials {
  return new ConnectMaterials(
    new RawRsaKeyringNode({
      keyNamespace: 'AmazonConnect',
      keyName,
      rsaKey: { privateKey: createPrivateKey(testKey(key, 'private')) as unknown as AwsEsdkKeyObject },
      oaepHash: 'sha512',
    }),
  );
}

const message = () => Buffer.from(knownAnswer('4111111111111111').ciphertext, 'base64');

function flipped(at: (length: number) => number): Buffer {
  const bytes = message();
  const position = at(bytes.length);
  bytes[position] = (bytes[position] ?? 0) ^ 0x01;
  return bytes;
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function codeOf(ciphertext: Buffer, secret: unknown): Promise<string> {
  const decryptor = new ConnectDecryptor({
    secrets: new FakeSecrets({ 'connect-keys': secret }),
    secretId: 'connect-keys',
  });
  const error = await errorOf(decryptor.decrypt(ciphertext.toString('base64')));
  return (error as { code?: string }).code ?? 'no code';
}

describe('decrypt failures from the real SDK', () => {
  it('the SDK raw RSA keyring swallows a failed unwrap and leaves the material without a key', async () => {
    const keyring = new RawRsaKeyringNode({
      keyNamespace: 'AmazonConnect',
      keyName: 'test-only-key-1',
      rsaKey: { privateKey: testKey(2, 'private') },
      oaepHash: 'sha512',
    });
    const material = new NodeDecryptionMaterial(new NodeAlgorithmSuite(CONNECT_SUITE_ID), {});
    const { EncryptedDataKey } = await import('@aws-crypto/material-management-node');
    const edk = new EncryptedDataKey({
      providerId: 'AmazonConnect',
      providerInfo: 'test-only-key-1',
      encryptedDataKey: new Uint8Array(512),
    });

    const result = await keyring.onDecrypt(material, [edk]);

    expect(result.hasValidKey()).toBe(false);
  });

  it.each([
    ['the right key id holding another private key', 'test-only-key-1', 2],
    ['a keyring for another key id', 'test-only-key-2', 1],
  ] as const)('throws DataKeyUnwrapError for %s', async (_, keyName, key) => {
    const error = await errorOf(decryptMessage(materialsFor(keyName, key), message(), LIMITS));

    expect(error).toBeInstanceOf(DataKeyUnwrapError);
  });

  it.each([
    ['a flipped byte in the header', (length: number) => 40 + 0 * length],
    ['a flipped byte in the body', (length: number) => length - 160],
    ['a flipped byte in the signature', (length: number) => length - 10],
  ])('throws something other than DataKeyUnwrapError for %s', async (_, at) => {
    const error = await errorOf(decryptMessage(materialsFor('test-only-key-1', 1), flipped(at), LIMITS));

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(DataKeyUnwrapError);
  });

  it('maps an unwrap failure to decrypt_failed (after one refresh) and damage to bad_ciphertext', async () => {
    const wrongKey = { keys: [{ keyId: 'test-only-key-1', privateKey: testKey(2, 'private') }] };

    const unwrap = await codeOf(message(), wrongKey);
    const body = await codeOf(
      flipped((length) => length - 160),
      keysSecret(1),
    );
    const signature = await codeOf(
      flipped((length) => length - 10),
      keysSecret(1),
    );

    expect([unwrap, body, signature]).toEqual(['decrypt_failed', 'bad_ciphertext', 'bad_ciphertext']);
  });
});
