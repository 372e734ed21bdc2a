import type { CountryCode } from 'libphonenumber-js/min';
import { isValidPhoneNumber, parsePhoneNumberFromString } from 'libphonenumber-js/min';

/**
 * Checks that JSON Schema keywords cannot express: checksums, calendars, card rules. Schemas use
 * them through the `check` keyword (`"check": "card"` or `"check": {"name": "age", "min": 18}`);
 * the compiled validators call {@link runCheck}. Each check returns `''` when the value passes,
 * else a stable error code. No check ever puts the value in anything it returns.
 */

/** Runtime settings the checks read; the validate-input function sets them once at init. */
export const settings: { now: () => number; defaultCountry: CountryCode } = {
  now: () => Date.now(),
  defaultCountry: 'US',
};

export type CheckOptions = Readonly<Record<string, unknown>>;
type Check = (value: unknown, options: CheckOptions) => string;

export function isDigits(value: string): boolean {
  return /^[0-9]+$/.test(value);
}

/** The Luhn (mod 10) checksum of a digit string. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

export type CardBrand =
  | 'visa'
  | 'mastercard'
  | 'amex'
  | 'discover'
  | 'jcb'
  | 'diners'
  | 'unionpay'
  | 'maestro'
  | 'unknown';

interface BrandRule {
  readonly brand: CardBrand;
  readonly test: (d: string) => boolean;
  readonly lengths: readonly number[];
}

const range = (d: string, digits: number, low: number, high: number) => {
  const n = Number(d.slice(0, digits));
  return n >= low && n <= high;
};

/** Issuer ranges and lengths (ISO/IEC 7812 as the networks publish them), most specific first. */
const BRANDS: readonly BrandRule[] = [
  { brand: 'amex', test: (d) => d.startsWith('34') || d.startsWith('37'), lengths: [15] },
  {
    brand: 'diners',
    test: (d) => range(d, 3, 300, 305) || d.startsWith('36') || d.startsWith('38') || d.startsWith('39'),
    lengths: [14, 15, 16, 17, 18, 19],
  },
  { brand: 'jcb', test: (d) => range(d, 4, 3528, 3589), lengths: [16, 17, 18, 19] },
  {
    brand: 'discover',
    test: (d) => d.startsWith('6011') || range(d, 3, 644, 649) || d.startsWith('65'),
    lengths: [16, 17, 18, 19],
  },
  { brand: 'unionpay', test: (d) => d.startsWith('62'), lengths: [16, 17, 18, 19] },
  { brand: 'mastercard', test: (d) => range(d, 2, 51, 55) || range(d, 4, 2221, 2720), lengths: [16] },
  { brand: 'visa', test: (d) => d.startsWith('4'), lengths: [13, 16, 19] },
  {
    brand: 'maestro',
    test: (d) => d.startsWith('50') || range(d, 2, 56, 69),
    lengths: [12, 13, 14, 15, 16, 17, 18, 19],
  },
];

/** The card brand of a number, from its issuer prefix. */
export function cardBrand(digits: string): CardBrand {
  return BRANDS.find((rule) => rule.test(digits))?.brand ?? 'unknown';
}

function cardProblem(value: unknown): string {
  if (typeof value !== 'string' || !isDigits(value)) return 'pattern';
  const rule = BRANDS.find((r) => r.test(value));
  const lengths = rule?.lengths ?? [12, 13, 14, 15, 16, 17, 18, 19];
  const shortest = lengths[0] ?? 12;
  const longest = lengths[lengths.length - 1] ?? 19;
  if (value.length < shortest) return 'too_short';
  if (value.length > longest) return 'too_long';
  if (!lengths.includes(value.length)) return 'too_short';
  return luhn(value) ? '' : 'luhn';
}

/** `MMYY` (or `MM/YY`, coerced to digits first) → the first moment after the card expires. */
export function expiryEnd(value: string): number | null {
  if (!/^[0-9]{4}$/.test(value)) return null;
  const month = Number(value.slice(0, 2));
  const year = 2000 + Number(value.slice(2));
  if (month < 1 || month > 12) return null;
  // A card is valid through the last day of its expiry month (UTC, the widest reading).
  return Date.UTC(year, month, 1);
}

function expiryProblem(value: unknown, options: CheckOptions): string {
  const end = typeof value === 'string' ? expiryEnd(value) : null;
  if (end === null) return 'format';
  if (end <= settings.now()) return 'expired';
  const maxYears = typeof options.maxYears === 'number' ? options.maxYears : 20;
  return end > settings.now() + maxYears * 366 * 86_400_000 ? 'out_of_range' : '';
}

/** ABA routing number checksum: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10). */
export function abaChecksum(digits: string): boolean {
  if (!/^[0-9]{9}$/.test(digits)) return false;
  const d = [...digits].map(Number) as number[];
  const at = (i: number) => d[i] ?? 0;
  const sum = 3 * (at(0) + at(3) + at(6)) + 7 * (at(1) + at(4) + at(7)) + (at(2) + at(5) + at(8));
  return sum % 10 === 0 && digits !== '000000000';
}

export type DateOrder = 'YMD' | 'MDY' | 'DMY';

/** A real calendar date from 8 digits in the given order, or `YYYY-MM-DD`; null when there is none. */
export function calendarDate(
  value: string,
  order: DateOrder = 'YMD',
): { y: number; m: number; d: number } | null {
  let y: number;
  let m: number;
  let d: number;
  const iso = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value);
  if (iso) {
    [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  } else if (/^[0-9]{8}$/.test(value)) {
    const parts = {
      YMD: [value.slice(0, 4), value.slice(4, 6), value.slice(6, 8)],
      MDY: [value.slice(4, 8), value.slice(0, 2), value.slice(2, 4)],
      DMY: [value.slice(4, 8), value.slice(2, 4), value.slice(0, 2)],
    }[order];
    [y, m, d] = parts.map(Number) as [number, number, number];
  } else {
    return null;
  }
  if (y < 1000 || m < 1 || m > 12 || d < 1) return null;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days ? { y, m, d } : null;
}

function orderOf(options: CheckOptions): DateOrder {
  return options.order === 'MDY' || options.order === 'DMY' ? options.order : 'YMD';
}

/** Whole years between a date and now (UTC). */
export function ageInYears(date: { y: number; m: number; d: number }, now = settings.now()): number {
  const today = new Date(now);
  const [ty, tm, td] = [today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate()];
  return ty - date.y - (tm < date.m || (tm === date.m && td < date.d) ? 1 : 0);
}

function dateProblem(value: unknown, options: CheckOptions): string {
  const date = typeof value === 'string' ? calendarDate(value, orderOf(options)) : null;
  if (!date) return 'not_a_date';
  const age = ageInYears(date);
  if (age < 0 && options.future !== true) return 'out_of_range';
  const min = typeof options.minAge === 'number' ? options.minAge : Number.NEGATIVE_INFINITY;
  const max = typeof options.maxAge === 'number' ? options.maxAge : Number.POSITIVE_INFINITY;
  return age < min || age > max ? 'out_of_range' : '';
}

/** Weak PINs: one repeated digit, a run up or down (1234, 9876), or a few notorious choices. */
const NOTORIOUS_PINS = new Set([
  '1212',
  '1004',
  '2000',
  '6969',
  '4321',
  '1122',
  '0852',
  '2580',
  '1313',
  '2525',
]);

export function isWeakPin(pin: string): boolean {
  if (/^([0-9])\1+$/.test(pin)) return true;
  let up = true;
  let down = true;
  for (let i = 1; i < pin.length; i++) {
    const step = pin.charCodeAt(i) - pin.charCodeAt(i - 1);
    if (step !== 1 && step !== -9) up = false;
    if (step !== -1 && step !== 9) down = false;
  }
  return up || down || NOTORIOUS_PINS.has(pin);
}

function pinProblem(value: unknown, options: CheckOptions): string {
  if (typeof value !== 'string') return 'pattern';
  // Length is the schema's to judge (and to report first): a 20-digit entry is too long, not weak.
  if (value.length < 4 || value.length > 12) return '';
  return options.rejectWeak !== false && isWeakPin(value) ? 'weak_pin' : '';
}

/** A phone number (any format the default country reads) to E.164, or null. */
export function toE164(value: string): string | null {
  const parsed = parsePhoneNumberFromString(value, settings.defaultCountry);
  return parsed?.isValid() ? parsed.number : null;
}

function phoneProblem(value: unknown): string {
  return typeof value === 'string' && isValidPhoneNumber(value, settings.defaultCountry) ? '' : 'format';
}

/** `12.5` → 1250 (two decimals); null for anything else. Exact: no floating point. */
export function minorUnits(value: string, decimals = 2): number | null {
  const match = /^([0-9]{1,12})(?:\.([0-9]{1,4}))?$/.exec(value);
  if (!match?.[1]) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) return null;
  const units = Number(match[1]) * 10 ** decimals + Number(fraction.padEnd(decimals, '0') || '0');
  // Past 2^53 a number is no longer exact: refused rather than rounded.
  return Number.isSafeInteger(units) ? units : null;
}

function amountProblem(value: unknown, options: CheckOptions): string {
  const decimals = typeof options.decimals === 'number' ? options.decimals : 2;
  const units = typeof value === 'string' ? minorUnits(value, decimals) : null;
  if (units === null) return 'format';
  const min = typeof options.min === 'string' ? minorUnits(options.min, decimals) : null;
  const max = typeof options.max === 'string' ? minorUnits(options.max, decimals) : null;
  if ((min !== null && units < min) || (max !== null && units > max)) return 'out_of_range';
  return '';
}

function routingProblem(value: unknown): string {
  return typeof value === 'string' && abaChecksum(value) ? '' : 'checksum';
}

/** CVV length by brand (object-level: `{ cvv, brand? , cardNumber? }`): Amex 4, others 3. */
function cvvProblem(value: unknown, options: CheckOptions): string {
  if (typeof value !== 'object' || value === null) return 'type';
  const fields = value as Record<string, unknown>;
  const field = typeof options.field === 'string' ? options.field : 'cvv';
  const cvv = fields[field];
  if (typeof cvv !== 'string') return '';
  const card = typeof fields.cardNumber === 'string' ? cardBrand(fields.cardNumber) : undefined;
  const brand = typeof fields.brand === 'string' ? fields.brand.toLowerCase() : card;
  const expected = brand === 'amex' ? 4 : brand === undefined || brand === 'unknown' ? cvv.length : 3;
  if (cvv.length < expected || cvv.length < 3) return 'too_short';
  if (cvv.length > expected || cvv.length > 4) return 'too_long';
  return '';
}

export const CHECKS: Readonly<Record<string, Check>> = {
  card: cardProblem,
  luhn: (value) => (typeof value === 'string' && luhn(value) ? '' : 'luhn'),
  expiry: expiryProblem,
  routing: routingProblem,
  date: dateProblem,
  pin: pinProblem,
  phone: phoneProblem,
  amount: amountProblem,
  cvv: cvvProblem,
};

/** Called by the compiled validators: `''` when the value passes, else an error code. */
export function runCheck(name: string, value: unknown, options: CheckOptions): string {
  const check = Object.hasOwn(CHECKS, name) ? CHECKS[name] : undefined;
  return check ? check(value, options) : 'unknown_check';
}
