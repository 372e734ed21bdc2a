/**
 * The caller's state item and what a decision reads from it. Bounded whatever the caller does
 * (docs/screening.md, "The caller's item"):
 * - `n<seconds>_<bucket>`: how many distinct contacts were counted in that bucket of the window
 *   (an atomic counter: a contact's count is the counter's value right after its increment);
 * - `r<slot>` and `p<slot><window>`: the last contact whose id falls in that slot (one of
 *   {@link CONTACT_SLOTS}) and each window's count just before it was counted (`a` for the
 *   shortest window, `b` the next, ...), so a retry or a transfer of it is not counted again and
 *   gets the same decision (its count was that plus one);
 * - the block (`blockedUntil`, `blockReason`, `blockedBy`, `blockedAt`) and `expiresAt` (TTL);
 * - `verifiedUntil`: until when the caller counts as verified (an IVR challenge passed).
 */
import { hash } from 'node:crypto';
import { bucketOf, type PhasedWindow } from './limits.js';

export const CONTACT_SLOTS = 24;
/** Leftover counters beyond this many trigger a cleanup write. */
export const STALE_LIMIT = 24;

/** A remembered contact: its token and each window's count before it (by window index). */
export interface RememberedContact {
  readonly token: string;
  readonly before: readonly number[];
}

export interface CallerState {
  readonly key: string;
  /** Epoch seconds; 0 when never blocked. Compare with now. */
  readonly blockedUntil: number;
  readonly blockReason: string;
  readonly blockedBy: string;
  readonly blockedAt: number;
  /**
   * Epoch seconds until which the caller counts as verified (an IVR challenge passed); 0 when
   * never. Compare with now.
   */
  readonly verifiedUntil: number;
  /** `n<seconds>_<bucket>` → contacts counted in that bucket. */
  readonly counts: ReadonlyMap<string, number>;
  /** `r<slot>` → the contact remembered in that slot. */
  readonly contacts: ReadonlyMap<string, RememberedContact>;
  /** Attributes of an earlier item layout (per-window contact lists), removed by cleanup. */
  readonly legacy: readonly string[];
  /** The contact remembered in the slot of `token`, if it is that contact. */
  slot(token: string): RememberedContact | null;
}

/** What one counting request needs. */
export interface CountInput {
  readonly key: string;
  /** Compact contact id (see {@link contactToken}). */
  readonly contact: string;
  readonly nowSeconds: number;
  readonly windows: readonly PhasedWindow[];
}

export const counterName = (window: PhasedWindow, bucket: number) => `n${window.seconds}_${bucket}`;

/** The slot of a contact token (tokens are hex): `r<slot>`. */
export function slotOf(token: string): number {
  return Number.parseInt(token.slice(-2), 16) % CONTACT_SLOTS;
}

export const slotName = (slot: number) => `r${slot}`;
const WINDOW_LETTERS = 'abcd';
export const priorName = (slot: number, windowIndex: number) => `p${slot}${WINDOW_LETTERS[windowIndex]}`;

const COUNTER = /^n(\d+)_(\d+)$/;
const LEGACY = /^(w\d+|d)_\d+$/;

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** The contacts remembered in an item's slots. */
function contactsOf(item: Record<string, unknown> | undefined): Map<string, RememberedContact> {
  const contacts = new Map<string, RememberedContact>();
  for (let slot = 0; slot < CONTACT_SLOTS; slot++) {
    const token = item?.[slotName(slot)];
    if (typeof token === 'string') contacts.set(slotName(slot), priorsOf(item, slot, token));
  }
  return contacts;
}

function priorsOf(item: Record<string, unknown> | undefined, slot: number, token: string): RememberedContact {
  const before: number[] = [];
  for (let i = 0; i < WINDOW_LETTERS.length; i++) {
    const value = item?.[priorName(slot, i)];
    if (value === undefined) break;
    before.push(num(value));
  }
  return { token, before };
}

/**
 * The state from an item as the DocumentClient gives it (plain values), or none. This runs on
 * every decision: the counters are read in one pass over the names (dispatched on the first
 * letter); the remembered contacts only when asked for.
 */
export function stateOf(key: string, item: Record<string, unknown> | undefined): CallerState {
  const counts = new Map<string, number>();
  const legacy: string[] = [];
  for (const name in item) {
    const first = name.charCodeAt(0);
    if (first === 110 /* n */) {
      if (COUNTER.test(name)) counts.set(name, num(item[name]));
    } else if ((first === 119 /* w */ || first === 100) /* d */ && LEGACY.test(name)) legacy.push(name);
  }
  let contacts: Map<string, RememberedContact> | undefined;
  return {
    key,
    blockedUntil: num(item?.blockedUntil),
    blockReason: str(item?.blockReason),
    blockedBy: str(item?.blockedBy),
    blockedAt: num(item?.blockedAt),
    verifiedUntil: num(item?.verifiedUntil),
    counts,
    get contacts() {
      contacts ??= contactsOf(item);
      return contacts;
    },
    legacy,
    slot(token: string) {
      const slot = slotOf(token);
      return item?.[slotName(slot)] === token ? priorsOf(item, slot, token) : null;
    },
  };
}

/** The contact as remembered, when this contact was counted before (a retry or a transfer). */
export function remembered(state: CallerState, input: Pick<CountInput, 'contact'>): RememberedContact | null {
  return state.slot(input.contact);
}

/** Where the caller stands in one window: a count and when the window's bucket ends. */
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

/** A remembered contact's count in each window: its window count before it, plus one. */
export function rememberedStandings(
  contact: RememberedContact,
  windows: readonly PhasedWindow[],
  nowSeconds: number,
): Standing[] {
  return windows.map((window, i) => ({
    window,
    count: (contact.before[i] ?? 0) + 1,
    endsAt: (bucketOf(window, nowSeconds) + 1) * window.seconds - window.phase,
  }));
}

/** Counters that can no longer matter, once there are more than a few (and any legacy attributes). */
export function staleAttributes(state: CallerState, input: CountInput): string[] {
  const stale: string[] = [...state.legacy];
  for (const name of state.counts.keys()) {
    const [, seconds, bucket] = COUNTER.exec(name) ?? [];
    const window = input.windows.find((w) => String(w.seconds) === seconds);
    if (!window || Number(bucket) < bucketOf(window, input.nowSeconds) - 1) stale.push(name);
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

/**
 * A contact id in 16 hex characters: the first 64 bits of its SHA-256, whatever its scheme. Ids
 * that share a prefix (time-ordered UUIDs, sequential ids) differ here as much as random ones.
 */
export function contactToken(contactId: string): string {
  return hash('sha256', contactId, 'hex').slice(0, 16);
}
