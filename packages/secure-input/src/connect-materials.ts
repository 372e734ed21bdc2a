import { createPublicKey } from 'node:crypto';
import { type DecryptionRequest, VerificationKey } from '@aws-crypto/material-management';
import {
  type KeyringNode,
  type NodeAlgorithmSuite,
  NodeDecryptionMaterial,
  type NodeMaterialsManager,
  needs,
} from '@aws-crypto/material-management-node';
import { DataKeyUnwrapError } from './errors.js';
import { CONNECT_SUITE_ID } from './message.js';

/** Where the Encryption SDK keeps a signed message's public key in the encryption context. */
const SIGNER_KEY = 'aws-crypto-public-key';
/** DER SubjectPublicKeyInfo of a P-384 key up to its point: a 49-byte compressed point follows. */
const P384_SPKI_PREFIX = Buffer.from('3046301006072a8648ce3d020106052b81040022033200', 'hex');

/**
 * The Encryption SDK's default materials manager for decrypting Connect's messages, with one
 * difference: the message's P-384 verification key is decoded by OpenSSL (`createPublicKey` on
 * the compressed point) instead of the SDK's pure-JS big-number code, which costs about 2 ms a
 * message. Everything else — header parsing and authentication, data key unwrapping by the
 * keyring, body decryption, the signature check — stays the SDK's.
 *
 * It answers only for suite 0x0378 (what Connect uses) and refuses to encrypt.
 */
export class ConnectMaterials implements NodeMaterialsManager {
  constructor(private readonly keyring: KeyringNode) {}

  getEncryptionMaterials(): Promise<never> {
    return Promise.reject(new Error('ConnectMaterials only decrypts'));
  }

  async decryptMaterials({
    suite,
    encryptedDataKeys,
    encryptionContext,
  }: DecryptionRequest<NodeAlgorithmSuite>): Promise<NodeDecryptionMaterial> {
    /* Precondition: only Connect's suite, which is signed with ECDSA P-384. */
    needs(
      suite.id === CONNECT_SUITE_ID && suite.signatureCurve === 'secp384r1',
      'Unsupported algorithm suite.',
    );
    const encoded = encryptionContext[SIGNER_KEY];
    /* Precondition: the context carries the public key, as exactly one canonical base64 compressed point. */
    needs(typeof encoded === 'string', 'Context does not contain required public key.');
    const point = Buffer.from(encoded, 'base64');
    needs(
      point.length === 49 && (point[0] === 2 || point[0] === 3) && point.toString('base64') === encoded,
      'Malformed public key in the encryption context.',
    );
    // OpenSSL decompresses the point and refuses one that is not on the curve.
    const publicKey = createPublicKey({
      key: Buffer.concat([P384_SPKI_PREFIX, point]),
      format: 'der',
      type: 'spki',
    });
    // The SDK passes a non-byte verification key straight to `verify`: a KeyObject is used as is.
    const verificationKey = new VerificationKey(publicKey as unknown as Uint8Array, suite);
    const material = await this.keyring.onDecrypt(
      new NodeDecryptionMaterial(suite, encryptionContext).setVerificationKey(verificationKey),
      encryptedDataKeys.slice(),
    );
    /* Postcondition: the keyring unwrapped the data key. */
    if (!material.hasValidKey()) throw new DataKeyUnwrapError();
    return material;
  }
}
