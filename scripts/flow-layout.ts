// Gives every block of flows/*.json a position for the Connect flow designer (Metadata.
// entryPointPosition and Metadata.ActionMetadata.<id>.position, the shape its exports carry), so
// an imported flow lays out instead of stacking at the origin. Positions already there (a flow
// re-exported after a designer moved its blocks) are kept: `pnpm exec tsx scripts/flow-layout.ts`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { layoutFlow, parseFlow } from '@flowguard/flow-sim';
import { REPO_ROOT } from './lib/bundle.js';

const dir = join(REPO_ROOT, 'flows');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const path = join(dir, file);
  const document = JSON.parse(readFileSync(path, 'utf8')) as { Metadata?: Record<string, unknown> };
  const layout = layoutFlow(parseFlow(document));
  const metadata = document.Metadata ?? {};
  const existing = (metadata.ActionMetadata ?? {}) as Record<string, unknown>;
  document.Metadata = {
    ...metadata,
    entryPointPosition: metadata.entryPointPosition ?? layout.entryPointPosition,
    ActionMetadata: { ...layout.ActionMetadata, ...existing },
  };
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`laid out ${file}`);
}
