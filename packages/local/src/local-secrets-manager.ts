import { randomInt, randomUUID } from 'node:crypto';
import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import {
  AwsJsonError,
  type Handler,
  type JsonInput,
  LOCAL_ACCOUNT_ID,
  type RequestCounter,
  type ServiceFaults,
  startJsonService,
} from './local-aws-json.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-dynamodb.js';

export interface SecretsManagerFaults extends ServiceFaults {
  /** Every request naming this secret (by name or ARN) is refused with AccessDeniedException until `reset`. */
  deny(secretId: string): void;
}

export interface LocalSecretsManager {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** A client pointed at the server, with local credentials. */
  readonly client: SecretsManagerClient;
  /** `AWS_ENDPOINT_URL_SECRETS_MANAGER` and local credentials/region: any default SDK client reaches the server. */
  readonly env: Readonly<Record<string, string>>;
  /** Requests received by operation (`GetSecretValue`, ...), faulted ones included. */
  readonly requests: RequestCounter;
  readonly faults: SecretsManagerFaults;
  stop(): Promise<void>;
}

export interface LocalSecretsManagerOptions {
  /** Extra client configuration. */
  clientConfig?: SecretsManagerClientConfig;
  /** The 127.0.0.1 port; default 0, a free one. A taken port rejects with `EADDRINUSE`. */
  port?: number;
}

interface SecretVersion {
  readonly id: string;
  readonly string?: string;
  readonly binary?: Buffer;
  readonly stages: Set<string>;
  readonly created: number;
}

interface Secret {
  readonly name: string;
  readonly arn: string;
  readonly versions: Map<string, SecretVersion>;
}

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const MAX_SECRETS = 10_000;
/** Secrets Manager keeps about 100 versions; the oldest unlabelled ones go first. */
const MAX_VERSIONS = 100;
const MAX_SECRET_SIZE = 65_536;
const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ARN_PREFIX = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:`;
const NOT_FOUND = "Secrets Manager can't find the specified secret.";

const seconds = (ms: number) => ms / 1000;
const notFound = (message = NOT_FOUND) => new AwsJsonError('ResourceNotFoundException', message);
const invalidParameter = (message: string) => new AwsJsonError('InvalidParameterException', message);
const invalidRequest = (message: string) => new AwsJsonError('InvalidRequestException', message);

function randomSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += SUFFIX_CHARS[randomInt(SUFFIX_CHARS.length)];
  return suffix;
}

/** A version's secret value, from `SecretString` or `SecretBinary` (exactly one). */
function secretValue(input: JsonInput, required: boolean): { string?: string; binary?: Buffer } | undefined {
  const string = input.string('SecretString');
  const binary = input.blob('SecretBinary');
  if (string !== undefined && binary !== undefined)
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  if (string === undefined && binary === undefined) {
    if (required) throw invalidRequest('You must provide either SecretString or SecretBinary.');
    return undefined;
  }
  const size = string === undefined ? (binary?.length ?? 0) : Buffer.byteLength(string);
  if (size > MAX_SECRET_SIZE)
    throw invalidParameter(`The secret value can be at most ${MAX_SECRET_SIZE} bytes.`);
  return string === undefined ? { binary } : { string };
}

function versionToken(input: JsonInput): string {
  // The SDK fills ClientRequestToken with a UUID when the caller does not.
  const token = input.string('ClientRequestToken') ?? randomUUID();
  if (token.length < 32 || token.length > 64)
    throw invalidParameter('ClientRequestToken must be from 32 to 64 characters long.');
  return token;
}

function sameValue(version: SecretVersion, value: { string?: string; binary?: Buffer }): boolean {
  if (value.string !== undefined) return version.string === value.string;
  return version.binary !== undefined && value.binary !== undefined && version.binary.equals(value.binary);
}

function holder(secret: Secret, stage: string): SecretVersion | undefined {
  for (const version of secret.versions.values()) if (version.stages.has(stage)) return version;
  return undefined;
}

/** Puts `stage` on `version` alone; moving AWSCURRENT leaves AWSPREVIOUS on the version that had it. */
function attach(secret: Secret, stage: string, version: SecretVersion): void {
  const previous = holder(secret, stage);
  if (previous === version) return;
  if (stage === CURRENT && previous) {
    previous.stages.delete(CURRENT);
    attach(secret, PREVIOUS, previous);
  }
  for (const other of secret.versions.values()) other.stages.delete(stage);
  version.stages.add(stage);
}

function checkStages(stages: string[]): void {
  if (stages.length > 20) throw invalidParameter('A version can have at most 20 staging labels.');
  for (const stage of stages)
    if (stage.length < 1 || stage.length > 256)
      throw invalidParameter('A staging label must be from 1 to 256 characters long.');
}

function addVersion(
  secret: Secret,
  id: string,
  value: { string?: string; binary?: Buffer },
  stages: string[],
): SecretVersion {
  const version: SecretVersion = { id, ...value, stages: new Set(), created: Date.now() };
  secret.versions.set(id, version);
  for (const stage of stages) attach(secret, stage, version);
  if (secret.versions.size > MAX_VERSIONS) {
    for (const [oldId, old] of secret.versions) {
      if (old.stages.size === 0) {
        secret.versions.delete(oldId);
        break;
      }
    }
  }
  return version;
}

/**
 * Starts a Secrets Manager (AWS JSON 1.1, `secretsmanager.<Operation>`) on a free 127.0.0.1 port, in
 * memory, with Secrets Manager's staging-label rules and error shapes. It answers what flowguard
 * and its docs call: CreateSecret, PutSecretValue and GetSecretValue (a key rotation), and
 * DeleteSecret with ForceDeleteWithoutRecovery. Any other operation is UnknownOperationException.
 */
export async function startLocalSecretsManager(
  options: LocalSecretsManagerOptions = {},
): Promise<LocalSecretsManager> {
  const secrets = new Map<string, Secret>();
  const denied = new Set<string>();

  const find = (id: string): Secret | undefined => {
    if (!id.startsWith('arn:')) return secrets.get(id);
    if (!id.startsWith(ARN_PREFIX)) return undefined;
    // A full ARN, or a partial one without the random suffix.
    const rest = id.slice(ARN_PREFIX.length);
    const suffixed = secrets.get(rest.slice(0, -7));
    if (suffixed?.arn === id) return suffixed;
    return secrets.get(rest);
  };

  const existing = (input: JsonInput): Secret => {
    const secret = find(input.requiredString('SecretId'));
    if (!secret) throw notFound();
    return secret;
  };

  const handlers = new Map<string, Handler>([
    [
      'CreateSecret',
      (input) => {
        const name = input.requiredString('Name');
        if (!NAME.test(name))
          throw invalidParameter(
            'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
          );
        const token = versionToken(input);
        const value = secretValue(input, false);
        const current = secrets.get(name);
        if (current) {
          // The same request again (same token and value) is answered as before, as Secrets Manager does.
          const version = current.versions.get(token);
          if (version && value && sameValue(version, value))
            return { ARN: current.arn, Name: current.name, VersionId: version.id };
          throw new AwsJsonError(
            'ResourceExistsException',
            `The operation failed because the secret ${name} already exists.`,
          );
        }
        if (secrets.size >= MAX_SECRETS)
          throw new AwsJsonError('LimitExceededException', 'Too many secrets.');
        const secret: Secret = { name, arn: `${ARN_PREFIX}${name}-${randomSuffix()}`, versions: new Map() };
        secrets.set(name, secret);
        if (!value) return { ARN: secret.arn, Name: name };
        addVersion(secret, token, value, [CURRENT]);
        return { ARN: secret.arn, Name: name, VersionId: token };
      },
    ],
    [
      'PutSecretValue',
      (input) => {
        const secret = existing(input);
        const token = versionToken(input);
        const value = secretValue(input, true) ?? {};
        const stages = input.stringList('VersionStages') ?? [CURRENT];
        checkStages(stages);
        const known = secret.versions.get(token);
        if (known) {
          if (!sameValue(known, value))
            throw new AwsJsonError(
              'ResourceExistsException',
              "You can't modify an existing version, you can only create a new version.",
            );
          return {
            ARN: secret.arn,
            Name: secret.name,
            VersionId: known.id,
            VersionStages: [...known.stages],
          };
        }
        const version = addVersion(secret, token, value, stages);
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: version.id,
          VersionStages: [...version.stages],
        };
      },
    ],
    [
      'GetSecretValue',
      (input) => {
        const secret = existing(input);
        const versionId = input.string('VersionId');
        const stage = input.string('VersionStage');
        let version: SecretVersion | undefined;
        if (versionId !== undefined) {
          version = secret.versions.get(versionId);
          if (!version || (stage !== undefined && !version.stages.has(stage)))
            throw notFound(
              `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
            );
        } else {
          const label = stage ?? CURRENT;
          version = holder(secret, label);
          if (!version)
            throw notFound(
              `Secrets Manager can't find the specified secret value for staging label: ${label}`,
            );
        }
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: version.id,
          ...(version.string === undefined ? {} : { SecretString: version.string }),
          ...(version.binary === undefined ? {} : { SecretBinary: version.binary.toString('base64') }),
          VersionStages: [...version.stages],
          CreatedDate: seconds(version.created),
        };
      },
    ],
    [
      'DeleteSecret',
      (input) => {
        const secret = existing(input);
        // A recovery window needs RestoreSecret and a secret that outlives the process: neither is here.
        if (input.boolean('ForceDeleteWithoutRecovery') !== true)
          throw invalidRequest(
            'The local Secrets Manager deletes a secret only at once: set ForceDeleteWithoutRecovery.',
          );
        if (input.has('RecoveryWindowInDays'))
          throw invalidParameter(
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
          );
        secrets.delete(secret.name);
        return { ARN: secret.arn, Name: secret.name, DeletionDate: seconds(Date.now()) };
      },
    ],
  ]);

  const service = await startJsonService({
    port: options.port,
    serviceName: 'Secrets Manager',
    targetPrefix: 'secretsmanager',
    messageField: 'Message',
    invalidInput: 'InvalidParameterException',
    internalError: { type: 'InternalServiceError', message: 'An error occurred on the server side.' },
    handlers,
    guard(operation, input) {
      if (denied.size === 0) return;
      const id = input.string('SecretId') ?? input.string('Name');
      if (id === undefined) return;
      const secret = find(id);
      if (denied.has(id) || (secret && (denied.has(secret.name) || denied.has(secret.arn))))
        throw new AwsJsonError(
          'AccessDeniedException',
          `User: arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/${LOCAL_CREDENTIALS.accessKeyId} is not authorized to perform: secretsmanager:${operation} on resource: ${id} because no identity-based policy allows the secretsmanager:${operation} action`,
        );
    },
  });

  const client = new SecretsManagerClient({
    region: LOCAL_REGION,
    endpoint: service.endpoint,
    credentials: LOCAL_CREDENTIALS,
    ...options.clientConfig,
  });
  const faults: SecretsManagerFaults = {
    failNext: service.faults.failNext,
    delay: service.faults.delay,
    deny(secretId) {
      denied.add(secretId);
    },
    reset() {
      denied.clear();
      service.faults.reset();
    },
  };
  let stopped = false;
  return {
    endpoint: service.endpoint,
    port: service.port,
    client,
    env: {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: service.endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    },
    requests: service.requests,
    faults,
    async stop() {
      if (stopped) return;
      stopped = true;
      client.destroy();
      await service.stop();
    },
  };
}
