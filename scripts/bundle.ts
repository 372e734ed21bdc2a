// Bundles the functions: `pnpm build` (all) or `tsx scripts/bundle.ts <name> ...`.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkSdkDeepImports } from '@flowguard/secure-input/sdk-fence';
import { BundleError, bundleFunctions, REPO_ROOT, sizeTable } from './lib/bundle.js';

const names = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));

// The Encryption SDK files imported by path must still be there, with what the code calls, before
// anything is bundled (docs/secure-input.md, "Moving to a new Encryption SDK version").
const packagesDir = join(REPO_ROOT, 'packages');
const sdkProblems = checkSdkDeepImports(
  readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(packagesDir, entry.name)),
  REPO_ROOT,
);
if (sdkProblems.length > 0) {
  for (const problem of sdkProblems) console.error(`bundle: ${problem}`);
  process.exit(1);
}

try {
  const results = await bundleFunctions(names.length > 0 ? { names } : {});
  console.log(sizeTable(results));
} catch (error) {
  console.error(`bundle: ${error instanceof BundleError ? error.message : String(error)}`);
  process.exitCode = 1;
}
