export {
  type ClassAction,
  type FailMode,
  limitsFor,
  readScreeningConfig,
  type ScreeningConfig,
} from './config.js';
export { ScreeningInputError, StoreUnavailableError } from './errors.js';
export {
  FLAG_CALLER_OUTPUTS,
  flagCaller,
  SCREEN_CALLER_OUTPUTS,
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
} from './identity.js';
export { formatLimits, LimitSyntaxError, parseDuration, parseLimits, type Window } from './limits.js';
export { MemoryScreeningStore } from './memory-store.js';
export {
  type CallSignals,
  LINE_TYPES,
  normaliseRule,
  RULE_TYPES,
  type Rule,
  type RuleAction,
  RuleSet,
  type RuleType,
} from './rules.js';
export { type Decision, Screener, type ScreeningResult, type ScreenOptions } from './screener.js';
export {
  type AuditEntry,
  type BlockOutcome,
  type CallerState,
  contactToken,
  DynamoScreeningStore,
  type ScreeningStore,
} from './store.js';
