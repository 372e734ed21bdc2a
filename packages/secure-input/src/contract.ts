// What secure-input and encrypt-input promise the outside world: their answers, their budgets and
// the variables they read. Data only, so the function registry, the CDK stack and the docs can
// read it without loading the Encryption SDK.
import type { VariableSpec } from '@flowguard/contact';

export const SECURE_INPUT_OUTPUTS = [
  'valid',
  'errorCode',
  'last4',
  'brand',
  'length',
  'fingerprint',
  'token',
] as const;

export const ENCRYPT_INPUT_OUTPUTS = ['valid', 'errorCode', 'masked', 'token'] as const;

/** Both answer within 2.5 s: Secrets Manager and KMS timeouts and retries fit inside it. */
export const SECURE_INPUT_BUDGET_MS = 2500;

/** What `readSecureInputConfig` reads. */
export const SECURE_INPUT_VARIABLES: readonly VariableSpec[] = [
  {
    name: 'FLOWGUARD_CONNECT_KEYS_SECRET_ID',
    values: 'secret id or ARN',
    default: '(required)',
    meaning: 'the Connect private keys, `{"keys":[{"keyId","privateKey"}]}`',
    stack: 'connectKeysSecret',
  },
  {
    name: 'FLOWGUARD_FINGERPRINT_SECRET_ID',
    values: 'secret id or ARN',
    default: 'none: no fingerprint',
    meaning:
      'the fingerprint key, `{"key":"<base64 of 32+ bytes>"}` (or versioned keys, docs/secure-input.md)',
    stack: 'fingerprintSecret',
  },
  {
    name: 'FLOWGUARD_TOKEN_KMS_KEY_ID',
    values: 'KMS key id, ARN or alias',
    default: 'none: no token',
    meaning: 'the key tokens are made under',
    stack: 'tokenKey',
  },
  {
    name: 'FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS',
    values: 'integer 100..2000',
    default: '`800`',
    meaning: 'a Secrets Manager fetch not done by then fails, and a cached value is served if there is one',
  },
];

/** What `readEncryptInputConfig` reads. */
export const ENCRYPT_INPUT_VARIABLES: readonly VariableSpec[] = [
  {
    name: 'FLOWGUARD_TOKEN_KMS_KEY_ID',
    values: 'KMS key id, ARN or alias',
    default: '(required)',
    meaning: 'the key tokens are made under: tokens are all encrypt-input makes',
    stack: 'tokenKey',
  },
];
