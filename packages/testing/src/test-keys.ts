import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of the test-only Connect keys: `test-only-connect-key-<n>.<part>.pem`. */
export const TEST_KEYS_DIR = fileURLToPath(new URL('../fixtures/keys/', import.meta.url));

/** Which test-only key: 2 is the second active key, for rotation. */
export type TestKeyNumber = 1 | 2;
/** `private` (PKCS#8), `public` (SPKI) or `cert` (self-signed X.509), all PEM. */
export type TestKeyPart = 'private' | 'public' | 'cert';

export interface TestConnectKey {
  /** The Connect key id the tests give it: `test-only-key-<n>`. */
  readonly keyId: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly certificatePem: string;
}

/** The path of one test-only key file, for what takes a file (`flowguard keys check <file>`). */
export function testKeyFile(n: TestKeyNumber, part: TestKeyPart): string {
  return join(TEST_KEYS_DIR, `test-only-connect-key-${n}.${part}.pem`);
}

/** One test-only key file's PEM text. */
export function testKeyPem(n: TestKeyNumber, part: TestKeyPart): string {
  return readFileSync(testKeyFile(n, part), 'utf8');
}

/** A test-only Connect key pair with its certificate and the key id the tests use for it. */
export function testConnectKey(n: TestKeyNumber): TestConnectKey {
  return {
    keyId: `test-only-key-${n}`,
    privateKeyPem: testKeyPem(n, 'private'),
    publicKeyPem: testKeyPem(n, 'public'),
    certificatePem: testKeyPem(n, 'cert'),
  };
}
