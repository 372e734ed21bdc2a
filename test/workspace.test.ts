// `pnpm typecheck` is one tsc over the root tsconfig.json: it must cover every folder a package's
// own tsconfig.json includes, or a package's tests or scripts would go unchecked.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@flowguard/scripts/bundle';
import { describe, expect, it } from 'vitest';

const readJson = (file: string) =>
  JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as { include?: string[] };

describe('the root typecheck', () => {
  it('covers every folder each package type-checks on its own', () => {
    const root = readJson('tsconfig.json').include ?? [];
    const packages = readdirSync(join(REPO_ROOT, 'packages'), { withFileTypes: true }).filter((e) =>
      e.isDirectory(),
    );
    expect(packages.length).toBeGreaterThan(10);
    for (const { name } of packages) {
      for (const folder of readJson(`packages/${name}/tsconfig.json`).include ?? []) {
        expect(root, `packages/${name}/${folder}`).toContain(`packages/*/${folder}`);
      }
    }
    for (const folder of ['scripts/lib', 'scripts/bench', 'test/**/*.ts']) expect(root).toContain(folder);
  });
});
