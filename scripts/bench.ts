// `pnpm bench`: every benchmark, each next to its floor in the same run, then one table printed
// and written to docs/benchmarks.md with the machine and Node version.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchRow } from './lib/bench-rows.js';
import { REPO_ROOT } from './lib/bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'flowguard-bench-'));
const out = join(dir, 'rows.jsonl');
writeFileSync(out, '');
const env = {
  ...process.env,
  BENCH_OUT: out,
  TURBO_TELEMETRY_DISABLED: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
let failed = false;
const run = (command: string, args: string[], extra: Record<string, string> = {}) => {
  try {
    execFileSync(command, args, { cwd: REPO_ROOT, env: { ...env, ...extra }, stdio: 'inherit' });
  } catch {
    failed = true;
  }
};

run('pnpm', ['build']);
for (const bench of ['screening', 'validation', 'crypto', 'import', 'forwarding', 'edge'])
  run('pnpm', ['exec', 'tsx', `scripts/bench/${bench}.bench.ts`]);
run('pnpm', ['exec', 'tsx', 'scripts/bench-cold.ts']);
run('pnpm', ['exec', 'vitest', 'run', '--project', 'slow', 'load'], { LOAD: 'full' });
// The persistent caller at its full size: 20,000 contacts of one number through the bundle.
run('pnpm', ['exec', 'vitest', 'run', '--project', 'slow', 'attacks'], { ATTACK: 'full' });
// The attack mixes (surge mode, the challenge): their own table in docs/benchmarks.md and charts
// in docs/attacks/.
run('pnpm', ['attack']);

const rows = readFileSync(out, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as BenchRow);
rmSync(dir, { recursive: true, force: true });
const order = [
  'screening',
  'validation',
  'secure input',
  'import',
  'forwarding',
  'edge',
  'cold import',
  'load',
];
rows.sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group));

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const machine = `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, Node ${process.version}`;
const cell = (text = '') => text.replace(/\|/g, '\\|');
const table = [
  '| group | figure | measured | floor | ratio | target | verdict |',
  '|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.group} | ${cell(r.name)} | ${cell(r.measured)} | ${cell(r.floor)} | ${cell(r.ratio)} | ${cell(r.target)} | ${r.verdict ?? ''} |`,
  ),
].join('\n');
const NOTES = '<!-- notes (kept by pnpm bench) -->';
const doc = `# Benchmarks

Produced by \`pnpm bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine}.
Each figure is measured next to its floor in the same run (ratios, not absolute times, carry the
targets); cold imports are medians of fresh processes, run interleaved.

${table}
`;
// Notes written by hand below the marker stay from run to run.
const docFile = join(REPO_ROOT, 'docs/benchmarks.md');
const previous = existsSync(docFile) ? readFileSync(docFile, 'utf8') : '';
const notes = previous.includes(NOTES) ? previous.slice(previous.indexOf(NOTES)) : `${NOTES}\n`;
writeFileSync(docFile, `${doc}\n${notes}`);
console.log(`\n${table}\n\nmachine: ${machine}\nwritten to docs/benchmarks.md`);
if (failed || rows.some((r) => r.verdict === 'MISSED')) process.exitCode = 1;
