// The origin allow-list and CORS (Fetch standard, "CORS protocol").
import type { EdgeConfig } from './config.js';

export type OriginCheck =
  /** A browser on an allowed origin: its answers carry these headers. */
  { readonly ok: true; readonly headers: Readonly<Record<string, string>> } | { readonly ok: false };

export const ALLOWED_METHODS = 'POST, OPTIONS';
export const ALLOWED_HEADERS = 'Authorization, Content-Type';

/** Whether a request's `Origin` may call start-contact, and the CORS headers its answers carry. */
export function checkOrigin(
  origin: string | undefined,
  config: Pick<EdgeConfig, 'origins' | 'allowNoOrigin'>,
): OriginCheck {
  if (origin === undefined) return config.allowNoOrigin ? { ok: true, headers: {} } : { ok: false };
  // Compared exactly as browsers serialise origins (lower-case scheme and host, no trailing slash).
  if (!config.origins.has(origin)) return { ok: false };
  return { ok: true, headers: { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } };
}

/** The headers of a preflight's 204 for an allowed origin. */
export function preflightHeaders(
  allowed: Readonly<Record<string, string>>,
  config: Pick<EdgeConfig, 'corsMaxAgeSeconds'>,
): Record<string, string> {
  return {
    ...allowed,
    'Access-Control-Allow-Methods': ALLOWED_METHODS,
    'Access-Control-Allow-Headers': ALLOWED_HEADERS,
    'Access-Control-Max-Age': String(config.corsMaxAgeSeconds),
    Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  };
}
