/**
 * The downstream side of a token, for systems written in TypeScript and for the tests: kept out of
 * the package's main entry so that the functions' bundles carry no decrypt client.
 */
import { buildDecrypt } from '@aws-crypto/decrypt-node';
import { CommitmentPolicy, type KeyringNode } from '@aws-crypto/material-management-node';
import { SecureInputError } from './errors.js';

const { decrypt } = buildDecrypt({
  commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
  maxEncryptedDataKeys: 1,
});

/**
 * What a downstream system does with a token: decrypts it and checks it was made for this contact
 * and purpose. Throws `SecureInputError` (`bad_token`, `token_context`) otherwise.
 */
export async function openToken(
  keyring: KeyringNode,
  token: string,
  expected: Record<string, string>,
): Promise<Buffer> {
  let output: Awaited<ReturnType<typeof decrypt>>;
  try {
    output = await decrypt(keyring, Buffer.from(token, 'base64'), { maxBodySize: 4096 });
  } catch (error) {
    throw new SecureInputError('bad_token', 'the token does not decrypt', { cause: error });
  }
  for (const [key, value] of Object.entries(expected)) {
    if (output.messageHeader.encryptionContext[key] !== value) {
      output.plaintext.fill(0);
      throw new SecureInputError(
        'token_context',
        `the token was not made for this ${key.replace('flowguard:', '')}`,
      );
    }
  }
  return output.plaintext;
}
