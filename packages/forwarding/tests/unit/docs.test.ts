// docs/data-minimisation.md must stay true: its policy examples validate, and its variables table
// names exactly the variables the functions read.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FORWARD_CONTACT_RECORDS_VARIABLES,
  FORWARD_RECORDINGS_VARIABLES,
  validatePolicyDocument,
} from '../../src/index.js';

const doc = readFileSync(
  fileURLToPath(new URL('../../../../docs/data-minimisation.md', import.meta.url)),
  'utf8',
);

describe('docs/data-minimisation.md', () => {
  it('has policy examples that validate', () => {
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] ?? '') as unknown);
    const documents = blocks.filter((b) => typeof b === 'object' && b !== null && 'policies' in b);
    expect(documents.length).toBeGreaterThanOrEqual(3);
    for (const document of documents) expect(() => validatePolicyDocument(document)).not.toThrow();
  });

  it('lists every variable the functions read, and no other', () => {
    const section = doc.slice(doc.indexOf('### Variables'), doc.indexOf('### Metrics'));
    const listed = [...section.matchAll(/^\| `([A-Z0-9_]+)`/gm)].map((m) => m[1]);
    const read = new Set(
      [...FORWARD_CONTACT_RECORDS_VARIABLES, ...FORWARD_RECORDINGS_VARIABLES].map((v) => v.name),
    );
    expect([...listed].sort()).toEqual([...read].sort());
  });
});
