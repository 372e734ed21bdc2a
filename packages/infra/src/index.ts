export { FlowguardAlarms, type FlowguardAlarmsProps } from './alarms.js';
export {
  CONTACT_RECORD_CONTEXT,
  CONTEXT_FLAGS,
  contactRecordsFromContext,
  EDGE_CONTEXT,
  edgeFromContext,
  flowguardApp,
  SURGE_CONTEXT,
  surgeFromContext,
} from './app.js';
export { CONNECT_CHANGE_SUMMARY, WATCHED_CONNECT_CALLS } from './audit.js';
export type {
  ConnectKeyHandling,
  ConnectKeySlot,
  ExternalConnectKey,
  ManagedConnectKeys,
} from './connect-keys.js';
export { type ContactRecordsProps, EVENT_SOURCE, STREAM_VARIABLES } from './contact-records.js';
export {
  EDGE_DEFAULTS,
  EDGE_SIGNING_SECRET_VARIABLE,
  type EdgeFrontDoor,
  type EdgeProps,
  type EdgeTokens,
  FlowguardEdge,
  START_CONTACT_ACTIONS,
  START_PATH,
} from './edge.js';
export { Flowguard, type FlowguardProps, TOKEN_CONTEXT_KEYS } from './flowguard.js';
export { type FlowSpec, shippedFlows } from './flows.js';
export {
  type Access,
  type DeployableFunctionName,
  FUNCTION_NAMES,
  FUNCTION_SPECS,
  type FunctionName,
  type FunctionSpec,
  type HttpFunctionName,
  LIVE_ALIAS,
  SETTING_VARIABLES,
  STREAM_FUNCTION_NAMES,
  STREAM_FUNCTION_SPECS,
  type StreamFunctionName,
} from './functions.js';
export {
  AGGREGATE_FLUSH_FAILED,
  BLOCK,
  DEAD_LETTERED,
  DEFAULT_METRICS_NAMESPACE,
  DIMENSIONS,
  EDGE_OUTCOMES,
  FAIL_OPEN,
  FAILED,
  INVOCATIONS,
  OUTCOMES,
  POLICY_DIMENSION,
  REQUESTS,
  SURGE_STARTED,
} from './metrics.js';
export { flowguardChecks } from './nag.js';
export { FlowguardStack, type FlowguardStackProps, PARAMETER_PATTERNS } from './stack.js';
export { SURGE_VARIABLES, type SurgeProps, screenCallerEnvironment } from './surge.js';
