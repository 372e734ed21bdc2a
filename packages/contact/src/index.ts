export { type Env, envBool, envEnum, envInt, envList, envString } from './env.js';
export {
  BudgetExceededError,
  ConfigError,
  EventParseError,
  FlowguardError,
  ParameterError,
  ResponseError,
} from './errors.js';
export { type Channel, type Contact, type Endpoint, parseContactEvent, type Queue } from './event.js';
export {
  DEFAULT_BUDGET_MS,
  type FlowFunction,
  type FlowLambdaHandler,
  flowHandler,
  type HandlerConfig,
  type HandlerOptions,
  type InvocationContext,
  type LambdaContext,
  readHandlerConfig,
} from './handler.js';
export { errorAttributes, type LineSink, Logger, type LogLevel, REDACTED } from './log.js';
export { MetricsEmitter, type MetricUnit } from './metrics.js';
export { booleanParameter, stringParameter } from './parameters.js';
export {
  DEFAULT_MAX_RESPONSE_BYTES,
  type FlatResponse,
  flatResponse,
  type ResponseFields,
  type ResponseValue,
  responseBytes,
  sanitizeKey,
} from './response.js';
export {
  DEFAULT_COUNTRY,
  DEFAULT_COUNTRY_VARIABLE,
  HANDLER_VARIABLES,
  readDefaultCountry,
  type VariableSpec,
} from './variables.js';
