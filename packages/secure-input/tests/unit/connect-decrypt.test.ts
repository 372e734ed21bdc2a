import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { buildDecrypt } from '@aws-crypto/decrypt-node';
import { buildEncrypt } from '@aws-crypto/encrypt-node';
import {
  AlgorithmSuiteIdentifier,
  type AwsEsdkKeyObject,
  CommitmentPolicy,
  getEncryptHelper,
  NodeAlgorithmSuite,
  NodeDefaultCryptographicMaterialsManager,
} from '@aws-crypto/material-management-node';
import { RawRsaKeyringNode } from '@aws-crypto/raw-rsa-keyring-node';
import {
  aadFactory,
  ContentAADString,
  ContentType,
  serializeFactory,
  serializeMessageHeaderAuth,
  serializeSignatureInfo,
} from '@aws-crypto/serialize';
import { describe, expect, it } from 'vitest';
import { publicKeyPem } from '../../src/connect-encrypt.js';
import { ConnectMaterials } from '../../src/connect-materials.js';
import { decryptMessage } from '../../src/connect-message.js';
import { ConnectDecryptor } from '../../src/decrypt.js';
import { FakeSecrets, keysSecret, knownAnswer, testKey } from './helpers.js';

// ConnectMaterials replaces only the decoding of the message's verification key, and decryptMessage
// only the streams around the SDK's own parsing and cryptography. These tests hold both to the
// Encryption SDK's plain decrypt (default materials manager, streams) as the oracle: the same
// messages open to the same bytes; the same damaged messages are refused.

const { encrypt } = buildEncrypt(CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT);
const { decrypt } = buildDecrypt({
  commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT,
  maxEncryptedDataKeys: 1,
});
const KEY_ID = 'test-only-key-1';
const encryptingKeyring = new RawRsaKeyringNode({
  keyNamespace: 'AmazonConnect',
  keyName: KEY_ID,
  rsaKey: { publicKey: publicKeyPem(testKey(1, 'public')) },
  oaepHash: 'sha512',
});
const decryptingKeyring = new RawRsaKeyringNode({
  keyNamespace: 'AmazonConnect',
  keyName: KEY_ID,
  rsaKey: { privateKey: createPrivateKey(testKey(1, 'private')) as unknown as AwsEsdkKeyObject },
  oaepHash: 'sha512',
});
const materials = new ConnectMaterials(decryptingKeyring);
const P384_SPKI_PREFIX = Buffer.from('3046301006072a8648ce3d020106052b81040022033200', 'hex');
const CONNECT_SUITE = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384;

const LIMITS = { maxBodySize: 1024, maxEncryptedDataKeys: 1 };

async function outcome(run: () => Promise<Buffer | { plaintext: Buffer }>): Promise<string> {
  try {
    const result = await run();
    return `ok:${(Buffer.isBuffer(result) ? result : result.plaintext).toString('hex')}`;
  } catch {
    return 'refused';
  }
}

/** Our decrypt next to the SDK's, for one message. */
async function both(message: Buffer, limits = LIMITS) {
  return {
    ours: await outcome(() => decryptMessage(materials, message, limits)),
    sdk: await outcome(() => decrypt(decryptingKeyring, message, { maxBodySize: limits.maxBodySize })),
  };
}

async function connectMessage(plaintext: Buffer, frameLength?: number): Promise<Buffer> {
  const { result } = await encrypt(encryptingKeyring, plaintext, { suiteId: CONNECT_SUITE, frameLength });
  return result;
}

/**
 * A signed, non-framed version-1 message in Connect's suite. The SDK for JavaScript only writes
 * framed messages, so this one is assembled from the SDK's own serializer, key derivation and
 * signer, as its encrypt stream would for non-framed content.
 */
async function nonFramedMessage(plaintext: Buffer): Promise<Buffer> {
  const serialize = serializeFactory((text: string) => Buffer.from(text, 'utf8'), { utf8Sorting: true });
  const aad = aadFactory((text: string) => Buffer.from(text, 'utf8'));
  const suite = new NodeAlgorithmSuite(CONNECT_SUITE);
  const material = await new NodeDefaultCryptographicMaterialsManager(
    encryptingKeyring,
  ).getEncryptionMaterials({
    suite,
    encryptionContext: {},
    commitmentPolicy: CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
  });
  const { getCipherInfo, getSigner, dispose } = getEncryptHelper(material);
  const messageId = randomBytes(16);
  const { getCipher } = getCipherInfo(messageId);
  const messageHeader = {
    ...serialize.buildMessageHeader({
      suite,
      encryptedDataKeys: material.encryptedDataKeys,
      encryptionContext: material.encryptionContext,
      messageId,
      frameLength: 0,
    }),
    contentType: ContentType.NO_FRAMING,
  };
  const header = Buffer.from(serialize.serializeMessageHeader(messageHeader));
  const headerIv = Buffer.alloc(12);
  const headerCipher = getCipher(headerIv);
  headerCipher.setAAD(header);
  headerCipher.update(Buffer.alloc(0));
  headerCipher.final();
  const headerAuth = Buffer.from(
    serializeMessageHeaderAuth({ headerIv, headerAuthTag: headerCipher.getAuthTag(), messageHeader }),
  );
  const bodyIv = Buffer.from(serialize.frameIv(12, 1));
  const bodyCipher = getCipher(bodyIv);
  bodyCipher.setAAD(
    Buffer.from(aad.messageAAD(messageId, ContentAADString.NON_FRAMED_STRING_ID, 1, plaintext.length)),
  );
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(plaintext.length));
  const body = Buffer.concat([
    bodyIv,
    length,
    bodyCipher.update(plaintext),
    bodyCipher.final(),
    bodyCipher.getAuthTag(),
  ]);
  const signer = getSigner?.();
  if (!signer) throw new Error('Connect suite signs');
  const signed = Buffer.concat([header, headerAuth, body]);
  signer.update(signed);
  const footer = Buffer.from(serializeSignatureInfo(signer.awsCryptoSign()));
  dispose();
  return Buffer.concat([signed, footer]);
}

/** The length of a message's DER signature (the footer is its 2-byte length, then the signature). */
function signatureLength(message: Buffer): number {
  for (let length = 100; length <= 104; length++) {
    if (message.readUInt16BE(message.length - length - 2) === length) return length;
  }
  throw new Error('no P-384 signature footer found');
}

/** The byte offset and text of the base64 verification key inside a message's header. */
function signerKeyIn(message: Buffer): { offset: number; text: string } {
  const text = message.toString('latin1');
  const name = text.indexOf('aws-crypto-public-key');
  const offset = name + 'aws-crypto-public-key'.length + 2;
  const length = message.readUInt16BE(offset - 2);
  return { offset, text: text.slice(offset, offset + length) };
}

describe('decryptMessage with ConnectMaterials, against the SDK decrypt', () => {
  it('decrypts the same messages to the same bytes: lengths 0 to 40, framed small and large', async () => {
    for (const frameLength of [4, 4096]) {
      for (let length = 0; length <= 40; length += 5) {
        const plaintext = Buffer.from('1234567890'.repeat(5).slice(0, length));
        const message = await connectMessage(plaintext, frameLength);

        const { ours, sdk } = await both(message);

        expect(ours).toBe(`ok:${plaintext.toString('hex')}`);
        expect(ours).toBe(sdk);
      }
    }
  });

  it('opens a non-framed message as the SDK does, and refuses it damaged or cut', async () => {
    const message = await nonFramedMessage(Buffer.from('4111111111111111'));
    const flipped = Buffer.from(message);
    flipped[message.length - 130] = (flipped[message.length - 130] ?? 0) ^ 1;

    expect(message[0]).toBe(1);
    expect(await both(message)).toEqual({
      ours: `ok:${Buffer.from('4111111111111111').toString('hex')}`,
      sdk: `ok:${Buffer.from('4111111111111111').toString('hex')}`,
    });
    expect(await both(flipped)).toEqual({ ours: 'refused', sdk: 'refused' });
    expect(await both(message.subarray(0, message.length - 110))).toEqual({
      ours: 'refused',
      sdk: 'refused',
    });
  });

  it('refuses a flipped bit wherever the SDK does: every sixth byte of one frame, every ninth of five', async () => {
    const oneFrame = Buffer.from(knownAnswer('4111111111111111').ciphertext, 'base64');
    const fiveFrames = await connectMessage(Buffer.from('4111111111111111'), 4);
    let compared = 0;
    for (const [message, step] of [
      [oneFrame, 6],
      [fiveFrames, 9],
    ] as const) {
      for (let position = 0; position < message.length; position += step) {
        const damaged = Buffer.from(message);
        damaged[position] = (damaged[position] ?? 0) ^ 0x10;

        const { ours, sdk } = await both(damaged);

        expect({ position, ours }).toEqual({ position, ours: sdk });
        expect(ours).toBe('refused');
        compared++;
      }
    }
    expect(compared).toBe(Math.ceil(oneFrame.length / 6) + Math.ceil(fiveFrames.length / 9));
  });

  it('refuses a message cut short anywhere, or with bytes after its signature', async () => {
    const message = await connectMessage(Buffer.from('4111111111111111'), 4);
    const cuts = new Set<number>();
    for (let length = 0; length < message.length; length += 3) cuts.add(length);
    // Around the end: inside the signature, its length field, the final frame's tag.
    for (let back = 1; back <= 120; back++) cuts.add(message.length - back);

    for (const length of cuts) {
      const { ours, sdk } = await both(message.subarray(0, length));
      expect({ length, ours }).toEqual({ length, ours: 'refused' });
      expect(sdk).toBe('refused');
    }
    for (const extra of [Buffer.from([0]), Buffer.alloc(2, 0xff), Buffer.alloc(100, 7)]) {
      expect(await both(Buffer.concat([message, extra]))).toEqual({ ours: 'refused', sdk: 'refused' });
    }
  });

  it('refuses frames out of order, and more plaintext than maxBodySize', async () => {
    const message = await connectMessage(Buffer.from('41111111'), 4);
    // Two regular frames of 4 + 12 + 4 + 16 bytes each, then the final frame and the signature.
    const frameBytes = 4 + 12 + 4 + 16;
    const bodyStart =
      message.length - (2 * frameBytes + (4 + 4 + 12 + 4 + 0 + 16)) - (2 + signatureLength(message));
    const swapped = Buffer.concat([
      message.subarray(0, bodyStart),
      message.subarray(bodyStart + frameBytes, bodyStart + 2 * frameBytes),
      message.subarray(bodyStart, bodyStart + frameBytes),
      message.subarray(bodyStart + 2 * frameBytes),
    ]);
    const long = await connectMessage(Buffer.from('1234567890'.repeat(4)), 16);

    expect(swapped.readUInt32BE(bodyStart)).toBe(2);
    expect(await both(swapped)).toEqual({ ours: 'refused', sdk: 'refused' });
    expect((await both(long)).ours).toMatch(/^ok:/);
    expect(await both(long, { maxBodySize: 15, maxEncryptedDataKeys: 1 })).toEqual({
      ours: 'refused',
      sdk: 'refused',
    });
    // Stricter than the SDK, which checks each frame only: 40 bytes in frames of 16 exceed 16.
    expect(await both(long, { maxBodySize: 16, maxEncryptedDataKeys: 1 })).toEqual({
      ours: 'refused',
      sdk: `ok:${Buffer.from('1234567890'.repeat(4)).toString('hex')}`,
    });
    expect((await both(long, { maxBodySize: 40, maxEncryptedDataKeys: 1 })).ours).toMatch(/^ok:/);
  });

  it('refuses a verification key that is not a point on P-384, and one that is another key', async () => {
    const message = await connectMessage(Buffer.from('4111111111111111'));
    const { offset, text } = signerKeyIn(message);
    const point = Buffer.from(text, 'base64');
    const seen = { offCurve: 0, otherKey: 0 };
    // Walk x upwards until both kinds were tried (bounded): about half of all x have no point on
    // the curve; the others are someone else's key, which the signature check refuses.
    for (let step = 1; step <= 64 && (seen.offCurve < 2 || seen.otherKey < 2); step++) {
      const other = Buffer.from(point);
      other.writeUInt32BE((other.readUInt32BE(45) + step) >>> 0, 45);
      const damaged = Buffer.from(message);
      damaged.write(other.toString('base64'), offset, 'latin1');
      try {
        createPublicKey({ key: Buffer.concat([P384_SPKI_PREFIX, other]), format: 'der', type: 'spki' });
        seen.otherKey++;
      } catch {
        seen.offCurve++;
      }

      expect(await both(damaged)).toEqual({ ours: 'refused', sdk: 'refused' });
    }
    expect(seen.offCurve).toBeGreaterThanOrEqual(2);
    expect(seen.otherKey).toBeGreaterThanOrEqual(2);
  });

  it('refuses a context key that is not canonical base64 of a 49-byte compressed point', async () => {
    const suite = new NodeAlgorithmSuite(CONNECT_SUITE);
    const message = await connectMessage(Buffer.from('1234'));
    const good = signerKeyIn(message).text;
    const uncompressed = Buffer.concat([Buffer.from([4]), Buffer.alloc(96, 1)]).toString('base64');

    for (const key of [
      undefined,
      '',
      good.slice(0, -4),
      `${good}AAAA`,
      uncompressed,
      good.replace(/^./, 'B'),
    ]) {
      const encryptionContext: Record<string, string> =
        key === undefined ? {} : { 'aws-crypto-public-key': key };
      await expect(
        materials.decryptMaterials({ suite, encryptionContext, encryptedDataKeys: [] }),
      ).rejects.toThrow();
    }
  });

  it('answers for Connect suite only, and never encrypts', async () => {
    const unsigned = new NodeAlgorithmSuite(AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256);

    await expect(
      materials.decryptMaterials({ suite: unsigned, encryptionContext: {}, encryptedDataKeys: [] }),
    ).rejects.toThrow(/Unsupported algorithm suite/);
    await expect(materials.getEncryptionMaterials()).rejects.toThrow(/only decrypts/);
  });

  it('is what ConnectDecryptor uses: a known answer decrypts through it', async () => {
    const answer = knownAnswer('4111111111111111');
    const decryptor = new ConnectDecryptor({
      secrets: new FakeSecrets({ 'connect-keys': keysSecret(1) }),
      secretId: 'connect-keys',
    });

    const plaintext = await decryptor.decrypt(answer.ciphertext);

    expect(plaintext.toString()).toBe(answer.plaintext);
  });
});
