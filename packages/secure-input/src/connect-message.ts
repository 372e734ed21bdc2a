/**
 * Decrypts one whole Encryption SDK message in a single pass with the SDK's own building blocks,
 * in the order the SDK's decrypt streams use them: `deserializeMessageHeader`, the commitment and
 * signature policies, the materials manager, `getDecryptionHelper` (key derivation, header
 * authentication, the verifier), `decodeBodyHeader` and the frame AAD for each frame, and
 * `deserializeSignature`. What this file adds is the loop over a buffer already in memory: the
 * streams yield to the event loop between header, frames and signature, which costs more than the
 * AES work for a message of a few dozen digits.
 *
 * Nothing is returned unless every frame authenticated, the frames were in order and complete,
 * the signature over every byte before it verified, and no byte follows it. The tests hold it to
 * the SDK's own decrypt: the same messages open to the same bytes; a flipped bit, a cut or an
 * extra byte anywhere is refused by both.
 */
import {
  CommitmentPolicy,
  CommitmentPolicySuites,
  getDecryptionHelper,
  NodeAlgorithmSuite,
  type NodeMaterialsManager,
  needs,
  SignaturePolicy,
  SignaturePolicySuites,
} from '@aws-crypto/material-management-node';
import {
  aadFactory,
  decodeBodyHeader,
  deserializeFactory,
  deserializeSignature,
} from '@aws-crypto/serialize';

const toUtf8 = (input: Uint8Array) =>
  Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
const deserialize = deserializeFactory(toUtf8, NodeAlgorithmSuite);
const aad = aadFactory((input: string) => Buffer.from(input, 'utf8'));

/** As the SDK's decrypt client for Connect's messages: non-committing allowed, signatures allowed. */
const COMMITMENT = CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT;
const SIGNATURES = SignaturePolicy.ALLOW_ENCRYPT_ALLOW_DECRYPT;

const view = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export interface MessageLimits {
  /** Most bytes of plaintext in the message (and in any one frame). */
  readonly maxBodySize: number;
  readonly maxEncryptedDataKeys: number;
}

export async function decryptMessage(
  materials: NodeMaterialsManager,
  message: Buffer,
  limits: MessageLimits,
): Promise<Buffer> {
  const headerInfo = deserialize.deserializeMessageHeader(message, {
    maxEncryptedDataKeys: limits.maxEncryptedDataKeys,
  });
  /* Precondition: the whole header is there. */
  needs(headerInfo, 'Incomplete Header');
  const { messageHeader, algorithmSuite, rawHeader, headerAuth } = headerInfo;
  const messageId = view(messageHeader.messageId);
  const messageIdText = messageId.toString('hex');
  CommitmentPolicySuites.isDecryptEnabled(COMMITMENT, algorithmSuite, messageIdText);
  SignaturePolicySuites.isDecryptEnabled(SIGNATURES, algorithmSuite, messageIdText);

  const { encryptionContext, encryptedDataKeys } = messageHeader;
  const material = await materials.decryptMaterials({
    suite: new NodeAlgorithmSuite(algorithmSuite.id),
    encryptionContext,
    encryptedDataKeys,
  });
  CommitmentPolicySuites.isDecryptEnabled(COMMITMENT, material.suite, messageIdText);
  SignaturePolicySuites.isDecryptEnabled(SIGNATURES, material.suite, messageIdText);
  const { getDecipherInfo, getVerify, dispose } = getDecryptionHelper(material);
  const parts: Buffer[] = [];
  try {
    const suiteData = 'suiteData' in messageHeader ? messageHeader.suiteData : undefined;
    const getDecipher = getDecipherInfo(messageHeader.messageId, suiteData);
    // The header authenticates before anything else is read.
    const { headerIv, headerAuthTag, headerAuthLength } = headerAuth;
    const headerCheck = getDecipher(headerIv);
    headerCheck.setAAD(view(rawHeader));
    headerCheck.setAuthTag(view(headerAuthTag));
    headerCheck.update(Buffer.alloc(0));
    headerCheck.final();

    let position = rawHeader.byteLength + headerAuthLength;
    let bodySize = 0;
    for (let sequence = 1; ; sequence++) {
      const frame = decodeBodyHeader(message, headerInfo, position);
      /* Precondition: the frame header is all there. */
      needs(frame, 'Incomplete message');
      /* Precondition: frames come in order, from 1 (non-framed data is one frame numbered 1). */
      needs(frame.sequenceNumber === sequence, 'Encrypted body sequence out of order.');
      bodySize += frame.contentLength;
      /* Precondition: no more plaintext than allowed, in a frame or in all. */
      needs(bodySize <= limits.maxBodySize, 'maxBodySize exceeded.');
      const contentEnd = frame.readPos + frame.contentLength;
      const tagEnd = contentEnd + frame.tagLength / 8;
      /* Precondition: the frame's content and tag are all there. */
      needs(tagEnd <= message.length, 'Incomplete message');
      const contentString = aad.messageAADContentString({
        contentType: messageHeader.contentType,
        isFinalFrame: frame.isFinalFrame,
      });
      const frameAad = aad.messageAAD(messageId, contentString, frame.sequenceNumber, frame.contentLength);
      const decipher = getDecipher(frame.iv);
      decipher.setAAD(view(frameAad));
      decipher.setAuthTag(message.subarray(contentEnd, tagEnd));
      parts.push(decipher.update(message.subarray(frame.readPos, contentEnd)));
      parts.push(decipher.final()); // throws if the frame does not authenticate
      position = tagEnd;
      if (frame.isFinalFrame) break;
    }

    if (getVerify) {
      // The signature covers every byte before it: header, header authentication and body.
      const verify = getVerify();
      verify.update(message.subarray(0, position));
      /* Precondition: exactly one well-formed signature follows the body, and nothing after it. */
      const signature = view(deserializeSignature(message.subarray(position)));
      /* Postcondition: the signature verifies. */
      needs(verify.awsCryptoVerify(signature), 'Invalid Signature');
    } else {
      /* Precondition: an unsigned message ends with its body. */
      needs(position === message.length, 'Data after the message body.');
    }
    return Buffer.concat(parts);
  } finally {
    for (const part of parts) part.fill(0);
    dispose();
  }
}
