import type { ScreeningStore } from '@flowguard/caller-screening';
import { ConfigError, DEFAULT_COUNTRY_VARIABLE, readDefaultCountry } from '@flowguard/contact';
import { TableNameError, tableName } from '@flowguard/table';
import { type CountryCode, isSupportedCountry } from 'libphonenumber-js/max';
import { UsageError } from './errors.js';
import { countryCode } from './keys.js';
import { dynamoStore } from './store.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Everything the CLI touches outside itself, injectable so tests run it in-process. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** `FLOWGUARD_*` variables (table name, default country, admin name). Default: process.env. */
  env?: Env;
  /** Epoch milliseconds. Default: Date.now. */
  now?: () => number;
  /**
   * The store. Default: DynamoDB with the SDK's default credentials, region and endpoint (those
   * are read by the SDK from the process environment) and the table from `FLOWGUARD_TABLE_NAME`.
   * An injected store is not closed by the CLI.
   */
  store?: ScreeningStore;
  /** Whether stderr is a terminal (a redrawn progress bar) or not (a line every 5%). */
  stderrIsTTY?: boolean;
  /** Waits between retries; injectable so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Subscribes `listener` to requests to stop a long-running command (`flowguard local`) and
   * returns the unsubscribe function. Only such a command subscribes, and only while it runs, so
   * every other command keeps the default signal behaviour. Default (and main.ts): SIGINT and
   * SIGTERM of this process, via `onProcessSignals`.
   */
  onInterrupt?: (listener: (reason: string) => void) => () => void;
}

/** `Io.onInterrupt` for a real process: SIGINT and SIGTERM, named by the reason. */
export function onProcessSignals(listener: (reason: string) => void): () => void {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  for (const signal of signals) process.on(signal, listener);
  return () => {
    for (const signal of signals) process.off(signal, listener);
  };
}

/** A stop request: `reason` resolves with the first one; `dispose` unsubscribes. */
export interface Interrupt {
  readonly reason: Promise<string>;
  dispose(): void;
}

export { DEFAULT_COUNTRY_VARIABLE };

export class Context {
  readonly env: Env;
  readonly json: boolean;
  readonly stderrIsTTY: boolean;
  private readonly io: Io;
  private opened: { store: ScreeningStore; close: () => void } | null = null;

  constructor(io: Io, json: boolean) {
    this.io = io;
    this.env = io.env ?? process.env;
    this.json = json;
    this.stderrIsTTY = io.stderrIsTTY ?? false;
  }

  out(text: string): void {
    this.io.stdout(text);
  }

  err(text: string): void {
    this.io.stderr(text);
  }

  nowMs(): number {
    return this.io.now?.() ?? Date.now();
  }

  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** Subscribes to stop requests (see `Io.onInterrupt`); dispose it when the command ends. */
  interrupt(): Interrupt {
    let resolve: (reason: string) => void = () => undefined;
    const reason = new Promise<string>((r) => {
      resolve = r;
    });
    const dispose = (this.io.onInterrupt ?? onProcessSignals)((why) => resolve(why));
    return { reason, dispose };
  }

  sleep(ms: number): Promise<void> {
    return this.io.sleep ? this.io.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** The table name, for messages. */
  table(): string {
    try {
      return tableName(this.env);
    } catch (error) {
      if (error instanceof TableNameError) throw new UsageError(error.message);
      throw error;
    }
  }

  /** The store, opened on first use (help and bad input never need AWS). */
  store(): ScreeningStore {
    if (this.io.store) return this.io.store;
    this.opened ??= dynamoStore(this.table());
    return this.opened.store;
  }

  close(): void {
    this.opened?.close();
    this.opened = null;
  }

  /** `--country`, else FLOWGUARD_DEFAULT_COUNTRY, else US. */
  country(flag: string | undefined): CountryCode {
    if (flag !== undefined) {
      const code = countryCode(flag);
      if (!code)
        throw new UsageError(`--country must be a two-letter country code such as US or GB, not '${flag}'`);
      return code;
    }
    try {
      return readDefaultCountry(this.env, isSupportedCountry);
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new UsageError(
          `${DEFAULT_COUNTRY_VARIABLE} must be a two-letter country code such as US or GB`,
        );
      }
      throw error;
    }
  }

  /** `--by`, else the login name, else `cli`. */
  by(flag: string | undefined): string {
    const by = (flag ?? this.env.USER ?? this.env.USERNAME ?? '').trim() || 'cli';
    return checkedText(by, '--by', 128);
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A reason, note or name: trimmed, at most `max` characters, no control characters. */
export function checkedText(value: string, what: string, max: number): string {
  const text = value.trim();
  if (CONTROL.test(text)) throw new UsageError(`${what} cannot contain control characters or line breaks`);
  if (text.length > max) throw new UsageError(`${what} is at most ${max} characters`);
  return text;
}
