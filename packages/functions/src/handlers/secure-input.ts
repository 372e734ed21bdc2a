// secure-input: decrypts Connect-encrypted input, validates it, answers derived facts (docs/secure-input.md).
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { flowHandler } from '@flowguard/contact';
import { SecretCache } from '@flowguard/secrets';
import {
  ConnectDecryptor,
  jsonSecretsFrom,
  kmsTokenKeyring,
  readSecureInputConfig,
  SECURE_INPUT_CLIENT_OPTIONS,
  secureInput,
} from '@flowguard/secure-input';

const config = readSecureInputConfig();
const secrets = jsonSecretsFrom(
  new SecretCache({
    client: new SecretsManagerClient(SECURE_INPUT_CLIENT_OPTIONS),
    fetchTimeoutMs: config.fetchTimeoutMs,
  }),
);
const tokenKeyring = config.tokenKeyId
  ? kmsTokenKeyring(config.tokenKeyId, new KMSClient(SECURE_INPUT_CLIENT_OPTIONS))
  : undefined;

export const handler = flowHandler(
  secureInput(new ConnectDecryptor({ secrets, secretId: config.keysSecretId }), {
    secrets,
    fingerprintSecretId: config.fingerprintSecretId,
    tokenKeyring: tokenKeyring ? async () => tokenKeyring : undefined,
  }),
);
