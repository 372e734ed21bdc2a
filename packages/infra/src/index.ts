export { FlowguardAlarms, type FlowguardAlarmsProps } from './alarms.js';
export { CONTACT_RECORD_CONTEXT, CONTEXT_FLAGS, contactRecordsFromContext, flowguardApp } from './app.js';
export { CONNECT_CHANGE_SUMMARY, WATCHED_CONNECT_CALLS } from './audit.js';
export type {
  ConnectKeyHandling,
  ConnectKeySlot,
  ExternalConnectKey,
  ManagedConnectKeys,
} from './connect-keys.js';
export { type ContactRecordsProps, EVENT_SOURCE, STREAM_VARIABLES } from './contact-records.js';
export { Flowguard, type FlowguardProps, TOKEN_CONTEXT_KEYS } from './flowguard.js';
export { type FlowSpec, shippedFlows } from './flows.js';
export {
  type Access,
  type DeployableFunctionName,
  FUNCTION_NAMES,
  FUNCTION_SPECS,
  type FunctionName,
  type FunctionSpec,
  LIVE_ALIAS,
  SETTING_VARIABLES,
  STREAM_FUNCTION_NAMES,
  STREAM_FUNCTION_SPECS,
  type StreamFunctionName,
} from './functions.js';
export {
  BLOCK,
  DEAD_LETTERED,
  DEFAULT_METRICS_NAMESPACE,
  DIMENSIONS,
  FAIL_OPEN,
  FAILED,
  INVOCATIONS,
  OUTCOMES,
  POLICY_DIMENSION,
} from './metrics.js';
export { flowguardChecks } from './nag.js';
export { FlowguardStack, type FlowguardStackProps, PARAMETER_PATTERNS } from './stack.js';
