import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import {
  type BlockInput,
  LimitSyntaxError,
  parseDuration,
  type ScreeningStore,
} from '@flowguard/caller-screening';
import type { CountryCode } from 'libphonenumber-js/max';
import type { Context } from './context.js';
import { type CsvRecord, readCsv } from './csv.js';
import { CommandError } from './errors.js';
import { iso, json } from './format.js';
import { callerKey, KeyError } from './keys.js';
import { Progress } from './progress.js';
import { describeStoreError, isPermanent, isStoreUnavailable } from './store.js';

export interface ImportOptions {
  readonly file: string;
  readonly dryRun: boolean;
  readonly country: CountryCode;
  /** For rows without a `by` value. */
  readonly by: string;
  /** For rows with an empty `duration`. */
  readonly defaultSeconds: number;
  readonly concurrency: number;
  /** Epoch seconds durations count from; default now. */
  readonly from: number | undefined;
}

/** A row ready to write. */
interface Row {
  readonly line: number;
  readonly key: string;
  readonly reason: string;
  readonly seconds: number;
  readonly by: string;
}

export interface Rejection {
  readonly line: number;
  /** The number or key as written in the file. */
  readonly number: string;
  readonly problem: string;
}

export const MAX_REASON = 500;
const MAX_BY = 128;
/** Rows handed to the store at a time (its reads and history entries are batched within). */
const BATCH_ROWS = 1000;
/** Attempts per row when the store is unavailable, and the backoff between them. */
export const ROW_ATTEMPTS = 5;
const BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5000;
/** Rows failing one after another (after their retries) before the import stops. */
const FAILURE_RUN_LIMIT = 20;

const COLUMN_ALIASES: Record<string, string> = {
  number: 'number',
  key: 'number',
  reason: 'reason',
  duration: 'duration',
  by: 'by',
  // Written by `export` for people; the duration column is what counts.
  until: 'until',
};
const HEADER_HELP = 'the first line must name the columns: number,reason[,duration][,by]';
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

interface Parsed {
  rows: Row[];
  rejected: Rejection[];
  /** Data rows seen (not blank lines, not the header). */
  total: number;
}

async function openFile(file: string): Promise<void> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new CommandError(`cannot read '${file}': it is a directory`);
  } catch (error) {
    if (error instanceof CommandError) throw error;
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    throw new CommandError(
      code === 'ENOENT'
        ? `cannot read '${file}': no such file`
        : `cannot read '${file}'${code ? ` (${code})` : ''}`,
    );
  }
}

function header(cells: readonly string[]): Map<string, number> | string {
  const columns = new Map<string, number>();
  for (const [index, cell] of cells.entries()) {
    const name = COLUMN_ALIASES[cell.toLowerCase()];
    if (!name) return `${HEADER_HELP} (unknown column '${cell.slice(0, 40)}')`;
    if (columns.has(name)) return `${HEADER_HELP} (column '${cell}' twice)`;
    columns.set(name, index);
  }
  if (!columns.has('number')) return `${HEADER_HELP} (no number column)`;
  if (!columns.has('reason')) return `${HEADER_HELP} (no reason column)`;
  return columns;
}

/** Reads and checks every row; nothing is written here. */
async function readRows(options: ImportOptions): Promise<Parsed> {
  await openFile(options.file);
  const rows: Row[] = [];
  const rejected: Rejection[] = [];
  const seen = new Map<string, number>();
  // The header's columns, or why it is unusable (then nothing after it is read).
  const file: { columns: Map<string, number> | string | null; total: number } = { columns: null, total: 0 };
  const onRecord = ({ line, cells }: CsvRecord) => {
    const blank = cells.length === 1 && cells[0] === '';
    if (blank || typeof file.columns === 'string') return;
    if (file.columns === null) {
      file.columns = header(cells);
      if (typeof file.columns === 'string') rejected.push({ line, number: '', problem: file.columns });
      return;
    }
    file.total++;
    const row = checkRow(cells, line, file.columns, options, seen);
    if ('problem' in row) rejected.push(row);
    else rows.push(row);
  };
  let read: Awaited<ReturnType<typeof readCsv>>;
  try {
    read = await readCsv(createReadStream(options.file, { encoding: 'utf8' }), onRecord);
  } catch (error) {
    // File system errors (EACCES, EIO, ...) only; anything else is a bug and stays one.
    if (!(error instanceof Error && 'code' in error && typeof error.code === 'string')) throw error;
    throw new CommandError(`cannot read '${options.file}' (${error.code})`);
  }
  if ('error' in read && typeof file.columns !== 'string') {
    // After text that is not CSV no later line can be placed: the check stops there.
    if (file.columns === null) {
      rejected.push({ line: read.line, number: '', problem: `${HEADER_HELP} (${read.error.message})` });
    } else {
      file.total++;
      rejected.push({ line: read.line, number: '', problem: read.error.message });
    }
  } else if (file.columns === null) {
    rejected.push({ line: 1, number: '', problem: `the file is empty: ${HEADER_HELP}` });
  }
  return { rows, rejected, total: file.total };
}

function checkRow(
  cells: readonly string[],
  line: number,
  columns: ReadonlyMap<string, number>,
  options: ImportOptions,
  seen: Map<string, number>,
): Row | Rejection {
  const cell = (name: string) => {
    const index = columns.get(name);
    return index === undefined ? '' : (cells[index] ?? '');
  };
  const number = cell('number');
  if (cells.length > columns.size) {
    return {
      line,
      number,
      problem: `${cells.length} fields but the header has ${columns.size} (quote a reason that contains a comma)`,
    };
  }
  const problems: string[] = [];
  let key = '';
  if (number === '') problems.push('missing number');
  else {
    try {
      key = callerKey(number, options.country);
    } catch (error) {
      if (!(error instanceof KeyError)) throw error;
      problems.push(`bad number: ${error.message}`);
    }
  }
  // A spreadsheet's multi-line cell reads as one line, as `export` writes it.
  const reason = cell('reason').replace(/\s*(?:\r\n|\r|\n)\s*/g, ' ');
  if (reason === '') problems.push('missing reason');
  else if (reason.length > MAX_REASON) problems.push(`reason longer than ${MAX_REASON} characters`);
  else if (CONTROL.test(reason)) problems.push('control characters in reason');
  const duration = cell('duration');
  let seconds = options.defaultSeconds;
  if (duration !== '') {
    try {
      seconds = parseDuration(duration);
    } catch (error) {
      if (!(error instanceof LimitSyntaxError)) throw error;
      problems.push(`bad duration '${duration.slice(0, 20)}': ${error.message}`);
    }
  }
  const by = cell('by') || options.by;
  if (by.length > MAX_BY || CONTROL.test(by)) problems.push(`bad by: at most ${MAX_BY} characters, one line`);
  if (key !== '') {
    const first = seen.get(key);
    if (first !== undefined) problems.push(`duplicate of line ${first} (${key})`);
    else seen.set(key, line);
  }
  if (problems.length > 0) return { line, number, problem: problems.join('; ') };
  return { line, key, reason, seconds, by };
}

type BlockResult = Awaited<ReturnType<ScreeningStore['blockMany']>>[number];

interface Failure {
  readonly line: number;
  readonly key: string;
  readonly problem: string;
}

interface ApplyResult {
  applied: number;
  kept: number;
  ended: number;
  failed: number;
  notAttempted: number;
  failures: Failure[];
  warnings: Failure[];
  aborted: string | null;
}

/**
 * Writes the checked rows, BATCH_ROWS at a time, through the store's `blockMany`: one conditional
 * write per row (never shortening a block), `concurrency` of them in flight, rows whose block
 * already stands read in batches and not written, history entries written in batches. A row the
 * store could not write is retried with backoff, up to ROW_ATTEMPTS times.
 */
async function applyRows(ctx: Context, rows: readonly Row[], options: ImportOptions, nowSeconds: number) {
  const store = ctx.store();
  const fromSeconds = options.from ?? nowSeconds;
  const result: ApplyResult = {
    applied: 0,
    kept: 0,
    ended: 0,
    failed: 0,
    notAttempted: 0,
    failures: [],
    warnings: [],
    aborted: null,
  };
  const progress = new Progress((text) => ctx.err(text), rows.length, ctx.stderrIsTTY);
  let done = 0;
  let failureRun = 0;
  const count = (row: Row, outcome: 'applied' | 'kept' | 'ended', warning?: string) => {
    failureRun = 0;
    result[outcome]++;
    if (warning) result.warnings.push({ line: row.line, key: row.key, problem: warning });
    progress.update(++done, result);
  };
  const fail = (row: Row, problem: string) => {
    result.failed++;
    result.failures.push({ line: row.line, key: row.key, problem });
    if (++failureRun >= FAILURE_RUN_LIMIT && result.aborted === null) {
      result.aborted = `${failureRun} rows in a row failed: ${problem}`;
    }
    progress.update(++done, result);
  };
  const inputOf = (row: Row): BlockInput => ({
    key: row.key,
    untilSeconds: fromSeconds + row.seconds,
    reason: row.reason,
    by: row.by,
    nowSeconds,
    action: 'block',
  });

  /** One batch, its failed rows retried; rows the store never took are left to `notAttempted`. */
  const applyBatch = async (batch: readonly Row[]) => {
    let pending = batch;
    for (let attempt = 1; pending.length > 0 && result.aborted === null; attempt++) {
      const attempted = pending;
      const inputs = attempted.map(inputOf);
      // A first attempt's rows are counted as they come (the progress line); retried ones below.
      const outcomes = await store.blockMany(inputs, {
        concurrency: options.concurrency,
        onResult:
          attempt === 1
            ? (index, outcome) => {
                if (outcome.result !== 'failed') count(attempted[index] as Row, outcome.result);
              }
            : undefined,
      });
      const retry: Row[] = [];
      for (const [index, outcome] of outcomes.entries()) {
        const row = attempted[index] as Row;
        if (outcome.result !== 'failed') {
          if (attempt > 1) count(row, ...(await retried(row, inputs[index] as BlockInput, outcome)));
          continue;
        }
        if (isPermanent(outcome.error)) {
          // Refused outright (no table, no access): nothing was written; the import stops.
          result.aborted ??= describeStoreError(outcome.error, ctx.table());
        } else if (attempt >= ROW_ATTEMPTS) {
          fail(row, `${describeStoreError(outcome.error, ctx.table())} (${attempt} attempts)`);
        } else retry.push(row);
      }
      pending = retry;
      if (pending.length > 0 && result.aborted === null) {
        const backoff = Math.min(MAX_BACKOFF_MS, BACKOFF_MS * 2 ** (attempt - 1));
        await ctx.sleep(backoff / 2 + Math.random() * (backoff / 2));
      }
    }
  };

  /**
   * A retried row's outcome. `kept` with this row's very block in place means an earlier attempt
   * wrote it and failed after (on its history entry, or its answer was lost): then it is this
   * run's, applied.
   */
  const retried = async (
    row: Row,
    input: BlockInput,
    outcome: Exclude<BlockResult, { result: 'failed' }>,
  ): Promise<['applied' | 'kept', string?]> => {
    if (outcome.result === 'kept' && outcome.blockedUntil === input.untilSeconds) {
      const state = await store.getState(row.key).catch(() => null);
      if (state?.blockedAt === nowSeconds && state.blockReason === row.reason && state.blockedBy === row.by) {
        return [
          'applied',
          'applied, but its history entry may be missing (the store failed after the write)',
        ];
      }
    }
    return [outcome.result];
  };

  const live: Row[] = [];
  for (const row of rows) {
    // With --from, a block that would already have ended is not written.
    if (fromSeconds + row.seconds <= nowSeconds) count(row, 'ended');
    else live.push(row);
  }
  for (let start = 0; start < live.length && result.aborted === null; start += BATCH_ROWS) {
    try {
      await applyBatch(live.slice(start, start + BATCH_ROWS));
    } catch (error) {
      result.aborted ??= isStoreUnavailable(error)
        ? describeStoreError(error, ctx.table())
        : `unexpected error: ${error instanceof Error ? error.name : 'unknown'}`;
    }
  }
  progress.finish();
  result.notAttempted = rows.length - done;
  result.failures.sort((a, b) => a.line - b.line);
  result.warnings.sort((a, b) => a.line - b.line);
  return { ...result, fromSeconds };
}

/** `flowguard blocklist import`: check every row, then write all of them or nothing. */
export async function importBlocklist(ctx: Context, options: ImportOptions): Promise<number> {
  const started = performance.now();
  const { rows, rejected, total } = await readRows(options);
  if (rejected.length > 0) {
    if (ctx.json) {
      ctx.out(json({ file: options.file, rows: total, written: 0, rejected }));
    } else {
      for (const r of rejected) ctx.out(`line ${r.line}: ${r.problem}\n`);
    }
    const rowsText =
      total > 0 ? `${rejected.length} of ${total} rows rejected` : 'the file has no usable header';
    throw new CommandError(`import refused: ${rowsText}; nothing was written`);
  }
  if (options.dryRun) {
    if (ctx.json) ctx.out(json({ file: options.file, rows: total, dryRun: true, written: 0, rejected: [] }));
    else ctx.out(`dry run: all ${total} rows are valid; nothing was written\n`);
    return 0;
  }
  const checkedSeconds = (performance.now() - started) / 1000;
  if (rows.length > 0) {
    ctx.err(
      `checked ${rows.length} rows in ${checkedSeconds.toFixed(1)} s; writing with concurrency ${Math.min(options.concurrency, rows.length)}\n`,
    );
  }
  const nowSeconds = ctx.nowSeconds();
  const result = await applyRows(ctx, rows, options, nowSeconds);
  const seconds = (performance.now() - started) / 1000;
  const from = iso(result.fromSeconds);
  if (ctx.json) {
    ctx.out(
      json({
        file: options.file,
        rows: total,
        applied: result.applied,
        kept: result.kept,
        ...(options.from !== undefined ? { ended: result.ended } : {}),
        failed: result.failed,
        notAttempted: result.notAttempted,
        from,
        seconds: Number(seconds.toFixed(2)),
        aborted: result.aborted,
        failures: result.failures,
        warnings: result.warnings,
      }),
    );
  } else {
    const ended = options.from !== undefined ? `, ended ${result.ended}` : '';
    const skipped = result.notAttempted > 0 ? `, not attempted ${result.notAttempted}` : '';
    ctx.out(
      `applied ${result.applied}, kept ${result.kept}${ended}, failed ${result.failed}${skipped} of ${total} rows in ${seconds.toFixed(1)} s\n`,
    );
    if (total > 0) {
      ctx.out(`durations counted from ${from} (to re-run without lengthening blocks: --from ${from})\n`);
    }
    for (const w of result.warnings) ctx.out(`line ${w.line}: ${w.key}: ${w.problem}\n`);
    for (const f of result.failures) ctx.out(`line ${f.line}: ${f.key}: failed: ${f.problem}\n`);
  }
  if (result.aborted !== null)
    throw new CommandError(
      `import stopped: ${result.aborted}; re-run it to finish (rows already written are kept)`,
    );
  if (result.failed > 0)
    throw new CommandError(`${result.failed} rows failed; re-run the import to retry them`);
  return 0;
}
