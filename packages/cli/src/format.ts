/** Epoch seconds as ISO 8601 UTC without milliseconds: `2025-01-31T00:00:00Z`. */
export function iso(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

const UNITS = [
  ['d', 86_400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
] as const;

/** A duration for people: its two largest units, `30d`, `1d 2h`, `5m 3s`. */
export function humanDuration(seconds: number): string {
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(seconds));
  for (const [unit, size] of UNITS) {
    if (rest >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2 || (parts.length > 0 && rest === 0)) break;
  }
  return parts.join(' ');
}

/** The most import accepts (`parseDuration`'s bound). */
export const MAX_DURATION_SECONDS = 3650 * 86_400;
const MAX_COUNT = 999_999;

/**
 * A duration in the import syntax (`<n><s|m|h|d>`, n up to 6 digits) that is at least `seconds`:
 * exact where a unit fits, else rounded up to the minute (blocks over 11 days) or the hour (over
 * 694 days), so an exported block re-imports no shorter than it was.
 */
export function importDuration(seconds: number): string {
  const s = Math.min(Math.max(1, Math.ceil(seconds)), MAX_DURATION_SECONDS);
  for (const [unit, size] of UNITS) {
    if (s % size === 0 && s / size <= MAX_COUNT) return `${s / size}${unit}`;
  }
  if (Math.ceil(s / 60) <= MAX_COUNT) return `${Math.ceil(s / 60)}m`;
  return `${Math.ceil(s / 3600)}h`;
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Text from the store or a file, made safe for one line of terminal output. */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}
