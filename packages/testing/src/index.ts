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
export {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalDynamoDB,
  type LocalDynamoDBOptions,
  startLocalDynamoDB,
} from './local-dynamodb.js';
export { countRequests, type RequestCounter } from './request-counter.js';
