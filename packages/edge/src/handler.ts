// start-contact: a website's request to start a chat, a web call or a task, screened by the same
// rules, limits and blocklist as the flows before Amazon Connect is asked to create the contact.
import {
  type Decision,
  newNonce,
  type RequestScreening,
  type Screener,
  screenRequest,
  signIdentity,
} from '@flowguard/caller-screening';
import {
  type Env,
  errorAttributes,
  type HandlerConfig,
  type LambdaContext,
  type LineSink,
  Logger,
  MetricsEmitter,
  type MetricUnit,
  readHandlerConfig,
} from '@flowguard/contact';
import { checkBody } from './body.js';
import { clientIp } from './client-ip.js';
import type { EdgeConfig } from './config.js';
import { type ConnectStarter, isConnectThrottle } from './connect.js';
import { START_CONTACT, START_CONTACT_BUDGET_MS } from './contract.js';
import { checkOrigin, preflightHeaders } from './cors.js';
import {
  emptyResponse,
  HttpEventError,
  type HttpRequest,
  type HttpResponse,
  jsonResponse,
  parseHttpEvent,
} from './http.js';
import type { TokenVerifier } from './token.js';

export type HttpLambdaHandler = (event: unknown, context?: LambdaContext) => Promise<HttpResponse>;

/** The edge signing key (`SigningKeys` from @flowguard/caller-screening over a SecretCache). */
export interface SigningKeySource {
  current(signal?: AbortSignal): Promise<Uint8Array>;
}

export interface StartContactDeps {
  readonly config: EdgeConfig;
  readonly screener: Screener;
  readonly connect: ConnectStarter;
  readonly signingKeys: SigningKeySource;
  readonly tokens: TokenVerifier;
  /** Environment the wrapper's variables are read from (default `process.env`). */
  readonly env?: Env;
  /** Replaces values read from the environment. */
  readonly handlerConfig?: Partial<HandlerConfig>;
  readonly logSink?: LineSink;
  readonly metricSink?: LineSink;
  /** Epoch milliseconds (the signed identity's `issuedAt`); injectable for tests. */
  readonly clock?: () => number;
}

/** Kept at the end of the budget for the answer to be serialised and sent. */
const LAMBDA_MARGIN_MS = 100;
/** Kept after screening for Connect to answer; screening that has not answered by then is cut short. */
const CONNECT_RESERVE_MS = 1000;
/** What a client is told to wait when the store or Connect is unavailable, or the budget ran out. */
const UNAVAILABLE_RETRY_SECONDS = 5;
const CONNECT_THROTTLE_RETRY_SECONDS = 2;

/** Keys never to be logged, at any depth, should anything ever put them in a line. */
const SENSITIVE_KEYS = [
  'authorization',
  'token',
  'ip',
  'sourceIp',
  'customerId',
  'displayName',
  'attributes',
  'initialMessage',
  'content',
  'name',
  'description',
  'participantToken',
  'connectionData',
  'body',
  'headers',
];

/** The reason a screening or Connect request was cut short: the budget is nearly spent. */
class DeadlineError extends Error {
  constructor() {
    super('the time budget is nearly spent');
    this.name = 'TimeoutError';
  }
}

interface Outcome {
  readonly response: HttpResponse;
  /** A stable code: the log's and the metric's `outcome`. */
  readonly outcome: string;
  readonly kind?: string;
  readonly decision?: string;
  readonly reason?: string;
}

/**
 * Each decision's metric, and whether the request is refused (403). Exhaustive: a decision added to
 * screening fails the typecheck here. CHALLENGE cannot reach the edge (surge mode is for voice
 * contacts; screenRequest counts none), and a web client has no keypad to answer one: refused.
 */
const DECISION_HANDLING: Readonly<Record<Decision, { metric: string; refused: boolean }>> = {
  ALLOW: { metric: 'Allow', refused: false },
  CHALLENGE: { metric: 'Challenge', refused: true },
  THROTTLE: { metric: 'Throttle', refused: false },
  BLOCK: { metric: 'Block', refused: true },
};

const retryAfter = (seconds: number) => ({ 'Retry-After': String(Math.max(1, Math.ceil(seconds))) });

/** 503 with `Retry-After`: the store, a key or Connect could not answer, or the time ran out. */
function unavailable(
  cors: Readonly<Record<string, string>>,
  seconds = UNAVAILABLE_RETRY_SECONDS,
): HttpResponse {
  return jsonResponse(
    503,
    { error: 'unavailable', retryAfterSeconds: seconds },
    { ...cors, ...retryAfter(seconds) },
  );
}

function mediaTypeIsJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

/**
 * The Lambda handler for a Function URL or an API Gateway HTTP API. Never throws and never answers
 * 500: a failure is 502 or 503 with a generic body. Nothing the client sent is ever echoed, and
 * nothing it sent (address, token, names, attributes) is logged.
 */
export function startContact(deps: StartContactDeps): HttpLambdaHandler {
  const { config, screener, connect, signingKeys, tokens } = deps;
  const handlerConfig = { ...readHandlerConfig(deps.env, START_CONTACT_BUDGET_MS), ...deps.handlerConfig };
  const logger = new Logger({
    service: START_CONTACT,
    level: handlerConfig.logLevel,
    sensitiveKeys: SENSITIVE_KEYS,
    sink: deps.logSink,
  });
  const metrics = handlerConfig.metrics
    ? new MetricsEmitter({ namespace: handlerConfig.metricsNamespace, sink: deps.metricSink })
    : undefined;
  const clock = deps.clock ?? Date.now;

  async function decide(
    request: HttpRequest,
    cors: Readonly<Record<string, string>>,
    deadline: number,
    signal: AbortSignal,
    addMetric: (name: string) => void,
  ): Promise<Outcome> {
    if (!mediaTypeIsJson(request.headers.get('content-type')))
      return {
        outcome: 'unsupported_media_type',
        response: jsonResponse(415, { error: 'unsupported_media_type' }, cors),
      };
    let data: unknown;
    try {
      if (request.body === null) throw new SyntaxError('not UTF-8');
      data = JSON.parse(request.body);
    } catch {
      return {
        outcome: 'bad_request',
        response: jsonResponse(400, { error: 'bad_request', field: '' }, cors),
      };
    }
    const checked = checkBody(data, config);
    if (!checked.ok)
      return {
        outcome: 'bad_request',
        response: jsonResponse(400, { error: 'bad_request', field: checked.field }, cors),
      };
    const { body, flowId } = checked;
    const kind = body.kind;

    // Screening (and the token's keys) must leave Connect its share of the budget.
    const screeningStop = new AbortController();
    const screeningMs = Math.max(1, deadline - Date.now() - CONNECT_RESERVE_MS);
    const timer = setTimeout(() => screeningStop.abort(new DeadlineError()), screeningMs);
    const screeningSignal = AbortSignal.any([signal, screeningStop.signal]);
    let screening: RequestScreening;
    let customerId: string | undefined;
    const nonce = newNonce();
    try {
      const token = await tokens.verify(request.headers.get('authorization'), screeningSignal);
      if (!token.ok) {
        addMetric(`Token_${token.reason}`);
        if (token.reason === 'token_keys_unavailable')
          return { outcome: token.reason, kind, response: unavailable(cors) };
        return {
          outcome: token.reason,
          kind,
          response: jsonResponse(
            401,
            { error: 'unauthorized' },
            {
              ...cors,
              'WWW-Authenticate':
                token.reason === 'token_missing' ? 'Bearer' : 'Bearer error="invalid_token"',
            },
          ),
        };
      }
      customerId = token.customerId;
      const ip = clientIp(
        { sourceIp: request.sourceIp, forwardedFor: request.forwardedFor },
        config.trustedProxies,
      );
      screening = await screenRequest(
        screener,
        { ...(ip === null ? {} : { ip }), ...(customerId === undefined ? {} : { customerId }) },
        {
          requestId: nonce,
          keyBy: config.keyBy,
          signal: screeningSignal,
          onEvent: (event) => addMetric(event),
        },
      );
    } finally {
      clearTimeout(timer);
    }

    const decided = { kind, decision: screening.decision, reason: screening.reason };
    const handling = DECISION_HANDLING[screening.decision];
    addMetric(handling.metric);
    if (screening.warning) addMetric(`Identity_${screening.warning}`);
    if (screening.error) {
      // The store did not answer: the decision is the in-memory limits' (or the screener's own
      // fail-closed BLOCK, which says nothing about this caller).
      if (config.failMode[kind] === 'closed' || screening.decision === 'BLOCK') {
        addMetric('FailClosed');
        return { ...decided, outcome: 'store_unavailable', response: unavailable(cors) };
      }
      if (screening.decision === 'ALLOW') addMetric('FailOpen');
    }
    if (screening.decision === 'THROTTLE') {
      const seconds = Math.max(1, screening.retryAfterSeconds);
      return {
        ...decided,
        outcome: 'throttled',
        response: jsonResponse(
          429,
          { error: 'throttled', retryAfterSeconds: seconds },
          { ...cors, ...retryAfter(seconds) },
        ),
      };
    }
    if (handling.refused)
      return { ...decided, outcome: 'blocked', response: jsonResponse(403, { error: 'forbidden' }, cors) };

    let signed: Record<string, string> = {};
    if (screening.key !== null) {
      let key: Uint8Array;
      try {
        key = await signingKeys.current(signal);
      } catch (error) {
        logger.error('signing key unavailable', errorAttributes(error));
        return { ...decided, outcome: 'signing_unavailable', response: unavailable(cors) };
      }
      signed = signIdentity(key, {
        key: screening.key,
        customerId: customerId ?? '',
        issuedAt: Math.floor(clock() / 1000),
        nonce,
      });
    }
    try {
      const started = await connect.start({
        instanceId: config.instanceId,
        flowId,
        body,
        // The signed identity last: no allow-listed attribute can stand in for it (config refuses
        // `flowguard...` names anyway).
        attributes: { ...body.attributes, ...signed },
        clientToken: nonce,
        signal,
      });
      return { ...decided, outcome: 'ok', response: jsonResponse(200, started, cors) };
    } catch (error) {
      if (isConnectThrottle(error)) {
        addMetric('ConnectThrottled');
        return {
          ...decided,
          outcome: 'connect_throttled',
          response: unavailable(cors, CONNECT_THROTTLE_RETRY_SECONDS),
        };
      }
      if (signal.aborted) return { ...decided, outcome: 'timeout', response: unavailable(cors) };
      addMetric('ConnectError');
      logger.error('connect refused the contact', errorAttributes(error));
      return {
        ...decided,
        outcome: 'connect_error',
        response: jsonResponse(502, { error: 'unavailable' }, cors),
      };
    }
  }

  async function handle(
    event: unknown,
    lambdaContext: LambdaContext | undefined,
    addMetric: (name: string) => void,
  ): Promise<Outcome & { version?: string }> {
    let request: HttpRequest;
    try {
      request = parseHttpEvent(event);
    } catch (error) {
      if (!(error instanceof HttpEventError)) throw error;
      return error.status === 413
        ? { outcome: 'too_large', response: jsonResponse(413, { error: 'too_large' }) }
        : { outcome: 'bad_event', response: jsonResponse(400, { error: 'bad_request', field: '' }) };
    }
    const origin = checkOrigin(request.headers.get('origin'), config);
    if (!origin.ok)
      return {
        outcome: 'origin_refused',
        version: request.version,
        response: jsonResponse(403, { error: 'forbidden' }),
      };
    const cors = origin.headers;
    if (request.method === 'OPTIONS')
      return {
        outcome: 'preflight',
        version: request.version,
        response: emptyResponse(204, preflightHeaders(cors, config)),
      };
    if (request.method !== 'POST')
      return {
        outcome: 'method_not_allowed',
        version: request.version,
        response: jsonResponse(405, { error: 'method_not_allowed' }, { ...cors, Allow: 'POST, OPTIONS' }),
      };
    const withExpose = {
      ...cors,
      ...(cors['Access-Control-Allow-Origin'] ? { 'Access-Control-Expose-Headers': 'Retry-After' } : {}),
    };

    const remaining = lambdaContext?.getRemainingTimeInMillis?.();
    const budget = Math.max(
      1,
      remaining === undefined
        ? handlerConfig.budgetMs
        : Math.min(handlerConfig.budgetMs, remaining - LAMBDA_MARGIN_MS),
    );
    const deadline = Date.now() + budget;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new DeadlineError());
        resolve({ outcome: 'timeout', response: unavailable(withExpose) });
      }, budget);
    });
    try {
      const outcome = await Promise.race([
        decide(request, withExpose, deadline, controller.signal, addMetric),
        expiry,
      ]);
      return { ...outcome, version: request.version };
    } finally {
      clearTimeout(timer);
    }
  }

  return async function handler(event: unknown, lambdaContext?: LambdaContext): Promise<HttpResponse> {
    const started = performance.now();
    const extra: { name: string; unit: MetricUnit; value: number }[] = [];
    const addMetric = (name: string) => extra.push({ name, unit: 'Count', value: 1 });
    const log = lambdaContext?.awsRequestId
      ? logger.child({ requestId: lambdaContext.awsRequestId })
      : logger;
    let result: Outcome & { version?: string };
    try {
      result = await handle(event, lambdaContext, addMetric);
    } catch (error) {
      log.error('internal error', errorAttributes(error));
      result = { outcome: 'internal', response: jsonResponse(502, { error: 'unavailable' }) };
    }
    const latency = performance.now() - started;
    // Codes only: never the address, the token, the names or the attributes.
    log.info('request', {
      outcome: result.outcome,
      status: result.response.statusCode,
      ...(result.version ? { payloadVersion: result.version } : {}),
      ...(result.kind ? { kind: result.kind } : {}),
      ...(result.decision ? { decision: result.decision, reason: result.reason } : {}),
      latencyMs: Math.round(latency * 1000) / 1000,
    });
    metrics?.emit({ function: START_CONTACT, outcome: result.outcome }, [
      { name: 'Requests', unit: 'Count', value: 1 },
      { name: 'Latency', unit: 'Milliseconds', value: latency },
      // Every 5xx answer (the store, a key or Connect unavailable, the time run out, internal): what
      // a canary of start-contact judges a new version by (docs/deploy.md, "Canary"). 4xx answers
      // (blocked, throttled, a bad body or token) are the edge working, not failing.
      ...(result.response.statusCode >= 500
        ? [{ name: 'ServerError', unit: 'Count' as const, value: 1 }]
        : []),
      ...extra,
    ]);
    return result.response;
  };
}
