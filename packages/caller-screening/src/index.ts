export {
  type AggregateConfig,
  parseSurgeThresholds,
  ratesOf,
  type ScopeState,
  type SurgeState,
  SurgeSyntaxError,
  type SurgeThreshold,
  scopeCode,
  scopeName,
  surgeStateOf,
} from './aggregates.js';
export {
  answers,
  type ChallengeConfig,
  type ChallengeOptions,
  type ChallengeReason,
  type ChallengeToken,
  challengeFunction,
  drawDigits,
  openChallenge,
  readChallengeConfig,
  signChallenge,
} from './challenge.js';
export {
  type ClassAction,
  type FailMode,
  limitsFor,
  readAggregateConfig,
  readScreeningConfig,
  readSignedIdentityConfig,
  type ScreeningConfig,
  type SignedIdentityConfig,
} from './config.js';
export {
  CHALLENGE_BUDGET_MS,
  CHALLENGE_OUTPUTS,
  CHALLENGE_SECRET_VARIABLE,
  CHALLENGE_SENSITIVE_OUTPUTS,
  CHALLENGE_VARIABLES,
  EDGE_SIGNING_SECRET_VARIABLE,
  FLAG_CALLER_OUTPUTS,
  SCREEN_CALLER_OUTPUTS,
  SCREENING_BUDGET_MS,
  SCREENING_VARIABLES,
  SIGNED_IDENTITY_VARIABLES,
  TABLE_VARIABLE,
} from './contract.js';
export {
  type RequestKeyBy,
  type RequestScreening,
  type ScreenRequestInput,
  type ScreenRequestOptions,
  screenRequest,
} from './edge.js';
export { ScreeningInputError, StoreUnavailableError } from './errors.js';
export {
  FAIL_OPEN_METRIC,
  flagCaller,
  type SignedIdentityKeys,
  SURGE_METRICS,
  screenCaller,
  screeningDynamoClient,
} from './functions.js';
export {
  type CallerClass,
  type CallerIdentity,
  callerIdentity,
  type IdentityOptions,
  ipKey,
  isWithheld,
  phoneIdentity,
  requestIdentities,
  signedKeyIdentity,
} from './identity.js';
export { CallerKeyError, callerKey, countryCode, exportedNumber } from './keys.js';
export {
  type CallerState,
  CONTACT_SLOTS,
  type CountInput,
  contactToken,
  type Standing,
  standings,
  stateOf,
} from './ledger.js';
export {
  bucketEnd,
  bucketOf,
  formatLimits,
  keySeed,
  LimitSyntaxError,
  type PhasedWindow,
  parseDuration,
  parseLimits,
  phaseWindows,
  type Window,
} from './limits.js';
export { LocalLimiter } from './local-limiter.js';
export { MemoryScreeningStore } from './memory-store.js';
export {
  LINE_TYPES,
  normaliseRule,
  RULE_TYPES,
  type Rule,
  type RuleAction,
  RuleSet,
  type RuleType,
  SIGNAL_RULE_VALUES,
} from './rules.js';
export {
  type Decision,
  EDGE_CONTACT_PREFIX,
  Screener,
  type ScreeningResult,
  type ScreenOptions,
  type Verdict,
  withMonitored,
} from './screener.js';
export {
  type AssertedIdentity,
  assertedIdentity,
  type CallSignal,
  callSignals,
  DEFAULT_SIGNAL_WEIGHTS,
  parseSignalWeights,
  SIGNAL_NAMES,
  type SignalName,
  type SignalReport,
  signalRuleKeys,
  type TelephonyHeaders,
} from './signals.js';
export {
  newNonce,
  SIGNED_IDENTITY_ATTRIBUTES,
  type SignatureRefusal,
  type SignedIdentity,
  type SignedIdentityCheck,
  SigningKeys,
  type SigningSecretSource,
  signIdentity,
  signingKeyOf,
  type VerifyOptions,
  verifySignedIdentity,
} from './signed-identity.js';
export {
  type AggregateItem,
  type AggregateUpdate,
  type AuditEntry,
  aggregateKey,
  type BlockInput,
  type BlockOutcome,
  type ClaimInput,
  type CountOutcome,
  DynamoScreeningStore,
  type ScreeningStore,
  type UnblockInput,
} from './store.js';
