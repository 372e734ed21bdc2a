/**
 * Rate limits: several fixed windows per caller class, written `5/10m,20/1d` (at most 5 contacts
 * in any 10-minute window, 20 in any day). Windows are aligned to the epoch (a 10-minute window
 * starts at :00, :10, ...; a day at 00:00 UTC). Every distinct contact counts, admitted or not,
 * so hammering keeps a caller throttled.
 */
export interface Window {
  /** Contacts allowed per window. */
  readonly limit: number;
  readonly seconds: number;
}

export class LimitSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LimitSyntaxError';
  }
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const WINDOW = /^(\d{1,7})\s*\/\s*(\d{0,5})\s*([smhd])$/;
export const MAX_WINDOWS = 4;
export const MAX_WINDOW_SECONDS = 31 * 86_400;

/** Parses `5/10m,20/1d` (units s m h d; `5/m` means per minute). `''` or `none` means no limits. */
export function parseLimits(text: string): Window[] {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '' || trimmed === 'none') return [];
  const windows = trimmed.split(',').map((part) => {
    const match = WINDOW.exec(part.trim());
    if (!match) throw new LimitSyntaxError('each limit is <count>/<n><s|m|h|d>, e.g. 5/10m');
    const limit = Number(match[1]);
    const seconds = Number(match[2] || '1') * UNIT_SECONDS[match[3] as keyof typeof UNIT_SECONDS];
    if (limit < 1) throw new LimitSyntaxError('a limit must allow at least 1 contact');
    if (seconds < 1 || seconds > MAX_WINDOW_SECONDS) throw new LimitSyntaxError('a window must be 1s to 31d');
    return { limit, seconds };
  });
  if (windows.length > MAX_WINDOWS) throw new LimitSyntaxError(`at most ${MAX_WINDOWS} windows`);
  if (new Set(windows.map((w) => w.seconds)).size !== windows.length) {
    throw new LimitSyntaxError('two limits on the same window');
  }
  return windows.sort((a, b) => a.seconds - b.seconds);
}

/** Writes windows back in the `5/10m,20/1d` syntax. */
export function formatLimits(windows: readonly Window[]): string {
  return windows
    .map(({ limit, seconds }) => {
      for (const [unit, size] of [
        ['d', 86_400],
        ['h', 3600],
        ['m', 60],
      ] as const) {
        if (seconds % size === 0) return `${limit}/${seconds / size}${unit}`;
      }
      return `${limit}/${seconds}s`;
    })
    .join(',');
}

/**
 * A window as one caller sees it: its buckets start `phase` seconds before the epoch-aligned
 * ones (0 <= phase < seconds), so callers and a caller's windows do not restart together.
 */
export interface PhasedWindow extends Window {
  readonly phase: number;
}

/** The index of the window's bucket that `nowSeconds` falls in. */
export function bucketOf(window: Window & { readonly phase?: number }, nowSeconds: number): number {
  return Math.floor((nowSeconds + (window.phase ?? 0)) / window.seconds);
}

/** Epoch seconds at which a bucket of the window ends. */
export function bucketEnd(window: PhasedWindow, bucket: number): number {
  return (bucket + 1) * window.seconds - window.phase;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** FNV-1a, 32 bits: a stable number from a caller key. */
export function keySeed(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/**
 * Gives each of a caller's windows a phase derived from the caller's key (docs/screening.md,
 * "Window phases"). With g the greatest common divisor of the window lengths and n windows, the
 * phases differ pairwise modulo g by multiples of floor(g / n), so when g >= n no two windows of
 * one caller ever end at the same instant (two boundaries coincide only if the phases agree
 * modulo the gcd of the two lengths, a multiple of g), and any two boundaries of different
 * windows are at least floor(g / n) seconds apart. Across callers the phases spread uniformly,
 * so no instant (midnight UTC included) restarts every caller's count.
 */
export function phaseWindows(windows: readonly Window[], seed: number): PhasedWindow[] {
  const g = windows.reduce((acc, w) => gcd(acc, w.seconds), 0);
  const step = Math.floor(g / Math.max(1, windows.length));
  return windows.map((window, i) => {
    const residue = (seed + i * step) % g;
    const mixed = Math.imul(seed ^ Math.imul(i + 1, 0x9e3779b1), 0x85ebca6b) >>> 0;
    return { ...window, phase: (mixed % (window.seconds / g)) * g + residue };
  });
}

const DURATION = /^(\d{1,6})\s*([smhd])$/;

/** Parses a duration such as `90s`, `30m`, `12h`, `7d` into seconds. */
export function parseDuration(text: string, maxSeconds = 3650 * 86_400): number {
  const match = DURATION.exec(text.trim().toLowerCase());
  if (!match) throw new LimitSyntaxError('a duration is <n><s|m|h|d>, e.g. 30m or 7d');
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  if (seconds < 1 || seconds > maxSeconds) {
    const most = maxSeconds % 86_400 === 0 ? `${maxSeconds / 86_400}d` : `${maxSeconds}s`;
    throw new LimitSyntaxError(`a duration must be 1s to ${most}`);
  }
  return seconds;
}
