import { SecureInputError } from './errors.js';

/** Suite 0x0378: AES-256-GCM, HKDF-SHA384, ECDSA P-384, not key-committing (what Connect uses). */
export const CONNECT_SUITE_ID = 0x0378;
export const CONNECT_KEY_NAMESPACE = 'AmazonConnect';

export interface EncryptedDataKeyInfo {
  readonly providerId: string;
  readonly providerInfo: string;
}

export interface MessageSummary {
  readonly version: number;
  readonly suiteId: number;
  readonly encryptionContext: Readonly<Record<string, string>>;
  readonly encryptedDataKeys: readonly EncryptedDataKeyInfo[];
}

class Reader {
  private offset = 0;
  constructor(private readonly bytes: Buffer) {}

  u8(): number {
    this.need(1);
    return this.bytes.readUInt8(this.offset++);
  }

  u16(): number {
    this.need(2);
    const value = this.bytes.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  take(length: number): Buffer {
    this.need(length);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  private need(length: number): void {
    if (this.offset + length > this.bytes.length)
      throw new SecureInputError('bad_ciphertext', 'message truncated');
  }
}

/**
 * Reads the header of a version-1 Encryption SDK message far enough to see its suite, context
 * and data keys: which Connect key it was made for, before any cryptography runs. The SDK checks
 * everything again (header authentication included) when it decrypts.
 */
export function summarizeMessage(message: Buffer, maxDataKeys = 1): MessageSummary {
  const reader = new Reader(message);
  const version = reader.u8();
  if (version !== 1 || reader.u8() !== 0x80) {
    throw new SecureInputError('bad_ciphertext', 'not a version-1 Encryption SDK message');
  }
  const suiteId = reader.u16();
  reader.take(16); // message id
  const aadLength = reader.u16();
  const aad = new Reader(reader.take(aadLength));
  const encryptionContext: Record<string, string> = {};
  if (aadLength > 0) {
    const pairs = aad.u16();
    for (let i = 0; i < pairs; i++) {
      const key = aad.take(aad.u16()).toString('utf8');
      encryptionContext[key] = aad.take(aad.u16()).toString('utf8');
    }
  }
  const count = reader.u16();
  if (count === 0 || count > maxDataKeys) {
    throw new SecureInputError('bad_ciphertext', `message carries ${count} data keys`);
  }
  const encryptedDataKeys: EncryptedDataKeyInfo[] = [];
  for (let i = 0; i < count; i++) {
    const providerId = reader.take(reader.u16()).toString('utf8');
    const providerInfo = reader.take(reader.u16()).toString('utf8');
    reader.take(reader.u16()); // the wrapped key
    encryptedDataKeys.push({ providerId, providerInfo });
  }
  return { version, suiteId, encryptionContext, encryptedDataKeys };
}
