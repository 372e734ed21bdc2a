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
