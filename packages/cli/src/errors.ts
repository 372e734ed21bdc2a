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
