import { createHmac } from 'node:crypto';
import { SecureInputError } from './errors.js';

/**
 * Formats that never get a fingerprint: PINs and card security codes are sensitive authentication
 * data (PCI DSS), and a deterministic tag over 10⁴ values lets whoever reads contact attributes
 * compare them across contacts, and whoever holds the key recover them.
 */
export const NO_FINGERPRINT_FORMATS: ReadonlySet<string> = new Set(['pin', 'cvv']);

/** One fingerprint key and the version that tags what it makes. */
export interface FingerprintKey {
  readonly version: number;
  readonly key: Buffer;
}

export interface FingerprintKeys {
  /** The key new fingerprints are made with. */
  readonly current: FingerprintKey;
  /** Every key the secret holds, the current one included, newest version first. */
  readonly keys: readonly FingerprintKey[];
}

const MIN_KEY_BYTES = 32;
const MAX_KEYS = 8;
const SHAPE =
  'the fingerprint secret must hold {"current": <version>, "keys": [{"version": <int>, "key": "<base64 of 32+ bytes>"}]} or {"key": "<base64 of 32+ bytes>"}';

function keyBytes(key: unknown): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : undefined;
  if (!bytes || bytes.length < MIN_KEY_BYTES) throw new SecureInputError('key_unavailable', SHAPE);
  return bytes;
}

/**
 * Reads the fingerprint secret: `{"current": 2, "keys": [{"version": 2, "key": ...}, {"version": 1,
 * "key": ...}]}`, or the original `{"key": ...}`, which is version 1. Messages say what is wrong
 * with the shape, never what the secret holds.
 */
export function fingerprintKeysOf(secret: unknown): FingerprintKeys {
  const shape = (secret ?? {}) as { key?: unknown; keys?: unknown; current?: unknown };
  if (typeof secret !== 'object' || secret === null) throw new SecureInputError('key_unavailable', SHAPE);
  if (shape.keys === undefined) {
    const current = { version: 1, key: keyBytes(shape.key) };
    return { current, keys: [current] };
  }
  if (!Array.isArray(shape.keys) || shape.keys.length === 0 || shape.keys.length > MAX_KEYS) {
    throw new SecureInputError('key_unavailable', SHAPE);
  }
  const keys = (shape.keys as unknown[]).map((entry) => {
    const { version, key } = (entry ?? {}) as { version?: unknown; key?: unknown };
    if (!Number.isSafeInteger(version) || (version as number) < 1) {
      throw new SecureInputError('key_unavailable', 'each fingerprint key needs a version, an integer >= 1');
    }
    return { version: version as number, key: keyBytes(key) };
  });
  if (new Set(keys.map((k) => k.version)).size !== keys.length) {
    throw new SecureInputError('key_unavailable', 'the fingerprint key versions must be distinct');
  }
  const current = keys.find((k) => k.version === shape.current);
  if (!current) {
    throw new SecureInputError('key_unavailable', 'the fingerprint secret names no current key it holds');
  }
  return { current, keys: keys.sort((a, b) => b.version - a.version) };
}

/**
 * A keyed fingerprint (HMAC-SHA256, base64url): the same value always gives the same
 * fingerprint under one key, so a backend can spot one card used by many callers without ever
 * holding the card number.
 */
export function fingerprint(key: Buffer, purpose: string, value: Buffer): string {
  return createHmac('sha256', key).update(purpose).update('\0').update(value).digest('base64url');
}

/**
 * The fingerprint tagged with its key's version, `v<version>:<fingerprint>`, so fingerprints made
 * under a rotated key are told apart from (and never compared with) those under the old one.
 */
export function versionedFingerprint(key: FingerprintKey, purpose: string, value: Buffer): string {
  return `v${key.version}:${fingerprint(key.key, purpose, value)}`;
}
