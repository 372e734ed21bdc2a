import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { AwsEsdkKeyObject } from '@aws-crypto/material-management-node';
import { RawRsaKeyringNode } from '@aws-crypto/raw-rsa-keyring-node';
import { ConnectMaterials } from './connect-materials.js';
import { decryptMessage } from './connect-message.js';
import { DataKeyUnwrapError, SecureInputError } from './errors.js';
import { CONNECT_KEY_NAMESPACE, CONNECT_SUITE_ID, summarizeMessage } from './message.js';

/** Where JSON secrets come from: the secrets cache in production, anything alike in tests. */
export interface JsonSecrets {
  getJson(secretId: string, options?: { signal?: AbortSignal }): Promise<unknown>;
  /**
   * Fetches the secret again (rotation); may decline when called too often. `reason` (the key id a
   * message named) lets the cache rate-limit refreshes per reason.
   */
  refresh(secretId: string, options?: { signal?: AbortSignal; reason?: string }): Promise<unknown>;
}

/**
 * Connect-encrypted input is small (a few dozen digits); anything much larger is hostile. Base64
 * of a message with one RSA-4096 data key and a P-384 signature is about 1.2 KB.
 */
export const MAX_CIPHERTEXT_CHARS = 8192;
const MAX_BODY_BYTES = 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** What a flow sees when the caller entered nothing (no input stores the literal `Timeout`). */
const NO_INPUT = new Set(['', 'timeout', '#']);

interface KeyEntry {
  readonly keyId: string;
  readonly materials: ConnectMaterials;
}

/** Parses `{"keys":[{"keyId":"...","privateKey":"<PEM>"}]}`; at most a few keys (Connect allows two active). */
function keyringsOf(secret: unknown): Map<string, KeyEntry> {
  const keys = (secret as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > 8) {
    throw new SecureInputError(
      'key_unavailable',
      'the Connect keys secret must hold {"keys":[{"keyId","privateKey"}]}',
    );
  }
  const out = new Map<string, KeyEntry>();
  for (const entry of keys as unknown[]) {
    const { keyId, privateKey } = (entry ?? {}) as { keyId?: unknown; privateKey?: unknown };
    if (typeof keyId !== 'string' || keyId === '' || typeof privateKey !== 'string') {
      throw new SecureInputError('key_unavailable', 'each Connect key needs a keyId and a privateKey PEM');
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(privateKey);
    } catch {
      throw new SecureInputError('key_unavailable', `the private key for key id ${keyId} is not a PEM key`);
    }
    const keyring = new RawRsaKeyringNode({
      keyNamespace: CONNECT_KEY_NAMESPACE,
      keyName: keyId,
      // A parsed KeyObject: a PEM string would be parsed again on every decrypt.
      rsaKey: { privateKey: key as unknown as AwsEsdkKeyObject },
      oaepHash: 'sha512',
    });
    out.set(keyId, { keyId, materials: new ConnectMaterials(keyring) });
  }
  return out;
}

/**
 * A data key no key unwrapped is ours to report (`ConnectMaterials` throws `DataKeyUnwrapError`);
 * every error the SDK throws while decrypting (plain `Error`s from its `needs` checks, Node's GCM
 * and signature failures) is the message's fault. No SDK message text is matched.
 */
function unwrapFailed(error: unknown): boolean {
  return error instanceof DataKeyUnwrapError;
}

export interface DecryptOptions {
  /** Only accept a message for this Connect key id. */
  readonly keyId?: string;
  readonly signal?: AbortSignal;
}

/**
 * Decrypts what Connect's "Store customer input" encrypted. Keyrings are built once per version
 * of the keys secret and chosen by the key id the message names, so both active Connect keys
 * work at once. A message for a key the cached secret lacks, or one that fails to unwrap with a
 * cached key, forces one refresh of the secret and one retry (rotation).
 */
export class ConnectDecryptor {
  private readonly secrets: JsonSecrets;
  private readonly secretId: string;
  private source: unknown;
  private keyrings = new Map<string, KeyEntry>();

  constructor(options: { secrets: JsonSecrets; secretId: string }) {
    this.secrets = options.secrets;
    this.secretId = options.secretId;
  }

  /** `refreshFor`: the key id a message named that the cached keys did not serve. */
  private async currentKeys(
    refreshFor: string | undefined,
    signal?: AbortSignal,
  ): Promise<Map<string, KeyEntry>> {
    let secret: unknown;
    try {
      secret =
        refreshFor !== undefined
          ? await this.secrets.refresh(this.secretId, { signal, reason: refreshFor })
          : await this.secrets.getJson(this.secretId, { signal });
    } catch (error) {
      throw new SecureInputError('key_unavailable', 'the Connect keys secret could not be read', {
        cause: error,
      });
    }
    // The cache hands back the same parsed object until the secret changes: build keyrings then only.
    if (secret !== this.source) {
      this.keyrings = keyringsOf(secret);
      this.source = secret;
    }
    return this.keyrings;
  }

  /** The plaintext bytes. The caller must wipe the buffer when done (`fill(0)`). */
  async decrypt(ciphertext: unknown, options: DecryptOptions = {}): Promise<Buffer> {
    const text = typeof ciphertext === 'string' ? ciphertext.trim() : ciphertext;
    if (
      text === undefined ||
      text === null ||
      (typeof text === 'string' && NO_INPUT.has(text.toLowerCase()))
    ) {
      throw new SecureInputError('no_input', 'the caller entered nothing');
    }
    if (
      typeof text !== 'string' ||
      text.length > MAX_CIPHERTEXT_CHARS ||
      text.length % 4 !== 0 ||
      !BASE64.test(text)
    ) {
      throw new SecureInputError('bad_ciphertext', 'not a base64 Encryption SDK message');
    }
    const message = Buffer.from(text, 'base64');
    const summary = summarizeMessage(message, 1);
    const dataKey = summary.encryptedDataKeys[0];
    if (summary.suiteId !== CONNECT_SUITE_ID || dataKey?.providerId !== CONNECT_KEY_NAMESPACE) {
      throw new SecureInputError('bad_ciphertext', 'not a message Connect encrypted');
    }
    const keyId = dataKey.providerInfo;
    if (options.keyId !== undefined && options.keyId !== keyId) {
      throw new SecureInputError('unknown_key', 'the message was encrypted for another key id');
    }

    let keys = await this.currentKeys(undefined, options.signal);
    let refreshed = false;
    if (!keys.has(keyId)) {
      keys = await this.currentKeys(keyId, options.signal);
      refreshed = true;
    }
    for (;;) {
      const entry = keys.get(keyId);
      if (!entry) throw new SecureInputError('unknown_key', 'no private key for the key id in the message');
      try {
        return await decryptMessage(entry.materials, message, {
          maxBodySize: MAX_BODY_BYTES,
          maxEncryptedDataKeys: 1,
        });
      } catch (error) {
        if (!unwrapFailed(error))
          throw new SecureInputError('bad_ciphertext', 'the message failed authentication');
        if (refreshed)
          throw new SecureInputError('decrypt_failed', 'the data key did not unwrap with the current key');
        keys = await this.currentKeys(keyId, options.signal);
        refreshed = true;
      }
    }
  }
}

/** A cache whose `getJson` answers `{ value }`, as `@flowguard/secrets`'s SecretCache does. */
export interface ValueCache {
  getJson(secretId: string, options?: { signal?: AbortSignal }): Promise<{ readonly value: unknown }>;
  refresh(secretId: string, options?: { signal?: AbortSignal; reason?: string }): Promise<unknown>;
}

/**
 * The secrets cache as the decryptor reads it. The cache parses each version once and hands back
 * the same object until the secret changes, which is what lets keyrings be built once a version.
 */
export function jsonSecretsFrom(cache: ValueCache): JsonSecrets {
  return {
    getJson: async (secretId, options) => (await cache.getJson(secretId, options)).value,
    refresh: async (secretId, options) => {
      await cache.refresh(secretId, options);
      return (await cache.getJson(secretId, { signal: options?.signal })).value;
    },
  };
}
