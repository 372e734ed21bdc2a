import { isIP } from 'node:net';
import type { Contact } from '@flowguard/contact';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Who is calling, as far as screening can tell. `key` is the store key of the caller's state;
 * withheld and unidentified callers have none, so they never share one bucket.
 */
export type CallerClass = 'phone' | 'withheld' | 'ip' | 'customer' | 'email' | 'unidentified';

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
}

export interface IdentityOptions {
  /** Country for national-format numbers (`FLOWGUARD_DEFAULT_COUNTRY`). */
  defaultCountry?: CountryCode;
  /** Contact attribute that carries the customer's IP for chat / click-to-dial. */
  ipAttribute?: string;
  /** Contact attribute that carries a customer id (else ContactData.CustomerId). */
  customerIdAttribute?: string;
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

function none(cls: CallerClass): CallerIdentity {
  return { class: cls, key: null, number: null, valid: false, lineType: 'unknown', country: '' };
}

function keyed(cls: CallerClass, key: string): CallerIdentity {
  return { class: cls, key, number: null, valid: false, lineType: 'unknown', country: '' };
}

/** True for every spelling of a withheld caller ID. */
export function isWithheld(address: string | null | undefined): boolean {
  if (address === null || address === undefined) return true;
  const text = address.trim().toLowerCase();
  if (WITHHELD_WORDS.has(text) || text.includes('anonymous')) return true;
  // With or without its `+`: a carrier that drops it must not put every withheld caller into the
  // one bucket of those digits (a typed local number of the same digits is the rarer mistake).
  const compact = text.replace(/[\s().-]/g, '');
  return WITHHELD_NUMBERS.has(compact) || WITHHELD_NUMBERS.has(`+${compact.replace(/^\+/, '')}`);
}

/**
 * Normalises a phone number to E.164 and classifies it. National formats use the default
 * country. Unparseable input is still keyed by its digits, so repeated garbage is rate-limited.
 */
export function phoneIdentity(address: string, defaultCountry?: CountryCode): CallerIdentity {
  if (isWithheld(address)) return none('withheld');
  const text = address.trim().slice(0, 64);
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
    };
  }
  // Not parseable: still count it, by its digits, so garbage that repeats is rate-limited.
  const digits = text.replace(/\D/g, '').slice(0, 20);
  if (digits === '') return none('unidentified');
  return {
    class: 'phone',
    key: `tel:+${digits}`,
    number: `+${digits}`,
    valid: false,
    lineType: 'unknown',
    country: '',
  };
}

/** Expands an IPv6 address to its eight hextets. */
function hextets(address: string): string[] | null {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  if (fill < 0) return null;
  const all = [...left, ...Array<string>(fill).fill('0'), ...right];
  return all.length === 8 ? all.map((h) => Number.parseInt(h, 16).toString(16)) : null;
}

/**
 * An IP address as a store key: IPv4 exactly; IPv6 by its /64 (one subscriber usually holds a
 * whole /64, so keying by the full address would let a caller rotate through 2^64 keys).
 * IPv4-mapped IPv6 counts as the IPv4 address.
 */
export function ipKey(raw: string): string | null {
  let address = raw.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  address = address.replace(/%.*$/, ''); // zone id
  const version = isIP(address);
  if (version === 4) return `ip:${address}`;
  if (version !== 6) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] && isIP(mapped[1]) === 4) return `ip:${mapped[1]}`;
  const tail = /:(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1];
  const groups = hextets(address.toLowerCase().replace(/:\d+\.\d+\.\d+\.\d+$/, ':0:0'));
  if (!groups) return null;
  // IPv4-mapped (::ffff:a.b.c.d, also written in hex) and translated (::ffff:0:a.b.c.d)
  // addresses are IPv4 callers: they must not share one ::/64 bucket.
  const mapped4 = groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff';
  const translated4 = groups.slice(0, 4).every((g) => g === '0') && groups[4] === 'ffff' && groups[5] === '0';
  if (mapped4 || translated4) {
    if (tail && isIP(tail) === 4) return `ip:${tail}`;
    const [high, low] = [Number.parseInt(groups[6] ?? '0', 16), Number.parseInt(groups[7] ?? '0', 16)];
    return `ip:${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return `ip:${groups.slice(0, 4).join(':')}::/64`;
}

function attribute(contact: Contact, name: string | undefined): string | null {
  if (!name) return null;
  const value = Object.hasOwn(contact.attributes, name) ? contact.attributes[name] : undefined;
  return value === undefined || value.trim() === '' ? null : value.trim();
}

function customerIdentity(contact: Contact, options: IdentityOptions): CallerIdentity | null {
  const id = attribute(contact, options.customerIdAttribute ?? 'customerId') ?? contact.customerId?.trim();
  if (!id) return null;
  return id.length > MAX_KEY_PART ? null : keyed('customer', `cust:${id}`);
}

function ipIdentity(contact: Contact, options: IdentityOptions): CallerIdentity | null {
  const ip = attribute(contact, options.ipAttribute);
  const key = ip ? ipKey(ip) : null;
  return key ? keyed('ip', key) : null;
}

/** Web calling and API-started calls: the number (if any) was chosen by whoever started it. */
export const WEB_INITIATED: ReadonlySet<string> = new Set(['API', 'WEBRTC_API']);

/**
 * Works out who is calling from a contact. Voice: the caller's number (withheld spellings are
 * their own class). Voice started by a website (click-to-dial, web calling), chat and tasks: the
 * IP attribute, else the customer id. Email: the lower-cased address. Anything else, or nothing
 * usable: `unidentified`.
 */
export function callerIdentity(contact: Contact, options: IdentityOptions = {}): CallerIdentity {
  switch (contact.channel) {
    case 'VOICE': {
      if (WEB_INITIATED.has(contact.initiationMethod ?? '')) {
        const web = ipIdentity(contact, options) ?? customerIdentity(contact, options);
        if (web) return web;
      }
      return phoneIdentity(contact.customerEndpoint?.address ?? '', options.defaultCountry);
    }
    case 'EMAIL': {
      const address = contact.customerEndpoint?.address?.trim().toLowerCase();
      return address?.includes('@') && address.length <= MAX_KEY_PART
        ? keyed('email', `email:${address}`)
        : none('unidentified');
    }
    default:
      return ipIdentity(contact, options) ?? customerIdentity(contact, options) ?? none('unidentified');
  }
}
