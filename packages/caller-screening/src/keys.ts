import { isIP } from 'node:net';
import { type CountryCode, isSupportedCountry } from 'libphonenumber-js/max';
import { customerKey, emailKey, ipKey, phoneIdentity } from './identity.js';

/** Input that names no caller; the message is one line for the admin. */
export class CallerKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallerKeyError';
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Turns what an admin typed into the store key screening uses for that caller, or explains in
 * one line why it cannot: the same rules as the keys screening derives from a contact
 * (identity.ts), so a caller screening counted is a caller an admin can block. Messages may
 * repeat what was typed (a number or key), nothing else.
 *
 * - a phone number in any format: normalised to E.164 with the default country; it must be valid
 *   (`tel:+14155550123`);
 * - `tel:+<digits>`: a store key exactly as screening writes it, accepted even when
 *   libphonenumber calls the number invalid (screening keys invalid numbers by their digits, and
 *   such callers can be auto-blocked; an export writes them this way);
 * - `ip:<address>`: IPv4 as is, IPv6 by its /64, mapped IPv6 as IPv4 (as screening keys them);
 * - `pai:+<digits>`: a withheld caller keyed by the number its network asserted
 *   (`FLOWGUARD_WITHHELD_KEY_BY=pai`), exactly as screening writes it;
 * - `cust:<id>` as is; `email:<address>` lower-cased.
 */
export function callerKey(input: string, country: CountryCode): string {
  const text = input.trim();
  if (text === '') throw new CallerKeyError('a number or key is required');
  const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  if (CONTROL.test(text)) throw new CallerKeyError('a number or key cannot contain control characters');
  const prefix = /^([a-z]+):/i.exec(text)?.[1]?.toLowerCase();
  const rest = prefix ? text.slice(prefix.length + 1).trim() : text;
  switch (prefix) {
    case 'ip': {
      const key = ipKey(rest.replace(/\/64$/, ''));
      if (!key) throw new CallerKeyError(`'${shown}' is not an IP address`);
      return key;
    }
    case 'cust': {
      const key = customerKey(rest);
      if (!key) throw new CallerKeyError(`'${shown}': a customer id is 1 to 256 characters`);
      return key;
    }
    case 'email': {
      const key = emailKey(rest);
      if (!key) throw new CallerKeyError(`'${shown}' is not an e-mail address`);
      return key;
    }
    case 'tel': {
      const identity = /^\+\d{1,20}$/.test(rest) ? phoneIdentity(rest) : null;
      if (identity?.class === 'withheld')
        throw new CallerKeyError(`'${shown}' is a withheld caller ID, which has no key`);
      if (identity?.key !== `tel:${rest}`) {
        throw new CallerKeyError(`'${shown}' is not a store key: write tel:+ and the digits (E.164)`);
      }
      return `tel:${rest}`;
    }
    case 'pai': {
      // A withheld caller keyed by its P-Asserted-Identity (FLOWGUARD_WITHHELD_KEY_BY=pai), keyed
      // as screening keys it: E.164, 7 to 15 digits, valid or not.
      const identity = /^\+\d{7,15}$/.test(rest) ? phoneIdentity(rest) : null;
      if (identity?.class === 'withheld')
        throw new CallerKeyError(`'${shown}' is a withheld caller ID, which has no key`);
      if (identity?.key !== `tel:${rest}`)
        throw new CallerKeyError(`'${shown}' is not a store key: write pai:+ and the digits (E.164)`);
      return `pai:${rest}`;
    }
    case undefined:
      break;
    default:
      // `+1 415 555 0123` has no prefix; `sip:` and the like are not caller keys.
      throw new CallerKeyError(
        `'${shown}': unknown key type '${prefix}:' (use a number, tel:, pai:, ip:, cust: or email:)`,
      );
  }
  if (isIP(text)) throw new CallerKeyError(`'${shown}' looks like an IP address: write ip:${text}`);
  if (text.includes('@'))
    throw new CallerKeyError(`'${shown}' looks like an e-mail address: write email:${text}`);
  const identity = phoneIdentity(text, country);
  if (identity.class === 'withheld')
    throw new CallerKeyError(`'${shown}' is a withheld caller ID, which has no key`);
  if (identity.key === null) throw new CallerKeyError(`'${shown}' is not a phone number`);
  if (!identity.valid) {
    const where = text.startsWith('+') ? '' : ` for country ${country}`;
    throw new CallerKeyError(`'${shown}' is not a valid phone number${where}`);
  }
  return identity.key;
}

/** How a key is written in an export's `number` column: E.164 for valid numbers, else the key. */
export function exportedNumber(key: string): string {
  if (!key.startsWith('tel:')) return key;
  const identity = phoneIdentity(key.slice(4));
  return identity.valid && identity.key === key ? key.slice(4) : key;
}

/**
 * A two-letter country code libphonenumber knows, upper-cased; null otherwise. The one parser of
 * `FLOWGUARD_DEFAULT_COUNTRY`, for the functions and the CLI alike.
 */
export function countryCode(text: string): CountryCode | null {
  const code = text.trim().toUpperCase();
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code) ? code : null;
}
