import { ParameterError } from './errors.js';
import type { Contact } from './event.js';

export interface StringParameterOptions {
  /** Missing, null or empty gives `ParameterError` (code `missing_parameter`). */
  required?: boolean;
  /** Longer values give `ParameterError` (code `bad_parameter`). Default 4096. */
  maxLength?: number;
}

/**
 * Reads a flow parameter as a string. Flows send strings, but newer flows may send numbers and
 * booleans: those are stringified (`true` / `false`, finite numbers only). Objects and arrays are
 * refused. An empty string counts as absent (a flow passes `""` for an unset attribute).
 */
export function stringParameter(
  contact: Pick<Contact, 'parameters'>,
  name: string,
  options: StringParameterOptions & { required: true },
): string;
export function stringParameter(
  contact: Pick<Contact, 'parameters'>,
  name: string,
  options?: StringParameterOptions,
): string | undefined;
export function stringParameter(
  contact: Pick<Contact, 'parameters'>,
  name: string,
  options: StringParameterOptions = {},
): string | undefined {
  const value = Object.hasOwn(contact.parameters, name) ? contact.parameters[name] : undefined;
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ParameterError(name, 'not a finite number');
    text = String(value);
  } else if (value !== undefined && value !== null) {
    throw new ParameterError(name, 'not a string');
  }
  if (text === undefined || text === '') {
    if (options.required) throw new ParameterError(name, 'missing', 'missing_parameter');
    return undefined;
  }
  if (text.length > (options.maxLength ?? 4096)) throw new ParameterError(name, 'too long');
  return text;
}

const TRUE = new Set(['true', 'yes', '1']);
const FALSE = new Set(['false', 'no', '0']);

/** Reads a boolean parameter: `true`/`True`/`yes`/`1` and their opposites. */
export function booleanParameter(
  contact: Pick<Contact, 'parameters'>,
  name: string,
  fallback: boolean,
): boolean {
  const text = stringParameter(contact, name, { maxLength: 8 })?.toLowerCase();
  if (text === undefined) return fallback;
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  throw new ParameterError(name, 'not true or false');
}
