// The customer id from a verified bearer token (JWT, RFC 7519), verified by jose: against a JWKS
// URL, or with a shared HMAC secret from Secrets Manager.
import type { SecretCache } from '@flowguard/secrets';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { TokenConfig } from './config.js';

export type TokenCheck =
  | { readonly ok: true; readonly customerId: string | undefined }
  /** `reason` is a stable code for a metric and the log, never the token or the library's message. */
  | { readonly ok: false; readonly reason: TokenRefusal };

export type TokenRefusal =
  | 'token_missing'
  | 'token_malformed'
  | 'token_expired'
  | 'token_invalid'
  | 'token_claim'
  | 'token_unconfigured'
  | 'token_keys_unavailable';

/** Longest customer id kept (caller-screening keys at most this many characters). */
const MAX_CUSTOMER_ID = 256;
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/i;
/** A compact JWS no browser sends legitimately is longer than this. */
const MAX_TOKEN_CHARS = 4096;

export interface TokenVerifierOptions {
  readonly config: TokenConfig | null;
  readonly required: boolean;
  /** For an HMAC secret. */
  readonly secrets?: SecretCache;
  /** Instead of fetching the JWKS URL (tests). */
  readonly jwks?: JWTVerifyGetKey;
}

/** Network or Secrets Manager trouble fetching keys: not the client's fault (answered 503). */
function keysUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC' || code === 'ERR_JWKS_INVALID') return true;
  // undici's answer when the JWKS host cannot be reached.
  if (error instanceof TypeError && error.message === 'fetch failed') return true;
  const name = (error as { name?: unknown })?.name;
  return typeof name === 'string' && name.startsWith('Secret');
}

function refusalOf(error: unknown): TokenRefusal {
  const code = (error as { code?: unknown })?.code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token_expired';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'token_malformed';
    default:
      return keysUnavailable(error) ? 'token_keys_unavailable' : 'token_invalid';
  }
}

export class TokenVerifier {
  private readonly config: TokenConfig | null;
  private readonly required: boolean;
  private readonly secrets: SecretCache | undefined;
  private readonly jwks: JWTVerifyGetKey | undefined;

  constructor(options: TokenVerifierOptions) {
    this.config = options.config;
    this.required = options.required;
    this.secrets = options.secrets;
    const source = options.config?.source;
    this.jwks =
      options.jwks ??
      (source && 'jwksUrl' in source
        ? // Fetched on first use and cached; a token naming an unknown `kid` refetches, at most
          // once per cooldown, so forged kids cannot make each request fetch.
          createRemoteJWKSet(source.jwksUrl, { timeoutDuration: 1000, cooldownDuration: 30_000 })
        : undefined);
  }

  private async key(signal: AbortSignal | undefined): Promise<JWTVerifyGetKey | Uint8Array> {
    if (this.jwks) return this.jwks;
    const source = this.config?.source;
    if (!source || !('secretId' in source) || !this.secrets) throw new Error('no key source');
    const secret = await this.secrets.get(source.secretId, { signal });
    const bytes = typeof secret.value === 'string' ? new TextEncoder().encode(secret.value) : secret.value;
    // RFC 7518 §3.2: an HMAC key at least as long as the hash.
    if (bytes.byteLength < 32)
      throw Object.assign(new Error('HMAC secret too short'), { name: 'SecretFormatError' });
    return bytes;
  }

  /** The `Authorization` header's token verified; no header is anonymous unless tokens are required. */
  async verify(authorization: string | undefined, signal?: AbortSignal): Promise<TokenCheck> {
    if (authorization === undefined || authorization.trim() === '')
      return this.required ? { ok: false, reason: 'token_missing' } : { ok: true, customerId: undefined };
    // A token sent where none is verified is refused, never ignored: the website meant it to count.
    if (this.config === null) return { ok: false, reason: 'token_unconfigured' };
    const match = authorization.length <= MAX_TOKEN_CHARS ? BEARER.exec(authorization.trim()) : null;
    if (!match?.[1]) return { ok: false, reason: 'token_malformed' };
    const config = this.config;
    try {
      const key = await this.key(signal);
      const options = {
        issuer: config.issuer,
        audience: [...config.audience],
        algorithms: [...config.algorithms],
        clockTolerance: config.clockToleranceSeconds,
        requiredClaims: ['exp'],
      };
      const { payload } =
        typeof key === 'function'
          ? await jwtVerify(match[1], key, options)
          : await jwtVerify(match[1], key, options);
      const value = payload[config.claim];
      if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_CUSTOMER_ID)
        return { ok: false, reason: 'token_claim' };
      return { ok: true, customerId: value.trim() };
    } catch (error) {
      return { ok: false, reason: refusalOf(error) };
    }
  }
}
