import { describe, expect, it } from 'vitest';
import {
  bucketEnd,
  bucketOf,
  formatLimits,
  keySeed,
  LimitSyntaxError,
  MAX_WINDOW_SECONDS,
  MAX_WINDOWS,
  type PhasedWindow,
  parseDuration,
  parseLimits,
  phaseWindows,
  type Window,
} from '../../src/limits.js';

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('parseLimits', () => {
  it('parses the default phone limits', () => {
    expect(parseLimits('5/10m,20/1d')).toEqual([
      { limit: 5, seconds: 10 * MINUTE },
      { limit: 20, seconds: DAY },
    ]);
  });

  it.each([
    ['5/30s', 30],
    ['5/10m', 10 * MINUTE],
    ['5/2h', 2 * HOUR],
    ['5/7d', 7 * DAY],
    ['5/99999s', 99_999],
  ])('reads the unit of %s', (text, seconds) => {
    expect(parseLimits(text)).toEqual([{ limit: 5, seconds }]);
  });

  it.each([
    ['5/s', 1],
    ['5/m', MINUTE],
    ['5/h', HOUR],
    ['5/d', DAY],
  ])('reads %s as one unit', (text, seconds) => {
    expect(parseLimits(text)).toEqual([{ limit: 5, seconds }]);
  });

  it('allows spaces around the parts and the numbers', () => {
    expect(parseLimits(' 5 / 10 m , 20/1d ')).toEqual([
      { limit: 5, seconds: 10 * MINUTE },
      { limit: 20, seconds: DAY },
    ]);
  });

  it('accepts upper-case units', () => {
    expect(parseLimits('5/10M,20/1D')).toEqual(parseLimits('5/10m,20/1d'));
  });

  it('sorts windows from shortest to longest', () => {
    expect(parseLimits('20/1d,100/7d,5/10m,1/1s').map((w) => w.seconds)).toEqual([
      1,
      10 * MINUTE,
      DAY,
      7 * DAY,
    ]);
  });

  it('accepts the boundaries 1 contact, 1 s and 31 d', () => {
    expect(parseLimits('1/1s')).toEqual([{ limit: 1, seconds: 1 }]);
    expect(parseLimits('1/31d')).toEqual([{ limit: 1, seconds: MAX_WINDOW_SECONDS }]);
    expect(parseLimits('9999999/1m')).toEqual([{ limit: 9_999_999, seconds: MINUTE }]);
  });

  it(`accepts ${MAX_WINDOWS} windows`, () => {
    expect(parseLimits('1/1s,2/1m,3/1h,4/1d')).toHaveLength(MAX_WINDOWS);
  });

  it.each(['', '   ', 'none', 'NONE', ' None '])('reads %j as no limits', (text) => {
    expect(parseLimits(text)).toEqual([]);
  });

  it.each([
    ['0/1m', 'at least 1 contact'],
    ['5/0m', '1s to 31d'],
    ['5/0s', '1s to 31d'],
    ['5/32d', '1s to 31d'],
    ['5/745h', '1s to 31d'],
    ['5/10x', 'each limit is <count>/<n><s|m|h|d>'],
    ['5/10', 'each limit is <count>/<n><s|m|h|d>'],
    ['/10m', 'each limit is <count>/<n><s|m|h|d>'],
    ['-1/1m', 'each limit is <count>/<n><s|m|h|d>'],
    ['1.5/1m', 'each limit is <count>/<n><s|m|h|d>'],
    ['12345678/1m', 'each limit is <count>/<n><s|m|h|d>'],
    ['5/123456s', 'each limit is <count>/<n><s|m|h|d>'],
    ['5/1m,', 'each limit is <count>/<n><s|m|h|d>'],
    ['5 per minute', 'each limit is <count>/<n><s|m|h|d>'],
    ['5/1m,10/60s', 'two limits on the same window'],
    ['5/1h,10/60m', 'two limits on the same window'],
    ['5/1d,5/1d', 'two limits on the same window'],
    ['1/1s,2/2s,3/3s,4/4s,5/5s', `at most ${MAX_WINDOWS} windows`],
  ])('rejects %j', (text, message) => {
    const error = errorOf(() => parseLimits(text));
    expect(error).toBeInstanceOf(LimitSyntaxError);
    expect(error).toMatchObject({ name: 'LimitSyntaxError' });
    expect((error as LimitSyntaxError).message).toContain(message);
    // Configuration errors name the variable, never echo its value.
    if (text.length > 4) expect((error as LimitSyntaxError).message).not.toContain(text);
  });
});

describe('formatLimits', () => {
  it('writes the largest whole unit', () => {
    expect(
      formatLimits([
        { limit: 1, seconds: 90 },
        { limit: 2, seconds: 5400 },
        { limit: 3, seconds: 2 * HOUR },
        { limit: 4, seconds: 3 * DAY },
      ]),
    ).toBe('1/90s,2/90m,3/2h,4/3d');
  });

  it('writes 60 s as 1m and 86400 s as 1d', () => {
    expect(formatLimits([{ limit: 5, seconds: 60 }])).toBe('5/1m');
    expect(formatLimits([{ limit: 5, seconds: 86_400 }])).toBe('5/1d');
  });

  it('writes no windows as the empty string', () => {
    expect(formatLimits([])).toBe('');
  });

  it.each(['5/10m,20/1d', '1/1s', '1/90s,2/90m,3/2h,4/31d', '10/1h,50/1d'])(
    'round-trips %s through parseLimits',
    (text) => {
      expect(formatLimits(parseLimits(text))).toBe(text);
    },
  );

  it('round-trips parsed windows', () => {
    const windows: Window[] = parseLimits('20/1d, 5/600s, 7/3600s');
    expect(parseLimits(formatLimits(windows))).toEqual(windows);
    expect(formatLimits(windows)).toBe('5/10m,7/1h,20/1d');
  });

  it('round-trips no limits', () => {
    expect(parseLimits(formatLimits(parseLimits('none')))).toEqual([]);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['30m', 30 * MINUTE],
    ['12h', 12 * HOUR],
    ['7d', 7 * DAY],
    [' 7D ', 7 * DAY],
    ['1 h', HOUR],
    ['1s', 1],
    ['3650d', 3650 * DAY],
  ])('reads %j as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '10', '1w', '-5m', '1.5h', 'm', '1234567s', '30 minutes'])(
    'rejects the syntax of %j',
    (text) => {
      const error = errorOf(() => parseDuration(text));
      expect(error).toBeInstanceOf(LimitSyntaxError);
      expect((error as Error).message).toContain('a duration is <n><s|m|h|d>');
    },
  );

  it.each(['0s', '0d', '3651d'])('rejects %j as out of range', (text) => {
    const error = errorOf(() => parseDuration(text));
    expect(error).toBeInstanceOf(LimitSyntaxError);
    expect((error as Error).message).toBe('a duration must be 1s to 3650d');
  });

  it('honours a smaller maximum', () => {
    expect(parseDuration('365d', 365 * DAY)).toBe(365 * DAY);
    const error = errorOf(() => parseDuration('366d', 365 * DAY));
    expect(error).toBeInstanceOf(LimitSyntaxError);
    expect((error as Error).message).toBe('a duration must be 1s to 365d');
  });
});

describe('bucketOf', () => {
  const tenMinutes: Window = { limit: 5, seconds: 10 * MINUTE };
  const day: Window = { limit: 20, seconds: DAY };

  it('starts bucket 0 at the epoch', () => {
    expect(bucketOf(tenMinutes, 0)).toBe(0);
    expect(bucketOf(tenMinutes, 599)).toBe(0);
  });

  it('starts the next bucket exactly at the window boundary', () => {
    expect(bucketOf(tenMinutes, 600)).toBe(1);
    expect(bucketOf(tenMinutes, 1199)).toBe(1);
    expect(bucketOf(tenMinutes, 1200)).toBe(2);
  });

  it('floors fractional seconds', () => {
    expect(bucketOf(tenMinutes, 599.999)).toBe(0);
    expect(bucketOf(tenMinutes, 600.001)).toBe(1);
  });

  it('aligns days to 00:00 UTC', () => {
    const midnight = Date.UTC(2025, 5, 15) / 1000;
    expect(bucketOf(day, midnight)).toBe(midnight / DAY);
    expect(bucketOf(day, midnight - 1)).toBe(midnight / DAY - 1);
    expect(bucketOf(day, midnight + DAY - 1)).toBe(midnight / DAY);
  });

  it('gives 1-second windows one bucket per second', () => {
    expect(bucketOf({ limit: 1, seconds: 1 }, 1_750_000_000)).toBe(1_750_000_000);
  });
});

describe('phaseWindows', () => {
  /** Every boundary (bucket start) of `window` within [from, to). */
  function boundaries(window: PhasedWindow, from: number, to: number): number[] {
    const out: number[] = [];
    for (let b = bucketOf(window, from); bucketEnd(window, b) < to; b++) out.push(bucketEnd(window, b));
    return out;
  }

  const SETS = ['5/10m,20/1d', '3/10m,4/1h', '10/10m,50/1d', '2/1m,10/1h,50/1d,200/7d', '1/30s,5/10m'];

  it.each(SETS)('never lets two windows of one caller end at the same instant (%s)', (text) => {
    for (let seed = 0; seed < 200; seed++) {
      const windows = phaseWindows(
        parseLimits(text),
        keySeed(`tel:+1415555${String(seed).padStart(4, '0')}`),
      );
      const g = windows.reduce((acc, w) => gcdOf(acc, w.seconds), 0);
      const step = Math.floor(g / windows.length);
      const horizon = 2 * Math.max(...windows.map((w) => w.seconds));
      // Every boundary of every window in time order; neighbours from different windows are the
      // closest pairs, so checking them checks every pair.
      const all = windows
        .flatMap((w, i) => boundaries(w, 0, horizon).map((t) => ({ t, i })))
        .sort((x, y) => x.t - y.t);
      let closest = Number.POSITIVE_INFINITY;
      for (let k = 1; k < all.length; k++) {
        const [x, y] = [all[k - 1], all[k]];
        if (x && y && x.i !== y.i) closest = Math.min(closest, y.t - x.t);
      }
      expect(closest).toBeGreaterThanOrEqual(Math.max(1, step));
      for (const w of windows) expect(w.phase >= 0 && w.phase < w.seconds).toBe(true);
    }
  });

  it('spreads callers over the day: no instant restarts more than a few percent of their day windows', () => {
    const ends = new Map<number, number>();
    for (let i = 0; i < 5000; i++) {
      const [, day] = phaseWindows(
        parseLimits('5/10m,20/1d'),
        keySeed(`tel:+1415${String(i).padStart(7, '0')}`),
      );
      const minute = Math.floor((day?.phase ?? 0) / 60);
      ends.set(minute, (ends.get(minute) ?? 0) + 1);
    }

    expect(ends.size).toBeGreaterThan(1000);
    expect(Math.max(...ends.values())).toBeLessThan(5000 * 0.01);
  });

  it('bounds admissions across a 10-minute edge by the hour limit (3/10m,4/1h: at most 4 in any 2 s)', () => {
    for (let seed = 0; seed < 500; seed++) {
      const windows = phaseWindows(parseLimits('3/10m,4/1h'), seed * 7919);
      const [short, long] = windows as [PhasedWindow, PhasedWindow];
      for (const edge of [...boundaries(short, 0, 7200), ...boundaries(long, 0, 7200)]) {
        // The most a caller can be admitted in [edge - 1, edge + 1]: each window admits its limit
        // per bucket, and the edge splits at most one of them.
        const most = windows
          .map((w) => w.limit * (bucketOf(w, edge + 1) - bucketOf(w, edge - 1) + 1))
          .reduce((a, b) => Math.min(a, b));
        expect(most).toBeLessThanOrEqual(4);
      }
    }
  });
});

function gcdOf(a: number, b: number): number {
  return b === 0 ? a : gcdOf(b, a % b);
}
