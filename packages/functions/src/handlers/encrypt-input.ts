// encrypt-input: validates plaintext input and returns a token for downstream systems and a mask.
import { KMSClient } from '@aws-sdk/client-kms';
import { flowHandler } from '@flowguard/contact';
import {
  encryptInput,
  kmsTokenKeyring,
  readEncryptInputConfig,
  SECURE_INPUT_CLIENT_OPTIONS,
} from '@flowguard/secure-input';

const keyring = kmsTokenKeyring(
  readEncryptInputConfig().tokenKeyId,
  new KMSClient(SECURE_INPUT_CLIENT_OPTIONS),
);

export const handler = flowHandler(encryptInput({ tokenKeyring: async () => keyring }));
