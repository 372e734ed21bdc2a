import { FlowguardError } from './errors.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogAttributes = Readonly<Record<string, unknown>>;
/** Receives one complete JSON line (no trailing newline). */
export type LineSink = (line: string) => void;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
export const REDACTED = '[REDACTED]';
const MAX_DEPTH = 6;
const MAX_STRING = 1024;
const MAX_ENTRIES = 50;

export const stdoutSink: LineSink = (line) => {
  process.stdout.write(`${line}\n`);
};

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Keys (case-insensitive, at any depth) whose values are replaced by `[REDACTED]`. */
  sensitiveKeys?: Iterable<string>;
  sink?: LineSink;
  /** Attributes on every line. */
  keys?: LogAttributes;
}

/** Fields every line has; attributes cannot overwrite them. */
const OWN_FIELDS = new Set(['level', 'timestamp', 'service', 'message', '__proto__']);

/**
 * A small structured JSON logger: one line per entry, redaction of declared keys at any depth,
 * bounded output (long strings cut, deep values elided). Chosen over Powertools Logger for cold
 * start (see docs/architecture.md).
 */
export class Logger {
  readonly level: LogLevel;
  private readonly service: string;
  private readonly sensitive: ReadonlySet<string>;
  private readonly sink: LineSink;
  private readonly keys: LogAttributes;

  constructor(options: LoggerOptions) {
    this.service = options.service;
    this.level = options.level ?? 'info';
    this.sensitive = new Set([...(options.sensitiveKeys ?? [])].map((key) => key.toLowerCase()));
    this.sink = options.sink ?? stdoutSink;
    this.keys = options.keys ?? {};
  }

  /** A logger that adds `keys` to every line (e.g. the contact id). Cheap: one per invocation. */
  child(keys: LogAttributes): Logger {
    const child = Object.create(Logger.prototype) as Logger;
    Object.assign(child, this, { keys: { ...this.keys, ...keys } });
    return child;
  }

  isEnabled(level: LogLevel): boolean {
    return level !== 'silent' && RANK[level] >= RANK[this.level];
  }

  debug(message: string, attributes?: LogAttributes): void {
    this.write('debug', message, attributes);
  }

  info(message: string, attributes?: LogAttributes): void {
    this.write('info', message, attributes);
  }

  warn(message: string, attributes?: LogAttributes): void {
    this.write('warn', message, attributes);
  }

  error(message: string, attributes?: LogAttributes): void {
    this.write('error', message, attributes);
  }

  private write(level: LogLevel, message: string, attributes: LogAttributes | undefined): void {
    if (!this.isEnabled(level)) return;
    const entry: Record<string, unknown> = {
      level: level.toUpperCase(),
      timestamp: new Date().toISOString(),
      service: this.service,
      message,
    };
    this.assign(entry, this.keys);
    if (attributes) this.assign(entry, attributes);
    try {
      this.sink(JSON.stringify(entry));
    } catch {
      // A logger must never take the function down (a closed stream, a sink that throws).
    }
  }

  private assign(entry: Record<string, unknown>, attributes: LogAttributes): void {
    for (const key of Object.keys(attributes)) {
      if (OWN_FIELDS.has(key)) continue;
      entry[key] = this.clean(key, attributes[key], 0);
    }
  }

  private clean(key: string, value: unknown, depth: number): unknown {
    if (this.sensitive.has(key.toLowerCase())) return REDACTED;
    if (typeof value === 'string')
      return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}...` : value;
    if (typeof value === 'bigint') return value.toString();
    if (typeof value !== 'object' || value === null) return typeof value === 'function' ? undefined : value;
    if (value instanceof Error) return errorAttributes(value);
    if (depth >= MAX_DEPTH) return '[...]';
    if (Array.isArray(value)) {
      return value.slice(0, MAX_ENTRIES).map((item) => this.clean('', item, depth + 1));
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).slice(0, MAX_ENTRIES)) {
      if (k === '__proto__') continue;
      out[k] = this.clean(k, (value as Record<string, unknown>)[k], depth + 1);
    }
    return out;
  }
}

/**
 * What may be logged of an error. Only flowguard's own messages are kept: they name fields,
 * never values. A foreign message (a JSON parse error, an SDK error) can quote its input, so
 * only its name, code and stack frames are kept.
 */
export function errorAttributes(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { errorName: typeof error };
  const frames = error.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')) ?? [];
  const own = error instanceof FlowguardError;
  const code = own ? error.code : (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? error.cause.name : undefined;
  return {
    errorName: error.name,
    ...(typeof code === 'string' ? { errorCode: code } : {}),
    ...(own ? { errorMessage: error.message } : {}),
    ...(cause ? { errorCause: cause } : {}),
    errorStack: frames.slice(0, 8).map((line) => line.trim()),
  };
}
