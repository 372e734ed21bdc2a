// start-contact as deployed: everything built from the environment, once, at init.
import type { ConnectClient } from '@aws-sdk/client-connect';
import {
  DynamoScreeningStore,
  readScreeningConfig,
  Screener,
  SigningKeys,
  screeningDynamoClient,
} from '@flowguard/caller-screening';
import type { Env, LineSink } from '@flowguard/contact';
import { SecretCache, type SecretsClient } from '@flowguard/secrets';
import { tableName } from '@flowguard/table';
import type { JWTVerifyGetKey } from 'jose';
import { readEdgeConfig } from './config.js';
import { connectStarter, edgeConnectClient } from './connect.js';
import { type HttpLambdaHandler, startContact } from './handler.js';
import { TokenVerifier } from './token.js';

export interface StartContactFromEnvOptions {
  readonly env?: Env;
  /** Clients for tests (local DynamoDB, a mocked Connect, a local Secrets Manager). */
  readonly dynamo?: ConstructorParameters<typeof DynamoScreeningStore>[0]['client'];
  readonly connect?: ConnectClient;
  readonly secrets?: SecretsClient;
  readonly jwks?: JWTVerifyGetKey;
  readonly clock?: () => number;
  readonly logSink?: LineSink;
  readonly metricSink?: LineSink;
}

/** The handler, its configuration read from the environment (a bad variable throws naming itself). */
export function startContactFromEnv(options: StartContactFromEnvOptions = {}): HttpLambdaHandler {
  const env = options.env ?? process.env;
  const screening = readScreeningConfig(env);
  const config = readEdgeConfig(env);
  const store = new DynamoScreeningStore({
    client: options.dynamo ?? screeningDynamoClient(screening),
    tableName: tableName(env),
  });
  const secrets = new SecretCache({ ...(options.secrets ? { client: options.secrets } : {}) });
  return startContact({
    config,
    screener: new Screener({ store, config: screening, ...(options.clock ? { clock: options.clock } : {}) }),
    connect: connectStarter(options.connect ?? edgeConnectClient()),
    signingKeys: new SigningKeys(secrets, config.signingSecretId),
    tokens: new TokenVerifier({
      config: config.token,
      required: config.tokenRequired,
      secrets,
      ...(options.jwks ? { jwks: options.jwks } : {}),
    }),
    env,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logSink ? { logSink: options.logSink } : {}),
    ...(options.metricSink ? { metricSink: options.metricSink } : {}),
  });
}
