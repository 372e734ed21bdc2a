import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';

/** The AWS clients the forwarding functions use; tests and handlers pass their own. */
export interface ForwardingClients {
  readonly firehose: FirehoseClient;
  readonly kinesis: KinesisClient;
  readonly eventBridge: EventBridgeClient;
  readonly s3: S3Client;
  readonly ssm: SSMClient;
  readonly secretsManager: SecretsManagerClient;
}

/**
 * Whole-request retries are the SDK's (standard mode: throttling and 5xx, with backoff); entries a
 * destination refuses inside a successful request are retried by the forwarding code.
 */
export const FORWARDING_CLIENT_OPTIONS = { maxAttempts: 3 } as const;

const FACTORIES: { readonly [K in keyof ForwardingClients]: () => ForwardingClients[K] } = {
  firehose: () => new FirehoseClient(FORWARDING_CLIENT_OPTIONS),
  kinesis: () => new KinesisClient(FORWARDING_CLIENT_OPTIONS),
  eventBridge: () => new EventBridgeClient(FORWARDING_CLIENT_OPTIONS),
  s3: () => new S3Client(FORWARDING_CLIENT_OPTIONS),
  ssm: () => new SSMClient(FORWARDING_CLIENT_OPTIONS),
  secretsManager: () => new SecretsManagerClient(FORWARDING_CLIENT_OPTIONS),
};

/** The given clients, and a default for each other one, made on first use and kept. */
export function lazyClients(given: Partial<ForwardingClients> = {}): ForwardingClients {
  const made: Partial<Record<keyof ForwardingClients, unknown>> = { ...given };
  const clients = {} as ForwardingClients;
  for (const name of Object.keys(FACTORIES) as (keyof ForwardingClients)[]) {
    Object.defineProperty(clients, name, {
      enumerable: true,
      get: () => {
        made[name] ??= FACTORIES[name]();
        return made[name];
      },
    });
  }
  return clients;
}
