// How a batch goes out without losing a record or sending one twice by our own doing.
//
// Lambda's Kinesis event source with ReportBatchItemFailures restarts a batch at the LOWEST
// sequence number reported and delivers every record after it again, those that went out
// included. So the batch is worked in shard order as tasks (a chunk for a destination, a dead
// letter, a copy), each starting at some record; when a record cannot be handled after retries,
// that record is the one reported, and no task starting after it is begun. Everything before it
// went out; it and what follows come again. What went out after it anyway (a chunk already in
// flight, another policy's chunk) is in a ledger of what this instance delivered, so a redelivery
// to this instance skips it.
import type { DestinationSender, EntryFailure, OutgoingEntry } from './destinations.js';

/** Bounded jittered backoff for entries a destination refused for a passing reason. */
export interface RetryOptions {
  readonly maxAttempts: number;
  readonly baseMs?: number;
  readonly capMs?: number;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** True while there is time for another try (the invocation's reserve not reached). */
  readonly inTime?: () => boolean;
}

export const DEFAULT_BACKOFF_BASE_MS = 100;
export const DEFAULT_BACKOFF_CAP_MS = 2000;

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** "Full jitter": a random wait up to the capped exponential for this attempt. */
export function backoffMs(attempt: number, options: RetryOptions): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const cap = options.capMs ?? DEFAULT_BACKOFF_CAP_MS;
  return Math.floor((options.random ?? Math.random)() * Math.min(cap, base * 2 ** (attempt - 1)));
}

export interface ChunkResult {
  readonly delivered: readonly OutgoingEntry[];
  /** Refused for a passing reason on every try, or in a request that failed as a whole. */
  readonly failed: readonly EntryFailure[];
  /** Refused for what they are: another try cannot help. */
  readonly rejected: readonly EntryFailure[];
}

/** Sends a chunk, then again only the entries refused for a passing reason, up to `maxAttempts`. */
export async function deliverChunk(
  sender: DestinationSender,
  entries: readonly OutgoingEntry[],
  options: RetryOptions,
  signal?: AbortSignal,
): Promise<ChunkResult> {
  const rejected: EntryFailure[] = [];
  let pending: readonly OutgoingEntry[] = entries;
  for (let attempt = 1; ; attempt++) {
    let refused: EntryFailure[];
    try {
      refused = await sender.send(pending, signal);
    } catch (error) {
      // The SDK client retried the request already; every entry still pending failed with it.
      const code = (error as { name?: string }).name ?? 'Error';
      return settle(
        entries,
        pending.map((entry) => ({ entry, code, retryable: true })),
        rejected,
      );
    }
    rejected.push(...refused.filter((f) => !f.retryable));
    const again = refused.filter((f) => f.retryable);
    if (again.length === 0) return settle(entries, [], rejected);
    const outOfTime = options.inTime ? !options.inTime() : false;
    if (attempt >= options.maxAttempts || outOfTime || signal?.aborted)
      return settle(entries, again, rejected);
    await (options.sleep ?? defaultSleep)(backoffMs(attempt, options), signal);
    pending = again.map((f) => f.entry);
  }
}

function settle(
  entries: readonly OutgoingEntry[],
  failed: readonly EntryFailure[],
  rejected: readonly EntryFailure[],
): ChunkResult {
  const out = new Set([...failed, ...rejected].map((f) => f.entry));
  return { delivered: entries.filter((e) => !out.has(e)), failed, rejected };
}

/** A unit of work that starts at record `first` (its lowest record index). */
export interface Task {
  readonly first: number;
  /** Resolves with the indices of the records it could not handle. */
  run(signal?: AbortSignal): Promise<readonly number[]>;
}

export interface RunOptions {
  readonly concurrency: number;
  /** False once no new task may start (the invocation's reserve is reached). */
  readonly canStart: () => boolean;
  readonly signal?: AbortSignal;
  /** A task that threw: its first record is then the stop point. */
  readonly onError?: (error: unknown, task: Task) => void;
}

/**
 * Runs tasks in record order, `concurrency` at a time. Returns the lowest index of a record not
 * handled (the one to report), or `undefined` when every record was. A task starting after that
 * record is never begun; a task that cannot start in time stops the batch at its first record.
 */
export async function runInOrder(tasks: readonly Task[], options: RunOptions): Promise<number | undefined> {
  const ordered = [...tasks].sort((a, b) => a.first - b.first);
  let stopAt: number | undefined;
  let next = 0;
  const lower = (index: number) => {
    stopAt = stopAt === undefined ? index : Math.min(stopAt, index);
  };
  async function worker(): Promise<void> {
    for (let task = ordered[next++]; task; task = ordered[next++]) {
      if (stopAt !== undefined && task.first > stopAt) continue;
      if (!options.canStart()) {
        lower(task.first);
        continue;
      }
      try {
        for (const index of await task.run(options.signal)) lower(index);
      } catch (error) {
        options.onError?.(error, task);
        lower(task.first);
      }
    }
  }
  const workers = Math.max(1, Math.min(options.concurrency, ordered.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return stopAt;
}

/**
 * What this instance delivered: (policy, stream, sequence number) keys, oldest forgotten first. A
 * redelivery reaching this instance skips them; one reaching another instance sends them again,
 * and consumers drop them by the dedupe key.
 */
export class DeliveryLedger {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity = 20_000) {}

  static key(policy: string, source: string, sequenceNumber: string): string {
    return `${policy}\u0000${source}\u0000${sequenceNumber}`;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size <= this.capacity) return;
    const oldest = this.keys.values().next().value;
    if (oldest !== undefined) this.keys.delete(oldest);
  }

  get size(): number {
    return this.keys.size;
  }
}
