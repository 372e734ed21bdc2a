// Bundles the functions: `pnpm build` (all) or `tsx scripts/bundle.ts <name> ...`.
import { BundleError, bundleFunctions, sizeTable } from './lib/bundle.js';

const names = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));

try {
  const results = await bundleFunctions(names.length > 0 ? { names } : {});
  console.log(sizeTable(results));
} catch (error) {
  console.error(`bundle: ${error instanceof BundleError ? error.message : String(error)}`);
  process.exitCode = 1;
}
