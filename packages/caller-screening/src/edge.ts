// Screening a web request before any contact exists: the library form of start-contact, for teams
// that run their own chat or web-calling backend (docs/screening.md, "Screening at the edge").
import { type RequestIdentityInput, type RequestKeyBy, requestIdentities } from './identity.js';
import { EDGE_CONTACT_PREFIX, type Screener, type ScreeningResult } from './screener.js';

export type { RequestIdentityInput as ScreenRequestInput, RequestKeyBy } from './identity.js';

export interface ScreenRequestOptions {
  /**
   * Unique per request (the signed identity's nonce): the request is counted as contact
   * `edge:<requestId>`, so screening the same request again is not counted twice.
   */
  readonly requestId: string;
  /** Which identity is counted (default `ip`); the other is checked against caller rules and known blocks. */
  readonly keyBy?: RequestKeyBy;
  /** A named policy (`FLOWGUARD_LIMITS_<NAME>`), as a flow's `policy` parameter. */
  readonly policy?: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: 'AutoBlock' | 'StoreCleanup') => void;
}

export interface RequestScreening extends ScreeningResult {
  /** The store key counted (`ip:...`, `cust:...`), null for a request with no usable identity. */
  readonly key: string | null;
}

/**
 * Screens a web request by the same rules, limits and blocklist as a flow's screen-caller, in the
 * same table, with one store request: `ip` is the client address the edge saw (never a header the
 * client can set), `customerId` a verified id. An IPv6 address counts by its /64.
 *
 * ```ts
 * const result = await screenRequest(screener, { ip: sourceIp, customerId }, { requestId: nonce });
 * if (result.decision === 'THROTTLE') reply(429, { 'Retry-After': String(result.retryAfterSeconds) });
 * ```
 */
export async function screenRequest(
  screener: Screener,
  input: RequestIdentityInput,
  options: ScreenRequestOptions,
): Promise<RequestScreening> {
  if (options.requestId === '') throw new RangeError('requestId must not be empty');
  const { counted, other } = requestIdentities(input, options.keyBy ?? 'ip');
  const result = await screener.screenIdentity(counted, `${EDGE_CONTACT_PREFIX}${options.requestId}`, {
    policy: options.policy,
    signal: options.signal,
    ...(options.onEvent
      ? { onEvent: (event) => event !== 'AggregateFlushFailed' && options.onEvent?.(event) }
      : {}),
    alsoRuledOut: other,
  });
  return { ...result, key: counted.key };
}
