// Hostile input against every pattern, and the build's handling of patterns that would backtrack:
// the validators match with RE2 (linear time, src/regexp.ts), so the answers below hold whatever
// the pattern; safe-regex2 stays as an early warning. No assertion here times anything.

import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RE2JS } from 're2js';
import safeRegex from 'safe-regex2';
import { describe, expect, it } from 'vitest';
import { compileSchemas, patternWarnings, planSchema, SchemaError } from '../../src/compiler.js';
import { SCHEMA_FOLDERS } from '../../src/generate.js';
import { SCHEMAS } from '../../src/generated/schemas.js';
import { compileLinear, linearRegExp } from '../../src/regexp.js';
import { coerceParameter, validateInput } from '../../src/validate.js';
import { loadValidator, schemaProperties, useFixedClock, VALID } from './helpers.js';

useFixedClock();

const ADVERSARIAL: readonly [string, string][] = [
  ['a x 50000', 'a'.repeat(50_000)],
  ['1 x 10000 + x', `${'1'.repeat(10_000)}x`],
  ['+ then "1 " x 20000', `+${'1 '.repeat(20_000)}`],
  ['+ then "1 " x 20000 + x', `+${'1 '.repeat(20_000)}x`],
  ['A x 25000 + 1', `${'A'.repeat(25_000)}1`],
  ['"A1" x 20000 + !', `${'A1'.repeat(20_000)}!`],
  ['"1." x 20000', '1.'.repeat(20_000)],
  ['12 digits, a point, 0 x 20000', `${'1'.repeat(12)}.${'0'.repeat(20_000)}`],
  ['"0000-" x 8000', '0000-'.repeat(8_000)],
  ['- x 30000 + space', `${'-'.repeat(30_000)} `],
  ['* and # x 15000 + A', `${'*#'.repeat(15_000)}A`],
  ['fullwidth 1 x 20000', '１'.repeat(20_000)],
  ['NUL x 10000', '\u0000'.repeat(10_000)],
];

/** Every `pattern` in every schema file, shipped and user, with where it sits. */
function schemaPatterns(): { file: string; path: string; pattern: string }[] {
  const out: { file: string; path: string; pattern: string }[] = [];
  const walk = (file: string, node: unknown, path: string) => {
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) walk(file, item, `${path}/${i}`);
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'pattern' && typeof value === 'string') out.push({ file, path, pattern: value });
        else walk(file, value, `${path}/${key}`);
      }
    }
  };
  for (const folder of SCHEMA_FOLDERS) {
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.json'))) {
      walk(file, JSON.parse(readFileSync(join(folder, file), 'utf8')) as unknown, '');
    }
  }
  return out;
}

const PATTERNS = schemaPatterns();

describe('schema patterns', () => {
  it('are found in every schema file that has one', () => {
    const files = new Set(PATTERNS.map((p) => p.file));
    expect(files).toEqual(
      new Set([
        'account.json',
        'amount.json',
        'attributes.json',
        'card.json',
        'cvv.json',
        'digits.json',
        'dob.json',
        'expiry.json',
        'phone.json',
        'pin.json',
        'postcode.json',
        'routing.json',
        'sortcode.json',
        'zip.json',
        'example-member.json',
      ]),
    );
  });

  it.each(PATTERNS)(
    '$file$path: $pattern is judged safe by safe-regex2 (no early warning)',
    ({ pattern }) => {
      expect(safeRegex(pattern)).toBe(true);
    },
  );

  it.each(PATTERNS)('$file$path: $pattern answers every adversarial string through RE2', ({ pattern }) => {
    // A schema's maxLength normally stops long text before its pattern sees it; this runs the
    // pattern, as the validators build it, on the full strings.
    const regex = linearRegExp(pattern, 'u');
    for (const [name, text] of ADVERSARIAL) expect(typeof regex.test(text), name).toBe('boolean');
  });
});

describe('compiled validators on adversarial input', () => {
  const required = (schema: string, property: string) =>
    SCHEMAS[schema]?.properties.find((p) => p.name === property)?.required === true;

  it.each(schemaProperties().filter((p) => p.type === 'string'))(
    '$schema.$property refuses every adversarial string',
    ({ schema, property }) => {
      for (const [name, text] of ADVERSARIAL) {
        const result = validateInput(schema, { ...VALID[schema], [property]: text });
        // Text that coerces to nothing (only separators) is no value: fine for an optional one.
        const nothing = coerceParameter(schema, property, text) === undefined && text.length <= 65_536;
        if (nothing && !required(schema, property)) {
          expect(result.valid, name).toBe(true);
          continue;
        }
        expect(result.valid, name).toBe(false);
        expect(result.errorField, name).toBe(property);
      }
    },
  );

  it('attributes refuses adversarial keys and values, as an object and as JSON text', () => {
    for (const [name, text] of ADVERSARIAL) {
      for (const attributes of [{ [text]: 'v' }, { note: text }]) {
        for (const sent of [attributes, JSON.stringify(attributes)]) {
          const result = validateInput('attributes', { attributes: sent });
          expect(result.valid, name).toBe(false);
          expect(result.errorField, name).toBe('attributes');
        }
      }
    }
  });

  it('covers every compiled schema', () => {
    const covered = new Set(schemaProperties().map((p) => p.schema));
    expect(covered).toEqual(new Set(Object.keys(SCHEMAS)));
  });
});

describe('patterns that would backtrack', () => {
  const schemaWith = (
    pattern: string,
    where: 'property' | 'propertyNames' | 'patternProperties' = 'property',
    maxLength = 64,
  ) => ({
    $id: 'evil',
    type: 'object',
    properties: {
      value: {
        property: { type: 'string', maxLength, pattern },
        propertyNames: {
          type: 'object',
          propertyNames: { type: 'string', maxLength: 64, pattern },
          additionalProperties: { type: 'string', maxLength: 64 },
        },
        patternProperties: {
          type: 'object',
          patternProperties: { [pattern]: { type: 'string', maxLength: 64 } },
        },
      }[where],
    },
  });

  const CATASTROPHIC = ['^(a+)+$', '(x+x+)+y', '^([0-9]+)*$', '^(\\d+|[0-9])+$', '(.*a){12}'];

  it.each(CATASTROPHIC)('compiles %s, with an early warning naming where it sits', (pattern) => {
    expect(planSchema('evil.json', schemaWith(pattern)).name).toBe('evil');
    expect(patternWarnings('evil.json', schemaWith(pattern))).toEqual([
      expect.stringMatching(
        /^evil\.json: pattern at \/properties\/value\/pattern .* would backtrack catastrophically/,
      ),
    ]);
  });

  it('warns wherever the pattern sits: under propertyNames, as a patternProperties key', () => {
    expect(patternWarnings('evil.json', schemaWith('^(a+)+$', 'propertyNames'))[0]).toMatch(
      /pattern at \/properties\/value\/propertyNames\/pattern/,
    );
    expect(patternWarnings('evil.json', schemaWith('^(a+)+$', 'patternProperties'))[0]).toMatch(
      /pattern at \/properties\/value\/patternProperties\/\^\(a\+\)\+\$/,
    );
  });

  it('has no warning for a linear pattern', () => {
    expect(patternWarnings('evil.json', schemaWith('^[a-z]+$'))).toEqual([]);
  });

  it('misses overlapping alternation under a repeat: why the engine, not the check, is the guard', () => {
    // safe-regex2 measures star height only; a backtracking engine takes exponential time here.
    expect(safeRegex('^([0-9]|[0-9][0-9])+$')).toBe(true);
    expect(patternWarnings('evil.json', schemaWith('^([0-9]|[0-9][0-9])+$'))).toEqual([]);
  });

  it('compiles every pattern with RE2: the generated code builds no native RegExp', async () => {
    const compiled = await compileSchemas(SCHEMA_FOLDERS);
    expect(compiled.validators).not.toContain('new RegExp');
    expect(compiled.validators).toMatch(
      /import \* as (__import\d+) from "\.\.\/regexp\.js";[\s\S]*= \1\.linearRegExp;/,
    );
    expect(compileLinear('^([0-9]|[0-9][0-9])+$')).toBeInstanceOf(RE2JS);
  });

  it.each([
    ['^([0-9]|[0-9][0-9])+$', '1', 'x'],
    ['^(a+)+$', 'a', '!'],
  ])('%s compiles and answers 50,000 hostile characters', async (pattern, unit, spoiler) => {
    const folder = await mkdtemp(join(tmpdir(), 'flowguard-evil-'));
    try {
      await writeFile(join(folder, 'evil.json'), JSON.stringify(schemaWith(pattern, 'property', 60_000)));
      const compiled = await compileSchemas([folder]);
      const validate = await loadValidator(compiled, folder, 'evil');

      const hostile = `${unit.repeat(50_000)}${spoiler}`;
      expect(validate({ value: hostile })).toBe(false);
      expect(validate.errors?.[0]).toMatchObject({ instancePath: '/value', keyword: 'pattern' });
      expect(validate({ value: unit.repeat(50_000) })).toBe(true);
      expect(compiled.validators).toContain(`.linearRegExp;`);
      expect(compiled.validators).toContain(JSON.stringify(pattern));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it.each([
    ['(?=.*[0-9])[0-9a-z]+', 'a lookahead'],
    ['^(?![0]+$)[0-9]+$', 'a negative lookahead'],
    ['(?<=#)[0-9]+', 'a lookbehind'],
    ['(?<!0)[0-9]+', 'a negative lookbehind'],
    ['^([0-9])\\1+$', 'a backreference (\\1)'],
    ['^(?<d>[0-9])\\k<d>$', 'a named backreference'],
  ])('refuses %s, naming the schema, the path and %s', (pattern, construct) => {
    const refuse = () => planSchema('/x/evil.json', schemaWith(pattern));
    expect(refuse).toThrow(SchemaError);
    expect(refuse).toThrow(
      `/x/evil.json: schema evil: pattern at /properties/value/pattern uses ${construct}`,
    );
    expect(refuse).toThrow(/which RE2, the linear-time engine .* does not support/);
  });

  it('reads a bracket expression as text, not as a group', () => {
    expect(planSchema('evil.json', schemaWith('^[(?=!]+$')).name).toBe('evil');
    expect(planSchema('evil.json', schemaWith('^\\(\\?=[0-9]+$')).name).toBe('evil');
  });

  it('refuses a construct under patternProperties too', () => {
    expect(() => planSchema('evil.json', schemaWith('(?=a)a', 'patternProperties'))).toThrow(
      /pattern at \/properties\/value\/patternProperties\/\(\?=a\)a uses a lookahead/,
    );
  });

  it('refuses what ECMA-262 or RE2 cannot read, saying which', () => {
    expect(() => planSchema('evil.json', schemaWith('^[0-9'))).toThrow(
      /pattern at \/properties\/value\/pattern is not a valid ECMA-262 regular expression/,
    );
    expect(() => planSchema('evil.json', schemaWith('^\\p{Script=Greek}+$'))).toThrow(
      /pattern at \/properties\/value\/pattern does not compile with RE2.*\\p\{Script=Greek\}/,
    );
  });

  it('refuses a pattern over 200 characters', () => {
    expect(() => planSchema('evil.json', schemaWith(`^${'[0-9]'.repeat(40)}$`))).toThrow(
      /is longer than 200 characters/,
    );
  });

  it('stops compileSchemas at an unsupported pattern in a user folder', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'flowguard-evil-'));
    try {
      await writeFile(join(folder, 'evil.json'), JSON.stringify(schemaWith('^(?!0+$)[0-9]+$')));
      await expect(compileSchemas([...SCHEMA_FOLDERS, folder])).rejects.toThrow(
        /evil\.json: schema evil: pattern at \/properties\/value\/pattern uses a negative lookahead/,
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('passes its early warnings out of compileSchemas, and none for the shipped schemas', async () => {
    expect((await compileSchemas(SCHEMA_FOLDERS)).warnings).toEqual([]);
    const folder = await mkdtemp(join(tmpdir(), 'flowguard-evil-'));
    try {
      await writeFile(join(folder, 'evil.json'), JSON.stringify(schemaWith('^(a+)+$')));
      const compiled = await compileSchemas([folder]);
      expect(compiled.warnings).toEqual([expect.stringMatching(/evil\.json: pattern at .* would backtrack/)]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
