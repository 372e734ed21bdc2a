export { readEncryptInputConfig, readSecureInputConfig, type SecureInputConfig } from './config.js';
export {
  ENCRYPT_INPUT_OUTPUTS,
  ENCRYPT_INPUT_VARIABLES,
  SECURE_INPUT_BUDGET_MS,
  SECURE_INPUT_OUTPUTS,
  SECURE_INPUT_VARIABLES,
} from './contract.js';
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
  encryptInput,
  FORMATS,
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
