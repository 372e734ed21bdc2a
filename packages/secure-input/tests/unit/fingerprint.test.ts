import { describe, expect, it } from 'vitest';
import { fingerprint, fingerprintKeysOf, versionedFingerprint } from '../../src/fingerprint.js';

// Generated for the tests: 32 bytes of one repeated value each.
const TEST_KEY_1 = Buffer.alloc(32, 0x11).toString('base64');
const TEST_KEY_2 = Buffer.alloc(32, 0x22).toString('base64');

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'returned';
  } catch (error) {
    return (error as { code?: string }).code ?? 'no code';
  }
}

describe('fingerprintKeysOf', () => {
  it('reads the original {"key"} shape as version 1', () => {
    const keys = fingerprintKeysOf({ key: TEST_KEY_1 });

    expect(keys.current.version).toBe(1);
    expect(keys.current.key.equals(Buffer.from(TEST_KEY_1, 'base64'))).toBe(true);
    expect(keys.keys).toEqual([keys.current]);
  });

  it('reads current and previous keys with their versions, newest first', () => {
    const keys = fingerprintKeysOf({
      current: 2,
      keys: [
        { version: 1, key: TEST_KEY_1 },
        { version: 2, key: TEST_KEY_2 },
      ],
    });

    expect(keys.current.version).toBe(2);
    expect(keys.current.key.equals(Buffer.from(TEST_KEY_2, 'base64'))).toBe(true);
    expect(keys.keys.map((k) => k.version)).toEqual([2, 1]);
  });

  it.each([
    ['no secret', null],
    ['a string', 'plain'],
    ['a short key', { key: Buffer.alloc(16).toString('base64') }],
    ['no keys', { current: 1, keys: [] }],
    ['a current version it does not hold', { current: 3, keys: [{ version: 1, key: TEST_KEY_1 }] }],
    ['no current version', { keys: [{ version: 1, key: TEST_KEY_1 }] }],
    ['a version that is not a positive integer', { current: 0, keys: [{ version: 0, key: TEST_KEY_1 }] }],
    [
      'two keys of one version',
      {
        current: 1,
        keys: [
          { version: 1, key: TEST_KEY_1 },
          { version: 1, key: TEST_KEY_2 },
        ],
      },
    ],
  ])('refuses %s with key_unavailable', (_, secret) => {
    expect(codeOf(() => fingerprintKeysOf(secret))).toBe('key_unavailable');
  });

  it('never quotes a key in its messages', () => {
    let message = '';
    try {
      fingerprintKeysOf({ current: 9, keys: [{ version: 1, key: TEST_KEY_1 }] });
    } catch (error) {
      message = String((error as Error).message);
    }

    expect(message).not.toBe('');
    expect(message).not.toContain(TEST_KEY_1);
  });
});

describe('versionedFingerprint', () => {
  it('is the keyed HMAC prefixed with the key version', () => {
    const key = { version: 7, key: Buffer.from(TEST_KEY_1, 'base64') };

    const tagged = versionedFingerprint(key, 'card', Buffer.from('4111111111111111'));

    expect(tagged).toBe(`v7:${fingerprint(key.key, 'card', Buffer.from('4111111111111111'))}`);
  });

  it('differs between key versions for the same value', () => {
    const value = Buffer.from('4111111111111111');

    const one = versionedFingerprint({ version: 1, key: Buffer.from(TEST_KEY_1, 'base64') }, 'card', value);
    const two = versionedFingerprint({ version: 2, key: Buffer.from(TEST_KEY_2, 'base64') }, 'card', value);

    expect(one.slice(3)).not.toBe(two.slice(3));
  });
});
