import type { Contact, Endpoint } from '@flowguard/contact';
import ipaddr from 'ipaddr.js';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Who is calling, as far as screening can tell. `key` is the store key of the caller's state;
 * withheld and unidentified callers have none, so they never share one bucket. `asserted` is a
 * withheld caller keyed by the number its network asserted (`pai:<E.164>`, signals.ts
 * `assertedIdentity`), only with `FLOWGUARD_WITHHELD_KEY_BY=pai`: a weaker identity than `phone`,
 * with its own limits.
 */
export type CallerClass = 'phone' | 'withheld' | 'asserted' | 'ip' | 'customer' | 'email' | 'unidentified';

/**
 * What a caller gave that could not be used: `ip` for an IP attribute that does not parse,
 * `address` for a customer endpoint address that is not a string, too long, or not a number /
 * an e-mail address. Set only on class `unidentified`.
 */
export type UnusableSource = '' | 'ip' | 'address';

/** Stable codes (letters and `_`) for what identity refused or found odd; a metric each. */
export const IDENTITY_WARNINGS = [
  /** An IPv4 part with a leading zero (`010.0.0.1`): octal to some parsers, decimal to others. */
  'ipv4_leading_zero',
  /** The IP attribute is not an IPv4 or IPv6 address, with or without a port. */
  'ip_unparseable',
  /** The event's endpoint Address was not a string, or longer than the event parser accepts. */
  'address_malformed',
  /** A number over 64 characters, a URI over 512. */
  'address_too_long',
  /** An address with no digits that is not a withheld spelling. */
  'address_no_digits',
  /** Control characters, unbalanced `<>` or `"`, a SIP URI without a user part, another scheme. */
  'uri_malformed',
  /** A SIP URI whose user part is a name (`sip:alice@example.com`), not a number. */
  'uri_user_not_a_number',
  /** An e-mail contact whose address has no `@`, is over 256 characters or holds control characters. */
  'email_malformed',
  /** A customer id over 256 characters. */
  'customer_id_too_long',
] as const;
export type IdentityWarning = '' | (typeof IDENTITY_WARNINGS)[number];

export interface CallerIdentity {
  readonly class: CallerClass;
  /** `tel:+14155550123`, `ip:203.0.113.7`, `ip:2001:db8:1:2::/64`, `cust:<id>`, `email:<addr>`. */
  readonly key: string | null;
  /** E.164 for phone callers (`+` and digits, also for invalid numbers), else null. */
  readonly number: string | null;
  /** libphonenumber's verdict; false for non-phone classes. */
  readonly valid: boolean;
  /** `mobile`, `fixed_line`, `toll_free`, `premium_rate`, `voip`, ... or `unknown`. */
  readonly lineType: string;
  /** ISO 3166-1 alpha-2, or `''`. */
  readonly country: string;
  /**
   * `''` except on class `unidentified`: `'ip'` when the IP attribute was given but does not parse,
   * `'address'` when the customer endpoint address was given but is unusable. Every identity
   * this module makes sets it; optional only so that identities written by hand need not.
   */
  readonly unusable?: UnusableSource;
  /** `''` or one of {@link IDENTITY_WARNINGS}; may be set on any class (e.g. an IP refused, a customer id used). */
  readonly warning?: IdentityWarning;
}

export interface IdentityOptions {
  /** Country for national-format numbers (`FLOWGUARD_DEFAULT_COUNTRY`). */
  defaultCountry?: CountryCode;
  /** Contact attribute that carries the customer's IP for chat / click-to-dial. */
  ipAttribute?: string;
  /** Contact attribute that carries a customer id (else ContactData.CustomerId). */
  customerIdAttribute?: string;
  /**
   * Network-specific NAT64 prefixes (RFC 6052 §2.2: `/32`, `/40`, `/48`, `/56`, `/64` or `/96`,
   * e.g. `2001:db8:122::/48`) whose addresses are keyed by the IPv4 address they embed, as the
   * well-known prefix `64:ff9b::/96` always is. Entries {@link parseNat64Prefix} refuses are ignored.
   */
  nat64Prefixes?: readonly string[];
}

/**
 * Spellings carriers and platforms use for "no caller ID" (connect-facts.md §5), lower-cased,
 * and the keypad spellings that look like valid E.164 numbers.
 */
const WITHHELD_WORDS = new Set([
  '',
  'anonymous',
  'restricted',
  'private',
  'unknown',
  'unavailable',
  'blocked',
  'withheld',
  'not available',
  'no caller id',
  'private number',
  'unknown caller',
]);
const WITHHELD_NUMBERS = new Set(['+266696687', '+7378742833', '+86282452253', '+8656696', '+2562533']);

const MAX_KEY_PART = 256;
/** Longer than any number written by a person or a switch; longer input is refused, not cut. */
const MAX_NUMBER_LENGTH = 64;
/** A SIP or tel URI with a display name, parameters and headers fits with room to spare. */
const MAX_URI_LENGTH = 512;
/** An IPv6 address with a zone id and a port is under 100 characters. */
const MAX_IP_LENGTH = 128;

const CONTROL = /\p{Cc}/u;
/** RFC 3966 §5.1.1 visual separators, and the spaces people type. */
const VISUAL_SEPARATORS = /[-.()\s]/g;

function none(
  cls: CallerClass,
  unusable: UnusableSource = '',
  warning: IdentityWarning = '',
): CallerIdentity {
  return {
    class: cls,
    key: null,
    number: null,
    valid: false,
    lineType: 'unknown',
    country: '',
    unusable,
    warning,
  };
}

function keyed(cls: CallerClass, key: string): CallerIdentity {
  return {
    class: cls,
    key,
    number: null,
    valid: false,
    lineType: 'unknown',
    country: '',
    unusable: '',
    warning: '',
  };
}

/** A refused customer endpoint address: unidentified, never withheld. */
function unusableAddress(warning: IdentityWarning): CallerIdentity {
  return none('unidentified', 'address', warning);
}

/** The identity with a warning added, when it has none of its own (a new object: identities are cached). */
function withWarning(identity: CallerIdentity, warning: IdentityWarning): CallerIdentity {
  return warning && !identity.warning ? { ...identity, warning } : identity;
}

/** A withheld spelling, as plain text (not a URI). */
function isWithheldText(address: string): boolean {
  const text = address.trim().toLowerCase();
  if (WITHHELD_WORDS.has(text) || text.includes('anonymous')) return true;
  // With or without its `+`: a carrier that drops it must not put every withheld caller into the
  // one bucket of those digits (a typed local number of the same digits is the rarer mistake).
  const compact = text.replace(/[\s().-]/g, '');
  return WITHHELD_NUMBERS.has(compact) || WITHHELD_NUMBERS.has(`+${compact.replace(/^\+/, '')}`);
}

// ---------------------------------------------------------------------------------------------
// SIP and tel URIs (RFC 3261 §19.1, §20.10; RFC 3966)

/**
 * Whether an address is written as a URI or a name-addr rather than a bare number: a `sip:`,
 * `sips:` or `tel:` scheme, angle brackets, a quoted display name, or a `user@host`.
 */
function looksLikeUri(text: string): boolean {
  return /^(?:sips?|tel):/i.test(text) || /[<>"@]/.test(text);
}

/**
 * Splits a name-addr (`"Alice" <sip:...>;tag=1`, `Bob <tel:...>`) into its display name and URI;
 * an addr-spec comes back whole with no display name. Null when quotes or brackets do not balance
 * or more than one URI is given.
 */
function splitNameAddr(text: string): { display: string; uri: string } | null {
  let display = '';
  let rest = text;
  if (rest.startsWith('"')) {
    // RFC 3261 §25.1 quoted-string: `\` escapes the next character.
    let name = '';
    let i = 1;
    for (; i < rest.length; i++) {
      const c = rest[i];
      if (c === '\\') {
        name += rest[i + 1] ?? '';
        i++;
      } else if (c === '"') break;
      else name += c;
    }
    if (i >= rest.length) return null;
    display = name.trim();
    rest = rest.slice(i + 1).trimStart();
    if (!rest.startsWith('<')) return null;
  }
  const lt = rest.indexOf('<');
  if (lt < 0) return /[>"]/.test(rest) ? null : { display, uri: rest };
  const before = rest.slice(0, lt);
  if (/[>"]/.test(before)) return null;
  if (display === '') display = before.trim();
  const gt = rest.indexOf('>', lt + 1);
  if (gt < 0) return null;
  const uri = rest.slice(lt + 1, gt).trim();
  // Header parameters (`;tag=...`) may follow; a second name-addr may not.
  if (/[<"]/.test(uri) || /[<>"]/.test(rest.slice(gt + 1))) return null;
  return { display, uri };
}

/** `%XX` escapes decoded (RFC 3261 §19.1.2); a stray `%` stays and makes the user no number. */
function percentDecode(text: string): string {
  return text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

type UriUser =
  | { readonly kind: 'number'; readonly number: string }
  | { readonly kind: 'withheld' }
  | { readonly kind: 'refused'; readonly warning: IdentityWarning };

const refusedUri = (warning: IdentityWarning): UriUser => ({ kind: 'refused', warning });

/**
 * The caller a SIP/SIPS/tel URI names, from its user part alone: the host, port, URI parameters,
 * headers and password never count, so a caller cannot make new keys by varying them.
 */
function uriUser(text: string): UriUser {
  if (text.length > MAX_URI_LENGTH) return refusedUri('address_too_long');
  if (CONTROL.test(text)) return refusedUri('uri_malformed');
  const nameAddr = splitNameAddr(text);
  if (!nameAddr) return refusedUri('uri_malformed');
  const { display, uri } = nameAddr;
  const scheme = /^(sips?|tel):/i.exec(uri);
  let subscriber: string;
  if (scheme?.[1]?.toLowerCase() === 'tel') {
    // RFC 3966 §3: telephone-subscriber, then `;` parameters.
    subscriber = uri.slice(scheme[0].length);
  } else {
    // RFC 3261 §19.1.1: [userinfo "@"] hostport params headers; a user part never holds a bare
    // `@`, so the first one ends it. A scheme-less `user@host` is read the same way.
    const body = scheme ? uri.slice(scheme[0].length) : uri;
    const at = body.indexOf('@');
    if (at < 0) {
      // No user part (`sip:example.com`), or something else in brackets (`<urn:...>`).
      return display !== '' && isWithheldText(display) ? { kind: 'withheld' } : refusedUri('uri_malformed');
    }
    // userinfo = (user / telephone-subscriber) [":" password]
    subscriber = body.slice(0, at).split(':')[0] ?? '';
  }
  const [rawUser = '', ...rawParams] = subscriber.split(';');
  const user = percentDecode(rawUser).trim();
  if (user === '') return refusedUri('uri_malformed');
  const digits = user.replace(VISUAL_SEPARATORS, '');
  if (/^\+?\d+$/.test(digits)) {
    if (!digits.startsWith('+')) {
      // RFC 3966 §5.1.5: a local number whose phone-context is a global number prefix is read
      // within it (as libphonenumber does); a domain-name context says nothing about the number.
      const context = rawParams
        .map((p) => percentDecode(p).trim())
        .find((p) => p.toLowerCase().startsWith('phone-context='))
        ?.slice('phone-context='.length)
        .replace(VISUAL_SEPARATORS, '');
      if (context && /^\+\d+$/.test(context)) return { kind: 'number', number: `${context}${digits}` };
    }
    return { kind: 'number', number: digits };
  }
  // A name, not a number: a withheld spelling (`anonymous`, `restricted`, or a display name
  // `Anonymous` on a random user as in RFC 3261 §20.20) is withheld; any other name is refused,
  // since a caller can pick a new one for every call and a key by name would limit nothing.
  if (isWithheldText(user) || (display !== '' && isWithheldText(display))) return { kind: 'withheld' };
  return refusedUri('uri_user_not_a_number');
}

/** True for every spelling of a withheld caller ID, also inside a SIP or tel URI. */
export function isWithheld(address: string | null | undefined): boolean {
  if (address === null || address === undefined) return true;
  const text = address.trim();
  if (!looksLikeUri(text)) return isWithheldText(text);
  const user = uriUser(text);
  return user.kind === 'withheld' || (user.kind === 'number' && isWithheldText(user.number));
}

// ---------------------------------------------------------------------------------------------
// Phone numbers

/** A bare number (no URI), trimmed. */
function numberIdentity(text: string, defaultCountry?: CountryCode): CallerIdentity {
  if (isWithheldText(text)) return none('withheld');
  if (text.length > MAX_NUMBER_LENGTH) return unusableAddress('address_too_long');
  if (CONTROL.test(text)) return unusableAddress('address_malformed');
  const parsed = parsePhoneNumberFromString(text, defaultCountry ? { defaultCountry } : undefined);
  if (parsed) {
    const number = parsed.number;
    if (WITHHELD_NUMBERS.has(number)) return none('withheld');
    // With line-type metadata, a number is valid exactly when it has a type: one pattern pass
    // instead of two (isValid() runs the same type matching).
    const type = parsed.getType();
    const valid = type !== undefined;
    return {
      class: 'phone',
      key: `tel:${number}`,
      number,
      valid,
      lineType: type?.toLowerCase() ?? 'unknown',
      country: valid ? (parsed.country ?? '') : '',
      unusable: '',
      warning: '',
    };
  }
  // Not parseable: still count it, by its digits, so garbage that repeats is rate-limited.
  const digits = text.replace(/\D/g, '').slice(0, 20);
  if (digits === '') return unusableAddress('address_no_digits');
  return {
    class: 'phone',
    key: `tel:+${digits}`,
    number: `+${digits}`,
    valid: false,
    lineType: 'unknown',
    country: '',
    unusable: '',
    warning: '',
  };
}

/**
 * Normalises a phone number to E.164 and classifies it. National formats use the default
 * country. Unparseable input is still keyed by its digits, so repeated garbage is rate-limited.
 * SIP, SIPS and tel URIs (also in a name-addr with a display name) are keyed by their user part
 * alone. Withheld spellings are class `withheld`; input that names no caller (no digits, a name
 * for a SIP user, over 64 characters for a number or 512 for a URI, control characters) is
 * `unidentified` with `unusable: 'address'`. Never throws.
 */
export function phoneIdentity(address: string, defaultCountry?: CountryCode): CallerIdentity {
  const text = address.trim();
  if (!looksLikeUri(text)) return numberIdentity(text, defaultCountry);
  const user = uriUser(text);
  switch (user.kind) {
    case 'number':
      return numberIdentity(user.number, defaultCountry);
    case 'withheld':
      return none('withheld');
    default:
      return unusableAddress(user.warning);
  }
}

// ---------------------------------------------------------------------------------------------
// IP addresses

export interface IpParse {
  /** The store key, or null when the text is refused. */
  readonly key: string | null;
  /** `''` for a key; why the text was refused otherwise. */
  readonly warning: IdentityWarning;
}

const refusedIp = (warning: IdentityWarning): IpParse => ({ key: null, warning });

type Octets = readonly [number, number, number, number];

/**
 * Four decimal parts 0..255 without leading zeros, or why not. ipaddr.js's `parse` would read
 * `010.0.0.1` as octal (8.0.0.1), `0x7f.1`, `127.1` and `2130706433` as 127.0.0.1, while other
 * software reads `010` as decimal 10: such text could name two callers, so it is refused.
 */
function ipv4Octets(text: string): Octets | IdentityWarning {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d+$/.test(p))) return 'ip_unparseable';
  if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return 'ipv4_leading_zero';
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return 'ip_unparseable';
  const [a = 0, b = 0, c = 0, d = 0] = parts.map(Number);
  return [a, b, c, d];
}

/** The host of `a.b.c.d:port`, `[v6]:port`, `[v6]` or a bare address; null for a bad port. */
function hostOf(text: string): string | null {
  // RFC 3986 §3.2.2 IP-literal, as RFC 5952 §6 recommends for an address with a port.
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(text);
  // Exactly one colon: an IPv4 address (or nonsense) and a port.
  const withPort = bracketed ? null : /^([^:]*):(\d+)$/.exec(text);
  const match = bracketed ?? withPort;
  if (!match) return text;
  const port = match[2];
  if (port !== undefined && (port.length > 5 || Number(port) > 65535)) return null;
  return match[1] ?? '';
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail converted first), or why not. */
function ipv6Groups(text: string): number[] | IdentityWarning {
  let hex = text;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // RFC 4291 §2.2 form 3 (x:x:x:x:x:x:d.d.d.d). Converted here: ipaddr.js 2.5 reads `::a.b.c.d`
    // as `::ffff:a.b.c.d`, and takes leading-zero parts as decimal where its IPv4 parser would not.
    const octets = ipv4Octets(tail);
    if (typeof octets === 'string') return octets;
    const [a, b, c, d] = octets;
    hex = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  if (!ipaddr.IPv6.isValid(hex)) return 'ip_unparseable';
  return ipaddr.IPv6.parse(hex).parts;
}

export interface Nat64Prefix {
  /** The prefix's 16 bytes (bits past `length` zero). */
  readonly bytes: readonly number[];
  readonly length: 32 | 40 | 48 | 56 | 64 | 96;
}

/** RFC 6052 §2.2: which bytes of the address hold the IPv4 address under each prefix length (byte 8, the u octet, never). */
const NAT64_OCTETS: Readonly<Record<Nat64Prefix['length'], readonly number[]>> = {
  32: [4, 5, 6, 7],
  40: [5, 6, 7, 9],
  48: [6, 7, 9, 10],
  56: [7, 9, 10, 11],
  64: [9, 10, 11, 12],
  96: [12, 13, 14, 15],
};

function bytesOf(groups: readonly number[]): number[] {
  return groups.flatMap((g) => [g >> 8, g & 255]);
}

/** A network-specific NAT64 prefix such as `2001:db8:122::/48`; null unless RFC 6052 §2.2 allows it. */
export function parseNat64Prefix(text: string): Nat64Prefix | null {
  const match = /^([0-9a-fA-F:.]+)\/(\d{2})$/.exec(text.trim());
  const length = Number(match?.[2]);
  if (!match?.[1] || !(length in NAT64_OCTETS)) return null;
  const groups = ipv6Groups(match[1]);
  if (typeof groups === 'string') return null;
  const bytes = bytesOf(groups);
  if (bytes.slice(length / 8).some((b) => b !== 0)) return null;
  return { bytes, length: length as Nat64Prefix['length'] };
}

const nat64Cache = new Map<string, Nat64Prefix | null>();

function nat64Prefix(text: string): Nat64Prefix | null {
  let prefix = nat64Cache.get(text);
  if (prefix === undefined) {
    prefix = parseNat64Prefix(text);
    if (nat64Cache.size < 64) nat64Cache.set(text, prefix);
  }
  return prefix;
}

/** The IPv4 address under a configured network-specific prefix, or null. */
function nat64Embedded(bytes: readonly number[], prefixes: readonly string[]): number | null {
  for (const text of prefixes) {
    const prefix = nat64Prefix(text);
    if (!prefix) continue;
    const n = prefix.length / 8;
    let inside = true;
    for (let i = 0; i < n && inside; i++) inside = bytes[i] === prefix.bytes[i];
    // Bits 64..71 (the u octet) are zero in every address made under a prefix shorter than /96.
    if (!inside || (prefix.length < 96 && bytes[8] !== 0)) continue;
    return NAT64_OCTETS[prefix.length].reduce((v, i) => v * 256 + (bytes[i] ?? 0), 0);
  }
  return null;
}

/**
 * The IPv4 address an IPv6 address stands for, when it embeds one at a place its prefix fixes.
 * Each of these is one IPv4 host to the world, and would otherwise share one /64 with every
 * other host behind the same prefix.
 */
function embeddedIpv4(g: readonly number[], prefixes: readonly string[]): number | null {
  const at = (i: number) => g[i] ?? 0;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const low = at(6) * 65536 + at(7);
  // RFC 4291 §2.5.5.2 IPv4-mapped, ::ffff:0:0/96.
  if (zero(0, 5) && at(5) === 0xffff) return low;
  // RFC 6145 §2 (RFC 2765) IPv4-translated, ::ffff:0:0:0/96.
  if (zero(0, 4) && at(4) === 0xffff && at(5) === 0) return low;
  // RFC 6052 §2.1 NAT64 well-known prefix, 64:ff9b::/96.
  if (at(0) === 0x64 && at(1) === 0xff9b && zero(2, 6)) return low;
  // RFC 4291 §2.5.5.1 IPv4-compatible, ::/96 (deprecated), but not :: and ::1.
  if (zero(0, 6) && (at(6) !== 0 || at(7) > 1)) return low;
  // RFC 3056 §2 6to4, 2002:V4ADDR::/48: the site owns that IPv4 address and all 65,536 /64s.
  if (at(0) === 0x2002) return at(1) * 65536 + at(2);
  // RFC 4380 §4 Teredo, 2001::/32: the client's public IPv4 address, every bit inverted, in the
  // last 32 bits (the /64 is the Teredo server's, shared by all its clients).
  if (at(0) === 0x2001 && at(1) === 0) return 0xffffffff - low;
  return prefixes.length > 0 ? nat64Embedded(bytesOf(g), prefixes) : null;
}

function dotted(v4: number): string {
  return [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join('.');
}

/**
 * An IP attribute value as a store key: IPv4 exactly; IPv6 by its /64 (one subscriber usually
 * holds a whole /64, so keying by the full address would let a caller rotate through 2^64 keys);
 * an IPv6 address that embeds an IPv4 address (mapped, translated, IPv4-compatible, NAT64,
 * 6to4, Teredo) as that IPv4 address. A port (`203.0.113.7:5555`, `[2001:db8::1]:443`),
 * brackets and a zone id are dropped. IPv4 parts with leading zeros, and the hex, octal and
 * short forms some parsers accept, are refused. Never throws.
 */
export function parseIp(raw: string, options: Pick<IdentityOptions, 'nat64Prefixes'> = {}): IpParse {
  const text = raw.trim();
  if (text === '' || text.length > MAX_IP_LENGTH) return refusedIp('ip_unparseable');
  const host = hostOf(text);
  if (host === null) return refusedIp('ip_unparseable');
  if (!host.includes(':')) {
    const octets = ipv4Octets(host);
    return typeof octets === 'string' ? refusedIp(octets) : { key: `ip:${octets.join('.')}`, warning: '' };
  }
  // RFC 4007 §11 zone id (`%25` in URIs, RFC 6874): local to the receiving host, so dropped.
  const groups = ipv6Groups(host.replace(/%(?:25)?[\w.~-]+$/, ''));
  if (typeof groups === 'string') return refusedIp(groups);
  const v4 = embeddedIpv4(groups, options.nat64Prefixes ?? []);
  if (v4 !== null) return { key: `ip:${dotted(v4)}`, warning: '' };
  return {
    key: `ip:${groups
      .slice(0, 4)
      .map((g) => g.toString(16))
      .join(':')}::/64`,
    warning: '',
  };
}

/** {@link parseIp}'s key alone: null when the text is refused. */
export function ipKey(raw: string): string | null {
  return parseIp(raw).key;
}

// ---------------------------------------------------------------------------------------------
// Contacts

function attribute(contact: Contact, name: string | undefined): string | null {
  if (!name) return null;
  const value = Object.hasOwn(contact.attributes, name) ? contact.attributes[name] : undefined;
  return value === undefined || value.trim() === '' ? null : value.trim();
}

/** The key of a customer id (`cust:<id>`), or null when it is empty or too long to key. */
export function customerKey(id: string): string | null {
  const trimmed = id.trim();
  return trimmed === '' || trimmed.length > MAX_KEY_PART ? null : `cust:${trimmed}`;
}

/** The key of an e-mail address (`email:<address>`, lower-cased), or null when it is not one. */
export function emailKey(address: string): string | null {
  const normalised = address.trim().toLowerCase();
  return normalised.includes('@') && normalised.length <= MAX_KEY_PART && !CONTROL.test(normalised)
    ? `email:${normalised}`
    : null;
}

function customerIdentity(contact: Contact, options: IdentityOptions): CallerIdentity | null {
  const id = attribute(contact, options.customerIdAttribute ?? 'customerId') ?? contact.customerId?.trim();
  if (!id) return null;
  const key = customerKey(id);
  return key === null ? none('unidentified', '', 'customer_id_too_long') : keyed('customer', key);
}

interface IpOutcome {
  /** Keyed by IP, when the attribute parsed. */
  readonly identity: CallerIdentity | null;
  /** The attribute was given and did not parse. */
  readonly unusable: boolean;
  readonly warning: IdentityWarning;
}

function ipOutcome(contact: Contact, options: IdentityOptions): IpOutcome {
  const raw = attribute(contact, options.ipAttribute);
  if (raw === null) return { identity: null, unusable: false, warning: '' };
  const { key, warning } = parseIp(raw, options);
  return key
    ? { identity: keyed('ip', key), unusable: false, warning: '' }
    : { identity: null, unusable: true, warning };
}

/** The customer id, else unidentified (unusable `ip` when an IP attribute was refused). */
function afterIp(ip: IpOutcome, contact: Contact, options: IdentityOptions): CallerIdentity | null {
  const customer = customerIdentity(contact, options);
  if (customer?.key) return withWarning(customer, ip.warning);
  if (ip.unusable) return none('unidentified', 'ip', ip.warning);
  return customer;
}

function voiceAddressIdentity(endpoint: Endpoint | null, defaultCountry?: CountryCode): CallerIdentity {
  // An Address the event parser could not use is not a withheld caller ID: something was sent.
  if (endpoint?.addressMalformed) return unusableAddress('address_malformed');
  return phoneIdentity(endpoint?.address ?? '', defaultCountry);
}

/** Web calling and API-started calls: the number (if any) was chosen by whoever started it. */
export const WEB_INITIATED: ReadonlySet<string> = new Set(['API', 'WEBRTC_API']);

/**
 * Works out who is calling from a contact. Voice: the caller's number or the user part of a
 * SIP/tel URI (withheld spellings are their own class; an unusable address is `unidentified`).
 * Voice started by a website (click-to-dial, web calling), chat and tasks: the IP attribute, else
 * the customer id (voice: else the number). Email: the lower-cased address. Anything else, or
 * nothing usable: `unidentified`. Never throws.
 */
export function callerIdentity(contact: Contact, options: IdentityOptions = {}): CallerIdentity {
  switch (contact.channel) {
    case 'VOICE': {
      if (!WEB_INITIATED.has(contact.initiationMethod ?? '')) {
        return voiceAddressIdentity(contact.customerEndpoint, options.defaultCountry);
      }
      const ip = ipOutcome(contact, options);
      if (ip.identity) return ip.identity;
      const customer = customerIdentity(contact, options);
      if (customer?.key) return withWarning(customer, ip.warning);
      const phone = voiceAddressIdentity(contact.customerEndpoint, options.defaultCountry);
      // A refused IP attribute and no number: the IP is what the website meant to identify.
      if (ip.unusable && phone.key === null) return none('unidentified', 'ip', ip.warning);
      return withWarning(phone, ip.warning || (customer?.warning ?? ''));
    }
    case 'EMAIL': {
      const endpoint = contact.customerEndpoint;
      if (endpoint?.addressMalformed) return unusableAddress('address_malformed');
      const address = endpoint?.address?.trim();
      if (!address) return none('unidentified');
      const key = emailKey(address);
      return key === null ? unusableAddress('email_malformed') : keyed('email', key);
    }
    default: {
      const ip = ipOutcome(contact, options);
      return ip.identity ?? afterIp(ip, contact, options) ?? none('unidentified');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Requests (a website's backend, before any contact exists) and signed identities

/** What a web request identifies its sender by: the client IP the edge saw, a verified customer id. */
export interface RequestIdentityInput {
  readonly ip?: string;
  readonly customerId?: string;
}

/** Which of a request's identities is counted; the other is checked against caller rules only. */
export type RequestKeyBy = 'ip' | 'customer';

/**
 * The identities of a web request, the counted one first: by `keyBy` when it is usable, else the
 * other. An IP that does not parse is `unidentified` with `unusable: 'ip'` when no customer id
 * stands in for it, as in a chat whose IP attribute is malformed. Never throws.
 */
export function requestIdentities(
  input: RequestIdentityInput,
  keyBy: RequestKeyBy = 'ip',
  options: Pick<IdentityOptions, 'nat64Prefixes'> = {},
): { readonly counted: CallerIdentity; readonly other: CallerIdentity | null } {
  const ip = input.ip === undefined ? null : parseIp(input.ip, options);
  const ipIdentity = ip?.key ? keyed('ip', ip.key) : null;
  const id = input.customerId?.trim() ? customerKey(input.customerId) : undefined;
  const customer =
    id === undefined
      ? null
      : id === null
        ? none('unidentified', '', 'customer_id_too_long')
        : keyed('customer', id);
  const usableCustomer = customer?.key ? customer : null;
  const [first, second] = keyBy === 'ip' ? [ipIdentity, usableCustomer] : [usableCustomer, ipIdentity];
  const warning = ip && !ip.key ? ip.warning : (customer?.warning ?? '');
  if (first) return { counted: withWarning(first, warning), other: second };
  if (second) return { counted: withWarning(second, warning), other: null };
  if (ip && !ip.key) return { counted: none('unidentified', 'ip', ip.warning), other: null };
  return { counted: customer ?? none('unidentified'), other: null };
}

/**
 * The identity behind a store key that a signed identity carries (`ip:...` or `cust:...`), or
 * null for any other key: only the edge's two kinds of key are ever signed.
 */
export function signedKeyIdentity(key: string): CallerIdentity | null {
  if (key.startsWith('ip:')) {
    const reparsed = parseIp(key.slice(3).replace(/::\/64$/, '::'));
    return reparsed.key === key ? keyed('ip', key) : null;
  }
  if (key.startsWith('cust:')) return customerKey(key.slice(5)) === key ? keyed('customer', key) : null;
  return null;
}
