import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';

/** The AWS clients the forwarding functions use; tests and handlers pass their own. */
export interface ForwardingClients {
  readonly firehose: FirehoseClient;
  readonly kinesis: KinesisClient;
  readonly eventBridge: EventBridgeClient;
  readonly s3: S3Client;
  readonly ssm: SSMClient;
  readonly secretsManager: SecretsManagerClient;
}

/** How to make each client a function may use; each function names its own (and bundles only those). */
export type ClientFactories = { readonly [K in keyof ForwardingClients]?: () => ForwardingClients[K] };

/**
 * Whole-request retries are the SDK's (standard mode: throttling and 5xx, with backoff); entries a
 * destination refuses inside a successful request are retried by the forwarding code.
 */
export const FORWARDING_CLIENT_OPTIONS = { maxAttempts: 3 } as const;

/** The given clients, and for each other one a default made on first use and kept. */
export function lazyClients(
  given: Partial<ForwardingClients>,
  factories: ClientFactories,
): ForwardingClients {
  const made: Partial<Record<keyof ForwardingClients, unknown>> = { ...given };
  const clients = {} as ForwardingClients;
  const names: (keyof ForwardingClients)[] = [
    'firehose',
    'kinesis',
    'eventBridge',
    's3',
    'ssm',
    'secretsManager',
  ];
  for (const name of names) {
    Object.defineProperty(clients, name, {
      enumerable: true,
      get: () => {
        if (made[name] === undefined) {
          const factory = factories[name];
          if (!factory) throw new Error(`this function has no ${name} client`);
          made[name] = factory();
        }
        return made[name];
      },
    });
  }
  return clients;
}
