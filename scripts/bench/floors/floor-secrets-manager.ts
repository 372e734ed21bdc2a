// Cold-import floor for the Secure IVR functions: only the Secrets Manager client and one command.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export const client = new SecretsManagerClient({});
export const command = GetSecretValueCommand;
export const handler = async () => ({});
