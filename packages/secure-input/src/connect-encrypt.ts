/**
 * Encrypts digits exactly the way Amazon Connect does for "Store customer input" with encryption
 * (connect-facts.md §3): an Encryption SDK message, format version 1, suite 0x0378 (signed, not
 * key-committing), one data key wrapped with RSA-OAEP SHA-512 under the instance's uploaded public
 * key, provider `AmazonConnect`, key name = the Connect key id; standard base64. For tests, the
 * flow simulator and the demo; production never encrypts this way.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { buildEncrypt } from '@aws-crypto/encrypt-node';
import { AlgorithmSuiteIdentifier, CommitmentPolicy } from '@aws-crypto/material-management-node';
import { RawRsaKeyringNode } from '@aws-crypto/raw-rsa-keyring-node';
import { CONNECT_KEY_NAMESPACE } from './message.js';

// Connect's suite is not key-committing: only a client that forbids committing encryption writes it.
const { encrypt } = buildEncrypt(CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT);

/** A PEM public key, or the PEM X.509 certificate that a flow's InputEncryption.Key holds. */
export function publicKeyPem(pem: string): string {
  const key = pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

export async function encryptLikeConnect(
  digits: string,
  options: { keyId: string; publicKey: string },
): Promise<string> {
  const keyring = new RawRsaKeyringNode({
    keyNamespace: CONNECT_KEY_NAMESPACE,
    keyName: options.keyId,
    rsaKey: { publicKey: publicKeyPem(options.publicKey) },
    oaepHash: 'sha512',
  });
  const { result } = await encrypt(keyring, Buffer.from(digits, 'utf8'), {
    suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384,
  });
  return result.toString('base64');
}
