import { createPrivateKey } from 'node:crypto';
import { buildDecrypt } from '@aws-crypto/decrypt-node';
import { buildEncrypt } from '@aws-crypto/encrypt-node';
import {
  AlgorithmSuiteIdentifier,
  type AwsEsdkKeyObject,
  CommitmentPolicy,
  NodeAlgorithmSuite,
  NodeEncryptionMaterial,
} from '@aws-crypto/material-management-node';
import { RawRsaKeyringNode } from '@aws-crypto/raw-rsa-keyring-node';
import { describe, expect, it } from 'vitest';
import { openToken } from '../../src/open-token.js';
import { makeToken, rsaTokenKeyring, TOKEN_KEY_NAMESPACE, tokenContext } from '../../src/token.js';
import { writeTokenMessage } from '../../src/token-message.js';
import { testKey } from './helpers.js';

// Tokens under an RSA key are made through RsaTokenMaterials; the downstream side opens them with
// the Encryption SDK's own default path (openToken builds a plain RawRsaKeyringNode).
const downstream = new RawRsaKeyringNode({
  keyNamespace: TOKEN_KEY_NAMESPACE,
  keyName: 'downstream',
  rsaKey: { privateKey: createPrivateKey(testKey(2, 'private')) as unknown as AwsEsdkKeyObject },
  oaepHash: 'sha512',
});
const keyring = rsaTokenKeyring('downstream', testKey(2, 'public'));
const TOKEN_SUITE = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
const { encrypt: sdkEncrypt } = buildEncrypt(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const { decrypt: sdkDecrypt } = buildDecrypt(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const context = tokenContext('5ca32fbd-8f92-46af-92a5-6b0f970f0efe', 'card');

describe('RSA tokens', () => {
  it('are key-committing v2 messages with one data key for the downstream key, opened by the SDK', async () => {
    for (const value of ['', '7', '4111111111111111', '9'.repeat(300)]) {
      const token = await makeToken(keyring, Buffer.from(value), context);
      const bytes = Buffer.from(token, 'base64');

      expect(bytes[0]).toBe(2);
      expect(bytes.readUInt16BE(1)).toBe(
        AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
      );
      expect((await openToken(downstream, token, context)).toString()).toBe(value);
    }
  });

  it('never repeat: each token has its own data key and message id', async () => {
    const value = Buffer.from('4111111111111111');
    const tokens = await Promise.all(Array.from({ length: 20 }, () => makeToken(keyring, value, context)));
    const messageIds = tokens.map((token) => Buffer.from(token, 'base64').subarray(3, 35).toString('hex'));

    expect(new Set(tokens).size).toBe(20);
    expect(new Set(messageIds).size).toBe(20);
  });

  it('do not open with another key, and a flipped byte is refused', async () => {
    const token = await makeToken(keyring, Buffer.from('4111111111111111'), context);
    const other = new RawRsaKeyringNode({
      keyNamespace: TOKEN_KEY_NAMESPACE,
      keyName: 'downstream',
      rsaKey: { privateKey: createPrivateKey(testKey(1, 'private')) as unknown as AwsEsdkKeyObject },
      oaepHash: 'sha512',
    });
    const bytes = Buffer.from(token, 'base64');
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 1;

    const code = (promise: Promise<unknown>) =>
      promise.then(
        () => 'opened',
        (e: { code?: string }) => e.code,
      );
    expect(await code(openToken(other, token, context))).toBe('bad_token');
    expect(await code(openToken(downstream, bytes.toString('base64'), context))).toBe('bad_token');
  });

  it('refuse the reserved signing-key context name', async () => {
    const code = await makeToken(keyring, Buffer.from('1'), { 'aws-crypto-public-key': 'x' }).then(
      () => 'made',
      (e: { code?: string }) => e.code,
    );

    expect(code).toBe('token_failed');
  });
});

describe('writeTokenMessage', () => {
  const material = async (suiteId: AlgorithmSuiteIdentifier) => {
    const m = new NodeEncryptionMaterial(new NodeAlgorithmSuite(suiteId), context);
    return keyring.onEncrypt(m);
  };

  it("frames as the SDK does: same length as the SDK's own message, and the SDK opens it, at every frame edge", async () => {
    const frameLength = 16;
    for (const length of [0, 1, 15, 16, 17, 31, 32, 33, 100]) {
      const value = Buffer.from('8'.repeat(length));
      const ours = writeTokenMessage(await material(TOKEN_SUITE), value, frameLength);
      const { result: sdk } = await sdkEncrypt(keyring, value, {
        suiteId: TOKEN_SUITE,
        encryptionContext: context,
        frameLength,
      });

      expect({ length, bytes: ours.length }).toEqual({ length, bytes: sdk.length });
      const { plaintext, messageHeader } = await sdkDecrypt(downstream, ours);
      expect(plaintext.toString()).toBe(value.toString());
      expect(messageHeader.frameLength).toBe(frameLength);
    }
  });

  it('refuses a signed suite and a suite without key commitment', async () => {
    const signed = await material(
      AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    );
    const uncommitted = await material(AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256);

    expect(() => writeTokenMessage(signed, Buffer.from('1'))).toThrow(/unsigned/);
    expect(() => writeTokenMessage(uncommitted, Buffer.from('1'))).toThrow();
  });
});
