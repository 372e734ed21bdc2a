import type { Readable } from 'node:stream';
import { type Options, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';

/** Text that is not CSV (an unclosed quote, text after a closing quote). */
export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

/** One record as read, and the line it starts on (1-based: a quoted cell may span lines). */
export interface CsvRecord {
  readonly line: number;
  readonly cells: string[];
}

/** The longest record read: a quote left open must not pull a whole file into one cell. */
const MAX_RECORD_CHARS = 64 * 1024;

// RFC 4180 as spreadsheets write it: quoted cells may hold commas, quotes ("") and line breaks; rows may have fewer or more cells than the header (the import says which).
const OPTIONS: Options = {
  bom: true,
  trim: true,
  relax_column_count: true,
  max_record_size: MAX_RECORD_CHARS,
};

const PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'unterminated quoted field',
  CSV_INVALID_CLOSING_QUOTE: 'text after a closing quote',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text after a closing quote',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field',
  CSV_MAX_RECORD_SIZE: `a record longer than ${MAX_RECORD_CHARS} characters (a quote left open?)`,
};

function csvProblem(error: unknown): CsvError | null {
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  if (!code.startsWith('CSV_') && !code.startsWith('INVALID_')) return null;
  return new CsvError(PROBLEMS[code] ?? 'not CSV');
}

const LINE_BREAKS = /\r\n|\r|\n/g;
// The parser trims around quotes; a quoted cell's own spaces go too (a number, a reason).
const trim = (cell: string) => cell.trim();

/**
 * Reads CSV records from a stream, each with the line it starts on; blank lines come through as
 * one empty cell. Stops at the first text that is not CSV with a CsvError at that record's line
 * (after an unbalanced quote no later line can be placed); stream errors pass through unchanged.
 */
export function readCsv(
  input: Readable,
  onRecord: (record: CsvRecord) => void,
): Promise<{ lines: number } | { line: number; error: CsvError }> {
  return new Promise((resolve, reject) => {
    const parser = parse({ ...OPTIONS, raw: true });
    let line = 1;
    // 'data', not an async iterator: records parsed before an error must all be seen first.
    parser.on('data', ({ record, raw }: { record: string[]; raw: string }) => {
      onRecord({ line, cells: record.map(trim) });
      line += raw.match(LINE_BREAKS)?.length ?? 0;
    });
    parser.on('end', () => resolve({ lines: line }));
    parser.on('error', (error) => {
      input.destroy();
      const problem = csvProblem(error);
      if (problem) resolve({ line, error: problem });
      else reject(error);
    });
    input.on('error', (error) => {
      parser.destroy();
      reject(error);
    });
    input.pipe(parser);
  });
}

/** Splits one line of CSV into trimmed cells. */
export function parseCsvLine(line: string): string[] {
  try {
    const [record] = parseSync(line, OPTIONS) as string[][];
    return record?.map(trim) ?? [''];
  } catch (error) {
    throw csvProblem(error) ?? error;
  }
}

/** One CSV field: quoted when it holds a comma, a quote or surrounding spaces; line breaks become spaces. */
export function csvField(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a field must stay on one line
  const text = value.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return /[",]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}
