import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_KEYS_DIR, testConnectKey, testKeyFile, testKeyPem } from '../../src/test-keys.js';

const PACKAGES = join(import.meta.dirname, '../../..');

/** Every TypeScript file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(dir, name));
}

describe('testConnectKey', () => {
  it.each([1, 2] as const)(
    'key %i: the private key, public key and certificate parse and belong together',
    (n) => {
      const key = testConnectKey(n);

      const privateKey = createPrivateKey(key.privateKeyPem);
      const publicKey = createPublicKey(key.publicKeyPem);
      const certificate = new X509Certificate(key.certificatePem);
      const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });

      expect(key.keyId).toBe(`test-only-key-${n}`);
      expect(privateKey.asymmetricKeyType).toBe('rsa');
      expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
      expect(publicKey.export({ type: 'spki', format: 'der' })).toEqual(derived);
      expect(certificate.publicKey.export({ type: 'spki', format: 'der' })).toEqual(derived);
      expect(certificate.checkPrivateKey(privateKey)).toBe(true);
      expect(certificate.subject).toContain('TEST ONLY');
    },
  );

  it('gives two different keys', () => {
    expect(testConnectKey(1).publicKeyPem).not.toBe(testConnectKey(2).publicKeyPem);
  });

  it('reads the files of the fixtures folder, by path or text', () => {
    const file = testKeyFile(2, 'cert');

    expect(file).toBe(join(TEST_KEYS_DIR, 'test-only-connect-key-2.cert.pem'));
    expect(readFileSync(file, 'utf8')).toBe(testKeyPem(2, 'cert'));
    expect(testKeyPem(2, 'cert')).toBe(testConnectKey(2).certificatePem);
  });

  it('is loaded by no shipped source (packages/*/src)', () => {
    const shipped = readdirSync(PACKAGES)
      .filter((name) => name !== 'testing')
      .flatMap((name) => {
        const src = join(PACKAGES, name, 'src');
        try {
          return sources(src);
        } catch {
          return [];
        }
      });

    const loading = shipped.filter((file) =>
      /@flowguard\/testing|test-only-connect-key|fixtures\/keys/.test(readFileSync(file, 'utf8')),
    );

    expect(shipped.length).toBeGreaterThan(50);
    expect(loading).toEqual([]);
  });
});
