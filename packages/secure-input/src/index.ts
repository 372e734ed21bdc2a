export { readEncryptInputConfig, readSecureInputConfig, type SecureInputConfig } from './config.js';
export {
  ConnectDecryptor,
  type DecryptOptions,
  type JsonSecrets,
  jsonSecretsFrom,
  MAX_CIPHERTEXT_CHARS,
  type ValueCache,
} from './decrypt.js';
export { DataKeyUnwrapError, SecureInputError } from './errors.js';
export {
  type FingerprintKey,
  type FingerprintKeys,
  fingerprint,
  fingerprintKeysOf,
  NO_FINGERPRINT_FORMATS,
  versionedFingerprint,
} from './fingerprint.js';
export {
  ENCRYPT_INPUT_OUTPUTS,
  encryptInput,
  FORMATS,
  SECURE_INPUT_OUTPUTS,
  type SecureInputDeps,
  secureInput,
} from './functions.js';
export { CONNECT_KEY_NAMESPACE, CONNECT_SUITE_ID, type MessageSummary, summarizeMessage } from './message.js';
export {
  kmsTokenKeyring,
  makeToken,
  rsaTokenKeyring,
  SECURE_INPUT_CLIENT_OPTIONS,
  TOKEN_KEY_NAMESPACE,
  tokenContext,
} from './token.js';
