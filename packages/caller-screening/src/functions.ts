import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  booleanParameter,
  type Contact,
  type FlowFunction,
  type InvocationContext,
  stringParameter,
} from '@flowguard/contact';
import type { SurgeEvent } from './aggregates.js';
import { ACTIONS, type ClassAction, type ScreeningConfig, usesSignalScore } from './config.js';
import { FLAG_CALLER_OUTPUTS, SCREEN_CALLER_OUTPUTS, SCREENING_BUDGET_MS } from './contract.js';
import { ScreeningInputError } from './errors.js';
import type { CallerIdentity } from './identity.js';
import { LimitSyntaxError, parseDuration } from './limits.js';
import type { Screener, ScreeningResult } from './screener.js';
import {
  assertedIdentity,
  callSignals,
  type SignalReport,
  type TelephonyHeaderName,
  type TelephonyHeaders,
} from './signals.js';
import { type SigningKeys, verifySignedIdentity } from './signed-identity.js';

/** What screen-caller trusts the edge's signed identities with (`trustSignedIdentity`). */
export interface SignedIdentityKeys {
  readonly keys: SigningKeys;
  /** How long after the edge screened it a contact may present its identity, seconds. */
  readonly maxAgeSeconds: number;
}

/**
 * A DynamoDB client whose timeouts and retries fit inside a function's time budget, so a slow or
 * dead store still gets the fail-mode answer to the flow in time.
 */
export function screeningDynamoClient(
  config: Pick<ScreeningConfig, 'storeTimeoutMs' | 'storeAttempts'>,
  extra: DynamoDBClientConfig = {},
) {
  return new DynamoDBClient({
    maxAttempts: config.storeAttempts,
    requestHandler: {
      connectionTimeout: config.storeTimeoutMs,
      requestTimeout: config.storeTimeoutMs,
      // Without this the handler only warns when a request outlives its timeout.
      throwOnRequestTimeout: true,
    },
    ...extra,
  });
}

function isoOrEmpty(epochSeconds: number): string {
  return epochSeconds > 0 ? new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z') : '';
}

/**
 * The flow parameters that carry each telephony header (`$.Media.Sip.Headers.<Name>`), first
 * name first: see docs/screening.md, "Spoofing signals and telephony metadata".
 */
export const HEADER_PARAMETERS: Readonly<Record<TelephonyHeaderName, readonly string[]>> = {
  pAssertedIdentity: ['pAssertedIdentity', 'sipPAssertedIdentity'],
  from: ['sipFrom'],
  pChargeInfo: ['pChargeInfo'],
  isupOli: ['isupOli', 'sipIsupOli'],
  callingPartyAddress: ['callingPartyAddress'],
};
const HEADER_FIELDS = Object.keys(HEADER_PARAMETERS) as TelephonyHeaderName[];

/**
 * The telephony headers the flow passed, as given (a number, as an OLI may arrive, as text).
 * Never throws: whatever a value is, signals.ts reads it within bounds, and one it cannot read
 * (not a string, too long, no number in it) is reported in `unreadable`, never an error.
 */
function telephonyHeaders(contact: Contact): TelephonyHeaders {
  const headers: Record<string, unknown> = {};
  for (const field of HEADER_FIELDS) {
    for (const name of HEADER_PARAMETERS[field]) {
      if (!Object.hasOwn(contact.parameters, name)) continue;
      const value = contact.parameters[name];
      if (value === undefined || value === null || value === '') continue;
      headers[field] = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
      break;
    }
  }
  return headers;
}

/**
 * Who the contact's caller is: as identity.ts says, except that with `FLOWGUARD_WITHHELD_KEY_BY=pai`
 * a withheld caller whose `P-Asserted-Identity` names one number is class `asserted`, `pai:<E.164>`.
 */
function callerOf(contact: Contact, screener: Screener, headers: () => TelephonyHeaders): CallerIdentity {
  const identity = screener.identify(contact);
  if (identity.class !== 'withheld' || screener.config.withheldKeyBy !== 'pai') return identity;
  return assertedIdentity(identity, headers().pAssertedIdentity, screener.config.defaultCountry) ?? identity;
}

/**
 * A header comes from the caller's side of the network: one that cannot be read must never stop
 * the contact from being screened and counted, so it adds nothing and is counted as a metric
 * (`Signal_unreadable_<field>`), never an error that would answer the fail mode.
 */
function signalsOf(
  contact: Contact,
  caller: CallerIdentity,
  headers: TelephonyHeaders,
  config: ScreeningConfig,
  context: InvocationContext,
): SignalReport {
  const report = callSignals({
    caller,
    systemEndpoint: contact.systemEndpoint?.address,
    headers,
    defaultCountry: config.defaultCountry,
    weights: config.signalWeights,
  });
  for (const field of report.unreadable) context.addMetric(`Signal_unreadable_${field}`);
  return report;
}

/** The signals' names for the flow (`oli_prison,pai_mismatch`): at most one of each of 16 names. */
function signalNames(report: SignalReport | undefined): string {
  return report ? report.signals.map((s) => s.name).join(',') : '';
}

const DECISION_METRIC = {
  ALLOW: 'Allow',
  CHALLENGE: 'Challenge',
  THROTTLE: 'Throttle',
  BLOCK: 'Block',
} as const;
/** Counted with a monitor-only verdict that would have changed the decision (docs/screening.md). */
const MONITORED_METRIC = {
  ALLOW: 'WouldAllow',
  CHALLENGE: 'WouldChallenge',
  THROTTLE: 'WouldThrottle',
  BLOCK: 'WouldBlock',
} as const;

/** Metrics of the surges an instance starts or ends: the stack alarms on `SurgeStarted`. */
export const SURGE_METRICS = { started: 'SurgeStarted', ended: 'SurgeEnded' } as const;

/** Logs and counts a surge this instance started or ended (its scope names no caller). */
function recordSurge(event: SurgeEvent, context: InvocationContext): void {
  context.addMetric(SURGE_METRICS[event.kind]);
  if (event.kind === 'started')
    context.logger.warn('surge started', {
      scope: event.scope,
      calls: event.calls,
      threshold: event.threshold,
    });
  else context.logger.warn('surge ended', { scope: event.scope });
}

/** A rule as the flow and the log see it: a caller rule names the caller, so only `caller` is told. */
function ruleName(rule: string): string {
  return rule.startsWith('caller:') ? 'caller' : rule;
}

/** Records a monitor-only verdict: a metric and a log line naming the rule (never the caller). */
function recordMonitored(result: ScreeningResult, context: InvocationContext): void {
  if (!result.monitored) return;
  context.addMetric(MONITORED_METRIC[result.monitored.decision]);
  context.logger.info('monitor-only verdict', {
    decision: result.decision,
    monitoredDecision: result.monitored.decision,
    monitoredRule: ruleName(result.monitored.rule),
  });
}

/**
 * Counted with every ALLOW given without a screening decision: the store did not answer in time,
 * or the function answered its fail mode (open). The outcome dimension says why.
 */
export const FAIL_OPEN_METRIC = 'FailOpen';

function screeningAnswer(result: ScreeningResult, report?: SignalReport) {
  return {
    decision: result.decision,
    reason: result.reason,
    callerType: result.callerType,
    lineType: result.lineType,
    callerCountry: result.callerCountry,
    retryAfterSeconds: result.retryAfterSeconds,
    blockedUntil: isoOrEmpty(result.blockedUntil),
    // A caller rule names the caller; the flow only needs to know a caller rule decided.
    rule: ruleName(result.rule),
    signals: signalNames(report),
    monitoredDecision: result.monitored?.decision ?? '',
    monitoredRule: result.monitored ? ruleName(result.monitored.rule) : '',
    ...(result.error ? { error: result.error } : {}),
  };
}

function isAction(value: string): value is ClassAction {
  return (ACTIONS as readonly string[]).includes(value);
}

/** The reason a store request was cut short: the budget is nearly spent. */
class StoreDeadlineError extends Error {
  constructor() {
    super('the time budget is nearly spent');
    this.name = 'TimeoutError';
  }
}

/** Kept at the end of the budget for the in-memory limits to answer when the store has not. */
const STORE_MARGIN_MS = 150;

/** The signed identity's answer, or null when the contact is to be screened as any other. */
async function signedAnswer(
  contact: Contact,
  screener: Screener,
  signing: SignedIdentityKeys | undefined,
  context: InvocationContext,
  options: { policy?: string; signal: AbortSignal },
): Promise<ScreeningResult | null> {
  if (!signing)
    throw new ScreeningInputError(
      'not_configured',
      'parameter trustSignedIdentity: no signing key is configured (FLOWGUARD_EDGE_SIGNING_SECRET_ID)',
    );
  const unreadable = () => {
    throw new ScreeningInputError('key_unavailable', 'the signing key could not be read');
  };
  const verify = (key: Uint8Array) =>
    verifySignedIdentity([key], contact.attributes, {
      nowSeconds: screener.nowSeconds(),
      maxAgeSeconds: signing.maxAgeSeconds,
    });
  let check = verify(await signing.keys.current(options.signal).catch(unreadable));
  if (!check.ok && check.reason === 'forged') {
    // Signed just before a rotation moved AWSCURRENT: the previous key is asked for only then.
    const previous = await signing.keys.previous(options.signal);
    if (previous) check = verify(previous);
  }
  if (!check.ok) {
    // A forged or stale signature is no identity; `absent` is a contact the edge did not start.
    if (check.reason !== 'absent') context.addMetric(`Identity_signature_${check.reason}`);
    return null;
  }
  const result = await screener.screenSigned(check.identity, contact.initialContactId, {
    ...options,
    maxAgeSeconds: signing.maxAgeSeconds,
  });
  if (result === null) context.addMetric('Identity_signature_replayed');
  return result;
}

/**
 * `screen-caller`: ALLOW / THROTTLE / BLOCK for the contact's caller. With `signing`, a flow may
 * pass `trustSignedIdentity=true` for contacts that start-contact started.
 */
export function screenCaller(screener: Screener, signing?: SignedIdentityKeys): FlowFunction {
  const failDecision = screener.config.failMode === 'open' ? 'ALLOW' : 'BLOCK';
  return {
    name: 'screen-caller',
    outputKeys: SCREEN_CALLER_OUTPUTS,
    budgetMs: SCREENING_BUDGET_MS,
    ...(failDecision === 'ALLOW' ? { failModeMetric: FAIL_OPEN_METRIC } : {}),
    failMode: (code) => ({
      decision: failDecision,
      // A timeout can only be the store: nothing else here waits.
      reason: code === 'timeout' ? 'store_unavailable' : code,
      callerType: '',
      lineType: '',
      callerCountry: '',
      retryAfterSeconds: 0,
      blockedUntil: '',
      rule: '',
      signals: '',
      monitoredDecision: '',
      monitoredRule: '',
    }),
    async handle(contact: Contact, context: InvocationContext) {
      const policy = stringParameter(contact, 'policy', { maxLength: 32 })?.toLowerCase();
      const unidentified = stringParameter(contact, 'unidentified', { maxLength: 16 })?.toLowerCase();
      if (unidentified !== undefined && !isAction(unidentified))
        throw new ScreeningInputError('bad_parameter', 'parameter unidentified: allow, throttle or block');
      // The store's requests stop a little before the budget, so a slow store is answered by the
      // in-memory limits (fail-open, bounded) rather than by the unlimited fail-mode answer.
      const stop = new AbortController();
      const timer = setTimeout(
        () => stop.abort(new StoreDeadlineError()),
        Math.max(1, context.deadline - Date.now() - STORE_MARGIN_MS),
      );
      try {
        const signed = booleanParameter(contact, 'trustSignedIdentity', false)
          ? await signedAnswer(contact, screener, signing, context, { policy, signal: stop.signal })
          : null;
        if (signed) {
          context.addMetric(DECISION_METRIC[signed.decision]);
          recordMonitored(signed, context);
          if (signed.error && signed.decision === 'ALLOW') context.addMetric(FAIL_OPEN_METRIC);
          return screeningAnswer(signed);
        }
        const rules = await screener.currentRules(stop.signal);
        let headers: TelephonyHeaders | undefined;
        const headersOnce = () => {
          headers ??= telephonyHeaders(contact);
          return headers;
        };
        const caller = callerOf(contact, screener, headersOnce);
        // Signals are only worked out when a signal rule or a score threshold can use them.
        const report =
          rules.usesSignals || usesSignalScore(screener.config)
            ? signalsOf(contact, caller, headersOnce(), screener.config, context)
            : undefined;
        const result = await screener.screenIdentity(caller, contact.initialContactId, {
          policy,
          unidentified,
          signals: report,
          signal: stop.signal,
          onEvent: (event) => context.addMetric(event),
          ...(contact.channel === 'VOICE'
            ? { voice: { dialled: contact.systemEndpoint?.address ?? undefined } }
            : {}),
          onSurge: (event) => recordSurge(event, context),
        });
        // A refused or odd identity (`ipv4_leading_zero`, ...) is counted, never logged with its value.
        if (result.warning) context.addMetric(`Identity_${result.warning}`);
        context.addMetric(DECISION_METRIC[result.decision]);
        recordMonitored(result, context);
        if (result.error && result.decision === 'ALLOW') context.addMetric(FAIL_OPEN_METRIC);
        return screeningAnswer(result, report);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

const MAX_FLAG_SECONDS = 365 * 86_400;

/** `flag-caller`: an agent blocks the current caller, or a given number, with a reason. */
export function flagCaller(screener: Screener): FlowFunction {
  return {
    name: 'flag-caller',
    outputKeys: FLAG_CALLER_OUTPUTS,
    budgetMs: SCREENING_BUDGET_MS,
    failMode: () => ({ flagged: false, blockedUntil: '', callerType: '' }),
    async handle(contact: Contact, context: InvocationContext) {
      const reason = stringParameter(contact, 'reason', { required: true, maxLength: 200 })
        .replace(/[\p{Cc}\p{Cf}]/gu, ' ')
        .trim();
      if (reason === '') throw new ScreeningInputError('missing_parameter', 'parameter reason: missing');
      const durationText = stringParameter(contact, 'duration', { maxLength: 16 });
      let seconds = screener.config.flagSeconds;
      if (durationText !== undefined) {
        try {
          seconds = parseDuration(durationText, MAX_FLAG_SECONDS);
        } catch (error) {
          throw new ScreeningInputError(
            'bad_parameter',
            error instanceof LimitSyntaxError ? `parameter duration: ${error.message}` : 'parameter duration',
          );
        }
      }
      const number = stringParameter(contact, 'number', { maxLength: 64 });
      const identity =
        number === undefined
          ? callerOf(contact, screener, () => telephonyHeaders(contact))
          : screener.phone(number);
      if (identity.key === null)
        throw new ScreeningInputError('no_caller_id', 'the caller has no usable identity');
      if (number !== undefined && !identity.valid) {
        throw new ScreeningInputError('invalid_number', 'parameter number: not a valid phone number');
      }
      const by = stringParameter(contact, 'by', { maxLength: 128 }) ?? 'agent';
      const outcome = await screener.flag(identity, { reason, seconds, by, signal: context.signal });
      context.addMetric('Flag');
      return { flagged: true, blockedUntil: isoOrEmpty(outcome.blockedUntil), callerType: identity.class };
    },
  };
}
