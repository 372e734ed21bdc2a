// The local AWS servers live in @flowguard/local (the CLI ships them); they are re-exported here
// so a test needs one import for its servers, events and fault proxy.
export {
  AwsJsonError,
  type FailureKind,
  LOCAL_ACCOUNT_ID,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalAws,
  type LocalAwsOptions,
  type LocalDynamoDB,
  type LocalDynamoDBOptions,
  type LocalKinesis,
  type LocalKinesisOptions,
  type LocalKms,
  type LocalKmsKey,
  type LocalKmsOptions,
  type LocalS3,
  type LocalS3Options,
  type LocalSecretsManager,
  type LocalSecretsManagerOptions,
  lambdaKinesisEvent,
  type RequestCounter,
  type SecretsManagerFaults,
  type ServiceFaults,
  startLocalAws,
  startLocalDynamoDB,
  startLocalDynamoDBProcess,
  startLocalKinesis,
  startLocalKms,
  startLocalS3,
  startLocalSecretsManager,
} from '@flowguard/local';
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
export { countRequests } from './request-counter.js';
export {
  TEST_KEYS_DIR,
  type TestConnectKey,
  type TestKeyNumber,
  type TestKeyPart,
  testConnectKey,
  testKeyFile,
  testKeyPem,
} from './test-keys.js';
