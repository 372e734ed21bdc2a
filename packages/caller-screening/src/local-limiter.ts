import { bucketOf, type PhasedWindow } from './limits.js';

interface Entry {
  /** Counter per window (same order as the windows) and the bucket it counts. */
  readonly buckets: number[];
  readonly counts: number[];
  /** Recent contacts and whether each was admitted, so a Connect retry is not counted twice. */
  readonly seen: Map<string, boolean>;
}

const MAX_CALLERS = 10_000;
const MAX_SEEN = 64;

/**
 * The same limits, kept in this instance's memory, for when the store cannot answer: a store
 * outage then admits at most each limit per instance instead of everyone (fail-open, bounded).
 * Counts only what this instance saw while the store was failing.
 */
export class LocalLimiter {
  private readonly callers = new Map<string, Entry>();

  /** Counts the contact (once) and says whether the limits admit it. */
  admit(key: string, contact: string, windows: readonly PhasedWindow[], nowSeconds: number): boolean {
    let entry = this.callers.get(key);
    if (!entry || entry.buckets.length !== windows.length) {
      if (this.callers.size >= MAX_CALLERS) {
        const oldest = this.callers.keys().next();
        if (!oldest.done) this.callers.delete(oldest.value);
      }
      entry = { buckets: windows.map(() => -1), counts: windows.map(() => 0), seen: new Map() };
      this.callers.set(key, entry);
    }
    const known = entry.seen.get(contact);
    if (known !== undefined) return known;
    let admitted = true;
    windows.forEach((window, i) => {
      const bucket = bucketOf(window, nowSeconds);
      if (entry.buckets[i] !== bucket) {
        entry.buckets[i] = bucket;
        entry.counts[i] = 0;
      }
      const count = (entry.counts[i] ?? 0) + 1;
      entry.counts[i] = count;
      if (count > window.limit) admitted = false;
    });
    if (entry.seen.size >= MAX_SEEN) {
      const oldest = entry.seen.keys().next();
      if (!oldest.done) entry.seen.delete(oldest.value);
    }
    entry.seen.set(contact, admitted);
    return admitted;
  }
}
