import { readFileSync } from 'node:fs';
import { FLOW_DOCS_FILE, flowDocs, README_FILE, readmeWithFlows } from '@flowguard/scripts/flow-docs';
import {
  ARCHITECTURE_FILE,
  architectureWithPackages,
  workspacePackages,
} from '@flowguard/scripts/package-docs';
import { describe, expect, it } from 'vitest';

describe('docs/flows.md', () => {
  it('shows the flows as they are in flows/ (run `tsx scripts/flow-docs.ts` after changing one)', () => {
    expect(readFileSync(FLOW_DOCS_FILE, 'utf8')).toBe(flowDocs());
  });

  it('keeps the README’s flow picture in step with flows/caller-screening.json', () => {
    const readme = readFileSync(README_FILE, 'utf8');

    expect(readme).toBe(readmeWithFlows(readme));
  });
});

describe('docs/architecture.md', () => {
  it('lists every package as its package.json describes it (run `tsx scripts/flow-docs.ts` after changing one)', () => {
    const text = readFileSync(ARCHITECTURE_FILE, 'utf8');

    expect(text).toBe(architectureWithPackages(text));
    for (const { manifest } of workspacePackages()) expect(text).toContain(`\`${manifest.name}\``);
  });
});

describe('the README layout', () => {
  it('lists every package folder', () => {
    const readme = readFileSync(README_FILE, 'utf8');
    const folders = workspacePackages().map(({ folder }) => folder);

    expect(folders.length).toBeGreaterThan(12);
    for (const folder of folders) expect(readme, folder).toMatch(new RegExp(`^${folder}/? `, 'm'));
  });
});
