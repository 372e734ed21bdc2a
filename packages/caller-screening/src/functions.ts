import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  booleanParameter,
  type Contact,
  type FlowFunction,
  type InvocationContext,
  stringParameter,
} from '@flowguard/contact';
import { ACTIONS, type ClassAction, type ScreeningConfig } from './config.js';
import { FLAG_CALLER_OUTPUTS, SCREEN_CALLER_OUTPUTS, SCREENING_BUDGET_MS } from './contract.js';
import { ScreeningInputError } from './errors.js';
import { LimitSyntaxError, parseDuration } from './limits.js';
import type { CallSignals } from './rules.js';
import type { Screener, ScreeningResult } from './screener.js';
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

/** The number inside a SIP header value such as `<sip:+14155550199@host;user=phone>` or `tel:+1...`. */
function headerNumber(value: string | undefined): string | undefined {
  const match = value ? /(?:sip:|tel:|^)\s*(\+?\d{6,20})(?=[@;>\s]|$)/.exec(value) : null;
  return match?.[1];
}

/**
 * A SIP header the flow passed, or undefined when it is absent or unusable (not a string, or
 * longer than a header of its kind can be). A header comes from the caller's side of the network:
 * one that cannot be read must never stop the contact from being screened and counted, so it is
 * dropped (and counted as a metric), never an error that would answer the fail mode.
 */
function headerParameter(
  contact: Contact,
  names: readonly string[],
  maxLength: number,
  context: InvocationContext,
): string | undefined {
  for (const name of names) {
    if (!Object.hasOwn(contact.parameters, name)) continue;
    const value = contact.parameters[name];
    if (value === undefined || value === null || value === '') continue;
    const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
    if (typeof text === 'string' && text.length <= maxLength) return text;
    context.addMetric(`Signal_unreadable_${names[0]}`);
    return undefined;
  }
  return undefined;
}

function signalsOf(contact: Contact, screener: Screener, context: InvocationContext): CallSignals {
  const oli = headerParameter(contact, ['isupOli', 'sipIsupOli'], 8, context);
  const pai = headerParameter(contact, ['pAssertedIdentity', 'sipPAssertedIdentity'], 512, context);
  const assertedRaw = headerNumber(pai);
  const asserted = assertedRaw ? screener.phone(assertedRaw) : undefined;
  const dialed = contact.systemEndpoint?.address ? screener.phone(contact.systemEndpoint.address) : undefined;
  return {
    oli: oli && /^\d{1,3}$/.test(oli) ? oli : undefined,
    assertedNumber: asserted?.class === 'phone' ? (asserted.number ?? undefined) : undefined,
    dialedNumber: dialed?.class === 'phone' ? (dialed.number ?? undefined) : undefined,
  };
}

const DECISION_METRIC = { ALLOW: 'Allow', THROTTLE: 'Throttle', BLOCK: 'Block' } as const;

/**
 * Counted with every ALLOW given without a screening decision: the store did not answer in time,
 * or the function answered its fail mode (open). The outcome dimension says why.
 */
export const FAIL_OPEN_METRIC = 'FailOpen';

function screeningAnswer(result: ScreeningResult) {
  return {
    decision: result.decision,
    reason: result.reason,
    callerType: result.callerType,
    lineType: result.lineType,
    callerCountry: result.callerCountry,
    retryAfterSeconds: result.retryAfterSeconds,
    blockedUntil: isoOrEmpty(result.blockedUntil),
    // A caller rule names the caller; the flow only needs to know a caller rule decided.
    rule: result.rule.startsWith('caller:') ? 'caller' : result.rule,
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
          if (signed.error && signed.decision === 'ALLOW') context.addMetric(FAIL_OPEN_METRIC);
          return screeningAnswer(signed);
        }
        const rules = await screener.currentRules(stop.signal);
        const result = await screener.screen(contact, {
          policy,
          unidentified,
          signals: rules.usesSignals ? signalsOf(contact, screener, context) : undefined,
          signal: stop.signal,
          onEvent: (event) => context.addMetric(event),
        });
        // A refused or odd identity (`ipv4_leading_zero`, ...) is counted, never logged with its value.
        if (result.warning) context.addMetric(`Identity_${result.warning}`);
        context.addMetric(DECISION_METRIC[result.decision]);
        if (result.error && result.decision === 'ALLOW') context.addMetric(FAIL_OPEN_METRIC);
        return screeningAnswer(result);
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
      const identity = number === undefined ? screener.identify(contact) : screener.phone(number);
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
