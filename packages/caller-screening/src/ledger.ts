/**
 * The caller's state item and what a decision reads from it. Bounded whatever the caller does
 * (docs/screening.md, "The caller's item"):
 * - `n<seconds>_<bucket>`: how many distinct contacts were counted in that bucket of the window
 *   (an atomic counter: a contact's count is the counter's value right after its increment);
 * - `a_<bucket>`: the contacts that were admitted, per bucket of the dedup window (the current and
 *   the previous one are kept), so a retry or a transfer of an admitted contact is known exactly;
 *   their number is bounded by the limits (at most {@link MAX_ADMITTED}, checked at init);
 * - `r<slot>`: the last refused contact whose id falls in that slot ({@link REFUSED_SLOTS} of
 *   them), so a retry of a refused contact is not counted again;
 * - the block (`blockedUntil`, `blockReason`, `blockedBy`, `blockedAt`) and `expiresAt` (TTL).
 */
import { bucketOf, type PhasedWindow } from './limits.js';

export const REFUSED_SLOTS = 32;
/** Admitted contacts the item remembers at most (two dedup buckets' worth). */
export const MAX_ADMITTED = 1000;
/** Leftover counters beyond this many trigger a cleanup write. */
export const STALE_LIMIT = 24;

export interface CallerState {
  readonly key: string;
  /** Epoch seconds; 0 when never blocked. Compare with now. */
  readonly blockedUntil: number;
  readonly blockReason: string;
  readonly blockedBy: string;
  readonly blockedAt: number;
  /** `n<seconds>_<bucket>` → contacts counted in that bucket. */
  readonly counts: ReadonlyMap<string, number>;
  /** `a_<bucket>` → contacts admitted in that dedup bucket. */
  readonly admitted: ReadonlyMap<string, readonly string[]>;
  /** `r<slot>` → the last refused contact of that slot. */
  readonly refused: ReadonlyMap<string, string>;
  /** Attributes of an earlier item layout (per-window contact lists), removed by cleanup. */
  readonly legacy: readonly string[];
}

/** What one counting request needs. */
export interface CountInput {
  readonly key: string;
  /** Compact contact id (see {@link contactToken}). */
  readonly contact: string;
  readonly nowSeconds: number;
  readonly windows: readonly PhasedWindow[];
  /** How long an admitted contact is remembered (at least this, at most twice). */
  readonly dedupSeconds: number;
}

export const counterName = (window: PhasedWindow, bucket: number) => `n${window.seconds}_${bucket}`;
export const admittedName = (bucket: number) => `a_${bucket}`;

/** The refused-contact slot of a contact token (tokens are hex). */
export function slotName(token: string): string {
  return `r${Number.parseInt(token.slice(-2), 16) % REFUSED_SLOTS}`;
}

export function dedupBucket(input: Pick<CountInput, 'nowSeconds' | 'dedupSeconds'>): number {
  return Math.floor(input.nowSeconds / input.dedupSeconds);
}

const COUNTER = /^n(\d+)_(\d+)$/;
const ADMITTED = /^a_(\d+)$/;
const SLOT = /^r(\d+)$/;
const LEGACY = /^(w\d+|d)_\d+$/;

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** The state from an item as the DocumentClient gives it (plain values), or none. */
export function stateOf(key: string, item: Record<string, unknown> | undefined): CallerState {
  const counts = new Map<string, number>();
  const admitted = new Map<string, string[]>();
  const refused = new Map<string, string>();
  const legacy: string[] = [];
  for (const [name, value] of Object.entries(item ?? {})) {
    if (COUNTER.test(name)) counts.set(name, num(value));
    else if (ADMITTED.test(name) && Array.isArray(value)) admitted.set(name, value.map(str));
    else if (SLOT.test(name)) refused.set(name, str(value));
    else if (LEGACY.test(name)) legacy.push(name);
  }
  return {
    key,
    blockedUntil: num(item?.blockedUntil),
    blockReason: str(item?.blockReason),
    blockedBy: str(item?.blockedBy),
    blockedAt: num(item?.blockedAt),
    counts,
    admitted,
    refused,
    legacy,
  };
}

export function wasAdmitted(state: CallerState, input: CountInput): boolean {
  const bucket = dedupBucket(input);
  return [bucket, bucket - 1].some((b) => state.admitted.get(admittedName(b))?.includes(input.contact));
}

export function wasRefused(state: CallerState, input: CountInput): boolean {
  return state.refused.get(slotName(input.contact)) === input.contact;
}

export type Seen = 'admitted' | 'refused' | null;

/** Whether this contact was counted before (a retry or a transfer), and how it was answered. */
export function seenBefore(state: CallerState, input: CountInput): Seen {
  if (wasAdmitted(state, input)) return 'admitted';
  return wasRefused(state, input) ? 'refused' : null;
}

/** Where the caller stands in one window: the count so far and when the window's bucket ends. */
export interface Standing {
  readonly window: PhasedWindow;
  readonly count: number;
  readonly endsAt: number;
}

/**
 * The caller's count in each window at `nowSeconds`: the current bucket's counter plus any later
 * bucket's (an instance whose clock lags a boundary never gains allowance from that).
 */
export function standings(
  state: CallerState,
  windows: readonly PhasedWindow[],
  nowSeconds: number,
): Standing[] {
  return windows.map((window) => {
    const current = bucketOf(window, nowSeconds);
    let count = 0;
    const prefix = `n${window.seconds}_`;
    for (const [name, value] of state.counts) {
      if (name.startsWith(prefix) && Number(name.slice(prefix.length)) >= current) count += value;
    }
    return { window, count, endsAt: (current + 1) * window.seconds - window.phase };
  });
}

/** Counters and lists that can no longer matter, once there are more than a few (or any legacy ones). */
export function staleAttributes(state: CallerState, input: CountInput): string[] {
  const stale: string[] = [...state.legacy];
  for (const name of state.counts.keys()) {
    const [, seconds, bucket] = COUNTER.exec(name) ?? [];
    const window = input.windows.find((w) => String(w.seconds) === seconds);
    if (!window || Number(bucket) < bucketOf(window, input.nowSeconds) - 1) stale.push(name);
  }
  const current = dedupBucket(input);
  for (const name of state.admitted.keys()) {
    if (Number(name.slice(2)) < current - 1) stale.push(name);
  }
  return state.legacy.length > 0 || stale.length > STALE_LIMIT ? stale : [];
}

/** The counter names a reset removes: every counter in the state and the current buckets' (±1). */
export function counterNamesToReset(
  state: CallerState,
  windows: readonly PhasedWindow[],
  nowSeconds: number,
): string[] {
  const names = new Set(state.counts.keys());
  for (const window of windows) {
    const bucket = bucketOf(window, nowSeconds);
    for (const b of [bucket - 1, bucket, bucket + 1]) names.add(counterName(window, b));
  }
  return [...names];
}

/** A contact id in 16 hex characters: UUIDs keep 64 of their bits; anything else is hashed. */
export function contactToken(contactId: string): string {
  const hex = contactId.replace(/-/g, '').toLowerCase();
  if (/^[0-9a-f]{32}$/.test(hex)) return hex.slice(0, 16);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < contactId.length; i++) {
    const c = contactId.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return `${h1.toString(16).padStart(8, '0')}${h2.toString(16).padStart(8, '0')}`;
}
