import { ConfigError } from './errors.js';

/** An environment: `process.env` by default, a plain object in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

interface Common<T> {
  env?: Env;
  /** Used when the variable is unset or empty. Without it the variable is required. */
  default?: T;
}

function raw(name: string, env: Env | undefined): string | undefined {
  const value = (env ?? process.env)[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function missing(name: string, accepted: string): ConfigError {
  return new ConfigError(name, `is required (${accepted})`);
}

/**
 * Reads a string variable. Values are never echoed in errors: a variable may hold something
 * an operator would rather not see in a log.
 */
export function envString(
  name: string,
  options: Common<string> & { pattern?: RegExp; describe?: string } = {},
) {
  const value = raw(name, options.env);
  const accepted = options.describe ?? 'a non-empty string';
  if (value === undefined) {
    if (options.default !== undefined) return options.default;
    throw missing(name, accepted);
  }
  if (options.pattern && !options.pattern.test(value)) {
    throw new ConfigError(name, `must be ${accepted}`);
  }
  return value;
}

/** Reads a variable that must be one of `values` (compared case-insensitively, returned as listed). */
export function envEnum<const T extends string>(
  name: string,
  values: readonly T[],
  options: Common<T> = {},
): T {
  const value = raw(name, options.env);
  const accepted = `one of ${values.join(', ')}`;
  if (value === undefined) {
    if (options.default !== undefined) return options.default;
    throw missing(name, accepted);
  }
  const found = values.find((v) => v.toLowerCase() === value.toLowerCase());
  if (found === undefined) throw new ConfigError(name, `must be ${accepted}`);
  return found;
}

/** Reads a base-10 integer in [min, max]. */
export function envInt(name: string, options: Common<number> & { min?: number; max?: number } = {}): number {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const accepted = `an integer from ${min} to ${max}`;
  const value = raw(name, options.env);
  if (value === undefined) {
    if (options.default !== undefined) return options.default;
    throw missing(name, accepted);
  }
  if (!/^-?\d{1,16}$/.test(value)) throw new ConfigError(name, `must be ${accepted}`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(name, `must be ${accepted}`);
  return n;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** Reads a boolean: true/false, 1/0, yes/no, on/off. */
export function envBool(name: string, options: Common<boolean> = {}): boolean {
  const value = raw(name, options.env)?.toLowerCase();
  const accepted = 'true or false';
  if (value === undefined) {
    if (options.default !== undefined) return options.default;
    throw missing(name, accepted);
  }
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new ConfigError(name, `must be ${accepted}`);
}

/** Reads a comma-separated list; empty items are dropped. */
export function envList(name: string, options: Common<readonly string[]> = {}): readonly string[] {
  const value = raw(name, options.env);
  if (value === undefined) {
    if (options.default !== undefined) return options.default;
    throw missing(name, 'a comma-separated list');
  }
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
