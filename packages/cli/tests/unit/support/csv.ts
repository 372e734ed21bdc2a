import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'flowguard-cli-'));
let files = 0;

/** Writes a CSV file (lines joined with \n, ending with one) and returns its path. */
export function csvFile(lines: readonly string[], name = `import-${++files}.csv`): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

export function removeCsvFiles(): void {
  rmSync(dir, { recursive: true, force: true });
}

/** `n` distinct valid US numbers: +1 415 2xx xxxx. */
export function usNumber(i: number): string {
  return `+1415${String(2_000_000 + i)}`;
}
