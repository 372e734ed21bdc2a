import type { CountryCode } from 'libphonenumber-js/max';
import { type CallerIdentity, phoneIdentity } from './identity.js';

/**
 * Spoofing signals: named facts about a call, each with a weight, from the telephony metadata
 * Amazon Connect documents for flows ("Telephony call metadata attributes", read in a flow as
 * `$.Media.Sip.Headers.<Name>` and passed to the Lambda as parameters: the Lambda event itself
 * carries no SIP header) and from libphonenumber's view of the caller's number.
 *
 * Carriers fill the headers unevenly, so a header that is absent, empty or unreadable adds
 * nothing: absence is never suspicion. Nothing here throws on what a flow passes, and every
 * header is read within fixed bounds. Pure: no I/O, no clock, no AWS SDK.
 *
 * Not here, because Connect documents no attribute carrying it: a STIR/SHAKEN attestation or
 * verification result (`verstat`, the `Identity` header). A `verstat` parameter a carrier may
 * put into `P-Asserted-Identity` is read past like any other URI parameter, never acted on.
 * See docs/screening.md, "Spoofing signals and telephony metadata".
 */

/** The headers a flow can pass, by Connect's documented names (all optional). */
export interface TelephonyHeaders {
  /** `$.Media.Sip.Headers.P-Asserted-Identity`: the network-asserted caller (RFC 3325). */
  readonly pAssertedIdentity?: unknown;
  /** `$.Media.Sip.Headers.From`: the caller as the originating side wrote it (RFC 3261 §20.20). */
  readonly from?: unknown;
  /** `$.Media.Sip.Headers.P-Charge-Info`: the party billed for the call (RFC 8496). */
  readonly pChargeInfo?: unknown;
  /** `$.Media.Sip.Headers.ISUP-OLI`: the originating line information (ANI II digits). */
  readonly isupOli?: unknown;
  /** `$.Media.Sip.Headers.Calling-Party-Address`: ISUP calling party number, e.g. `15555555555;noa=4`. */
  readonly callingPartyAddress?: unknown;
}

export type TelephonyHeaderName = keyof TelephonyHeaders;

/** The header name Connect documents for each field, for logs, metrics and docs. */
export const CONNECT_HEADER_NAMES = {
  pAssertedIdentity: 'P-Asserted-Identity',
  from: 'From',
  pChargeInfo: 'P-Charge-Info',
  isupOli: 'ISUP-OLI',
  callingPartyAddress: 'Calling-Party-Address',
} as const satisfies Readonly<Record<TelephonyHeaderName, string>>;

export const SIGNAL_NAMES = [
  /** `P-Asserted-Identity` names a number other than the caller's. */
  'pai_mismatch',
  /** `From` names a number other than the caller's. */
  'from_mismatch',
  /** `Calling-Party-Address` names a number other than the caller's. */
  'calling_party_mismatch',
  /** `P-Charge-Info` bills a number other than the caller's (common on PBX trunks: weak). */
  'charge_info_mismatch',
  /** ISUP-OLI 29: prison / inmate service. */
  'oli_prison',
  /** ISUP-OLI 27 (coin line) or 70 (pay station without network coin control). */
  'oli_payphone',
  /** ISUP-OLI 02: the originating switch could not identify the calling station. */
  'oli_ani_failure',
  /** ISUP-OLI 61, 62, 63: cellular / wireless PCS. */
  'oli_wireless',
  /** ISUP-OLI 60, 66, 67: telecommunications relay service. Never weighted by default. */
  'oli_relay',
  /** Any other ISUP-OLI value (00 POTS, 24 toll-free, ...). */
  'oli_other',
  /** The caller's number is the number it dialed. */
  'caller_is_dialed',
  /** libphonenumber: not a valid number (unallocated range, wrong length, garbage). */
  'invalid_number',
  /** libphonenumber line type of the caller's number. */
  'premium_rate',
  'shared_cost',
  'voip',
  'toll_free',
] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

export type SignalWeights = Readonly<Record<SignalName, number>>;

/**
 * Defaults: a relative measure, 0..100 each. The line-type weights only rank what line-type rules
 * already block outright; the header mismatches are where spoofing shows. Relay calls (OLI 60,
 * 66, 67) and wireless calls are never suspicious by themselves.
 */
export const DEFAULT_SIGNAL_WEIGHTS: SignalWeights = {
  pai_mismatch: 30,
  from_mismatch: 20,
  calling_party_mismatch: 20,
  charge_info_mismatch: 5,
  oli_prison: 20,
  oli_payphone: 10,
  oli_ani_failure: 15,
  oli_wireless: 0,
  oli_relay: 0,
  oli_other: 0,
  caller_is_dialed: 50,
  invalid_number: 25,
  premium_rate: 40,
  shared_cost: 15,
  voip: 10,
  toll_free: 20,
};

export const MAX_SIGNAL_WEIGHT = 100;

export type SignalSource =
  | 'CustomerEndpoint'
  | 'SystemEndpoint'
  | (typeof CONNECT_HEADER_NAMES)[TelephonyHeaderName];

export interface CallSignal {
  readonly name: SignalName;
  readonly weight: number;
  /** Where the fact came from: a Connect header name, `CustomerEndpoint` or `SystemEndpoint`. */
  readonly source: SignalSource;
  /** The ISUP-OLI code without leading zeros (`29`), on the `oli_*` signals only. */
  readonly code?: string;
}

export interface SignalReport {
  /** At most one of each name, in {@link SIGNAL_NAMES} order. Weight-0 signals are listed too. */
  readonly signals: readonly CallSignal[];
  /** The sum of the weights. */
  readonly score: number;
  /**
   * Headers that were passed but could not be read (not a string, over the length bound, more
   * than four values, no number in them): listed for metrics, never a signal.
   */
  readonly unreadable: readonly TelephonyHeaderName[];
}

export interface SignalInput {
  /** The caller's identity from `CustomerEndpoint` (identity.ts), libphonenumber facts included. */
  readonly caller: CallerIdentity;
  /** `ContactData.SystemEndpoint.Address`: the dialed number. */
  readonly systemEndpoint?: unknown;
  readonly headers?: TelephonyHeaders;
  /** Country for national-format numbers (`FLOWGUARD_DEFAULT_COUNTRY`). */
  readonly defaultCountry?: CountryCode;
  readonly weights?: Partial<SignalWeights>;
}

/** A header value longer than this is not read: a real one (two URIs with parameters) is far shorter. */
export const MAX_HEADER_LENGTH = 1024;
/** RFC 3325 §9.1 allows one SIP and one tel URI in P-Asserted-Identity; more than four is not a real header. */
const MAX_HEADER_VALUES = 4;
/** E.164 allows 15 digits; the shortest numbers in use (Niue, +683 and 4 digits) have 7. */
const PLAUSIBLE_NUMBER = /^\+\d{7,15}$/;

// ---------------------------------------------------------------------------------------------
// Reading header values

type HeaderText =
  | { readonly kind: 'absent' }
  | { readonly kind: 'unreadable' }
  | { readonly kind: 'text'; readonly text: string };

function headerText(value: unknown): HeaderText {
  if (value === undefined || value === null) return { kind: 'absent' };
  if (typeof value !== 'string') return { kind: 'unreadable' };
  if (value.length > MAX_HEADER_LENGTH) return { kind: 'unreadable' };
  const text = value.trim();
  return text === '' ? { kind: 'absent' } : { kind: 'text', text };
}

/**
 * Splits a header's comma-separated values (RFC 3261 §7.3.1), commas inside a quoted display name
 * or inside `<...>` not counting. Null when quotes or brackets do not balance or there are too many.
 */
function headerValues(text: string): string[] | null {
  const values: string[] = [];
  let start = 0;
  let quoted = false;
  let bracketed = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') {
      if (bracketed) return null;
      bracketed = true;
    } else if (c === '>') {
      if (!bracketed) return null;
      bracketed = false;
    } else if (c === ',' && !bracketed) {
      values.push(text.slice(start, i).trim());
      start = i + 1;
      if (values.length >= MAX_HEADER_VALUES) return null;
    }
  }
  if (quoted || bracketed) return null;
  values.push(text.slice(start).trim());
  return values.filter((v) => v !== '');
}

/** What one header names: its numbers (each in every E.164 reading), or that it is withheld. */
interface HeaderNumbers {
  /** Every E.164 reading of every number the header names; empty when it names none. */
  readonly numbers: readonly string[];
  /** A value was a withheld spelling (`anonymous`, `sip:anonymous@anonymous.invalid`, ...). */
  readonly withheld: boolean;
  /** The numbers of the first value that names one, for keying (its national reading first). */
  readonly first: CallerIdentity | null;
  /** Two values name numbers that no reading makes one. */
  readonly conflicting: boolean;
}

/**
 * The readings of one value: national (with the default country) and, for digits written
 * without `+`, international too (`14155550101` is `+14155550101` in either reading; a carrier
 * that drops the `+` of a foreign number must not make a mismatch). An extra reading can only
 * hide a mismatch, never make one.
 */
function readings(
  value: string,
  defaultCountry?: CountryCode,
): { identity: CallerIdentity; numbers: string[] } {
  const identity = phoneIdentity(value, defaultCountry);
  if (identity.class !== 'phone' || identity.number === null) return { identity, numbers: [] };
  const numbers = [identity.number];
  const international = defaultCountry ? phoneIdentity(value) : identity;
  if (international.class === 'phone' && international.number && international.number !== identity.number)
    numbers.push(international.number);
  // identity.ts keys garbage by up to 20 of its digits; a header's number must look like one.
  return { identity, numbers: numbers.filter((n) => PLAUSIBLE_NUMBER.test(n)) };
}

function headerNumbers(text: string, defaultCountry?: CountryCode): HeaderNumbers | null {
  const values = headerValues(text);
  if (!values) return null;
  const numbers: string[] = [];
  let withheld = false;
  let first: CallerIdentity | null = null;
  let conflicting = false;
  for (const value of values) {
    const read = readings(value, defaultCountry);
    if (read.identity.class === 'withheld') withheld = true;
    if (read.numbers.length === 0) continue;
    if (first === null) {
      if (PLAUSIBLE_NUMBER.test(read.identity.number ?? '')) first = read.identity;
    } else if (!read.numbers.some((n) => numbers.includes(n))) conflicting = true;
    numbers.push(...read.numbers);
  }
  return { numbers, withheld, first, conflicting };
}

/**
 * `Calling-Party-Address` as AWS shows it: digits and ISUP parameters (`15555555555;noa=4`).
 * Nature of address (ITU-T Q.763 §3.10): 3 national, 4 international, else either reading. A URI
 * is read like any header; anything else but 7 to 15 digits with parameters is unreadable.
 */
function callingPartyNumbers(text: string, defaultCountry?: CountryCode): HeaderNumbers | null {
  const [digits = '', ...params] = text.split(';');
  if (/[<>@:"]/.test(text)) return headerNumbers(text, defaultCountry);
  if (!/^\+?\d{7,15}$/.test(digits.trim())) return null;
  const bare = digits.trim().replace(/^\+/, '');
  const noa = params
    .map((p) => p.trim().toLowerCase())
    .find((p) => p.startsWith('noa='))
    ?.slice(4);
  let numbers: string[];
  let identity: CallerIdentity;
  if (digits.trim().startsWith('+') || noa === '4') {
    identity = phoneIdentity(`+${bare}`);
    numbers = identity.number ? [identity.number] : [];
  } else if (noa === '3') {
    identity = phoneIdentity(bare, defaultCountry);
    numbers = identity.number ? [identity.number] : [];
  } else {
    const read = readings(bare, defaultCountry);
    identity = read.identity;
    numbers = read.numbers;
  }
  if (identity.class !== 'phone') numbers = [];
  numbers = numbers.filter((n) => PLAUSIBLE_NUMBER.test(n));
  return { numbers, withheld: false, first: numbers.length ? identity : null, conflicting: false };
}

// ---------------------------------------------------------------------------------------------
// ISUP-OLI (ANI II digits, assigned by NANPA)

const OLI_CLASSES: ReadonlyMap<number, SignalName> = new Map([
  [2, 'oli_ani_failure'],
  [27, 'oli_payphone'],
  [29, 'oli_prison'],
  [60, 'oli_relay'],
  [61, 'oli_wireless'],
  [62, 'oli_wireless'],
  [63, 'oli_wireless'],
  [66, 'oli_relay'],
  [67, 'oli_relay'],
  [70, 'oli_payphone'],
]);

/** The OLI code without leading zeros (`'29'`), or null for anything but 1 to 3 digits. */
export function oliCode(value: unknown): string | null {
  const read = headerText(value);
  if (read.kind !== 'text') return null;
  const match = /^(?:isup-oli\s*=\s*)?(\d{1,3})$/i.exec(read.text);
  return match?.[1] ? String(Number(match[1])) : null;
}

// ---------------------------------------------------------------------------------------------
// Signals

const LINE_TYPE_SIGNALS: ReadonlyMap<string, SignalName> = new Map([
  ['premium_rate', 'premium_rate'],
  ['shared_cost', 'shared_cost'],
  ['voip', 'voip'],
  ['toll_free', 'toll_free'],
]);

const NUMBER_HEADERS = [
  ['pAssertedIdentity', 'pai_mismatch'],
  ['from', 'from_mismatch'],
  ['callingPartyAddress', 'calling_party_mismatch'],
  ['pChargeInfo', 'charge_info_mismatch'],
] as const satisfies readonly (readonly [TelephonyHeaderName, SignalName])[];

function weightOf(name: SignalName, weights: Partial<SignalWeights> | undefined): number {
  const given = weights?.[name];
  return typeof given === 'number' && Number.isInteger(given) && given >= 0 && given <= MAX_SIGNAL_WEIGHT
    ? given
    : DEFAULT_SIGNAL_WEIGHTS[name];
}

/**
 * The spoofing signals of a call and their total weight. A header mismatch needs a caller with a
 * number (class `phone`): a withheld caller has nothing to mismatch (see {@link assertedIdentity}).
 * A header that names no number, only a withheld one, or several that disagree, adds nothing.
 * Never throws.
 */
export function callSignals(input: SignalInput): SignalReport {
  const { caller, headers = {}, defaultCountry, weights } = input;
  const found = new Map<SignalName, Omit<CallSignal, 'weight' | 'name'>>();
  const unreadable: TelephonyHeaderName[] = [];
  const callerNumber = caller.class === 'phone' ? caller.number : null;

  for (const [field, signal] of NUMBER_HEADERS) {
    const read = headerText(headers[field]);
    if (read.kind === 'absent') continue;
    if (read.kind === 'unreadable') {
      unreadable.push(field);
      continue;
    }
    const parsed =
      field === 'callingPartyAddress'
        ? callingPartyNumbers(read.text, defaultCountry)
        : headerNumbers(read.text, defaultCountry);
    if (parsed === null || (parsed.numbers.length === 0 && !parsed.withheld)) {
      unreadable.push(field);
      continue;
    }
    if (
      callerNumber &&
      parsed.numbers.length > 0 &&
      !parsed.conflicting &&
      !parsed.numbers.includes(callerNumber)
    )
      found.set(signal, { source: CONNECT_HEADER_NAMES[field] });
  }

  const oliRead = headerText(headers.isupOli);
  if (oliRead.kind !== 'absent') {
    const code = oliCode(headers.isupOli);
    if (code === null) unreadable.push('isupOli');
    else found.set(OLI_CLASSES.get(Number(code)) ?? 'oli_other', { source: 'ISUP-OLI', code });
  }

  if (callerNumber) {
    const dialedText = headerText(input.systemEndpoint);
    if (dialedText.kind === 'text') {
      const dialed = phoneIdentity(dialedText.text, defaultCountry);
      if (dialed.class === 'phone' && dialed.number === callerNumber)
        found.set('caller_is_dialed', { source: 'SystemEndpoint' });
    }
    if (!caller.valid) found.set('invalid_number', { source: 'CustomerEndpoint' });
    const lineSignal = LINE_TYPE_SIGNALS.get(caller.lineType);
    if (lineSignal) found.set(lineSignal, { source: 'CustomerEndpoint' });
  }

  const signals: CallSignal[] = [];
  let score = 0;
  for (const name of SIGNAL_NAMES) {
    const fact = found.get(name);
    if (!fact) continue;
    const weight = weightOf(name, weights);
    score += weight;
    signals.push({ name, weight, ...fact });
  }
  return { signals, score, unreadable };
}

/**
 * The names a `signal` rule can match for these signals: each signal's name, and `oli:<code>`
 * for the OLI (the form rules.ts already accepts).
 */
export function signalRuleKeys(report: Pick<SignalReport, 'signals'>): Set<string> {
  const keys = new Set<string>();
  for (const signal of report.signals) {
    keys.add(signal.name);
    if (signal.code !== undefined) keys.add(`oli:${signal.code}`);
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Withheld callers keyed by P-Asserted-Identity

/**
 * A withheld caller keyed by the number its network asserted: a class of its own, weaker than a
 * `tel:` caller (the key is the carrier's word, passed on by Connect, never proof), so it gets
 * its own limits and never shares a bucket with callers that present the number.
 */
export interface AssertedIdentity {
  readonly class: 'asserted';
  /** `pai:+14155550101`. */
  readonly key: string;
  readonly number: string;
  readonly valid: boolean;
  readonly lineType: string;
  readonly country: string;
}

/**
 * For a withheld caller whose `P-Asserted-Identity` names one number: its key proposal,
 * `pai:<E.164>`. Null for any other caller, and for a header that is absent, unreadable, names no
 * number or only a withheld one, or names two numbers that disagree. Numbers libphonenumber cannot
 * validate are keyed by their digits, as identity.ts keys callers. Never throws.
 */
export function assertedIdentity(
  caller: CallerIdentity,
  pAssertedIdentity: unknown,
  defaultCountry?: CountryCode,
): AssertedIdentity | null {
  if (caller.class !== 'withheld') return null;
  const read = headerText(pAssertedIdentity);
  if (read.kind !== 'text') return null;
  const parsed = headerNumbers(read.text, defaultCountry);
  const first = parsed?.first;
  if (!parsed || parsed.conflicting || !first || first.number === null) return null;
  return {
    class: 'asserted',
    key: `pai:${first.number}`,
    number: first.number,
    valid: first.valid,
    lineType: first.lineType,
    country: first.country,
  };
}

// ---------------------------------------------------------------------------------------------
// Configuration

export class SignalWeightSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignalWeightSyntaxError';
  }
}

/**
 * Weights as a variable writes them: `pai_mismatch=40,voip=0` (names from {@link SIGNAL_NAMES},
 * integers 0..100; names left out keep their default; empty means all defaults). Throws
 * {@link SignalWeightSyntaxError} naming the bad entry, for a cold start to fail on.
 */
export function parseSignalWeights(text: string): SignalWeights {
  const weights: Record<string, number> = { ...DEFAULT_SIGNAL_WEIGHTS };
  const trimmed = text.trim();
  if (trimmed === '') return weights as SignalWeights;
  const seen = new Set<string>();
  for (const entry of trimmed.split(',')) {
    const match = /^\s*([a-z_]{1,40})\s*=\s*(\d{1,3})\s*$/.exec(entry);
    const name = match?.[1];
    if (!match || !name || !(SIGNAL_NAMES as readonly string[]).includes(name))
      throw new SignalWeightSyntaxError(
        `expected <signal>=<0..${MAX_SIGNAL_WEIGHT}> with a signal of ${SIGNAL_NAMES.join(', ')}`,
      );
    if (seen.has(name)) throw new SignalWeightSyntaxError(`${name} is given twice`);
    seen.add(name);
    const weight = Number(match[2]);
    if (weight > MAX_SIGNAL_WEIGHT)
      throw new SignalWeightSyntaxError(`${name}: a weight is 0..${MAX_SIGNAL_WEIGHT}`);
    weights[name] = weight;
  }
  return weights as SignalWeights;
}
