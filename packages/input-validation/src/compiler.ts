/**
 * Build time only: compiles the JSON Schemas in `schemas/` and `schemas/custom/` into standalone
 * validator code with ajv, plus a manifest and TypeScript types derived from the same schemas.
 * Nothing here is imported by the runtime (the validate-input bundle holds no schema compiler).
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import AjvModule, { _, type KeywordCxt, stringify } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import type { KeywordErrorCxt } from 'ajv/dist/types/index.js';
import addFormatsModule from 'ajv-formats';
import safeRegex from 'safe-regex2';
import { CHECKS, runCheck } from './checks.js';
import type { PropertyManifest } from './manifest-types.js';

export const COERCIONS = ['none', 'trim', 'upper', 'digits', 'dtmf', 'json'] as const;
export const OUTPUTS = ['value', 'masked', 'e164', 'isoDate', 'minorUnits', 'none'] as const;
/** Keys of the validate-input answer that a schema property may not take. */
export const RESERVED = new Set(['valid', 'errorField', 'errorCode', 'errorMessageKey', 'error', 'schema']);
const SCHEMA_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

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

/** Every `pattern` in a schema, wherever it sits, with its path. */
function patterns(node: unknown, path: string, out: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) patterns(item, `${path}/${i}`, out);
  } else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'pattern' && typeof value === 'string') out.push([path, value]);
      else patterns(value, `${path}/${key}`, out);
    }
  }
  return out;
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
  for (const [path, pattern] of patterns(schema, '')) {
    if (pattern.length > 200 || !safeRegex(pattern))
      throw fail(`pattern at ${path || '/'} may backtrack catastrophically`);
  }
  const unbounded = unboundedStrings(schema, '');
  if (unbounded.length > 0) throw fail(`every string needs a maxLength (missing at ${unbounded.join(', ')})`);
  for (const check of checkNames(schema)) {
    if (!Object.hasOwn(CHECKS, check))
      throw fail(`unknown check '${check}'; checks: ${Object.keys(CHECKS).join(', ')}`);
  }
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
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
    const output = (raw['x-output'] ??
      (sensitive ? 'masked' : type === 'object' ? 'none' : 'value')) as Output;
    if (!OUTPUTS.includes(output))
      throw fail(`property '${property}': x-output must be one of ${OUTPUTS.join(', ')}`);
    if (sensitive && output !== 'masked' && output !== 'none') {
      throw fail(`property '${property}' is sensitive: its x-output must be masked or none`);
    }
    const check = isObject(raw.check) ? raw.check : {};
    const order =
      check.order === 'MDY' || check.order === 'DMY' || check.order === 'YMD' ? check.order : undefined;
    return {
      name: property,
      required: required.has(property),
      coerce,
      sensitive,
      output,
      type,
      ...(order ? { order } : {}),
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
}

/** Reads the schema folders (later folders may not reuse a name) and compiles them. */
export async function compileSchemas(folders: readonly string[]): Promise<CompiledSchemas> {
  const plans: SchemaPlan[] = [];
  const schemas: Json[] = [];
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
      if (plans.some((p) => p.name === plan.name))
        throw new SchemaError(path, `a schema named ${plan.name} exists already`);
      plans.push(plan);
      schemas.push(schema as Json);
    }
  }
  // CommonJS packages: under NodeNext their classes and functions sit on `default`.
  const ajv = new AjvModule.default({
    code: { source: true, esm: true, formats: _`require("../formats.js").fullFormats` },
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
  return { plans, validators: toImports(source) };
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
