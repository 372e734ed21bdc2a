export { type BatchMetric, BatchMetrics, type PolicyMetric } from './batch-metrics.js';
export {
  type ClientFactories,
  FORWARDING_CLIENT_OPTIONS,
  type ForwardingClients,
  type RegionalClients,
  type RegionalService,
} from './clients.js';
export {
  type AttributeForm,
  type AttributeRule,
  type CompiledPolicies,
  type CompiledPolicy,
  compilePolicies,
  type FieldTree,
  fieldTree,
  matcher,
} from './compile.js';
export {
  asPrefix,
  type DeadLetterConfig,
  type ForwardingConfig,
  type PolicyLocation,
  readForwardingConfig,
  readRecordingsForwardingConfig,
} from './config.js';
export {
  asContactRecord,
  type ContactRecord,
  type ContactRecordAgent,
  type ContactRecordEndpoint,
  type ContactRecordQueue,
  decodeContactRecord,
  type HierarchyGroup,
  type RecordingInfo,
  type RecordingsInfo,
} from './contact-record.js';
export {
  FORWARD_CONTACT_RECORDS,
  FORWARD_CONTACT_RECORDS_OUTPUTS,
  FORWARD_CONTACT_RECORDS_VARIABLES,
  FORWARD_RECORDINGS,
  FORWARD_RECORDINGS_OUTPUTS,
  FORWARD_RECORDINGS_VARIABLES,
  FORWARDING_BUDGET_MS,
} from './contract.js';
export { type DeadLetter, type DeadLetterReason, DeadLetterWriter } from './dead-letter.js';
export { DeliveryLedger, runInOrder, type Task } from './delivery.js';
export {
  type BatchLimits,
  chunkEntries,
  type DestinationSender,
  EVENTBRIDGE_LIMITS,
  FIREHOSE_LIMITS,
  KINESIS_LIMITS,
  type OutgoingEntry,
  S3_LIMITS,
  s3ObjectKey,
} from './destinations.js';
export { ForwardingError, PolicyError, type PolicyIssue } from './errors.js';
export { type ForwardContactRecordsDeps, forwardContactRecords } from './forward-contact-records.js';
export {
  copyTagging,
  destinationKey,
  forwardRecordings,
  parseLocation,
  type RecordingLocation,
  recordingLocations,
} from './forward-recordings.js';
export {
  attributePurpose,
  type MinimisedEntry,
  type MinimisedRecord,
  maskValue,
  minimiseBatch,
  minimiseRecord,
  type PolicyBatch,
} from './minimise.js';
export {
  type Destination,
  type DestinationType,
  type EventBridgeDestination,
  type FirehoseDestination,
  firehoseAccountIssues,
  type KinesisDestination,
  type Policy,
  type PolicyDocument,
  type PolicyMatch,
  parsePolicyDocument,
  type RecordingsTarget,
  type S3Destination,
  validatePolicyDocument,
} from './policy.js';
export {
  type FingerprintKeySource,
  type PolicySource,
  parameterPolicySource,
  secretFingerprintKeys,
  secretPolicySource,
  staticPolicySource,
} from './policy-source.js';
export type { ForwardingDeps, KinesisBatchHandler, LambdaContextLike } from './runtime.js';
