// secure-input: decrypts Connect-encrypted input, validates it, answers derived facts (docs/secure-input.md).
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { envInt, envString, flowHandler } from '@flowguard/contact';
import { SecretCache } from '@flowguard/secrets';
import {
  ConnectDecryptor,
  jsonSecretsFrom,
  kmsTokenKeyring,
  SECURE_INPUT_CLIENT_OPTIONS,
  secureInput,
} from '@flowguard/secure-input';

const keysSecretId = envString('FLOWGUARD_CONNECT_KEYS_SECRET_ID', {
  describe: 'the id or ARN of the Connect keys secret',
});
const fingerprintSecretId = envString('FLOWGUARD_FINGERPRINT_SECRET_ID', { default: '' });
const tokenKeyId = envString('FLOWGUARD_TOKEN_KMS_KEY_ID', { default: '' });
// A Secrets Manager fetch not done by then fails, in time for a cached value to be served.
const fetchTimeoutMs = envInt('FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS', { default: 800, min: 100, max: 2000 });
const secrets = jsonSecretsFrom(
  new SecretCache({ client: new SecretsManagerClient(SECURE_INPUT_CLIENT_OPTIONS), fetchTimeoutMs }),
);
const tokenKeyring = tokenKeyId
  ? kmsTokenKeyring(tokenKeyId, new KMSClient(SECURE_INPUT_CLIENT_OPTIONS))
  : undefined;

export const handler = flowHandler(
  secureInput(new ConnectDecryptor({ secrets, secretId: keysSecretId }), {
    secrets,
    fingerprintSecretId: fingerprintSecretId || undefined,
    tokenKeyring: tokenKeyring ? async () => tokenKeyring : undefined,
  }),
);
