// Cold import of each function bundle next to its floors: `pnpm bench` (after `pnpm build`).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS } from '@flowguard/functions/registry';
import { reportRows } from './lib/bench-rows.js';
import { bundleFunctions, DIST_DIR, listFunctions, REPO_ROOT } from './lib/bundle.js';
import { coldImports } from './lib/cold-import.js';

/**
 * Each function against the floor for the SDK it needs, with the ratio its issue set (the function
 * registry holds both); the DocumentClient floor shows what @aws-sdk/lib-dynamodb adds to the
 * plain client (reported, no target).
 */
const TARGETS: Record<string, { floor: string; ratio?: number }> = {
  ...Object.fromEntries(
    FUNCTIONS.map((f) => [f.name, { floor: f.coldImport.floor, ratio: f.coldImport.maxRatio }]),
  ),
  'floor-dynamodb-document': { floor: 'floor-dynamodb' },
  // screen-caller with start-contact's signing secret: it loads the Secrets Manager client at init.
  'screen-caller+edge': { floor: 'floor-dynamodb' },
};

const floorsDir = join(REPO_ROOT, 'scripts/bench/floors');
const floorsOut = join(REPO_ROOT, 'scripts/bench/dist');
const floors = await bundleFunctions({ handlersDir: floorsDir, outDir: floorsOut });
const functions = await listFunctions();
const files: Record<string, string> = {};
for (const floor of floors) files[floor.name] = floor.file;
for (const name of functions) files[name] = join(DIST_DIR, name, 'index.mjs');
files['screen-caller+edge'] = join(DIST_DIR, 'screen-caller', 'index.mjs');

const runs = Number(process.env.BENCH_RUNS ?? 25);
const medians = coldImports(files, runs);
const sizes = new Map(Object.entries(files).map(([name, file]) => [name, statSync(file).size]));
const zipOf = (file: string) => file.replace(/\/index\.mjs$/, '.zip');
const zips = new Map(
  Object.entries(files).map(([name, file]) => {
    try {
      return [name, statSync(zipOf(file)).size];
    } catch {
      return [name, 0];
    }
  }),
);

console.log(`cold import, median of ${runs} fresh processes each (node ${process.version})`);
console.log('bundle            size KiB   zip KiB   median ms   floor            ratio   target');
let failed = false;
for (const [name, ms] of Object.entries(medians)) {
  const target = TARGETS[name];
  const floorMs = target ? medians[target.floor] : undefined;
  const ratio = floorMs ? ms / floorMs : undefined;
  const limit = target?.ratio;
  let verdict = '';
  if (limit !== undefined && ratio !== undefined)
    verdict = ratio <= limit ? `<= ${limit} ok` : `> ${limit} MISSED`;
  if (verdict.includes('MISSED')) failed = true;
  const size = ((sizes.get(name) ?? 0) / 1024).toFixed(1);
  const zip = ((zips.get(name) ?? 0) / 1024).toFixed(1);
  reportRows([
    {
      group: 'cold import',
      name: `${name} (${size} KiB, zip ${zip} KiB), ms median of ${runs}`,
      measured: ms.toFixed(1),
      floor: target ? `${target.floor} ${floorMs?.toFixed(1) ?? ''}` : '',
      ratio: ratio ? ratio.toFixed(2) : '',
      target: limit !== undefined ? `<= ${limit}x floor` : '',
      verdict: verdict.includes('MISSED') ? 'MISSED' : verdict ? 'ok' : '',
    },
  ]);
  console.log(
    `${name.padEnd(17)} ${size.padStart(8)}  ${zip.padStart(8)}   ${ms.toFixed(1).padStart(9)}   ${(target?.floor ?? '').padEnd(16)} ${ratio ? ratio.toFixed(2).padStart(5) : '     '}   ${verdict}`,
  );
}
if (failed) process.exitCode = 1;
