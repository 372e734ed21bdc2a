export { startLocalDynamoDBProcess } from './dynalite-process.js';
export {
  type ConnectContactData,
  type ConnectEndpoint,
  type ConnectEvent,
  callbackEvent,
  chatEvent,
  clickToDialEvent,
  type EventOptions,
  emailEvent,
  TEST_DIALED_NUMBER,
  TEST_INSTANCE_ARN,
  taskEvent,
  transferEvent,
  voiceEvent,
} from './events.js';
export { type Fault, type FaultProxy, startFaultProxy } from './fault-proxy.js';
export { EVENT_FIXTURES, loadEventFixture } from './fixtures.js';
export { itemSize, storedItem, writeUnits } from './item-size.js';
export { type LocalAws, type LocalAwsOptions, startLocalAws } from './local-aws.js';
export { AwsJsonError, type FailureKind, LOCAL_ACCOUNT_ID, type ServiceFaults } from './local-aws-json.js';
export {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalDynamoDB,
  type LocalDynamoDBOptions,
  startLocalDynamoDB,
} from './local-dynamodb.js';
export { type LocalKms, type LocalKmsKey, type LocalKmsOptions, startLocalKms } from './local-kms.js';
export {
  type LocalSecretsManager,
  type LocalSecretsManagerOptions,
  type SecretsManagerFaults,
  startLocalSecretsManager,
} from './local-secrets-manager.js';
export { countRequests, type RequestCounter } from './request-counter.js';
