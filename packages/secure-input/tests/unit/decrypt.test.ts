import { buildEncrypt } from '@aws-crypto/encrypt-node';
import {
  AlgorithmSuiteIdentifier,
  CommitmentPolicy,
  MultiKeyringNode,
} from '@aws-crypto/material-management-node';
import { RawRsaKeyringNode } from '@aws-crypto/raw-rsa-keyring-node';
import { describe, expect, it } from 'vitest';
import { encryptLikeConnect, publicKeyPem } from '../../src/connect-encrypt.js';
import { ConnectDecryptor, jsonSecretsFrom } from '../../src/decrypt.js';
import { CONNECT_SUITE_ID, summarizeMessage } from '../../src/message.js';
import { FakeSecrets, KNOWN_ANSWERS, keysSecret, knownAnswer, testKey } from './helpers.js';

function decryptorWith(secrets: FakeSecrets): ConnectDecryptor {
  return new ConnectDecryptor({ secrets, secretId: 'connect-keys' });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { code?: string }).code ?? 'no code';
  }
}

const { encrypt: encryptNonCommitting } = buildEncrypt(CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT);
function rsaKeyring(namespace: string, keyName: string, n: 1 | 2) {
  return new RawRsaKeyringNode({
    keyNamespace: namespace,
    keyName,
    rsaKey: { publicKey: publicKeyPem(testKey(n, 'public')) },
    oaepHash: 'sha512',
  });
}

describe('encryptLikeConnect', () => {
  it('writes what Connect writes: format 1, suite 0x0378, one AmazonConnect key named by key id', async () => {
    const ciphertext = await encryptLikeConnect('1234', {
      keyId: 'test-only-key-1',
      publicKey: testKey(1, 'cert'),
    });
    const summary = summarizeMessage(Buffer.from(ciphertext, 'base64'));

    expect(ciphertext).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(summary.version).toBe(1);
    expect(summary.suiteId).toBe(CONNECT_SUITE_ID);
    expect(Object.keys(summary.encryptionContext)).toEqual(['aws-crypto-public-key']);
    expect(summary.encryptedDataKeys).toEqual([
      { providerId: 'AmazonConnect', providerInfo: 'test-only-key-1' },
    ]);
  });

  it('takes a public key PEM as well as a certificate', async () => {
    const ciphertext = await encryptLikeConnect('1234', { keyId: 'k', publicKey: testKey(2, 'public') });

    expect(summarizeMessage(Buffer.from(ciphertext, 'base64')).encryptedDataKeys[0]?.providerInfo).toBe('k');
  });
});

describe('ConnectDecryptor', () => {
  it.each(KNOWN_ANSWERS.map((a) => [a.keyId, a.plaintext.length, a] as const))(
    'decrypts a known-answer message for %s (%i digits)',
    async (_, __, answer) => {
      const plaintext = await decryptorWith(new FakeSecrets({ 'connect-keys': keysSecret(1, 2) })).decrypt(
        answer.ciphertext,
      );

      expect(plaintext.toString('utf8')).toBe(answer.plaintext);
    },
  );

  it('serves both active keys at once, choosing by the key id in the message', async () => {
    const decryptor = decryptorWith(new FakeSecrets({ 'connect-keys': keysSecret(1, 2) }));

    const [one, two] = await Promise.all([
      decryptor.decrypt(knownAnswer('4111111111111111').ciphertext),
      decryptor.decrypt(knownAnswer('378282246310005').ciphertext),
    ]);

    expect([one.toString(), two.toString()]).toEqual(['4111111111111111', '378282246310005']);
  });

  it('builds keyrings once per version of the secret', async () => {
    const secrets = new FakeSecrets({ 'connect-keys': keysSecret(1) });
    const decryptor = decryptorWith(secrets);
    const { ciphertext } = knownAnswer('4111111111111111');

    await decryptor.decrypt(ciphertext);
    await decryptor.decrypt(ciphertext);

    expect(secrets.gets).toBe(2);
    expect(secrets.refreshes).toBe(0);
  });

  it('refuses a message for a key id the secret does not hold, after one refresh', async () => {
    const secrets = new FakeSecrets({ 'connect-keys': keysSecret(1) });

    const code = await codeOf(decryptorWith(secrets).decrypt(knownAnswer('378282246310005').ciphertext));

    expect(code).toBe('unknown_key');
    expect(secrets.refreshes).toBe(1);
  });

  it('picks up a key added to the secret (rotation: the second key goes live)', async () => {
    const secrets = new FakeSecrets({ 'connect-keys': keysSecret(1) });
    const decryptor = decryptorWith(secrets);
    await decryptor.decrypt(knownAnswer('4111111111111111').ciphertext);
    secrets.rotate('connect-keys', keysSecret(1, 2));

    const plaintext = await decryptor.decrypt(knownAnswer('378282246310005').ciphertext);

    expect(plaintext.toString()).toBe('378282246310005');
    expect(secrets.refreshes).toBe(1);
  });

  it('refreshes once when a cached key no longer fits (key material replaced under the same id)', async () => {
    const wrong = { keys: [{ keyId: 'test-only-key-1', privateKey: testKey(2, 'private') }] };
    const secrets = new FakeSecrets({ 'connect-keys': wrong });
    const decryptor = decryptorWith(secrets);
    const first = await codeOf(decryptor.decrypt(knownAnswer('4111111111111111').ciphertext));
    secrets.rotate('connect-keys', keysSecret(1));

    const plaintext = await decryptor.decrypt(knownAnswer('4111111111111111').ciphertext);

    expect(first).toBe('decrypt_failed');
    expect(plaintext.toString()).toBe('4111111111111111');
  });

  it('honours a keyId parameter that names another key', async () => {
    const decryptor = decryptorWith(new FakeSecrets({ 'connect-keys': keysSecret(1, 2) }));

    const code = await codeOf(
      decryptor.decrypt(knownAnswer('4111111111111111').ciphertext, { keyId: 'test-only-key-2' }),
    );

    expect(code).toBe('unknown_key');
  });

  it.each([
    ['undefined', undefined],
    ['an empty string', ''],
    ['Timeout', 'Timeout'],
    ['the terminator alone', '#'],
    ['spaces', '   '],
  ])('answers no_input for %s', async (_, input) => {
    const code = await codeOf(
      decryptorWith(new FakeSecrets({ 'connect-keys': keysSecret(1) })).decrypt(input),
    );

    expect(code).toBe('no_input');
  });

  it.each([
    ['not base64', '!!not*base64!!'],
    ['base64 of garbage', Buffer.from('hello connect, this is not a message').toString('base64')],
    ['a huge input', 'A'.repeat(1_000_000)],
    ['a number', 4111],
    ['an object', { ciphertext: 'x' }],
  ])('answers bad_ciphertext for %s', async (_, input) => {
    const code = await codeOf(
      decryptorWith(new FakeSecrets({ 'connect-keys': keysSecret(1) })).decrypt(input),
    );

    expect(code).toBe('bad_ciphertext');
  });

  it('answers bad_ciphertext for a truncated message', async () => {
    const { ciphertext } = knownAnswer('4111111111111111');
    const bytes = Buffer.from(ciphertext, 'base64');

    const codes = await Promise.all(
      [20, 100, bytes.length - 40, bytes.length - 1].map((length) =>
        codeOf(
          decryptorWith(new FakeSecrets({ 'connect-keys': keysSecret(1) })).decrypt(
            bytes.subarray(0, length).toString('base64'),
          ),
        ),
      ),
    );

    expect(codes).toEqual(['bad_ciphertext', 'bad_ciphertext', 'bad_ciphertext', 'bad_ciphertext']);
  });

  it('refuses a message with a flipped byte in its header, body or signature', async () => {
    const bytes = Buffer.from(knownAnswer('4111111111111111').ciphertext, 'base64');
    const positions = [2, 40, bytes.length - 160, bytes.length - 120, bytes.length - 10];

    const codes = await Promise.all(
      positions.map((position) => {
        const tampered = Buffer.from(bytes);
        tampered[position] = (tampered[position] ?? 0) ^ 0x01;
        return codeOf(
          decryptorWith(new FakeSecrets({ 'connect-keys': keysSecret(1) })).decrypt(
            tampered.toString('base64'),
          ),
        );
      }),
    );

    for (const code of codes) expect(['bad_ciphertext', 'decrypt_failed', 'unknown_key']).toContain(code);
    expect(codes.filter((code) => code === 'bad_ciphertext').length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a message with three data keys before any RSA work', async () => {
    const keyring = new MultiKeyringNode({
      generator: rsaKeyring('AmazonConnect', 'test-only-key-1', 1),
      children: [rsaKeyring('AmazonConnect', 'a', 2), rsaKeyring('AmazonConnect', 'b', 2)],
    });
    const { result } = await encryptNonCommitting(keyring, Buffer.from('4111111111111111'), {
      suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384,
    });
    const secrets = new FakeSecrets({ 'connect-keys': keysSecret(1) });

    const code = await codeOf(decryptorWith(secrets).decrypt(result.toString('base64')));

    expect(code).toBe('bad_ciphertext');
    expect(secrets.gets).toBe(0);
  });

  it('refuses a message whose key is not in the AmazonConnect namespace', async () => {
    const { result } = await encryptNonCommitting(
      rsaKeyring('SomeoneElse', 'test-only-key-1', 1),
      Buffer.from('1234'),
      {
        suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384,
      },
    );

    const code = await codeOf(
      decryptorWith(new FakeSecrets({ 'connect-keys': keysSecret(1) })).decrypt(result.toString('base64')),
    );

    expect(code).toBe('bad_ciphertext');
  });

  it('refuses a message in another algorithm suite (no downgrade to unsigned)', async () => {
    const { result } = await encryptNonCommitting(
      rsaKeyring('AmazonConnect', 'test-only-key-1', 1),
      Buffer.from('1234'),
      {
        suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256,
      },
    );

    const code = await codeOf(
      decryptorWith(new FakeSecrets({ 'connect-keys': keysSecret(1) })).decrypt(result.toString('base64')),
    );

    expect(code).toBe('bad_ciphertext');
  });

  it.each([
    ['no keys', { keys: [] }],
    ['not JSON of keys', 'plain text'],
    ['a key that is not PEM', { keys: [{ keyId: 'test-only-key-1', privateKey: 'nope' }] }],
  ])('answers key_unavailable when the secret holds %s', async (_, secret) => {
    const code = await codeOf(
      decryptorWith(new FakeSecrets({ 'connect-keys': secret })).decrypt(
        knownAnswer('4111111111111111').ciphertext,
      ),
    );

    expect(code).toBe('key_unavailable');
  });

  it('answers key_unavailable when the secret cannot be read', async () => {
    const secrets = new FakeSecrets({ 'connect-keys': keysSecret(1) });
    secrets.failing = true;

    const code = await codeOf(decryptorWith(secrets).decrypt(knownAnswer('4111111111111111').ciphertext));

    expect(code).toBe('key_unavailable');
  });
});

describe('jsonSecretsFrom', () => {
  it('reads the value of the cached secret and, on refresh, the value after the refresh', async () => {
    let version = { keys: [] as unknown[] };
    const calls: string[] = [];
    const cache = {
      getJson: async (id: string) => {
        calls.push(`get ${id}`);
        return { value: version };
      },
      refresh: async (id: string) => {
        calls.push(`refresh ${id}`);
        version = { keys: [1] };
        return {};
      },
    };
    const secrets = jsonSecretsFrom(cache);

    const before = await secrets.getJson('keys');
    const after = await secrets.refresh('keys');

    expect(before).toEqual({ keys: [] });
    expect(after).toEqual({ keys: [1] });
    expect(calls).toEqual(['get keys', 'refresh keys', 'get keys']);
  });
});
