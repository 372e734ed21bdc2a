// Hostile input against every pattern: each schema's regular expressions answer at once (the
// build refuses patterns safe-regex2 flags), and so do the compiled validators.

import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import safeRegex from 'safe-regex2';
import { describe, expect, it } from 'vitest';
import { compileSchemas, planSchema, SchemaError } from '../../src/compiler.js';
import { SCHEMA_FOLDERS } from '../../src/generate.js';
import { SCHEMAS } from '../../src/generated/schemas.js';
import { validateInput } from '../../src/validate.js';
import { schemaProperties, timed, useFixedClock, VALID } from './helpers.js';

useFixedClock();

/** Generous: a linear pattern takes well under a millisecond on these. */
const BOUND_MS = 200;

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

  it.each(PATTERNS)('$file$path: $pattern is judged safe by safe-regex2', ({ pattern }) => {
    expect(safeRegex(pattern)).toBe(true);
  });

  it.each(PATTERNS)('$file$path: $pattern answers every adversarial string in time', ({ pattern }) => {
    // The validators compile patterns with the u flag. A schema's maxLength normally stops long
    // text before its pattern sees it; this runs the raw pattern on the full strings (some match:
    // the phone pattern takes "+1 1 1 ...", only its time matters here).
    const regex = new RegExp(pattern, 'u');
    for (const [name, text] of ADVERSARIAL) {
      const { result, ms } = timed(() => regex.test(text));
      expect(typeof result, name).toBe('boolean');
      expect(ms, name).toBeLessThan(BOUND_MS);
    }
  });
});

describe('compiled validators on adversarial input', () => {
  it.each(schemaProperties().filter((p) => p.type === 'string'))(
    '$schema.$property refuses every adversarial string in time',
    ({ schema, property }) => {
      for (const [name, text] of ADVERSARIAL) {
        const { result, ms } = timed(() => validateInput(schema, { ...VALID[schema], [property]: text }));
        expect(result.valid, name).toBe(false);
        expect(result.errorField, name).toBe(property);
        expect(ms, name).toBeLessThan(BOUND_MS);
      }
    },
  );

  it('attributes refuses adversarial keys and values, as an object and as JSON text, in time', () => {
    for (const [name, text] of ADVERSARIAL) {
      for (const attributes of [{ [text]: 'v' }, { note: text }]) {
        for (const sent of [attributes, JSON.stringify(attributes)]) {
          const { result, ms } = timed(() => validateInput('attributes', { attributes: sent }));
          expect(result.valid, name).toBe(false);
          expect(result.errorField, name).toBe('attributes');
          expect(ms, name).toBeLessThan(BOUND_MS);
        }
      }
    }
  });

  it('covers every compiled schema', () => {
    const covered = new Set(schemaProperties().map((p) => p.schema));
    expect(covered).toEqual(new Set(Object.keys(SCHEMAS)));
  });
});

describe('the build refuses patterns that may backtrack', () => {
  const schemaWith = (pattern: string, where: 'property' | 'propertyNames' = 'property') => ({
    $id: 'evil',
    type: 'object',
    properties: {
      value:
        where === 'property'
          ? { type: 'string', maxLength: 64, pattern }
          : {
              type: 'object',
              propertyNames: { type: 'string', maxLength: 64, pattern },
              additionalProperties: { type: 'string', maxLength: 64 },
            },
    },
  });

  it.each(['^(a+)+$', '(x+x+)+y', '^([0-9]+)*$', '^(\\d+|[0-9])+$', '(.*a){12}'])('refuses %s', (pattern) => {
    expect(() => planSchema('evil.json', schemaWith(pattern))).toThrow(SchemaError);
    expect(() => planSchema('evil.json', schemaWith(pattern))).toThrow(/backtrack catastrophically/);
  });

  it('finds a catastrophic pattern wherever it sits (here under propertyNames)', () => {
    expect(() => planSchema('evil.json', schemaWith('^(a+)+$', 'propertyNames'))).toThrow(
      /\/properties\/value\/propertyNames may backtrack/,
    );
  });

  it('refuses a pattern over 200 characters', () => {
    expect(() => planSchema('evil.json', schemaWith(`^${'[0-9]'.repeat(40)}$`))).toThrow(/backtrack/);
  });

  it('does not see overlapping alternation under a repeat (current behaviour: a known gap)', () => {
    // safe-regex2 measures star height only. `^([0-9]|[0-9][0-9])+$` backtracks exponentially on
    // "1111…x" (about 50 ms at 32 characters, doubling every few more), and a maxLength of 64
    // would let it run for hours. The build accepts it today; see docs/validation.md.
    expect(safeRegex('^([0-9]|[0-9][0-9])+$')).toBe(true);
    expect(planSchema('evil.json', schemaWith('^([0-9]|[0-9][0-9])+$')).name).toBe('evil');
    expect(planSchema('evil.json', schemaWith('^(a|aa)+$')).name).toBe('evil');
  });

  it('accepts the same schema with a linear pattern', () => {
    expect(planSchema('evil.json', schemaWith('^[a-z]+$')).name).toBe('evil');
  });

  it('stops compileSchemas at a catastrophic pattern in a user folder', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'flowguard-evil-'));
    try {
      await writeFile(join(folder, 'evil.json'), JSON.stringify(schemaWith('^(a+)+$')));
      await expect(compileSchemas([...SCHEMA_FOLDERS, folder])).rejects.toThrow(/evil\.json: pattern at/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
