// encrypt-input: validates plaintext input and returns a token for downstream systems and a mask.
import { KMSClient } from '@aws-sdk/client-kms';
import { envString, flowHandler } from '@flowguard/contact';
import { encryptInput, kmsTokenKeyring, SECURE_INPUT_CLIENT_OPTIONS } from '@flowguard/secure-input';

const keyring = kmsTokenKeyring(
  envString('FLOWGUARD_TOKEN_KMS_KEY_ID', { describe: 'the KMS key id, ARN or alias for tokens' }),
  new KMSClient(SECURE_INPUT_CLIENT_OPTIONS),
);

export const handler = flowHandler(encryptInput({ tokenKeyring: async () => keyring }));
