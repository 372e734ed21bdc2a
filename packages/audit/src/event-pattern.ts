/**
 * EventBridge event patterns, evaluated the way EventBridge does (Amazon EventBridge User Guide,
 * "Comparison operators for use in event patterns":
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):
 * fields are ANDed, the values in a field's array are ORed, an array in the event matches when one
 * of its elements does, `$or` takes alternatives. An operator this module does not know (or a
 * malformed pattern) matches nothing, so an unusual rule is never counted as a control.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The pattern, or undefined when the text is not a JSON object. */
export function parsePattern(text: string | undefined): JsonObject | undefined {
  if (!text) return undefined;
  try {
    const pattern = JSON.parse(text) as unknown;
    return isObject(pattern) ? pattern : undefined;
  } catch {
    return undefined;
  }
}

export function matchesPattern(pattern: JsonObject, event: JsonObject): boolean {
  return Object.entries(pattern).every(([key, condition]) => {
    if (key === '$or') {
      return Array.isArray(condition) && condition.some((alt) => isObject(alt) && matchesPattern(alt, event));
    }
    const present = Object.hasOwn(event, key);
    const value = event[key];
    if (Array.isArray(condition)) return matchesLeaf(condition, present, value);
    if (isObject(condition)) {
      if (!present) return matchesPattern(condition, {});
      return isObject(value) && matchesPattern(condition, value);
    }
    return false;
  });
}

function matchesLeaf(conditions: readonly Json[], present: boolean, value: Json | undefined): boolean {
  if (conditions.length === 0) return false;
  return conditions.some((condition) => {
    if (isObject(condition) && 'exists' in condition) return condition.exists === present;
    if (!present || value === undefined) return false;
    const values = Array.isArray(value) ? value : [value];
    return values.some((one) => matchesValue(condition, one));
  });
}

function matchesValue(condition: Json, value: Json): boolean {
  if (!isObject(condition)) return condition === value;
  const entries = Object.entries(condition);
  if (entries.length !== 1) return false;
  const [operator, operand] = entries[0] as [string, Json];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && affix(operand, value, (v, a) => v.startsWith(a));
    case 'suffix':
      return typeof value === 'string' && affix(operand, value, (v, a) => v.endsWith(a));
    case 'equals-ignore-case':
      return (
        typeof value === 'string' &&
        typeof operand === 'string' &&
        value.toLowerCase() === operand.toLowerCase()
      );
    case 'wildcard':
      return typeof value === 'string' && typeof operand === 'string' && wildcard(operand).test(value);
    case 'anything-but':
      return !anyOf(operand, value);
    case 'numeric':
      return typeof value === 'number' && Array.isArray(operand) && numeric(operand, value);
    default:
      return false;
  }
}

/** `prefix` / `suffix` take a string, or `{"equals-ignore-case": string}`. */
function affix(operand: Json, value: string, test: (value: string, affix: string) => boolean): boolean {
  if (typeof operand === 'string') return test(value, operand);
  const ignoringCase = isObject(operand) ? operand['equals-ignore-case'] : undefined;
  return typeof ignoringCase === 'string' && test(value.toLowerCase(), ignoringCase.toLowerCase());
}

/** What `anything-but` excludes: a value, a list of values, or one operator. */
function anyOf(operand: Json, value: Json): boolean {
  if (Array.isArray(operand)) return operand.some((one) => anyOf(one, value));
  if (isObject(operand)) return matchesValue(operand, value);
  return operand === value;
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`, 's');
}

const COMPARE: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function numeric(terms: readonly Json[], value: number): boolean {
  if (terms.length === 0 || terms.length % 2 !== 0) return false;
  for (let i = 0; i < terms.length; i += 2) {
    const compare = COMPARE[String(terms[i])];
    const bound = terms[i + 1];
    if (!compare || typeof bound !== 'number' || !compare(value, bound)) return false;
  }
  return true;
}
