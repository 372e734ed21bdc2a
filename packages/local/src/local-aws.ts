import { type LocalDynamoDB, type LocalDynamoDBOptions, startLocalDynamoDB } from './local-dynamodb.js';
import { type LocalKinesis, type LocalKinesisOptions, startLocalKinesis } from './local-kinesis.js';
import { type LocalKms, type LocalKmsOptions, startLocalKms } from './local-kms.js';
import { type LocalS3, type LocalS3Options, startLocalS3 } from './local-s3.js';
import {
  type LocalSecretsManager,
  type LocalSecretsManagerOptions,
  startLocalSecretsManager,
} from './local-secrets-manager.js';

export interface LocalAwsOptions {
  dynamodb?: boolean;
  secretsManager?: boolean;
  kms?: boolean;
  kinesis?: boolean;
  s3?: boolean;
  dynamodbOptions?: LocalDynamoDBOptions;
  secretsManagerOptions?: LocalSecretsManagerOptions;
  kmsOptions?: LocalKmsOptions;
  kinesisOptions?: LocalKinesisOptions;
  s3Options?: LocalS3Options;
}

/** A service asked for with a literal `true` is there; otherwise it may not be. */
type Started<Flag, T> = Flag extends true ? T : T | undefined;

export interface LocalAws<O extends LocalAwsOptions = LocalAwsOptions> {
  readonly dynamodb: Started<O['dynamodb'], LocalDynamoDB>;
  readonly secretsManager: Started<O['secretsManager'], LocalSecretsManager>;
  readonly kms: Started<O['kms'], LocalKms>;
  readonly kinesis: Started<O['kinesis'], LocalKinesis>;
  readonly s3: Started<O['s3'], LocalS3>;
  /** Every started service's variables, merged: a child process or default client reaches them all. */
  readonly env: Readonly<Record<string, string>>;
  /** Stops every started service. */
  stop(): Promise<void>;
}

/**
 * Starts the local services asked for, side by side on their own loopback ports, with one merged
 * `env` and one `stop()`. If one fails to start, the others are stopped and the error is thrown.
 */
export async function startLocalAws<const O extends LocalAwsOptions>(options: O): Promise<LocalAws<O>> {
  const starting = [
    options.dynamodb ? startLocalDynamoDB(options.dynamodbOptions) : undefined,
    options.secretsManager ? startLocalSecretsManager(options.secretsManagerOptions) : undefined,
    options.kms ? startLocalKms(options.kmsOptions) : undefined,
    options.kinesis ? startLocalKinesis(options.kinesisOptions) : undefined,
    options.s3 ? startLocalS3(options.s3Options) : undefined,
  ] as const;
  const [dynamodb, secretsManager, kms, kinesis, s3] = await Promise.allSettled(starting);
  const results = [dynamodb, secretsManager, kms, kinesis, s3];
  const started = results.flatMap((result) =>
    result.status === 'fulfilled' && result.value ? [result.value] : [],
  );
  const stop = async () => {
    const stopped = await Promise.allSettled(started.map((service) => service.stop()));
    const failed = stopped.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  };
  for (const result of results) {
    if (result.status === 'rejected') {
      await stop().catch(() => undefined);
      throw result.reason;
    }
  }
  const value = <T>(result: PromiseSettledResult<T>) =>
    result.status === 'fulfilled' ? result.value : undefined;
  return {
    dynamodb: value(dynamodb),
    secretsManager: value(secretsManager),
    kms: value(kms),
    kinesis: value(kinesis),
    s3: value(s3),
    env: Object.assign({}, ...started.map((service) => service.env)) as Record<string, string>,
    stop,
  } as LocalAws<O>;
}
