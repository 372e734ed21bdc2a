import { calendarDate, minorUnits, toE164 } from './checks.js';
import { SCHEMAS } from './generated/schemas.js';
import type { SchemaInputs, SchemaName } from './generated/types.js';
import type { PropertyManifest, SchemaManifest, ValidatorError } from './manifest-types.js';

/** The parameter names of a schema: typed for the compiled schemas, any string otherwise. */
type ParameterName<S extends string> = S extends SchemaName ? keyof SchemaInputs[S] & string : string;

export interface ValidationResult<S extends string = string> {
  readonly valid: boolean;
  /** The first failing parameter, `''` when valid. */
  readonly errorField: string;
  /** `required`, `too_short`, `too_long`, `pattern`, `format`, `luhn`, `checksum`, `expired`, ... */
  readonly errorCode: string;
  /** `<schema>_<code>` (e.g. `card_luhn`): a key a flow maps to a prompt. */
  readonly errorMessageKey: string;
  /** Normalised values by parameter name (masked for sensitive ones), when valid. */
  readonly values: Readonly<Partial<Record<ParameterName<S>, string>>>;
}

/** Raw input longer than this is refused before any coercion or pattern runs. */
const MAX_RAW_LENGTH = 65_536;

const KEYWORD_CODES: Readonly<Record<string, string>> = {
  required: 'required',
  minLength: 'too_short',
  maxLength: 'too_long',
  pattern: 'pattern',
  format: 'format',
  type: 'type',
  enum: 'not_allowed',
  const: 'not_allowed',
  minimum: 'out_of_range',
  maximum: 'out_of_range',
  exclusiveMinimum: 'out_of_range',
  exclusiveMaximum: 'out_of_range',
  maxProperties: 'too_long',
  minProperties: 'too_short',
  propertyNames: 'bad_key',
  additionalProperties: 'unexpected',
};

export function schemaNames(): string[] {
  return Object.keys(SCHEMAS);
}

export function hasSchema(name: string): boolean {
  return Object.hasOwn(SCHEMAS, name);
}

class CoercionError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/**
 * Connect sends strings; each property says how its text is cleaned before validation:
 * `trim` (outer spaces), `upper` (trim, upper case), `digits` (spaces, `-`, `.`, `/` and a
 * trailing `#` removed: `4111 1111-1111 1111#` → `4111111111111111`), `dtmf` (trim, trailing
 * `#` removed), `json` (an object as sent, or JSON text parsed), `none`.
 * Numbers and booleans are turned into their text first (`true`, `1234`). Text that is nothing
 * once cleaned (whitespace, separators, a lone `#`) is missing, like `''`: `required` if required.
 */
function coerce(property: PropertyManifest, raw: unknown): unknown {
  if (raw === undefined || raw === null || raw === '') return undefined;
  let value = raw;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CoercionError('type');
    value = String(value);
  } else if (typeof value === 'boolean') value = value ? 'true' : 'false';
  if (property.coerce === 'json') {
    if (typeof value !== 'string') return value;
    if (value.length > MAX_RAW_LENGTH) throw new CoercionError('too_long');
    if (value.trim() === '') return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw new CoercionError('format');
    }
  }
  if (typeof value !== 'string') throw new CoercionError('type');
  if (value.length > MAX_RAW_LENGTH) throw new CoercionError('too_long');
  const text = cleaned(property.coerce, value);
  // Nothing left once cleaned (spaces, separators, a lone `#`): the caller entered nothing.
  return text.trim() === '' ? undefined : text;
}

function cleaned(coercion: PropertyManifest['coerce'], value: string): string {
  switch (coercion) {
    case 'trim':
      return value.trim();
    case 'upper':
      return value.trim().toUpperCase();
    case 'digits':
      return value.replace(/[\s./-]/g, '').replace(/#$/, '');
    case 'dtmf':
      return value.trim().replace(/#$/, '');
    default:
      return value;
  }
}

/** Only the last four characters stay: `************1111`. */
function mask(value: string): string {
  const keep = value.length > 8 ? 4 : value.length > 4 ? 2 : 0;
  return '*'.repeat(value.length - keep) + value.slice(value.length - keep);
}

function output(property: PropertyManifest, value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  switch (property.output) {
    case 'masked':
      return mask(value);
    case 'e164':
      return toE164(value) ?? undefined;
    case 'isoDate': {
      const date = calendarDate(value, property.order);
      if (!date) return undefined;
      return `${String(date.y).padStart(4, '0')}-${String(date.m).padStart(2, '0')}-${String(date.d).padStart(2, '0')}`;
    }
    case 'minorUnits': {
      const units = minorUnits(value, property.decimals);
      return units === null ? undefined : String(units);
    }
    case 'value':
      return value;
    default:
      return undefined;
  }
}

function failure(schema: string, field: string, code: string): ValidationResult {
  return {
    valid: false,
    errorField: field,
    errorCode: code,
    errorMessageKey: `${schema}_${code}`,
    values: {},
  };
}

function errorOf(schema: SchemaManifest, error: ValidatorError | undefined): ValidationResult {
  if (!error) return failure(schema.name, '', 'invalid');
  const code =
    error.keyword === 'check' && typeof error.params.code === 'string'
      ? error.params.code
      : (KEYWORD_CODES[error.keyword] ?? 'invalid');
  const missing = typeof error.params.missingProperty === 'string' ? error.params.missingProperty : '';
  // `/cardNumber` → `cardNumber`; deeper paths (an attribute inside an object) name the parameter.
  // An object-level check (e.g. CVV by brand) names the field it is about in its options.
  const named = typeof error.params.field === 'string' ? error.params.field : '';
  const field = missing || error.instancePath.split('/')[1] || named;
  return failure(schema.name, field, code);
}

/**
 * A parameter's text after its schema's coercion (`4111 1111-1111 1111#` → `4111111111111111`
 * for a `digits` field): the form the validators check and the facts derive from. Undefined when
 * the schema or field is unknown or the text cannot be coerced.
 */
export function coerceParameter(schemaName: string, field: string, raw: string): string | undefined {
  const property = hasSchema(schemaName)
    ? SCHEMAS[schemaName]?.properties.find((p) => p.name === field)
    : undefined;
  if (!property) return undefined;
  try {
    const value = coerce(property, raw);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Validates flow parameters against a compiled schema. Only the schema's own parameters are
 * read (others are ignored); values are coerced as their property says, validated, and — when
 * valid — returned normalised. The result never holds a raw value of a sensitive property.
 */
export function validateInput(
  schemaName: string,
  parameters: Readonly<Record<string, unknown>>,
): ValidationResult {
  const schema = hasSchema(schemaName) ? SCHEMAS[schemaName] : undefined;
  if (!schema) return failure('input', 'schema', 'unknown_schema');
  const input: Record<string, unknown> = {};
  for (const property of schema.properties) {
    const raw = Object.hasOwn(parameters, property.name) ? parameters[property.name] : undefined;
    try {
      const value = coerce(property, raw);
      if (value !== undefined) input[property.name] = value;
    } catch (error) {
      return failure(schema.name, property.name, error instanceof CoercionError ? error.code : 'type');
    }
  }
  if (!schema.validate(input)) return errorOf(schema, schema.validate.errors?.[0]);
  const values: Record<string, string> = {};
  for (const property of schema.properties) {
    const value = output(property, input[property.name]);
    if (value !== undefined) values[property.name] = value;
  }
  return { valid: true, errorField: '', errorCode: '', errorMessageKey: '', values };
}
