import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  challengeFunction,
  DynamoScreeningStore,
  flagCaller,
  readChallengeConfig,
  readScreeningConfig,
  readSignedIdentityConfig,
  Screener,
  SigningKeys,
  screenCaller,
} from '@flowguard/caller-screening';
import { type FlowFunction, flowHandler } from '@flowguard/contact';
import type { LambdaHandler } from '@flowguard/flow-sim';
import { FLOW_FUNCTIONS, type FlowFunctionName } from '@flowguard/functions/registry';
import { validateInputFunction } from '@flowguard/input-validation';
import { type LocalAws, type LocalDynamoDB, startLocalAws } from '@flowguard/local';
import { SecretCache } from '@flowguard/secrets';
import {
  ConnectDecryptor,
  encryptInput,
  jsonSecretsFrom,
  kmsTokenKeyring,
  secureInput,
} from '@flowguard/secure-input';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import { createConnectKey, keysSecretJson } from '@flowguard/secure-input/keys';

const arn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:flowguard-${name}`;

/** What the functions read to find their keys (the same names the CDK stack sets). */
export const KEY_VARIABLES = {
  connectKeysSecretId: 'FLOWGUARD_CONNECT_KEYS_SECRET_ID',
  fingerprintSecretId: 'FLOWGUARD_FINGERPRINT_SECRET_ID',
  tokenKmsKeyId: 'FLOWGUARD_TOKEN_KMS_KEY_ID',
  edgeSigningSecretId: 'FLOWGUARD_EDGE_SIGNING_SECRET_ID',
} as const;

/** Names of the seeded secrets, key and alias in local Secrets Manager and KMS. */
export const LOCAL_KEY_NAMES = {
  connectKeysSecret: 'flowguard/connect-keys',
  fingerprintSecret: 'flowguard/fingerprint',
  /** start-contact signs the identities it screened with it; screen-caller verifies them. */
  edgeSigningSecret: 'flowguard/edge-signing',
  connectKeyId: 'local-key-1',
  tokenKeyAlias: 'flowguard-tokens',
} as const;

export type LocalServices = LocalAws<{ dynamodb: true; secretsManager: true; kms: true }>;
/** What `flowguard local` runs: the above, and Kinesis and S3 for the forwarding functions. */
export type LocalServicesWithStreams = LocalAws<{
  dynamodb: true;
  secretsManager: true;
  kms: true;
  kinesis: true;
  s3: true;
}>;

/** Fixed 127.0.0.1 ports for the local services; absent: the OS picks free ones. */
export interface LocalPorts {
  readonly dynamodb?: number;
  readonly secretsManager?: number;
  readonly kms?: number;
  readonly kinesis?: number;
  readonly s3?: number;
}

export interface LocalServicesOptions {
  tableName?: string;
  ports?: LocalPorts;
  /**
   * Also local Kinesis and S3 (kinesalite, s3rver). Off by default: the flows need neither, and
   * loading them costs about 0.4 s.
   */
  streams?: boolean;
}

/**
 * Local DynamoDB (dynalite, with the table), Secrets Manager and KMS (and with `streams`, Kinesis
 * and S3), each on its own 127.0.0.1 port, with one merged `env` and one `stop()`. If one fails to
 * start (a port in use), the others are stopped and the error is thrown.
 */
export function startLocalServices(
  options: LocalServicesOptions & { streams: true },
): Promise<LocalServicesWithStreams>;
export function startLocalServices(options?: LocalServicesOptions): Promise<LocalServices>;
export function startLocalServices(options: LocalServicesOptions = {}): Promise<LocalServices> {
  const ports = options.ports ?? {};
  return startLocalAws({
    dynamodb: true,
    secretsManager: true,
    kms: true,
    kinesis: options.streams === true,
    s3: options.streams === true,
    dynamodbOptions: { tableName: options.tableName, port: ports.dynamodb },
    secretsManagerOptions: { port: ports.secretsManager },
    kmsOptions: { port: ports.kms },
    kinesisOptions: { port: ports.kinesis },
    s3Options: { port: ports.s3 },
  });
}

export interface LocalKeys {
  /** The Connect key id the flows name (InputEncryption.EncryptionKeyId). */
  readonly keyId: string;
  /** Self-signed X.509 PEM: the flows' InputEncryption.Key. */
  readonly certificatePem: string;
  /** SPKI PEM: what would be uploaded to Connect. */
  readonly publicKeyPem: string;
  readonly notAfter: Date;
  readonly connectKeysSecretId: string;
  readonly fingerprintSecretId: string;
  /** The edge signing key's secret (32 random bytes, base64): start-contact signs, screen-caller verifies. */
  readonly edgeSigningSecretId: string;
  /** The token key's ARN (what the Encryption SDK's KMS keyring wants). */
  readonly tokenKeyArn: string;
  /** `FLOWGUARD_CONNECT_KEYS_SECRET_ID`, `FLOWGUARD_FINGERPRINT_SECRET_ID`, `FLOWGUARD_TOKEN_KMS_KEY_ID`, `FLOWGUARD_EDGE_SIGNING_SECRET_ID`. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Seeds what secure-input and encrypt-input read, the production way: a Connect key pair made the
 * way `flowguard keys create` makes it, its private key in the keys secret (the only place it
 * goes), a random fingerprint key in its secret, a random edge signing key in its secret, and a
 * KMS key for tokens.
 */
export async function seedLocalKeys(
  services: Pick<LocalServices, 'secretsManager' | 'kms'>,
  options: { days?: number } = {},
): Promise<LocalKeys> {
  const names = LOCAL_KEY_NAMES;
  const key = await createConnectKey({ commonName: 'flowguard local key', days: options.days ?? 30 });
  const sm: SecretsManagerClient = services.secretsManager.client;
  await sm.send(
    new CreateSecretCommand({
      Name: names.connectKeysSecret,
      SecretString: keysSecretJson([{ keyId: names.connectKeyId, privateKeyPem: key.privateKeyPem }]),
    }),
  );
  await sm.send(
    new CreateSecretCommand({
      Name: names.fingerprintSecret,
      SecretString: JSON.stringify({ key: randomBytes(32).toString('base64') }),
    }),
  );
  await sm.send(
    new CreateSecretCommand({
      Name: names.edgeSigningSecret,
      SecretString: randomBytes(32).toString('base64'),
    }),
  );
  const tokenKeyArn = services.kms.createKey(names.tokenKeyAlias).arn;
  return {
    keyId: names.connectKeyId,
    certificatePem: key.certificatePem,
    publicKeyPem: key.publicKeyPem,
    notAfter: key.notAfter,
    connectKeysSecretId: names.connectKeysSecret,
    fingerprintSecretId: names.fingerprintSecret,
    edgeSigningSecretId: names.edgeSigningSecret,
    tokenKeyArn,
    env: {
      [KEY_VARIABLES.connectKeysSecretId]: names.connectKeysSecret,
      [KEY_VARIABLES.fingerprintSecretId]: names.fingerprintSecret,
      [KEY_VARIABLES.tokenKmsKeyId]: tokenKeyArn,
      [KEY_VARIABLES.edgeSigningSecretId]: names.edgeSigningSecret,
    },
  };
}

/**
 * The local Connect `flowguard local` runs: its instance, and a contact flow id for each flow
 * start-contact may start (FLOWGUARD_EDGE_FLOWS).
 */
export const LOCAL_CONNECT = {
  instanceId: '00000000-0000-4000-8000-00000000c0c0',
  flows: { 'web-chat': '00000000-0000-4000-8000-0000000000c1' },
} as const;

/**
 * The placeholder a flow names a flow module of the same stack by: `${<Name>ModuleArn}`
 * (`challenge` → `ChallengeModuleArn`), as the CDK stack names and fills it.
 */
export function modulePlaceholder(moduleName: string): string {
  const pascal = moduleName.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _sep, c: string) =>
    c.toUpperCase(),
  );
  return `${pascal}ModuleArn`;
}

/**
 * A flow module's ARN in the local contact centre (`flows/<name>.json`): what `flowguard flows
 * simulate` fills `${<Name>ModuleArn}` with, its last part the module's name.
 */
export const localModuleArn = (name: string) =>
  `arn:aws:connect:us-east-1:000000000000:instance/${LOCAL_CONNECT.instanceId}/flow-module/${name}`;

/** The placeholders the local contact centre fills: each function's ARN, the queue, the key id and certificate. */
export const LOCAL_PLACEHOLDERS: readonly string[] = [
  ...FLOW_FUNCTIONS.map((f) => f.placeholder),
  'QueueArn',
  'ConnectKeyId',
  'ConnectCertificate',
];

/**
 * Whether a flow needs the local contact centre: it holds one of its placeholders, or the ARN of a
 * flowguard function (`...:function:flowguard-<name>`, as a rendered flow does).
 */
export function usesLocalContactCenter(document: unknown): boolean {
  const text = JSON.stringify(document) ?? '';
  return (
    LOCAL_PLACEHOLDERS.some((name) => text.includes(`\${${name}}`)) ||
    FLOW_FUNCTIONS.some((f) => text.includes(`:function:flowguard-${f.name}`))
  );
}

export interface LocalContactCenter {
  readonly local: LocalDynamoDB;
  readonly store: DynamoScreeningStore;
  /** Values for every flow placeholder: local ARNs, the queue, the key id and certificate. */
  readonly values: Readonly<Record<string, string>>;
  /** The functions by the ARNs in `values`, running in this process. */
  readonly functions: Readonly<Record<string, LambdaHandler>>;
  readonly encrypt: (digits: string, keyId: string, certificate: string) => Promise<string>;
  /**
   * `AWS_ENDPOINT_URL_*` variables and local credentials for the local DynamoDB, Secrets Manager and
   * KMS, and the seeded keys' variables (`FLOWGUARD_EDGE_SIGNING_SECRET_ID`, ...).
   */
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
  const aws = await startLocalServices();
  try {
    // The keys and the fingerprint key live in (local) Secrets Manager, read through the cache;
    // tokens are made under a (local) KMS key: the production code paths.
    const keys = await seedLocalKeys(aws);
    const local = aws.dynamodb;
    const secrets = jsonSecretsFrom(new SecretCache({ client: aws.secretsManager.client }));
    const tokenKeyring = async () => kmsTokenKeyring(keys.tokenKeyArn, aws.kms.client);
    const store = new DynamoScreeningStore({ client: local.client, tableName: local.tableName });
    const screener = new Screener({ store, config: readScreeningConfig(options.env ?? {}) });
    // screen-caller trusts start-contact's signed identities (trustSignedIdentity), its key read
    // from (local) Secrets Manager as deployed.
    const signing = {
      keys: new SigningKeys(new SecretCache({ client: aws.secretsManager.client }), keys.edgeSigningSecretId),
      maxAgeSeconds: readSignedIdentityConfig(options.env ?? {}).maxAgeSeconds,
    };
    const quiet = { env: {}, config: { logLevel: 'silent' as const, metrics: false } };
    const wrap = (fn: FlowFunction) => flowHandler(fn, quiet);
    const handlers: Record<FlowFunctionName, LambdaHandler> = {
      'screen-caller': wrap(screenCaller(screener, signing)),
      'flag-caller': wrap(flagCaller(screener)),
      'validate-input': wrap(validateInputFunction()),
      'secure-input': wrap(
        secureInput(new ConnectDecryptor({ secrets, secretId: keys.connectKeysSecretId }), {
          secrets,
          fingerprintSecretId: keys.fingerprintSecretId,
          tokenKeyring,
        }),
      ),
      'encrypt-input': wrap(encryptInput({ tokenKeyring })),
      // Locally the challenge tokens are keyed with the seeded edge signing secret (its MACs carry
      // their own context); deployed, the stack makes the challenge its own secret.
      challenge: wrap(
        challengeFunction({
          screener,
          store,
          keys: signing.keys,
          config: readChallengeConfig({
            FLOWGUARD_CHALLENGE_SECRET_ID: keys.edgeSigningSecretId,
            ...options.env,
          }),
        }),
      ),
    };
    // Every function of the registry, by its local ARN, and that ARN for its flow placeholder.
    const functions = Object.fromEntries(FLOW_FUNCTIONS.map((f) => [arn(f.name), handlers[f.name]]));
    const placeholders = Object.fromEntries(FLOW_FUNCTIONS.map((f) => [f.placeholder, arn(f.name)]));
    return {
      local,
      store,
      functions,
      values: {
        ...placeholders,
        QueueArn: 'arn:aws:connect:us-east-1:000000000000:instance/local/queue/BasicQueue',
        ConnectKeyId: keys.keyId,
        ConnectCertificate: keys.certificatePem,
      },
      encrypt: (digits, keyId, certificate) => encryptLikeConnect(digits, { keyId, publicKey: certificate }),
      env: { ...aws.env, ...keys.env },
      stop: () => aws.stop(),
    };
  } catch (error) {
    await aws.stop();
    throw error;
  }
}
