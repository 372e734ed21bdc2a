/**
 * Writes a token — an Encryption SDK message for the downstream system — in one synchronous pass
 * with the SDK's own building blocks: `getEncryptionInfo` (message id, key derivation and
 * commitment, header and header authentication) and `getEncryptFrame` (frame IVs, AAD, frame
 * headers), exactly as the SDK's encrypt stream calls them. What this file adds is the loop the
 * stream runs, without the stream: the SDK's stream yields to the event loop for every chunk and
 * costs several times the cryptography for a value of a few dozen bytes.
 *
 * Only unsigned, key-committing suites: the token suite. The SDK decrypts what this writes (tests
 * hold it to that for every length around the frame size).
 */
import { getEncryptionInfo } from '@aws-crypto/encrypt-node/build/main/src/encrypt_stream.js';
import { getEncryptFrame } from '@aws-crypto/encrypt-node/build/main/src/framed_encrypt_stream.js';
import {
  CommitmentPolicy,
  CommitmentPolicySuites,
  type NodeEncryptionMaterial,
  needs,
} from '@aws-crypto/material-management-node';

/** The SDK's default frame length. */
export const TOKEN_FRAME_LENGTH = 4096;

export function writeTokenMessage(
  material: NodeEncryptionMaterial,
  plaintext: Buffer,
  frameLength = TOKEN_FRAME_LENGTH,
): Buffer {
  const { suite } = material;
  /* Precondition: a key-committing suite, and one without a signature (nothing here signs). */
  CommitmentPolicySuites.isEncryptEnabled(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT, suite);
  needs(!suite.signatureCurve, 'Token messages are unsigned.');
  needs(frameLength > 0 && Number.isInteger(frameLength), 'Invalid frame length.');
  const { getCipher, messageHeader, rawHeader, dispose } = getEncryptionInfo(material, frameLength);
  try {
    const parts: Uint8Array[] = [...rawHeader];
    const frame = (start: number, end: number, sequenceNumber: number, isFinalFrame: boolean) => {
      const content = plaintext.subarray(start, end);
      const { cipher, bodyHeader } = getEncryptFrame({
        pendingFrame: { content: [content], contentLength: content.length, sequenceNumber },
        messageHeader,
        getCipher,
        isFinalFrame,
        suite,
      });
      parts.push(bodyHeader, cipher.update(content), cipher.final(), cipher.getAuthTag());
    };
    // As the SDK frames: full frames while a whole frame remains (even the last one), then a final
    // frame with the rest, which may be empty.
    let sequenceNumber = 1;
    let offset = 0;
    for (; offset + frameLength <= plaintext.length; offset += frameLength) {
      frame(offset, offset + frameLength, sequenceNumber++, false);
    }
    frame(offset, plaintext.length, sequenceNumber, true);
    return Buffer.concat(parts);
  } finally {
    dispose();
  }
}
