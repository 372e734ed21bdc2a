import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';

/** The destination services a policy may name by an ARN of another region. */
export type RegionalService = 'firehose' | 'kinesis' | 'eventBridge';

/** A client of `service` in `region`: for a destination named by an ARN of that region. */
export type RegionalClients = <K extends RegionalService>(service: K, region: string) => ForwardingClients[K];

/** The AWS clients the forwarding functions use; tests and handlers pass their own. */
export interface ForwardingClients {
  /** The destination clients in the function's own region. */
  readonly firehose: FirehoseClient;
  readonly kinesis: KinesisClient;
  readonly eventBridge: EventBridgeClient;
  /** The destination clients of other regions. */
  readonly regional: RegionalClients;
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
    'regional',
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

/**
 * Destination clients for other regions, each made on first use and kept (one per service and
 * region). Made like the default ones but with the region set; an endpoint override
 * (`AWS_ENDPOINT_URL_FIREHOSE`, ...) is read from the environment by each client, so it holds for
 * these too.
 */
export function regionalClients(
  make: {
    readonly [K in RegionalService]?: (region: string) => ForwardingClients[K];
  },
): RegionalClients {
  const made = new Map<string, unknown>();
  return ((service: RegionalService, region: string) => {
    const key = `${service}\u0000${region}`;
    let client = made.get(key);
    if (client === undefined) {
      const factory = make[service];
      if (!factory) throw new Error(`this function has no ${service} client`);
      client = factory(region);
      made.set(key, client);
    }
    return client;
  }) as RegionalClients;
}
