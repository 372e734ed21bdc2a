// Blocklist import benchmark: `flowguard blocklist import` of IMPORT_ROWS rows (default 10,000)
// against dynalite in its own process, next to a floor measured in the same run: the same rows
// written one `block()` each, 16 in flight, as the import wrote them before `blockMany` (a
// conditional UpdateItem and a history PutItem per row). Each figure on a fresh dynalite, the two
// interleaved, IMPORT_ROUNDS times (default 2); the best of each is reported. Then a re-run of the
// same file (`--from` the first run's time, an hour later), next to the same floor re-run.
//
//   pnpm exec tsx scripts/bench/import.bench.ts
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BlockInput, DynamoScreeningStore } from '@flowguard/caller-screening';
import { run } from '@flowguard/cli';
import { countRequests, type RequestCounter, startLocalDynamoDBProcess } from '@flowguard/testing';
import { type BenchRow, reportRows } from '../lib/bench-rows.js';

const ROWS = Number(process.env.IMPORT_ROWS ?? 10_000);
const ROUNDS = Number(process.env.IMPORT_ROUNDS ?? 2);
const CONCURRENCY = 16;
/** The target: five times the rate of the per-row writes, against the same dynalite. */
const TARGET_RATIO = 5;
const NOW_MS = Date.parse('2025-06-01T12:00:00Z');
const NOW = NOW_MS / 1000;
const LATER_MS = NOW_MS + 3600_000;

const number = (i: number) => `+1415${2_000_000 + i}`;
const seconds = (i: number) => (1 + (i % 30)) * 86_400;
const dir = mkdtempSync(join(tmpdir(), 'flowguard-import-bench-'));
const file = join(dir, 'blocks.csv');
writeFileSync(
  file,
  `number,reason,duration\n${Array.from({ length: ROWS }, (_, i) => `${number(i)},bulk import ${i},${1 + (i % 30)}d`).join('\n')}\n`,
);

interface Figure {
  readonly rowsPerSecond: number;
  /** CPU per row, this process and dynalite's: what bounds the rate on a busy machine. */
  readonly cpuMsPerRow: number;
  readonly requests: string;
}

/** CPU seconds of this process's children (the dynalite process), from /proc; 0 elsewhere. */
function childCpuSeconds(): number {
  let total = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid) total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

async function timed(counter: RequestCounter, work: () => Promise<void>): Promise<Figure> {
  const cpu = process.cpuUsage();
  const childCpu = childCpuSeconds();
  const started = performance.now();
  await work();
  const rowsPerSecond = ROWS / ((performance.now() - started) / 1000);
  const own = process.cpuUsage(cpu);
  const cpuSeconds = (own.user + own.system) / 1e6 + (childCpuSeconds() - childCpu);
  const requests = [...counter.byOperation].map(([name, n]) => `${name} ${n}`).join(', ');
  counter.reset();
  return { rowsPerSecond, cpuMsPerRow: (cpuSeconds * 1000) / ROWS, requests };
}

/** The rows written one `block()` each, CONCURRENCY in flight: the import's write path before. */
function perRow(store: DynamoScreeningStore, nowSeconds: number) {
  return async () => {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < ROWS; i = next++) {
        const input: BlockInput = {
          key: `tel:${number(i)}`,
          untilSeconds: NOW + seconds(i),
          reason: `bulk import ${i}`,
          by: 'bench',
          nowSeconds,
          action: 'block',
        };
        await store.block(input);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
}

function importFile(store: DynamoScreeningStore, nowMs: number, extra: string[], expect: string) {
  return async () => {
    let out = '';
    const code = await run(['blocklist', 'import', file, '--json', '--by', 'bench', ...extra], {
      env: {},
      store,
      now: () => nowMs,
      stdout: (text) => {
        out += text;
      },
      stderr: () => {},
    });
    const summary = JSON.parse(out) as Record<string, unknown>;
    if (code !== 0 || summary[expect] !== ROWS) throw new Error(`import failed: ${out.slice(0, 400)}`);
  };
}

type Run = { first: Figure; rerun: Figure };

async function measure(kind: 'floor' | 'import'): Promise<Run> {
  const local = await startLocalDynamoDBProcess();
  try {
    const store = new DynamoScreeningStore({ client: local.client, tableName: local.tableName });
    const counter = countRequests(local.client);
    if (kind === 'floor') {
      const first = await timed(counter, perRow(store, NOW));
      const rerun = await timed(counter, perRow(store, LATER_MS / 1000));
      return { first, rerun };
    }
    const first = await timed(counter, importFile(store, NOW_MS, [], 'applied'));
    const from = ['--from', new Date(NOW_MS).toISOString().replace('.000Z', 'Z')];
    const rerun = await timed(counter, importFile(store, LATER_MS, from, 'kept'));
    return { first, rerun };
  } finally {
    await local.stop();
  }
}

const best: Record<'floor' | 'import', Run[]> = { floor: [], import: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? (['floor', 'import'] as const) : (['import', 'floor'] as const)) {
      const figure = await measure(kind);
      best[kind].push(figure);
      console.log(
        `round ${round + 1} ${kind}: ${Math.round(figure.first.rowsPerSecond)} rows/s, ${figure.first.cpuMsPerRow.toFixed(2)} CPU ms a row (${figure.first.requests}); ` +
          `re-run ${Math.round(figure.rerun.rowsPerSecond)} rows/s, ${figure.rerun.cpuMsPerRow.toFixed(2)} CPU ms a row (${figure.rerun.requests})`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const fastest = (figures: Run[], which: keyof Run) => Math.max(...figures.map((f) => f[which].rowsPerSecond));
const leanest = (figures: Run[], which: keyof Run) => Math.min(...figures.map((f) => f[which].cpuMsPerRow));
const size = ROWS.toLocaleString('en-US');
const rows: BenchRow[] = (['first', 'rerun'] as const).map((which) => {
  const measured = fastest(best.import, which);
  const floor = fastest(best.floor, which);
  const ratio = measured / floor;
  const first = which === 'first';
  return {
    group: 'import',
    name: `blocklist import, ${size} rows${first ? '' : ', re-run (--from)'}, dynalite in its own process, rows/s best of ${ROUNDS}`,
    measured: `${Math.round(measured)}`,
    floor: `per-row block() x${CONCURRENCY} ${Math.round(floor)}`,
    ratio: ratio.toFixed(2),
    target: first ? `>= ${TARGET_RATIO}x floor` : '',
    verdict: first ? (ratio >= TARGET_RATIO ? 'ok' : 'MISSED') : '',
  };
});
// CPU a row (this process and dynalite's) bounds the rate when both cores are busy; the ratio is
// how many rows the import writes for the CPU the per-row writes spent on one.
const cpu = leanest(best.import, 'first');
const cpuFloor = leanest(best.floor, 'first');
rows.push({
  group: 'import',
  name: `blocklist import, ${size} rows, CPU ms a row (client and dynalite), least of ${ROUNDS}`,
  measured: cpu.toFixed(2),
  floor: `per-row block() x${CONCURRENCY} ${cpuFloor.toFixed(2)}`,
  ratio: (cpuFloor / cpu).toFixed(2),
  target: '',
  verdict: '',
});
reportRows(rows);
for (const row of rows) console.log(`${row.name}: ${row.measured} (floor ${row.floor}, ratio ${row.ratio})`);
