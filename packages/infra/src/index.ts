export { FlowguardAlarms, type FlowguardAlarmsProps } from './alarms.js';
export { CONTEXT_FLAGS, flowguardApp } from './app.js';
export { CONNECT_CHANGE_SUMMARY, WATCHED_CONNECT_CALLS } from './audit.js';
export type {
  ConnectKeyHandling,
  ConnectKeySlot,
  ExternalConnectKey,
  ManagedConnectKeys,
} from './connect-keys.js';
export { Flowguard, type FlowguardProps, TOKEN_CONTEXT_KEYS } from './flowguard.js';
export { type FlowSpec, shippedFlows } from './flows.js';
export {
  type Access,
  FUNCTION_NAMES,
  FUNCTION_SPECS,
  type FunctionName,
  type FunctionSpec,
  LIVE_ALIAS,
  SETTING_VARIABLES,
} from './functions.js';
export {
  BLOCK,
  DEFAULT_METRICS_NAMESPACE,
  DIMENSIONS,
  FAIL_OPEN,
  INVOCATIONS,
  OUTCOMES,
} from './metrics.js';
export { flowguardChecks } from './nag.js';
export { FlowguardStack, type FlowguardStackProps, PARAMETER_PATTERNS } from './stack.js';
