/**
 * Build time only: compiles the JSON Schemas in `schemas/` and `schemas/custom/` into standalone
 * validator code with ajv, plus a manifest and TypeScript types derived from the same schemas.
 * Nothing here is imported by the runtime (the validate-input bundle holds no schema compiler).
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import AjvModule, { _, type KeywordCxt, stringify } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import type { KeywordErrorCxt, RegExpEngine } from 'ajv/dist/types/index.js';
import addFormatsModule from 'ajv-formats';
import safeRegex from 'safe-regex2';
import { CHECKS, runCheck } from './checks.js';
import type { PropertyManifest } from './manifest-types.js';
import { compileLinear, linearRegExp } from './regexp.js';

export const COERCIONS = ['none', 'trim', 'upper', 'digits', 'dtmf', 'json'] as const;
export const OUTPUTS = ['value', 'masked', 'e164', 'isoDate', 'minorUnits', 'none'] as const;
/** Keys of the validate-input answer that a schema property may not take. */
export const RESERVED = new Set(['valid', 'errorField', 'errorCode', 'errorMessageKey', 'error', 'schema']);
const SCHEMA_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;
const MAX_PATTERN_LENGTH = 200;
/** The most decimals an amount may have: 12 integer digits and 3 decimals stay a safe integer. */
const MAX_DECIMALS = 3;

export type Coercion = (typeof COERCIONS)[number];
export type Output = (typeof OUTPUTS)[number];

/** What the build learns of each parameter: the runtime manifest holds exactly this. */
export type PropertyPlan = PropertyManifest;

export interface SchemaPlan {
  readonly name: string;
  readonly title: string;
  readonly file: string;
  readonly properties: readonly PropertyPlan[];
}

export class SchemaError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'SchemaError';
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keywords whose object's keys are names or patterns, not keywords. */
const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/** Every `pattern` and `patternProperties` key in a schema, wherever it sits, with its path. */
export function patterns(node: unknown, path = '', out: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) patterns(item, `${path}/${i}`, out);
  } else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      const at = `${path}/${key}`;
      if (key === 'pattern' && typeof value === 'string') out.push([at, value]);
      else if (NAME_MAPS.has(key) && isObject(value)) {
        for (const [name, schema] of Object.entries(value)) {
          if (key === 'patternProperties') out.push([`${at}/${name}`, name]);
          patterns(schema, `${at}/${name}`, out);
        }
      } else patterns(value, at, out);
    }
  }
  return out;
}

/**
 * The first construct of a pattern that RE2 cannot run in linear time (it would need
 * backtracking), named for the build error; undefined when there is none.
 */
export function unsupportedConstruct(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next)) return `a backreference (\\${next})`;
      if (next === 'k' && pattern[i + 2] === '<' && !inClass) return 'a named backreference (\\k<…>)';
      i++;
    } else if (inClass) {
      if (char === ']') inClass = false;
    } else if (char === '[') {
      inClass = true;
    } else if (char === '(') {
      const group = pattern.slice(i, i + 4);
      if (group.startsWith('(?=')) return 'a lookahead ((?=…))';
      if (group.startsWith('(?!')) return 'a negative lookahead ((?!…))';
      if (group === '(?<=') return 'a lookbehind ((?<=…))';
      if (group === '(?<!') return 'a negative lookbehind ((?<!…))';
    }
  }
  return undefined;
}

/** Why a pattern cannot be compiled for the validators, or undefined when it can. */
function patternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    // Compiled, never run: the syntax JSON Schema specifies (ECMA-262, as ajv reads it).
    new RegExp(pattern, 'u');
  } catch (error) {
    return `is not a valid ECMA-262 regular expression (${(error as Error).message})`;
  }
  const construct = unsupportedConstruct(pattern);
  if (construct)
    return `uses ${construct}, which RE2, the linear-time engine the validators match with, does not support (no lookaround, no backreferences)`;
  try {
    compileLinear(pattern);
  } catch (error) {
    return `does not compile with RE2, the linear-time engine the validators match with (${(error as Error).message})`;
  }
  return undefined;
}

/**
 * Early warnings, not errors: patterns safe-regex2 flags (nested quantifiers) would backtrack
 * catastrophically under a backtracking engine. RE2 runs them in linear time, but such a pattern
 * is usually a mistake and would hang any other validator given the same schema.
 */
export function patternWarnings(file: string, schema: unknown): string[] {
  return patterns(schema)
    .filter(([, pattern]) => !safeRegex(pattern))
    .map(
      ([path, pattern]) =>
        `${file}: pattern at ${path} (${pattern}) would backtrack catastrophically in a backtracking engine; it runs in linear time here (RE2), but consider a simpler one`,
    );
}

/** Strings without a length bound, wherever they sit (inputs must have maximum lengths). */
function unboundedStrings(node: unknown, path: string, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) unboundedStrings(item, `${path}/${i}`, out);
  } else if (isObject(node)) {
    if (node.type === 'string' && typeof node.maxLength !== 'number' && !Array.isArray(node.enum))
      out.push(path);
    for (const [key, value] of Object.entries(node)) unboundedStrings(value, `${path}/${key}`, out);
  }
  return out;
}

function checkNames(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) checkNames(item, out);
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'check') {
        const name = typeof value === 'string' ? value : isObject(value) ? value.name : undefined;
        out.push(typeof name === 'string' ? name : '');
      } else checkNames(value, out);
    }
  }
  return out;
}

/** The property a schema-level `cvv` check reads (`cvv` unless its `field` says otherwise). */
function cvvFieldOf(schema: Json): string | undefined {
  const check = schema.check;
  if (check === 'cvv') return 'cvv';
  if (!isObject(check) || check.name !== 'cvv') return undefined;
  return typeof check.field === 'string' ? check.field : 'cvv';
}

/** Checks the house rules a schema must follow and derives its plan. */
export function planSchema(file: string, schema: unknown): SchemaPlan {
  const fail = (message: string) => new SchemaError(file, message);
  if (!isObject(schema)) throw fail('a schema must be a JSON object');
  const name = schema.$id;
  if (typeof name !== 'string' || !SCHEMA_NAME.test(name)) {
    throw fail('$id must be a lower-case name (letters, digits, -), at most 40 characters');
  }
  if (basename(file, '.json') !== name) throw fail(`the file must be named ${name}.json after its $id`);
  if (schema.type !== 'object' || !isObject(schema.properties)) {
    throw fail('a schema describes the flow parameters: type "object" with "properties"');
  }
  for (const [path, pattern] of patterns(schema)) {
    const problem = patternProblem(pattern);
    if (problem) throw fail(`schema ${name}: pattern at ${path} ${problem}`);
  }
  const unbounded = unboundedStrings(schema, '');
  if (unbounded.length > 0) throw fail(`every string needs a maxLength (missing at ${unbounded.join(', ')})`);
  for (const check of checkNames(schema)) {
    if (!Object.hasOwn(CHECKS, check))
      throw fail(`unknown check '${check}'; checks: ${Object.keys(CHECKS).join(', ')}`);
  }
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const cvvField = cvvFieldOf(schema);
  const properties = Object.entries(schema.properties).map(([property, raw]): PropertyPlan => {
    if (!PROPERTY_NAME.test(property)) throw fail(`property '${property}' must be letters, digits and _`);
    if (RESERVED.has(property)) throw fail(`property '${property}' is a reserved answer key`);
    if (!isObject(raw)) throw fail(`property '${property}' must be a schema object`);
    const type = raw.type === 'object' ? 'object' : 'string';
    if (raw.type !== type)
      throw fail(`property '${property}' must be of type string or object (Connect sends text)`);
    const coerce = (raw['x-coerce'] ?? (type === 'object' ? 'json' : 'trim')) as Coercion;
    if (!COERCIONS.includes(coerce))
      throw fail(`property '${property}': x-coerce must be one of ${COERCIONS.join(', ')}`);
    const sensitive = raw['x-sensitive'] === true;
    // A masked CVV still tells its length (3 or 4: whether the card is Amex): it goes out as nothing.
    const hidden = property === cvvField ? 'none' : 'masked';
    const output = (raw['x-output'] ?? (sensitive ? hidden : type === 'object' ? 'none' : 'value')) as Output;
    if (!OUTPUTS.includes(output))
      throw fail(`property '${property}': x-output must be one of ${OUTPUTS.join(', ')}`);
    if (sensitive && output !== 'masked' && output !== 'none') {
      throw fail(`property '${property}' is sensitive: its x-output must be masked or none`);
    }
    const check = isObject(raw.check) ? raw.check : {};
    const order =
      check.order === 'MDY' || check.order === 'DMY' || check.order === 'YMD' ? check.order : undefined;
    const decimals = check.decimals;
    if (
      decimals !== undefined &&
      !(
        typeof decimals === 'number' &&
        Number.isInteger(decimals) &&
        decimals >= 0 &&
        decimals <= MAX_DECIMALS
      )
    )
      throw fail(`property '${property}': check decimals must be a whole number from 0 to ${MAX_DECIMALS}`);
    return {
      name: property,
      required: required.has(property),
      coerce,
      sensitive,
      output,
      type,
      ...(order ? { order } : {}),
      ...(typeof decimals === 'number' ? { decimals } : {}),
    };
  });
  return { name, title: typeof schema.title === 'string' ? schema.title : name, file, properties };
}

/** The `check` keyword: calls `runCheck(name, value, options)` from checks.ts; its code is the error. */
function checkKeyword(cxt: KeywordCxt): void {
  const { gen, data, schema } = cxt;
  const name = typeof schema === 'string' ? schema : String((schema as Json).name);
  const options: Json = typeof schema === 'string' ? {} : { ...(schema as Json) };
  const run = gen.scopeValue('func', { ref: runCheck, code: _`require("../checks.js").runCheck` });
  // Options are plain JSON (numbers, strings, booleans): the code generator writes them as literals.
  const problem = gen.const('problem', _`${run}(${name}, ${data}, ${stringify(options)})`);
  cxt.setParams({ code: problem, field: typeof options.field === 'string' ? options.field : '' });
  cxt.fail(problem);
}

export interface CompiledSchemas {
  readonly plans: readonly SchemaPlan[];
  /** ESM source of the standalone validators, one export per schema. */
  readonly validators: string;
  /** Early warnings the build prints (see {@link patternWarnings}); they do not fail it. */
  readonly warnings: readonly string[];
}

/**
 * ajv's `code.regExp`: patterns are compiled with {@link linearRegExp} here, and the standalone
 * code calls the same function from `src/regexp.ts` at load (`code` is what ajv writes for it).
 */
export const LINEAR_REGEXP: RegExpEngine = Object.assign(
  (pattern: string, u: string) => linearRegExp(pattern, u),
  {
    code: 'require("../regexp.js").linearRegExp',
  },
);

/** Reads the schema folders (later folders may not reuse a name) and compiles them. */
export async function compileSchemas(folders: readonly string[]): Promise<CompiledSchemas> {
  const plans: SchemaPlan[] = [];
  const schemas: Json[] = [];
  const warnings: string[] = [];
  for (const folder of folders) {
    const files = (await readdir(folder).catch(() => [] as string[]))
      .filter((f) => f.endsWith('.json'))
      .sort();
    for (const file of files) {
      const path = join(folder, file);
      let schema: unknown;
      try {
        schema = JSON.parse(await readFile(path, 'utf8'));
      } catch {
        throw new SchemaError(path, 'not valid JSON');
      }
      const plan = planSchema(path, schema);
      warnings.push(...patternWarnings(path, schema));
      if (plans.some((p) => p.name === plan.name))
        throw new SchemaError(path, `a schema named ${plan.name} exists already`);
      plans.push(plan);
      schemas.push(schema as Json);
    }
  }
  // CommonJS packages: under NodeNext their classes and functions sit on `default`.
  const ajv = new AjvModule.default({
    code: {
      source: true,
      esm: true,
      formats: _`require("../formats.js").fullFormats`,
      regExp: LINEAR_REGEXP,
    },
    // Lengths in UTF-16 units: the compiled code needs no helper module (Connect sends digits and
    // short text; a length bound is a guard against huge input either way).
    unicode: false,
    // ajv calls `unicode` deprecated; it is still the switch that drops the helper. Keep other warnings.
    logger: {
      log: () => {},
      warn: (...args: unknown[]) => {
        if (!String(args[0]).includes('option unicode')) console.warn(...args);
      },
      error: (...args: unknown[]) => console.error(...args),
    },
    allErrors: false,
    strict: true,
    allowUnionTypes: false,
  });
  addFormatsModule.default(ajv);
  for (const keyword of ['x-coerce', 'x-sensitive', 'x-output']) ajv.addKeyword({ keyword });
  ajv.addKeyword({
    keyword: 'check',
    schemaType: ['string', 'object'],
    // After the property's own length, pattern and enum keywords: their codes come first.
    post: true,
    code: checkKeyword,
    errors: true,
    error: {
      message: 'must pass its check',
      params: ({ params }: KeywordErrorCxt) => _`{code: ${params.code}, field: ${params.field}}`,
    },
  });
  for (const schema of schemas) {
    try {
      ajv.addSchema(schema);
      ajv.getSchema(String(schema.$id));
    } catch (error) {
      throw new SchemaError(String(schema.$id), error instanceof Error ? error.message : 'does not compile');
    }
  }
  const mapping = Object.fromEntries(plans.map((plan) => [exportName(plan.name), plan.name]));
  const source = standaloneModule.default(ajv, mapping);
  return { plans, validators: toImports(source), warnings };
}

/** `card` → `validate_card`; `example-member` → `validate_example_member`. */
export function exportName(schema: string): string {
  return `validate_${schema.replace(/-/g, '_')}`;
}

/**
 * ajv's ESM output still loads its helpers with `require()`; an ES module has no require, so each
 * distinct `require("x")` becomes a default import at the top.
 */
export function toImports(source: string): string {
  const modules = new Map<string, string>();
  const body = source.replace(/require\("([^"]+)"\)/g, (_match, module: string) => {
    let name = modules.get(module);
    if (!name) {
      name = `__import${modules.size}`;
      modules.set(module, name);
    }
    return name;
  });
  const imports = [...modules].map(([module, name]) => {
    if (module.startsWith('.')) return `import * as ${name} from ${JSON.stringify(module)};`;
    // A CommonJS file of a package without an exports map: Node's ESM loader wants the extension.
    const file = /\.[cm]?js$/.test(module) ? module : `${module}.js`;
    return `import ${name} from ${JSON.stringify(file)};`;
  });
  return `${imports.join('\n')}\n${body.replace(/^"use strict";/, '')}`;
}
