import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DynamoScreeningStore,
  FLAG_CALLER_OUTPUTS,
  flagCaller,
  readScreeningConfig,
  SCREEN_CALLER_OUTPUTS,
  Screener,
  screenCaller,
} from '@flowguard/caller-screening';
import { type FlowFunction, flowHandler } from '@flowguard/contact';
import type { LambdaHandler } from '@flowguard/flow-sim';
import { VALIDATE_INPUT_OUTPUTS, validateInputFunction } from '@flowguard/input-validation';
import { SecretCache } from '@flowguard/secrets';
import {
  ConnectDecryptor,
  ENCRYPT_INPUT_OUTPUTS,
  encryptInput,
  jsonSecretsFrom,
  kmsTokenKeyring,
  SECURE_INPUT_OUTPUTS,
  secureInput,
} from '@flowguard/secure-input';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import { createConnectKey } from '@flowguard/secure-input/keys';
import { type LocalDynamoDB, startLocalAws, startLocalDynamoDB } from '@flowguard/testing';

const arn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:flowguard-${name}`;

/** Each function's answer keys, by the placeholder that names it in the flows. */
export const FUNCTION_CONTRACTS: Readonly<Record<string, readonly string[]>> = {
  ScreenCallerFunctionArn: SCREEN_CALLER_OUTPUTS,
  FlagCallerFunctionArn: FLAG_CALLER_OUTPUTS,
  ValidateInputFunctionArn: VALIDATE_INPUT_OUTPUTS,
  SecureInputFunctionArn: SECURE_INPUT_OUTPUTS,
  EncryptInputFunctionArn: ENCRYPT_INPUT_OUTPUTS,
};

export interface LocalContactCenter {
  readonly local: LocalDynamoDB;
  readonly store: DynamoScreeningStore;
  /** Values for every flow placeholder: local ARNs, the queue, the key id and certificate. */
  readonly values: Readonly<Record<string, string>>;
  /** The functions by the ARNs in `values`, running in this process. */
  readonly functions: Readonly<Record<string, LambdaHandler>>;
  readonly encrypt: (digits: string, keyId: string, certificate: string) => Promise<string>;
  /** `AWS_ENDPOINT_URL_*` variables and local credentials for the local DynamoDB, Secrets Manager and KMS. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * Everything a flow needs to run offline: local DynamoDB with the table, a Connect key pair made
 * the way `flowguard keys create` makes it, and every function wired to them in-process.
 */
export async function startLocalContactCenter(
  options: { env?: Readonly<Record<string, string>> } = {},
): Promise<LocalContactCenter> {
  const local = await startLocalDynamoDB();
  const aws = await startLocalAws({ secretsManager: true, kms: true }).catch(async (error: unknown) => {
    await local.stop();
    throw error;
  });
  try {
    const key = await createConnectKey({ commonName: 'flowguard local key', days: 30 });
    // The keys and the fingerprint key live in (local) Secrets Manager, read through the cache;
    // tokens are made under a (local) KMS key: the production code paths.
    const sm: SecretsManagerClient = aws.secretsManager.client;
    await sm.send(
      new CreateSecretCommand({
        Name: 'flowguard/connect-keys',
        SecretString: JSON.stringify({ keys: [{ keyId: 'local-key-1', privateKey: key.privateKeyPem }] }),
      }),
    );
    await sm.send(
      new CreateSecretCommand({
        Name: 'flowguard/fingerprint',
        SecretString: JSON.stringify({ key: randomBytes(32).toString('base64') }),
      }),
    );
    const secrets = jsonSecretsFrom(new SecretCache({ client: sm }));
    const tokenKeyArn = aws.kms.createKey('flowguard-tokens').arn;
    const tokenKeyring = async () => kmsTokenKeyring(tokenKeyArn, aws.kms.client);
    const store = new DynamoScreeningStore({ client: local.client, tableName: local.tableName });
    const screener = new Screener({ store, config: readScreeningConfig(options.env ?? {}) });
    const quiet = { env: {}, config: { logLevel: 'silent' as const, metrics: false } };
    const wrap = (fn: FlowFunction) => flowHandler(fn, quiet);
    const functions = {
      [arn('screen-caller')]: wrap(screenCaller(screener)),
      [arn('flag-caller')]: wrap(flagCaller(screener)),
      [arn('validate-input')]: wrap(validateInputFunction()),
      [arn('secure-input')]: wrap(
        secureInput(new ConnectDecryptor({ secrets, secretId: 'flowguard/connect-keys' }), {
          secrets,
          fingerprintSecretId: 'flowguard/fingerprint',
          tokenKeyring,
        }),
      ),
      [arn('encrypt-input')]: wrap(encryptInput({ tokenKeyring })),
    };
    return {
      local,
      store,
      functions,
      values: {
        ScreenCallerFunctionArn: arn('screen-caller'),
        FlagCallerFunctionArn: arn('flag-caller'),
        ValidateInputFunctionArn: arn('validate-input'),
        SecureInputFunctionArn: arn('secure-input'),
        EncryptInputFunctionArn: arn('encrypt-input'),
        QueueArn: 'arn:aws:connect:us-east-1:000000000000:instance/local/queue/BasicQueue',
        ConnectKeyId: 'local-key-1',
        ConnectCertificate: key.certificatePem,
      },
      encrypt: (digits, keyId, certificate) => encryptLikeConnect(digits, { keyId, publicKey: certificate }),
      env: { ...local.env, ...aws.env },
      stop: async () => {
        await aws.stop();
        await local.stop();
      },
    };
  } catch (error) {
    await aws.stop();
    await local.stop();
    throw error;
  }
}
