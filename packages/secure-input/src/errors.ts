import { FlowguardError } from '@flowguard/contact';

/**
 * A Secure IVR failure with a stable code for the flow: `no_input`, `bad_ciphertext`,
 * `unknown_key`, `decrypt_failed`, `key_unavailable`, `token_failed`. Messages describe the
 * failure, never the input: no exception text from a decrypt reaches the flow or the logs.
 */
export class SecureInputError extends FlowguardError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'SecureInputError';
  }
}

/**
 * The keyring had no key that unwrapped the message's data key. Thrown by `ConnectMaterials`: the
 * SDK's raw keyrings swallow unwrap failures and leave the material without a key, so this class
 * (not an SDK message) is how a decrypt tells "wrong or rotated key" from "damaged message".
 */
export class DataKeyUnwrapError extends Error {
  constructor() {
    super('no key in the keyring unwrapped the data key');
    this.name = 'DataKeyUnwrapError';
  }
}
