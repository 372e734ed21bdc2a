import { type Env, envBool, envEnum, envInt, envString } from './env.js';
import { BudgetExceededError, FlowguardError, ResponseError } from './errors.js';
import { type Contact, parseContactEvent } from './event.js';
import { errorAttributes, type LineSink, LOG_LEVELS, Logger, type LogLevel } from './log.js';
import { MetricsEmitter, type MetricUnit, type MetricValue } from './metrics.js';
import { type FlatResponse, flatResponse, type ResponseFields } from './response.js';

/** The parts of the Lambda context the wrapper uses. */
export interface LambdaContext {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

export type FlowLambdaHandler = (event: unknown, context?: LambdaContext) => Promise<FlatResponse>;

/** Handed to a function's logic for one invocation. */
export interface InvocationContext {
  /** Logger carrying the contact id and request id. */
  readonly logger: Logger;
  /**
   * Aborted when the time budget runs out: pass it to SDK calls so they stop too. The handler
   * answers at the budget whatever the logic does, but the logic itself runs on until it returns
   * (on Lambda, possibly into the next invocation's thaw): long work must watch this signal.
   */
  readonly signal: AbortSignal;
  /** Epoch milliseconds by which the answer must be ready. */
  readonly deadline: number;
  /** Adds a metric to this invocation's EMF line (dimensions: function and outcome). */
  addMetric(name: string, value?: number, unit?: MetricUnit): void;
}

export interface FlowFunction {
  /** Function name, as deployed (`screen-caller`): the log `service` and the metric dimension. */
  readonly name: string;
  /** Keys every answer may carry besides `error`. An undeclared key is a bug (`bad_response`). */
  readonly outputKeys: readonly string[];
  /**
   * The answer when the function cannot decide: a bad event, a timeout, a failure. `code` is the
   * stable error code that will be sent as `error` alongside.
   */
  failMode(code: string): ResponseFields;
  /**
   * An EMF metric counted with every fail-mode answer (e.g. `FailOpen` when that answer admits
   * the caller), so an alarm sees answers given without a decision whatever their outcome.
   */
  readonly failModeMetric?: string;
  handle(contact: Contact, context: InvocationContext): ResponseFields | Promise<ResponseFields>;
  /** Parameter, attribute and response keys never to be logged (case-insensitive). */
  readonly sensitiveKeys?: readonly string[];
  /** A function handling secrets refuses to log events even when asked to by configuration. */
  readonly neverLogEvent?: boolean;
  /** Time budget in ms; overridden by `FLOWGUARD_BUDGET_MS`. */
  readonly budgetMs?: number;
}

export interface HandlerConfig {
  logLevel: LogLevel;
  budgetMs: number;
  logEvent: boolean;
  metrics: boolean;
  metricsNamespace: string;
}

/**
 * Connect's Invoke block waits 3 s by default; answering a little before that leaves time for the
 * answer to travel, so the flow gets the fail-mode answer rather than its Error branch.
 */
export const DEFAULT_BUDGET_MS = 2500;
/** Kept free at the end of the Lambda's own timeout, for the answer to be serialised and sent. */
const LAMBDA_MARGIN_MS = 100;

/** Reads the wrapper's `FLOWGUARD_*` variables; throws `ConfigError` naming a bad one. */
export function readHandlerConfig(
  env: Env = process.env,
  fallbackBudgetMs = DEFAULT_BUDGET_MS,
): HandlerConfig {
  return {
    logLevel: envEnum('FLOWGUARD_LOG_LEVEL', LOG_LEVELS, { env, default: 'info' }),
    budgetMs: envInt('FLOWGUARD_BUDGET_MS', { env, min: 50, max: 8000, default: fallbackBudgetMs }),
    logEvent: envBool('FLOWGUARD_LOG_EVENT', { env, default: false }),
    metrics: envBool('FLOWGUARD_METRICS', { env, default: true }),
    metricsNamespace: envString('FLOWGUARD_METRICS_NAMESPACE', {
      env,
      default: 'Flowguard',
      pattern: /^[A-Za-z0-9_./#:-]{1,255}$/,
      describe: 'a CloudWatch namespace (letters, digits, . _ - / # :)',
    }),
  };
}

export interface HandlerOptions {
  /** Environment to read configuration from (default `process.env`). */
  env?: Env;
  /** Replaces values read from the environment. */
  config?: Partial<HandlerConfig>;
  /** Where log lines go (default stdout). */
  logSink?: LineSink;
  /** Where EMF lines go (default stdout). */
  metricSink?: LineSink;
}

/** Wraps a pending timer so the race below can cancel it. */
function budgetTimer(ms: number, onExpiry: () => void): { promise: Promise<never>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onExpiry();
      reject(new BudgetExceededError(ms));
    }, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

function codeOf(error: unknown): string {
  return error instanceof FlowguardError ? error.code : 'internal';
}

/**
 * Wraps a function's logic into a Lambda handler for Connect. The handler never throws (a throw
 * sends the flow to its Error branch with no reason): it parses the event, runs the logic within
 * the time budget, and answers with a flat string map — the logic's answer with `error=''`, or
 * the function's fail-mode answer with a stable `error` code. Configuration is read once, here.
 */
export function flowHandler(fn: FlowFunction, options: HandlerOptions = {}): FlowLambdaHandler {
  const config = { ...readHandlerConfig(options.env, fn.budgetMs), ...options.config };
  const logger = new Logger({
    service: fn.name,
    level: config.logLevel,
    sensitiveKeys: fn.sensitiveKeys ?? [],
    sink: options.logSink,
  });
  const metrics = config.metrics
    ? new MetricsEmitter({ namespace: config.metricsNamespace, sink: options.metricSink })
    : undefined;
  const allowedKeys = new Set([...fn.outputKeys, 'error']);
  const logEvent = config.logEvent && !fn.neverLogEvent;

  function answer(fields: ResponseFields): FlatResponse {
    for (const key of Object.keys(fields)) {
      if (!allowedKeys.has(key)) throw new ResponseError('bad_response', `${key}: not a declared output key`);
    }
    return flatResponse(Object.hasOwn(fields, 'error') ? fields : { ...fields, error: '' });
  }

  function failAnswer(code: string): FlatResponse {
    try {
      return flatResponse({ ...fn.failMode(code), error: code });
    } catch {
      return { error: code };
    }
  }

  return async function handler(event: unknown, lambdaContext?: LambdaContext): Promise<FlatResponse> {
    const started = performance.now();
    const requestId = lambdaContext?.awsRequestId;
    const extra: MetricValue[] = [];
    let log = requestId ? logger.child({ requestId }) : logger;
    let response: FlatResponse;
    let outcome = 'ok';

    try {
      if (logEvent) log.debug('event', { event });
      const contact = parseContactEvent(event);
      log = log.child({ contactId: contact.contactId, initialContactId: contact.initialContactId });
      // The parameters are the part of the event that carries secure input.
      if (!fn.neverLogEvent) log.debug('parameters', { parameters: contact.parameters });

      const remaining = lambdaContext?.getRemainingTimeInMillis?.();
      const budget = Math.max(
        1,
        remaining === undefined ? config.budgetMs : Math.min(config.budgetMs, remaining - LAMBDA_MARGIN_MS),
      );
      // Made on first use: most answers need no signal, and each costs microseconds.
      let controller: AbortController | undefined;
      let expired = false;
      const timer = budgetTimer(budget, () => {
        expired = true;
        controller?.abort(new BudgetExceededError(budget));
      });
      const context: InvocationContext = {
        logger: log,
        get signal() {
          if (!controller) {
            controller = new AbortController();
            if (expired) controller.abort(new BudgetExceededError(budget));
          }
          return controller.signal;
        },
        deadline: Date.now() + budget,
        addMetric(name, value = 1, unit = 'Count') {
          extra.push({ name, value, unit });
        },
      };
      try {
        const run = Promise.resolve().then(() => fn.handle(contact, context));
        response = answer(await Promise.race([run, timer.promise]));
      } finally {
        timer.cancel();
      }
    } catch (error) {
      outcome = codeOf(error);
      response = failAnswer(outcome);
      if (fn.failModeMetric) extra.push({ name: fn.failModeMetric, unit: 'Count', value: 1 });
      const level = outcome === 'internal' || error instanceof ResponseError ? 'error' : 'warn';
      log[level]('fail-mode answer', { ...errorAttributes(error), response });
    }

    // A function may answer with an error code of its own (e.g. a valid=false answer).
    if (outcome === 'ok' && response.error) outcome = response.error;
    const latency = performance.now() - started;
    log.info('invocation', { outcome, latencyMs: Math.round(latency * 1000) / 1000, response });
    metrics?.emit({ function: fn.name, outcome }, [
      { name: 'Invocations', unit: 'Count', value: 1 },
      { name: 'Latency', unit: 'Milliseconds', value: latency },
      ...extra,
    ]);
    return response;
  };
}
