/**
 * The embedded-metric-format contract the alarms rely on: what the functions write (through
 * `flowHandler` in @flowguard/contact) and under which dimensions. The tests run the functions'
 * own code and check each alarm's metric against the lines it writes.
 */

import { REFUSED_OUTCOMES, SERVER_ERROR_OUTCOMES } from '@flowguard/edge/contract';

/** The namespace the stack gives every function (`FLOWGUARD_METRICS_NAMESPACE`). */
export const DEFAULT_METRICS_NAMESPACE = 'Flowguard';

/** Every EMF line carries exactly these dimensions: the function name and the outcome code. */
export const DIMENSIONS = { function: 'function', outcome: 'outcome' } as const;

/** One count per invocation, whatever the outcome. */
export const INVOCATIONS = 'Invocations';
/** screen-caller: an ALLOW given without a screening decision (any outcome). */
export const FAIL_OPEN = 'FailOpen';
/** screen-caller: a BLOCK decision. */
export const BLOCK = 'Block';
/**
 * screen-caller: a surge this instance started (one count per scope started, whichever instance
 * crossed the threshold first; `SURGE_METRICS` in @flowguard/caller-screening functions.ts).
 */
export const SURGE_STARTED = 'SurgeStarted';
/** screen-caller: a surge this instance ended (its rate stayed under the lower threshold for the hold). */
export const SURGE_ENDED = 'SurgeEnded';
/** screen-caller: a flush of the aggregate counts the store did not take (surges go undetected). */
export const AGGREGATE_FLUSH_FAILED = 'AggregateFlushFailed';

/** Outcome codes an alarm watches (the `error` of the answer, or the fail-mode code). */
export const OUTCOMES = {
  ok: 'ok',
  internal: 'internal',
  keyUnavailable: 'key_unavailable',
  decryptFailed: 'decrypt_failed',
  unknownKey: 'unknown_key',
  tokenFailed: 'token_failed',
  storeUnavailable: 'store_unavailable',
  timeout: 'timeout',
  notConfigured: 'not_configured',
  badParameter: 'bad_parameter',
} as const;

/**
 * challenge (@flowguard/caller-screening challenge.ts) counts, besides `Invocations`, under the
 * same dimensions, the outcome being the answer's `error` (`ok` when it has none):
 * `Challenge_issued` per issue; `Challenge_<reason>` per verify (`ok` a pass, else why not);
 * `Challenge_unclaimed` when the store could not claim the token's nonce (fail mode open: the
 * digits decided, single use unchecked) and `Challenge_unmarked` when a pass could not be recorded
 * on the caller's item; those two, and the verifies answered then, carry outcome
 * `store_unavailable` or `timeout`.
 */
export const CHALLENGE = {
  issued: 'Challenge_issued',
  unclaimed: 'Challenge_unclaimed',
  unmarked: 'Challenge_unmarked',
  /** A verify's reason: `ok` (passed), `wrong_input`, `no_input`, `expired`, `bad_token`, `replayed`. */
  reason: (reason: 'ok' | 'wrong_input' | 'no_input' | 'expired' | 'bad_token' | 'replayed') =>
    `Challenge_${reason}`,
} as const;

/** forward-contact-records, forward-recordings: per-policy lines carry `function` and this. */
export const POLICY_DIMENSION = 'policy';
/** Records (or copies) not delivered after retries, per policy (@flowguard/forwarding BatchMetrics). */
export const FAILED = 'Failed';
/** Dead letters written: per invocation (dimension `function`) and per policy. */
export const DEAD_LETTERED = 'DeadLettered';

/**
 * start-contact writes one `Requests` count per request under dimensions function and outcome
 * (@flowguard/edge handler.ts): these outcome codes are its answers the alarms watch.
 */
export const REQUESTS = 'Requests';
export const EDGE_OUTCOMES = {
  /** 502 and 503: Connect refused or throttled, the store (failing closed), a key or the budget ran out, a defect. */
  unavailable: SERVER_ERROR_OUTCOMES,
  /** 429 (rate-limited) and 403 (a blocked caller, an origin not allowed). */
  refused: REFUSED_OUTCOMES,
} as const;
