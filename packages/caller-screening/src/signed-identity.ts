// The identity the edge (start-contact) screened, handed to the flow in contact attributes with an
// HMAC, so that screen-caller can trust it instead of counting the contact a second time
// (docs/screening.md, "Screening at the edge").
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The contact attributes a signed identity travels in (letters only: valid Connect attribute keys). */
export const SIGNED_IDENTITY_ATTRIBUTES = {
  key: 'flowguardCaller',
  customer: 'flowguardCustomer',
  issued: 'flowguardIssued',
  nonce: 'flowguardNonce',
  signature: 'flowguardSignature',
} as const;

export interface SignedIdentity {
  /** The store key the edge counted (`ip:...` or `cust:...`). */
  readonly key: string;
  /** The verified customer id, `''` for an anonymous request. */
  readonly customerId: string;
  /** Epoch seconds at which the edge screened the request. */
  readonly issuedAt: number;
  /** 128 random bits, base64url: single use, and the token the edge counted the request by. */
  readonly nonce: string;
}

/** Why a signed identity was not trusted (a metric each, `Identity_signature_<reason>`). */
export type SignatureRefusal = 'malformed' | 'forged' | 'stale' | 'replayed';

export type SignedIdentityCheck =
  | { readonly ok: true; readonly identity: SignedIdentity }
  /** No signature attribute at all: a contact the edge did not start. */
  | { readonly ok: false; readonly reason: 'absent' }
  | { readonly ok: false; readonly reason: Exclude<SignatureRefusal, 'replayed'> };

const VERSION = 'v1';
const CONTEXT = 'flowguard-identity-v1';
const NONCE = /^[A-Za-z0-9_-]{22}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;
/** Longest key or customer id the store keys (identity.ts MAX_KEY_PART) plus its prefix. */
const MAX_FIELD = 300;
/** An edge clock this far ahead of the function's is still believed. */
const FUTURE_SKEW_SECONDS = 30;

/**
 * The bytes of a base64url MAC, or null unless `text` is their one spelling: base64url's last
 * character carries unused bits, which decoding ignores, so several texts decode alike.
 */
export function canonicalMac(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

/** Whether two MACs are equal, in constant time. */
export function sameMac(expected: Uint8Array, given: Uint8Array): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A fresh nonce: 128 random bits, base64url (22 characters). */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

function mac(secret: Uint8Array, identity: SignedIdentity): Buffer {
  // JSON of an array: no choice of fields can make two identities sign the same text.
  const text = JSON.stringify([
    CONTEXT,
    identity.key,
    identity.customerId,
    identity.issuedAt,
    identity.nonce,
  ]);
  return createHmac('sha256', secret).update(text).digest();
}

/** The five attributes that carry `identity` to the flow, the last an HMAC-SHA256 over the others. */
export function signIdentity(secret: Uint8Array, identity: SignedIdentity): Record<string, string> {
  if (secret.byteLength < 32) throw new RangeError('the signing key must be at least 32 bytes');
  if (!NONCE.test(identity.nonce)) throw new RangeError('the nonce must be 16 random bytes, base64url');
  if (!Number.isSafeInteger(identity.issuedAt) || identity.issuedAt < 0)
    throw new RangeError('issuedAt must be epoch seconds');
  const a = SIGNED_IDENTITY_ATTRIBUTES;
  return {
    [a.key]: identity.key,
    [a.customer]: identity.customerId,
    [a.issued]: String(identity.issuedAt),
    [a.nonce]: identity.nonce,
    [a.signature]: `${VERSION}.${mac(secret, identity).toString('base64url')}`,
  };
}

export interface VerifyOptions {
  readonly nowSeconds: number;
  /** How long after the edge screened it a contact may present the identity. */
  readonly maxAgeSeconds: number;
}

/**
 * Checks the signed identity in a contact's attributes against each key (the current signing key
 * and, during a rotation, the previous one). Only the shape, the HMAC and the age are checked
 * here; single use is the store's (`ScreeningStore.claim`). Compares in constant time; never throws.
 */
export function verifySignedIdentity(
  secrets: readonly Uint8Array[],
  attributes: Readonly<Record<string, string>>,
  options: VerifyOptions,
): SignedIdentityCheck {
  const a = SIGNED_IDENTITY_ATTRIBUTES;
  const get = (name: string) => (Object.hasOwn(attributes, name) ? attributes[name] : undefined);
  const signature = get(a.signature);
  if (signature === undefined || signature === '') return { ok: false, reason: 'absent' };
  const key = get(a.key);
  const customerId = get(a.customer) ?? '';
  const issuedText = get(a.issued);
  const nonce = get(a.nonce);
  const [version, macText, ...rest] = signature.split('.');
  if (
    version !== VERSION ||
    rest.length > 0 ||
    macText === undefined ||
    !MAC.test(macText) ||
    key === undefined ||
    key === '' ||
    key.length > MAX_FIELD ||
    customerId.length > MAX_FIELD ||
    nonce === undefined ||
    !NONCE.test(nonce) ||
    issuedText === undefined ||
    !/^\d{1,12}$/.test(issuedText)
  )
    return { ok: false, reason: 'malformed' };
  const identity: SignedIdentity = { key, customerId, issuedAt: Number(issuedText), nonce };
  const given = canonicalMac(macText);
  if (given === null) return { ok: false, reason: 'malformed' };
  const genuine = secrets.some((secret) => sameMac(mac(secret, identity), given));
  if (!genuine) return { ok: false, reason: 'forged' };
  const age = options.nowSeconds - identity.issuedAt;
  if (age > options.maxAgeSeconds || age < -FUTURE_SKEW_SECONDS) return { ok: false, reason: 'stale' };
  return { ok: true, identity };
}

/** The least of a secrets cache the signing keys need (`@flowguard/secrets`' SecretCache has it). */
export interface SigningSecretSource {
  get(
    secretId: string,
    options?: { versionStage?: string; signal?: AbortSignal },
  ): Promise<{ readonly value: string | Uint8Array }>;
}

/**
 * A signing key from a secret's value: SecretBinary as it is, SecretString as base64 (standard or
 * url-safe) of at least 32 bytes, e.g. `openssl rand -base64 32`.
 */
export function signingKeyOf(value: string | Uint8Array): Uint8Array {
  const bytes =
    typeof value === 'string'
      ? /^[A-Za-z0-9+/_-]+={0,2}$/.test(value.trim())
        ? Buffer.from(value.trim(), 'base64')
        : Buffer.alloc(0)
      : value;
  if (bytes.byteLength < 32) throw new RangeError('the signing secret must hold at least 32 bytes, base64');
  return bytes;
}

/** The edge signing key in Secrets Manager: AWSCURRENT signs; AWSPREVIOUS also verifies during a rotation. */
export class SigningKeys {
  constructor(
    private readonly source: SigningSecretSource,
    private readonly secretId: string,
  ) {}

  async current(signal?: AbortSignal): Promise<Uint8Array> {
    return signingKeyOf((await this.source.get(this.secretId, { versionStage: 'AWSCURRENT', signal })).value);
  }

  /** The previous key, or null when there is none (a secret never rotated) or it cannot be read. */
  async previous(signal?: AbortSignal): Promise<Uint8Array | null> {
    try {
      return signingKeyOf(
        (await this.source.get(this.secretId, { versionStage: 'AWSPREVIOUS', signal })).value,
      );
    } catch {
      return null;
    }
  }
}
