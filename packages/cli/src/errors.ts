/**
 * The CLI's exit codes. 0: done. 1: the command ran and failed (the store did not answer, an
 * import file had rejected rows, a file could not be read). 2: the command line is wrong (unknown
 * command or option, a missing argument, a value that does not parse: a bad number, duration,
 * rule type or country).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A command line that cannot run; printed as one line, with the command's usage when `usage` is set. */
export class UsageError extends Error {
  readonly usage: string | undefined;

  constructor(message: string, usage?: string) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

/** The command ran and failed; printed as one line, exit 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/**
 * One line for an error no command expected: its name and first line of message (runs of six or
 * more digits masked, since typed keys or numbers must never be printed; at most 200 characters),
 * the command it came from, and what to do.
 */
export function describeUnexpected(error: unknown, argv: readonly string[]): string {
  const name = error instanceof Error ? error.name : typeof error;
  const raw = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
  const message = raw.replace(/\d{6,}/g, '[digits]').slice(0, 200);
  const command = argv
    .filter((a) => !a.startsWith('-'))
    .slice(0, 2)
    .join(' ');
  return `${name}${message ? `: ${message}` : ''} (in "flowguard ${command}"); this is not an error flowguard expects: run the command again, and if it repeats, report it with the command line`;
}
