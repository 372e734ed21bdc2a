import { type Env, envInt, envString } from '@flowguard/contact';

/** What secure-input and encrypt-input read from their environment, once, at init. */
export interface SecureInputConfig {
  /** The Connect keys secret (`FLOWGUARD_CONNECT_KEYS_SECRET_ID`); required by secure-input. */
  readonly keysSecretId: string;
  /** The fingerprint key secret (`FLOWGUARD_FINGERPRINT_SECRET_ID`); none: no fingerprints. */
  readonly fingerprintSecretId: string | undefined;
  /** The KMS key tokens are made under (`FLOWGUARD_TOKEN_KMS_KEY_ID`); none: no tokens. */
  readonly tokenKeyId: string | undefined;
  /**
   * How long a Secrets Manager fetch may take (`FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS`, 100..2000,
   * default 800): a fetch not done by then fails, in time for a cached value to be served.
   */
  readonly fetchTimeoutMs: number;
}

/** secure-input's configuration; a bad or missing variable fails naming itself. */
export function readSecureInputConfig(env: Env = process.env): SecureInputConfig {
  const keysSecretId = envString('FLOWGUARD_CONNECT_KEYS_SECRET_ID', {
    env,
    describe: 'the id or ARN of the Connect keys secret',
  });
  const fingerprintSecretId = envString('FLOWGUARD_FINGERPRINT_SECRET_ID', { env, default: '' });
  const tokenKeyId = envString('FLOWGUARD_TOKEN_KMS_KEY_ID', { env, default: '' });
  const fetchTimeoutMs = envInt('FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS', {
    env,
    default: 800,
    min: 100,
    max: 2000,
  });
  return {
    keysSecretId,
    fingerprintSecretId: fingerprintSecretId || undefined,
    tokenKeyId: tokenKeyId || undefined,
    fetchTimeoutMs,
  };
}

/** encrypt-input's configuration: the token key is required, since tokens are all it makes. */
export function readEncryptInputConfig(env: Env = process.env): { readonly tokenKeyId: string } {
  return {
    tokenKeyId: envString('FLOWGUARD_TOKEN_KMS_KEY_ID', {
      env,
      describe: 'the KMS key id, ARN or alias for tokens',
    }),
  };
}
