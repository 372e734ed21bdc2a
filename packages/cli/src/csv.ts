/** A line that is not CSV (an unterminated quote, text after a closing quote). */
export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

/**
 * Splits one CSV line (RFC 4180 quoting: `"a, b"`, `"say ""hi"""`) into trimmed fields. Fields
 * cannot span lines: the import reads a line at a time, and the export never writes a line break
 * inside a field.
 */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) throw new CsvError('unterminated quoted field');
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') throw new CsvError('text after a closing quote');
      fields.push(value.trim());
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      const value = line.slice(i, end);
      if (value.includes('"')) throw new CsvError('a quote inside an unquoted field');
      fields.push(value.trim());
      i = end;
    }
    if (i >= line.length) return fields;
    i++; // the comma
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
