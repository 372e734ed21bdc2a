// Build time: the house rules planSchema enforces, user schema folders, and that the committed
// src/generated/ is exactly what the schemas compile to (and holds no schema compiler).
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileSchemas, exportName, planSchema, SchemaError, toImports } from '../../src/compiler.js';
import { GENERATED_DIR, generatedFiles, SCHEMA_FOLDERS } from '../../src/generate.js';
import { SCHEMAS } from '../../src/generated/schemas.js';
import { validateInput } from '../../src/validate.js';
import { loadValidator } from './helpers.js';

const [PACKAGE_SCHEMAS = '', CUSTOM_SCHEMAS = ''] = SCHEMA_FOLDERS;

/** A minimal valid schema named `name`, with `property` merged into its one property. */
function schema(name: string, property: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    $id: name,
    type: 'object',
    properties: { code: { type: 'string', maxLength: 8, pattern: '^[0-9]+$', ...property } },
    required: ['code'],
    ...extra,
  };
}

const LOYALTY = {
  $id: 'loyalty',
  title: 'Loyalty number (8 digits, Luhn) and tier',
  type: 'object',
  properties: {
    loyaltyNumber: {
      type: 'string',
      'x-coerce': 'digits',
      minLength: 8,
      maxLength: 8,
      pattern: '^[0-9]+$',
      check: 'luhn',
    },
    tier: { type: 'string', 'x-coerce': 'upper', maxLength: 8, enum: ['GOLD', 'SILVER'] },
    memberSince: {
      type: 'string',
      'x-output': 'isoDate',
      maxLength: 10,
      check: { name: 'date', order: 'DMY' },
    },
    secretWord: { type: 'string', 'x-sensitive': true, maxLength: 32 },
  },
  required: ['loyaltyNumber'],
};

describe('planSchema: house rules', () => {
  it('derives the plan a valid schema describes', () => {
    expect(planSchema('/x/loyalty.json', LOYALTY)).toEqual({
      name: 'loyalty',
      title: 'Loyalty number (8 digits, Luhn) and tier',
      file: '/x/loyalty.json',
      properties: [
        {
          name: 'loyaltyNumber',
          required: true,
          coerce: 'digits',
          sensitive: false,
          output: 'value',
          type: 'string',
        },
        { name: 'tier', required: false, coerce: 'upper', sensitive: false, output: 'value', type: 'string' },
        {
          name: 'memberSince',
          required: false,
          coerce: 'trim',
          sensitive: false,
          output: 'isoDate',
          type: 'string',
          order: 'DMY',
        },
        {
          name: 'secretWord',
          required: false,
          coerce: 'trim',
          sensitive: true,
          output: 'masked',
          type: 'string',
        },
      ],
    });
  });

  it('defaults an object property to json in and nothing out', () => {
    const plan = planSchema(
      'bag.json',
      schema('bag', {
        type: 'object',
        maxProperties: 4,
        additionalProperties: { type: 'string', maxLength: 8 },
      }),
    );
    expect(plan.properties[0]).toMatchObject({ type: 'object', coerce: 'json', output: 'none' });
  });

  it('refuses a string without maxLength, naming where', () => {
    expect(() => planSchema('a.json', schema('a', { maxLength: undefined }))).toThrow(
      /a\.json: every string needs a maxLength \(missing at \/properties\/code\)/,
    );
    const nested = schema('a', {
      type: 'object',
      additionalProperties: { type: 'string' },
    });
    expect(() => planSchema('a.json', nested)).toThrow(/missing at \/properties\/code\/additionalProperties/);
  });

  it('lets an enum stand in for maxLength', () => {
    expect(() => planSchema('a.json', schema('a', { maxLength: undefined, enum: ['1', '2'] }))).not.toThrow();
  });

  it('refuses a file not named after its $id', () => {
    expect(() => planSchema('/schemas/loyalty-card.json', LOYALTY)).toThrow(SchemaError);
    expect(() => planSchema('/schemas/loyalty-card.json', LOYALTY)).toThrow(/must be named loyalty\.json/);
  });

  it('refuses a $id that is not a lower-case name', () => {
    for (const id of ['Loyalty', '1loyalty', 'loyalty_card', 'l'.repeat(41), 7]) {
      expect(() => planSchema(`${String(id)}.json`, schema('x', {}, { $id: id })), String(id)).toThrow(
        /\$id must be/,
      );
    }
  });

  it('refuses an unknown check, as a name or in an object', () => {
    expect(() => planSchema('a.json', schema('a', { check: 'iban' }))).toThrow(/unknown check 'iban'/);
    expect(() => planSchema('a.json', schema('a', { check: { name: 'iban' } }))).toThrow(
      /unknown check 'iban'/,
    );
    expect(() => planSchema('a.json', schema('a', { check: 'constructor' }))).toThrow(/unknown check/);
  });

  it.each(['valid', 'errorField', 'errorCode', 'errorMessageKey', 'error', 'schema'])(
    'refuses the reserved property name %s',
    (name) => {
      const bad = { $id: 'a', type: 'object', properties: { [name]: { type: 'string', maxLength: 8 } } };
      expect(() => planSchema('a.json', bad)).toThrow(
        new RegExp(`property '${name}' is a reserved answer key`),
      );
    },
  );

  it('refuses a property name that is not a legal answer key', () => {
    const bad = { $id: 'a', type: 'object', properties: { 'card-number': { type: 'string', maxLength: 8 } } };
    expect(() => planSchema('a.json', bad)).toThrow(/must be letters, digits and _/);
  });

  it('refuses a sensitive property whose x-output would reveal it', () => {
    for (const output of ['value', 'e164', 'isoDate', 'minorUnits']) {
      expect(
        () => planSchema('a.json', schema('a', { 'x-sensitive': true, 'x-output': output })),
        output,
      ).toThrow(/is sensitive: its x-output must be masked or none/);
    }
    expect(
      planSchema('a.json', schema('a', { 'x-sensitive': true, 'x-output': 'none' })).properties[0],
    ).toMatchObject({
      sensitive: true,
      output: 'none',
    });
  });

  it('refuses an unknown x-coerce or x-output', () => {
    expect(() => planSchema('a.json', schema('a', { 'x-coerce': 'lower' }))).toThrow(
      /x-coerce must be one of/,
    );
    expect(() => planSchema('a.json', schema('a', { 'x-output': 'hash' }))).toThrow(
      /x-output must be one of/,
    );
  });

  it('refuses a property that is not a string or an object', () => {
    expect(() => planSchema('a.json', schema('a', { type: 'integer' }))).toThrow(
      /must be of type string or object/,
    );
  });

  it('refuses a schema that is not an object of properties', () => {
    expect(() => planSchema('a.json', [])).toThrow(/a schema must be a JSON object/);
    expect(() => planSchema('a.json', { $id: 'a', type: 'string', maxLength: 4 })).toThrow(/type "object"/);
  });
});

describe('compileSchemas', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flowguard-schemas-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('picks up a user schema folder: the schema is planned and exported', async () => {
    await writeFile(join(folder, 'loyalty.json'), JSON.stringify(LOYALTY));
    await writeFile(join(folder, 'notes.txt'), 'not a schema');

    const compiled = await compileSchemas([PACKAGE_SCHEMAS, folder]);

    expect(compiled.plans.map((p) => p.name)).toContain('loyalty');
    expect(compiled.plans.map((p) => p.name)).toContain('card');
    expect(compiled.validators).toContain('export const validate_loyalty =');
    expect(compiled.validators).toContain('export const validate_card =');
  });

  it('compiles a user schema into a validator that works', async () => {
    await writeFile(join(folder, 'loyalty.json'), JSON.stringify(LOYALTY));
    const compiled = await compileSchemas([folder]);
    const validate = await loadValidator(compiled, folder, 'loyalty');

    expect(validate({ loyaltyNumber: '12345674', memberSince: '31122001' })).toBe(true);
    expect(validate({ loyaltyNumber: '12345675' })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({
      instancePath: '/loyaltyNumber',
      keyword: 'check',
      params: { code: 'luhn' },
    });
    expect(validate({ loyaltyNumber: '12345674', memberSince: '31022001' })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ keyword: 'check', params: { code: 'not_a_date' } });
    expect(validate({ loyaltyNumber: '12345674', tier: 'BRONZE' })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ keyword: 'enum' });
  });

  it('refuses a name used in an earlier folder', async () => {
    await writeFile(join(folder, 'card.json'), JSON.stringify(schema('card')));
    await expect(compileSchemas([PACKAGE_SCHEMAS, folder])).rejects.toThrow(
      /card\.json: a schema named card exists already/,
    );
  });

  it('refuses a file that is not JSON, naming it', async () => {
    await writeFile(join(folder, 'broken.json'), '{"$id": "broken",');
    await expect(compileSchemas([folder])).rejects.toThrow(/broken\.json: not valid JSON/);
  });

  it('refuses a schema ajv will not compile in strict mode', async () => {
    await writeFile(join(folder, 'odd.json'), JSON.stringify(schema('odd', { maxLenght: 4 })));
    await expect(compileSchemas([folder])).rejects.toThrow(SchemaError);
  });

  it('takes a missing folder as empty', async () => {
    const compiled = await compileSchemas([join(folder, 'does-not-exist')]);
    expect(compiled.plans).toEqual([]);
  });
});

describe('exportName and toImports', () => {
  it('names exports after schemas', () => {
    expect(exportName('card')).toBe('validate_card');
    expect(exportName('example-member')).toBe('validate_example_member');
  });

  it('turns require() calls into imports at the top', () => {
    const source =
      '"use strict";const a = require("../checks.js").runCheck;const b = require("ajv/dist/runtime/equal").default;';
    expect(toImports(source)).toBe(
      'import * as __import0 from "../checks.js";\nimport __import1 from "ajv/dist/runtime/equal.js";\nconst a = __import0.runCheck;const b = __import1.default;',
    );
  });
});

describe('src/generated', () => {
  it('is exactly what the schemas compile to (a schema and its type cannot drift)', async () => {
    const expected = generatedFiles(await compileSchemas(SCHEMA_FOLDERS));
    const committed = (await readdir(GENERATED_DIR)).sort();

    expect(committed, 'src/generated has files the build does not write: run `pnpm build`').toEqual(
      Object.keys(expected).sort(),
    );
    for (const [file, text] of Object.entries(expected)) {
      const actual = await readFile(join(GENERATED_DIR, file), 'utf8');
      expect(
        actual === text,
        `src/generated/${file} is stale: run \`pnpm build\` (pnpm --filter @flowguard/input-validation build) and commit the result`,
      ).toBe(true);
    }
  });

  it('compiles the shipped and the user folder, in that order', () => {
    expect(SCHEMA_FOLDERS).toHaveLength(2);
    expect(PACKAGE_SCHEMAS).toMatch(/input-validation[\\/]schemas$/);
    expect(CUSTOM_SCHEMAS).toMatch(/input-validation[\\/]schemas[\\/]custom$/);
  });

  it('holds no schema compiler: validators import only checks, formats and ajv runtime helpers', async () => {
    const source = await readFile(join(GENERATED_DIR, 'validators.ts'), 'utf8');
    const imports = [...source.matchAll(/^\s*import\b[^;]*?from\s*"([^"]+)"/gm)].map((m) => m[1] ?? '');

    expect(imports.length).toBeGreaterThan(0);
    for (const module of imports) {
      expect(
        ['../checks.js', '../formats.js', '../regexp.js'].includes(module) ||
          module.startsWith('ajv/dist/runtime/'),
        module,
      ).toBe(true);
    }
    expect(source).not.toMatch(/\brequire\(/);
    expect(source).not.toContain('new Function');
    expect(source).not.toContain('new Ajv');
    expect(source).not.toContain('ajv/dist/compile');
    expect(source).not.toContain('safe-regex');
  });

  it('leaves the build-time modules out of the runtime entry', async () => {
    const runtime = [
      'index.ts',
      'validate.ts',
      'function.ts',
      'checks.ts',
      'regexp.ts',
      'generated/schemas.ts',
    ];
    for (const file of runtime) {
      const text = await readFile(new URL(`../../src/${file}`, import.meta.url), 'utf8');
      expect(text, file).not.toMatch(
        /from '\.\/compiler\.js'|from '\.\/generate\.js'|from 'ajv'|safe-regex2/,
      );
    }
  });
});

describe('planSchema: outputs', () => {
  it('returns nothing for the field a cvv check reads, unless the schema says otherwise', () => {
    const card = (extra: Record<string, unknown> = {}) => ({
      $id: 'pay',
      type: 'object',
      properties: {
        securityCode: { type: 'string', maxLength: 4, 'x-sensitive': true, ...extra },
        cardNumber: { type: 'string', maxLength: 19, 'x-sensitive': true },
      },
      check: { name: 'cvv', field: 'securityCode' },
    });

    const outputs = (schema: unknown) =>
      Object.fromEntries(planSchema('pay.json', schema).properties.map((p) => [p.name, p.output]));

    expect(outputs(card())).toEqual({ securityCode: 'none', cardNumber: 'masked' });
    expect(outputs(card({ 'x-output': 'masked' }))).toEqual({ securityCode: 'masked', cardNumber: 'masked' });
  });

  it('carries an amount check’s decimals to the minorUnits output', () => {
    const price = (decimals: unknown) =>
      schema('price', { 'x-output': 'minorUnits', check: { name: 'amount', decimals } });

    expect(planSchema('price.json', price(3)).properties[0]).toMatchObject({
      output: 'minorUnits',
      decimals: 3,
    });
    expect(planSchema('price.json', price(0)).properties[0]).toMatchObject({ decimals: 0 });
    for (const bad of [4, -1, 1.5, '2']) {
      expect(() => planSchema('price.json', price(bad)), String(bad)).toThrow(
        /property 'code': check decimals must be a whole number from 0 to 3/,
      );
    }
  });
});

describe('a user schema’s decimals, end to end', () => {
  let folder: string;
  const PRICE = {
    $id: 'price',
    type: 'object',
    properties: {
      price: {
        type: 'string',
        'x-output': 'minorUnits',
        maxLength: 16,
        pattern: '^[0-9]{1,9}([.][0-9]{1,3})?$',
        check: { name: 'amount', decimals: 3, max: '100000.000' },
      },
    },
    required: ['price'],
  };

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flowguard-price-'));
  });

  afterEach(async () => {
    delete (SCHEMAS as Record<string, unknown>).price;
    await rm(folder, { recursive: true, force: true });
  });

  it('answers minor units with the schema’s 3 decimals, not the default 2', async () => {
    await writeFile(join(folder, 'price.json'), JSON.stringify(PRICE));
    const compiled = await compileSchemas([folder]);
    const [plan] = compiled.plans;
    if (!plan) throw new Error('no plan');
    (SCHEMAS as Record<string, unknown>).price = {
      ...plan,
      validate: await loadValidator(compiled, folder, 'price'),
    };

    expect(validateInput('price', { price: '12.5' }).values).toEqual({ price: '12500' });
    expect(validateInput('price', { price: '1.005' }).values).toEqual({ price: '1005' });
    expect(validateInput('price', { price: '7' }).values).toEqual({ price: '7000' });
  });
});
