export { startLocalDynamoDBProcess } from './dynalite-process.js';
export { type LambdaKinesisEvent, type LambdaKinesisRecord, lambdaKinesisEvent } from './kinesis-event.js';
export { type LocalAws, type LocalAwsOptions, startLocalAws } from './local-aws.js';
export {
  AwsJsonError,
  type FailureKind,
  LOCAL_ACCOUNT_ID,
  type RequestCounter,
  type ServiceFaults,
} from './local-aws-json.js';
export {
  type LocalConnect,
  type LocalConnectContact,
  type LocalConnectOptions,
  type LocalContactKind,
  startLocalConnect,
} from './local-connect.js';
export {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalDynamoDB,
  type LocalDynamoDBOptions,
  startLocalDynamoDB,
} from './local-dynamodb.js';
export {
  type HttpFunction,
  type HttpFunctionContext,
  type HttpFunctionResponse,
  type LocalFunctionUrl,
  type LocalFunctionUrlOptions,
  startLocalFunctionUrl,
} from './local-function-url.js';
export { type LocalKinesis, type LocalKinesisOptions, startLocalKinesis } from './local-kinesis.js';
export { type LocalKms, type LocalKmsKey, type LocalKmsOptions, startLocalKms } from './local-kms.js';
export { type LocalS3, type LocalS3Options, startLocalS3 } from './local-s3.js';
export {
  type LocalSecretsManager,
  type LocalSecretsManagerOptions,
  type SecretsManagerFaults,
  startLocalSecretsManager,
} from './local-secrets-manager.js';
