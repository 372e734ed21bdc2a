import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/rules/index.js';
import { GENERATED } from './support/docs-tables.js';

const DOCS = join(import.meta.dirname, '../../../../docs/audit.md');

/** The text between `<!-- name:start -->` and `<!-- name:end -->`. */
const section = (text: string, name: string) =>
  new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(text)?.[1];

/** The JSON of a fenced block, however the formatter wrapped it. */
const fenced = (text: string | undefined) =>
  JSON.parse(/```json\n([\s\S]*)\n```/.exec(text ?? '')?.[1] ?? 'null');

/** Table rows without the padding the formatter adds (cells trimmed, separator dashes shortened). */
const unpadded = (text: string | undefined) =>
  text
    ?.split('\n')
    .map((line) =>
      line.startsWith('|')
        ? line
            .split(/(?<!\\)\|/)
            .map((cell) => cell.trim().replace(/^-{3,}$/, '---'))
            .join('|')
        : line,
    )
    .join('\n');

describe('docs/audit.md', () => {
  // UPDATE_DOCS=1 rewrites the sections; then `npx biome check --write docs/audit.md` pads the tables.
  it('holds the generated tables as the code makes them', () => {
    let text = readFileSync(DOCS, 'utf8');
    if (process.env.UPDATE_DOCS === '1') {
      for (const [name, make] of Object.entries(GENERATED)) {
        text = text.replace(
          new RegExp(`(<!-- ${name}:start -->)[\\s\\S]*?(<!-- ${name}:end -->)`),
          (_m, open: string, close: string) => `${open}\n${make()}\n${close}`,
        );
      }
      writeFileSync(DOCS, text);
    }
    for (const [name, make] of Object.entries(GENERATED)) {
      if (name === 'policy') expect(fenced(section(text, name))).toEqual(fenced(make()));
      else expect(unpadded(section(text, name)), name).toBe(unpadded(make()));
    }
  });

  it('has a section for every rule id, the anchor SARIF help links point to', () => {
    const text = readFileSync(DOCS, 'utf8');
    for (const rule of RULES) expect(text).toMatch(new RegExp(`^### ${rule.id}$`, 'm'));
  });
});
