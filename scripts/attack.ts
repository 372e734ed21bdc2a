// `pnpm attack`: the attack benchmark. Every mix of scripts/lib/attack.ts through the real
// screen-caller and challenge on dynalite with a virtual clock; one table, printed and written to
// docs/benchmarks.md ("Attack benchmark"), and one chart per mix in docs/attacks/. Exits 1 when a
// goal is missed (docs/benchmarks.md states each goal). `--mix <name>` runs one mix.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { challengeLength, DURATION_SECONDS, MIXES, type MixResult, runMix } from './lib/attack.js';
import { REPO_ROOT } from './lib/bundle.js';
import { type ChartBand, timeChart } from './lib/svg-chart.js';

const GOALS = {
  attackReach: 0.02,
  legitRefused: 0.005,
  hottestWrites: 500,
  requestsPerCall: 1.05,
} as const;

const only = process.argv.includes('--mix') ? process.argv[process.argv.indexOf('--mix') + 1] : undefined;
const mixes = MIXES.filter((m) => only === undefined || m.name === only);
if (mixes.length === 0) {
  console.error(`no mix named ${only}: ${MIXES.map((m) => m.name).join(', ')}`);
  process.exit(2);
}
// What the shipped challenge module asks; `--digits 1|2` tries the other length.
const digitsArgument = process.argv.includes('--digits')
  ? process.argv[process.argv.indexOf('--digits') + 1]
  : undefined;
const digits: 1 | 2 =
  digitsArgument === undefined
    ? challengeLength(new URL('../flows/', import.meta.url))
    : digitsArgument === '2'
      ? 2
      : 1;

const pct = (part: number, whole: number) => (whole === 0 ? '0 %' : `${((100 * part) / whole).toFixed(2)} %`);
const monitorOnly = (r: MixResult) => r.mix.env?.FLOWGUARD_SURGE_MONITOR === 'true';

/** The goals a mix misses, as text (none: met). A monitor-only mix is judged only on cost. */
function misses(r: MixResult): string[] {
  const out: string[] = [];
  if (
    !monitorOnly(r) &&
    r.attackAfter10s > 0 &&
    r.attackQueuedAfter10s / r.attackAfter10s > GOALS.attackReach
  )
    out.push('attack reach');
  if (!monitorOnly(r) && r.legitRefused / r.legitCalls > GOALS.legitRefused) out.push('legitimate refused');
  if (r.hottestWritesPerSecond >= GOALS.hottestWrites) out.push('hottest item');
  if (r.storeRequestsPerCall > GOALS.requestsPerCall) out.push('store requests');
  return out;
}

function chart(r: MixResult): string {
  const bands: ChartBand[] = [];
  let from = -1;
  r.seconds.forEach((s, i) => {
    if (s.surge && from < 0) from = i;
    if ((!s.surge || i === r.seconds.length - 1) && from >= 0) {
      bands.push({
        from,
        to: s.surge ? i + 1 : i,
        label: monitorOnly(r) ? 'surge (monitor-only)' : 'surge on',
      });
      from = -1;
    }
  });
  const series = (
    name: string,
    color: string,
    pick: (s: MixResult['seconds'][number]) => number,
    dashed = false,
  ) => ({
    name,
    color,
    values: r.seconds.map(pick),
    dashed,
  });
  return timeChart({
    title: `${r.mix.title}: calls per second`,
    xLabel: 'seconds',
    yLabel: 'calls per second',
    xStep: 1,
    series: [
      series('offered', '#64748b', (s) => s.offered),
      series('reached the queue', '#16a34a', (s) => s.queued),
      series('attack calls reaching the queue', '#dc2626', (s) => s.attackQueued),
      series('challenged', '#2563eb', (s) => s.challenged, true),
      series('refused (throttled or blocked)', '#9333ea', (s) => s.refused, true),
      ...(monitorOnly(r)
        ? [series('would have been challenged', '#f59e0b', (s) => s.wouldChallenge, true)]
        : []),
    ],
    bands,
  });
}

const results: MixResult[] = [];
for (const mix of mixes) {
  const began = performance.now();
  const result = await runMix(mix, { challengeDigits: digits });
  results.push(result);
  console.error(`${mix.name}: ${((performance.now() - began) / 1000).toFixed(0)} s wall time`);
  mkdirSync(join(REPO_ROOT, 'docs', 'attacks'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'docs', 'attacks', `${mix.name}.svg`), chart(result));
}

const header =
  '| mix | attack calls | reaching the queue in the first 10 s | reaching the queue after 10 s | time to surge | legitimate calls refused | legitimate callers challenged twice | legitimate calls challenged | store requests per call | instances | hottest item writes/s | aggregate item | surge scopes | verdict |';
const rows = results.map((r) => {
  const missed = misses(r);
  const reach = monitorOnly(r)
    ? `${pct(r.attackQueuedAfter10s, r.attackAfter10s)} (monitor-only: ${r.wouldChallenge} would have been challenged)`
    : pct(r.attackQueuedAfter10s, r.attackAfter10s);
  return `| ${r.mix.title} | ${r.attackCalls} | ${r.attackQueuedFirst10s} | ${reach} | ${r.timeToSurge === null ? 'none' : `${r.timeToSurge.toFixed(1)} s`} | ${r.legitRefused} of ${r.legitCalls} (${pct(r.legitRefused, r.legitCalls)}) | ${r.legitChallengedTwice} of ${r.legitCallers} | ${r.legitChallenged} | ${r.storeRequestsPerCall.toFixed(3)} | ${r.instances} | ${r.hottestWritesPerSecond} (${r.hottestItem}) | ${(r.aggregateItemBytes / 1024).toFixed(1)} KB | ${r.surgeScopes.join(', ') || 'none'} | ${missed.length === 0 ? 'ok' : `missed: ${missed.join(', ')}`} |`;
});
const table = [header, `|${'---|'.repeat(14)}`, ...rows].join('\n');
console.log(table);

if (only === undefined) {
  const file = join(REPO_ROOT, 'docs', 'benchmarks.md');
  const text = readFileSync(file, 'utf8');
  const begin = '<!-- attack table (kept by pnpm attack) -->';
  const end = '<!-- end of attack table -->';
  const block = `${begin}\n${table}\n\nRun: ${DURATION_SECONDS} virtual seconds per mix, ${digits}-digit challenges, Node ${process.version}.\n${end}`;
  const at = text.indexOf(begin);
  const next =
    at >= 0
      ? text.slice(0, at) + block + text.slice(text.indexOf(end) + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
process.exit(results.some((r) => misses(r).length > 0) ? 1 : 0);
