import { appendFileSync } from 'node:fs';

/** One measured figure, as every benchmark reports it for the combined table. */
export interface BenchRow {
  readonly group: string;
  readonly name: string;
  readonly measured: string;
  readonly floor?: string;
  readonly ratio?: string;
  readonly target?: string;
  readonly verdict?: 'ok' | 'MISSED' | '';
}

/** Appends rows to the file named by BENCH_OUT (JSON lines), when the combined run asks. */
export function reportRows(rows: readonly BenchRow[]): void {
  const file = process.env.BENCH_OUT;
  if (!file) return;
  appendFileSync(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
}

/**
 * Prints a benchmark's rows (`[name, measured, target, note, verdict]`) as an aligned table and
 * reports them for the combined table under `group`.
 */
export function printAndReport(group: string, rows: readonly (readonly string[])[]): void {
  const header = [`${group} benchmark`, 'measured', 'target', 'note', 'verdict'];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]?.length ?? 0)));
  for (const row of [header, ...rows])
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  reportRows(
    rows.map(([name = '', measured = '', target = '', note = '', verdict = '']) => ({
      group,
      name,
      measured: `${measured}${note ? ` (${note})` : ''}`,
      target,
      verdict: verdict === 'ok' || verdict === 'MISSED' ? verdict : '',
    })),
  );
}
