import { createPublicKey, randomBytes } from 'node:crypto';
// The KMS keyring alone: the package's index also loads the hierarchical keyring and, with it, a
// DynamoDB client the functions do not need.
import {
  KmsKeyringNode,
  type KmsKeyringNodeInput,
} from '@aws-crypto/kms-keyring-node/build/main/src/kms_keyring_node.js';
import {
  AlgorithmSuiteIdentifier,
  type AwsEsdkKeyObject,
  type KeyringNode,
  KeyringTraceFlag,
  NodeAlgorithmSuite,
  NodeEncryptionMaterial,
  needs,
} from '@aws-crypto/material-management-node';
import { RawRsaKeyringNode } from '@aws-crypto/raw-rsa-keyring-node';
import {
  DecryptCommand,
  type DecryptCommandInput,
  EncryptCommand,
  type EncryptCommandInput,
  GenerateDataKeyCommand,
  type GenerateDataKeyCommandInput,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { SecureInputError } from './errors.js';
import { writeTokenMessage } from './token-message.js';

/** Key-committing, unsigned: the downstream system holds the key, so a signature adds only cost. */
const TOKEN_SUITE = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
export const TOKEN_KEY_NAMESPACE = 'flowguard-token';

/** The context every token carries: it binds the token to one contact and one purpose. */
export function tokenContext(contactId: string, purpose: string): Record<string, string> {
  return { 'flowguard:contact-id': contactId, 'flowguard:purpose': purpose };
}

/**
 * A token keyring under a KMS key (its id, ARN or alias). The Encryption SDK calls
 * `generateDataKey` / `encrypt` / `decrypt` as methods, which only the aggregated `KMS` client
 * has; a modular `KMSClient` is adapted here, so either works.
 */
export function kmsTokenKeyring(keyId: string, client: KMSClient): KeyringNode {
  const adapter = {
    config: client.config,
    generateDataKey: (input: GenerateDataKeyCommandInput) => client.send(new GenerateDataKeyCommand(input)),
    encrypt: (input: EncryptCommandInput) => client.send(new EncryptCommand(input)),
    decrypt: (input: DecryptCommandInput) => client.send(new DecryptCommand(input)),
  };
  // The SDK types its KMS client by the SDK version it was built with.
  const clientProvider = (() => adapter) as unknown as KmsKeyringNodeInput['clientProvider'];
  return new KmsKeyringNode({ generatorKeyId: keyId, clientProvider });
}

export function rsaTokenKeyring(keyName: string, publicKeyPem: string): KeyringNode {
  return new RawRsaKeyringNode({
    keyNamespace: TOKEN_KEY_NAMESPACE,
    keyName,
    // A parsed KeyObject: a PEM string would be parsed again on every token.
    rsaKey: { publicKey: createPublicKey(publicKeyPem) as unknown as AwsEsdkKeyObject },
    oaepHash: 'sha512',
  });
}

const TOKEN_SUITE_SPEC = new NodeAlgorithmSuite(TOKEN_SUITE);
/** The Encryption SDK's context key for a signing key: reserved, a token never carries it. */
const SIGNER_KEY = 'aws-crypto-public-key';

/**
 * Gets the token's data key wrapped, as the SDK's default materials manager does for an unsigned
 * suite, with one difference for an RSA keyring: the data key is drawn from OpenSSL's generator
 * synchronously (`randomBytes`) rather than through the thread pool, a round trip that cost more
 * than the RSA work itself. A KMS keyring generates the data key in KMS, as always.
 */
async function wrapDataKey(keyring: KeyringNode, material: NodeEncryptionMaterial) {
  if (keyring instanceof RawRsaKeyringNode) {
    material.setUnencryptedDataKey(randomBytes(TOKEN_SUITE_SPEC.keyLengthBytes), {
      keyNamespace: keyring.keyNamespace,
      keyName: keyring.keyName,
      flags: KeyringTraceFlag.WRAPPING_KEY_GENERATED_DATA_KEY,
    });
  }
  const wrapped = await keyring.onEncrypt(material);
  /* Postcondition: a data key, wrapped exactly once for the downstream system. */
  needs(wrapped === material && material.getUnencryptedDataKey(), 'Unencrypted data key is invalid.');
  needs(material.encryptedDataKeys.length === 1, 'The token key did not wrap the data key.');
}

/** Encrypts a value for the downstream system; standard base64 of an Encryption SDK message. */
export async function makeToken(
  keyring: KeyringNode,
  value: Buffer,
  context: Record<string, string>,
): Promise<string> {
  try {
    /* Precondition: the reserved signing-key name is not in the context. */
    needs(!Object.hasOwn(context, SIGNER_KEY), `Reserved encryptionContext value ${SIGNER_KEY} not allowed.`);
    const material = new NodeEncryptionMaterial(TOKEN_SUITE_SPEC, context);
    try {
      await wrapDataKey(keyring, material);
      return writeTokenMessage(material, value).toString('base64');
    } finally {
      // Whatever happened, the data key does not outlive the call.
      material.zeroUnencryptedDataKey();
    }
  } catch (error) {
    throw new SecureInputError('token_failed', 'the token could not be made', { cause: error });
  }
}

/**
 * Options for the Secure IVR functions' AWS clients (KMS, Secrets Manager): timeouts and one retry
 * that fit inside the 2.5 s budget, so a slow or throttling service gets a stable answer
 * (`token_failed`, `key_unavailable`, or the cached secret) rather than the budget running out
 * in the SDK's default backoff.
 */
export const SECURE_INPUT_CLIENT_OPTIONS = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 500, requestTimeout: 700, throwOnRequestTimeout: true },
} as const;
