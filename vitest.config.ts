import { readdirSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';

// One config for the workspace: each package is a project (its tests under tests/), and the
// cross-package suites in test/ are one more. Two cores here and in CI: two workers.
//
// Two tiers. Tests named `*.slow.test.ts` (the 100,000-row import, the load and attack suites)
// form the project `slow`, which `pnpm test` leaves out and `pnpm test:slow` runs; the fuzz suite
// runs in both, at 300 events a function in the fast tier and 2,000 in the slow one.
const packages = readdirSync(new URL('./packages/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

const SLOW = '**/*.slow.test.ts';
const exclude = [...configDefaults.exclude, SLOW];
// A tier's sizes are defaults: a run that sets them (`pnpm fuzz`, `pnpm load`) keeps its own.
const { FUZZ_RUNS, LOAD } = process.env;

export default defineConfig({
  test: {
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: {
          name,
          root: `packages/${name}`,
          include: ['tests/**/*.test.ts'],
          exclude,
          // The CDK tests share one load of aws-cdk-lib per worker (seconds each) instead of one per
          // file: they build independent apps and touch no global state.
          ...(name === 'infra' ? { isolate: false } : {}),
        },
      })),
      {
        extends: true as const,
        test: {
          name: 'suites',
          root: 'test',
          include: ['**/*.test.ts'],
          exclude,
          env: { FUZZ_RUNS: FUZZ_RUNS ?? '300' },
        },
      },
      {
        extends: true as const,
        test: {
          name: 'slow',
          include: ['packages/*/tests/**/*.slow.test.ts', `test/${SLOW}`, 'test/fuzz.test.ts'],
          // One file at a time: the load suite measures screening under its own concurrency, and
          // beside the 100,000-row import on two cores its store requests time out.
          fileParallelism: false,
          env: { FUZZ_RUNS: FUZZ_RUNS ?? '2000', LOAD: LOAD ?? 'full' },
        },
      },
    ],
    pool: 'forks',
    maxWorkers: 2,
    // Bounds for a hang, not measurements: a test that passes alone must also pass beside another
    // run on the same two cores. A test that needs longer says so itself.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Lambda runs Node 22; the SDK's warning about Node 20 on this machine is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
