import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// One config for the workspace: each package is a project (its tests under tests/), and the
// cross-package suites in test/ are one more. Two cores here and in CI: two workers.
const packages = readdirSync(new URL('./packages/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

export default defineConfig({
  test: {
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: { name, root: `packages/${name}`, include: ['tests/**/*.test.ts'] },
      })),
      { extends: true as const, test: { name: 'suites', root: 'test', include: ['**/*.test.ts'] } },
    ],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Lambda runs Node 22; the SDK's warning about Node 20 on this machine is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
