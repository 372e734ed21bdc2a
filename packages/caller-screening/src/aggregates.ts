/**
 * Aggregate velocity and surge mode (docs/screening.md, "Aggregate velocity and surge mode").
 *
 * Every voice contact is counted, in this instance's memory, under a few counters: all calls, its
 * class when it has no key of its own (withheld, unidentified, invalid number), the number it
 * dialled, its calling prefix (hashed into one of {@link PREFIX_SLOTS} slots), its country and its
 * line type. At most once per flush interval (default 1 s) an instance adds what it counted to one
 * small shared item with one `UpdateItem` (all counters in one `ADD`), which answers with the
 * item as it now stands: the counts of every instance, and the surge state. So no item is written
 * more than once per second per instance, whatever the call rate, and the surge state costs no
 * read of its own.
 *
 * The item (`pk=aggregate#<shard>`): counters per minute, `<mm>.<code>`, and for the classes also
 * per 10-second slot, `<mm><slot>.<code>`, where `<mm>` names the minute (base 36, modulo 1296);
 * the surge state: `s.<code>` (since when a scope is in surge), `h.<code>` (when its rate was last
 * seen above the lower threshold), `m` (a manual surge's end), `mby` (who started it), `ms` (the
 * manual surge an instance has reported started).
 */
import type { CallerIdentity } from './identity.js';
import type { AggregateItem, ScreeningStore } from './store.js';

/** What can cross a threshold: a class's total, or one value of a keyed dimension. */
export const DIMENSIONS = [
  'all',
  'withheld',
  'unidentified',
  'invalid',
  'dialled',
  'prefix',
  'country',
  'line',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** The dimensions counted per 10-second slot as well as per minute: one counter each. */
const CLASS_CODES: Readonly<Record<string, string>> = {
  all: 'a',
  withheld: 'w',
  unidentified: 'u',
  invalid: 'i',
};
/** Keyed dimensions: a counter per value, `<letter>:<value>`. */
const KEYED_CODES: Readonly<Record<string, string>> = { dialled: 'd', prefix: 'p', country: 'c', line: 'l' };
const CODE_NAMES: Readonly<Record<string, string>> = {
  a: 'all',
  w: 'withheld',
  u: 'unidentified',
  i: 'invalid',
  d: 'dialled',
  p: 'prefix',
  c: 'country',
  l: 'line',
};

/** Calling prefixes are counted in this many slots (a hash): the item stays small under any flood. */
export const PREFIX_SLOTS = 64;
/** Distinct dialled numbers one instance counts (a contact centre's own numbers); others are not. */
const MAX_DIALLED = 64;
/** Counters one flush writes at most; the rest wait for the next flush. */
const MAX_FLUSH_COUNTERS = 160;
/** Scopes one flush puts in surge at most (one request each): the rest wait for the next flush. */
const MAX_STARTS_PER_FLUSH = 4;
/** Stale counters one flush removes at most. */
const MAX_FLUSH_REMOVALS = 80;
/**
 * Contacts an instance gathers before a flush is due: below this it flushes only every
 * {@link QUIET_FLUSHES} intervals, so a quiet instance does not write once per call.
 */
export const FLUSH_BATCH = 25;
/** A quiet instance still flushes (and reads the surge state) every this many intervals. */
export const QUIET_FLUSHES = 10;
/** A scope whose rate is over this share of its threshold is watched: flushed every interval. */
export const WATCH_RATIO = 0.75;
/** Contacts this instance remembers, so a Connect retry here is not counted twice. */
const RECENT_CONTACTS = 512;
const SLOT_SECONDS = 10;
const MINUTE = 60;

export class SurgeSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SurgeSyntaxError';
  }
}

export interface SurgeThreshold {
  readonly dimension: Dimension;
  /**
   * For a keyed dimension, the one value it watches, as its counter's code (`d:+18005550199`,
   * `p:17` for `prefix=121255`, `c:NG`, `l:voip`); others of the dimension then use the threshold
   * without a value, if any.
   */
  readonly code?: string;
  /** Calls in the window that put a scope in surge. */
  readonly count: number;
  /** 10 (classes only) or 60. */
  readonly windowSeconds: number;
}

/**
 * `all:60/10s,withheld:20/1m,dialled:300/1m,dialled=+18005550199:60/1m,prefix:30/1m`; empty or
 * `none`: no thresholds. `<dimension>=<value>` sets a keyed dimension's threshold for one value
 * (a dialled number, a prefix's digits, a country, a line type).
 */
export function parseSurgeThresholds(text: string): SurgeThreshold[] {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'none') return [];
  const seen = new Set<string>();
  return trimmed.split(',').map((part) => {
    const match = /^\s*([a-z]+)(?:=([+\w]{1,24}))?:(\d{1,7})\/(10s|1m|60s)\s*$/.exec(part);
    if (!match)
      throw new SurgeSyntaxError(
        `"${part.trim().slice(0, 40)}": expected <dimension>[=<value>]:<count>/<10s|1m>`,
      );
    const [, dimension = '', value, count = '', window = ''] = match;
    if (!(DIMENSIONS as readonly string[]).includes(dimension))
      throw new SurgeSyntaxError(`unknown dimension "${dimension}": one of ${DIMENSIONS.join(', ')}`);
    const windowSeconds = window === '10s' ? SLOT_SECONDS : MINUTE;
    if (windowSeconds === SLOT_SECONDS && !(dimension in CLASS_CODES))
      throw new SurgeSyntaxError(
        `${dimension}: only all, withheld, unidentified and invalid have a 10s window`,
      );
    const n = Number(count);
    if (n < 1) throw new SurgeSyntaxError(`${dimension}: the count must be at least 1`);
    const code = value === undefined ? undefined : valueCode(dimension, value);
    const id = `${dimension}/${code ?? ''}/${windowSeconds}`;
    if (seen.has(id)) throw new SurgeSyntaxError(`${dimension}: two thresholds for the same window`);
    seen.add(id);
    return { dimension: dimension as Dimension, ...(code ? { code } : {}), count: n, windowSeconds };
  });
}

/** The counter code of one value of a keyed dimension, as a threshold names it. */
function valueCode(dimension: string, value: string): string {
  const letter = KEYED_CODES[dimension];
  if (!letter)
    throw new SurgeSyntaxError(`${dimension}: only dialled, prefix, country and line take a value`);
  if (dimension === 'dialled' && /^\+\d{3,15}$/.test(value)) return `d:${value}`;
  if (dimension === 'prefix' && /^\d{1,14}$/.test(value)) return `p:${prefixSlot(value)}`;
  if (dimension === 'country' && /^[A-Za-z]{2}$/.test(value)) return `c:${value.toUpperCase()}`;
  if (dimension === 'line' && /^[a-z_]{1,24}$/.test(value)) return `l:${value}`;
  throw new SurgeSyntaxError(
    `${dimension}=${value}: not ${dimension === 'dialled' ? 'an E.164 number' : `a ${dimension}`}`,
  );
}

export interface AggregateConfig {
  /** Counting at all (`FLOWGUARD_AGGREGATES`); off: no counting, no surge, not even a manual one. */
  readonly enabled: boolean;
  readonly thresholds: readonly SurgeThreshold[];
  /** A scope leaves surge once its rate stays below `count × offRatio` for `holdSeconds`. */
  readonly offRatio: number;
  readonly holdSeconds: number;
  /** An unverified caller counted this many times in its shortest window during a surge is blocked; 0: off. */
  readonly repeatCount: number;
  /** Surge decisions are reported (`monitoredDecision`), never enforced. */
  readonly monitor: boolean;
  readonly shards: number;
  readonly flushMs: number;
  /** E.164 digits (after `+`) that make a calling prefix. */
  readonly prefixDigits: number;
}

/** A hash of a prefix into its slot (FNV-1a): stable across instances and releases. */
export function prefixSlot(prefix: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < prefix.length; i++) {
    h ^= prefix.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % PREFIX_SLOTS;
}

/** The counters a contact adds to, as codes: `a`, then its class, dialled number, prefix, country and line type. */
export function callCodes(
  identity: CallerIdentity,
  dialled: string | undefined,
  prefixDigits: number,
): string[] {
  const codes = ['a'];
  if (identity.class === 'withheld') codes.push('w');
  else if (identity.class === 'unidentified') codes.push('u');
  if (identity.class === 'phone' && !identity.valid) codes.push('i');
  if (dialled && /^\+\d{3,15}$/.test(dialled)) codes.push(`d:${dialled}`);
  const number = identity.class === 'phone' || identity.class === 'asserted' ? identity.number : null;
  if (number) codes.push(`p:${prefixSlot(number.slice(1, 1 + prefixDigits))}`);
  if (/^[A-Z]{2}$/.test(identity.country)) codes.push(`c:${identity.country}`);
  if (number && /^[a-z_]{1,24}$/.test(identity.lineType)) codes.push(`l:${identity.lineType}`);
  return codes;
}

/** A scope as people read it: `all`, `withheld`, `dialled:+18005550100`, `prefix:17`, `country:NG`, `manual`. */
export function scopeName(code: string): string {
  if (code === 'm') return 'manual';
  const [letter = '', value] = code.split(/:(.*)/s);
  const name = CODE_NAMES[letter] ?? letter;
  return value === undefined ? name : `${name}:${value}`;
}

/** The code of a scope's name (`country:NG` → `c:NG`), or null for none. */
export function scopeCode(name: string): string | null {
  if (name === 'manual') return 'm';
  const [dimension = '', value] = name.split(/:(.*)/s);
  if (value === undefined) return CLASS_CODES[dimension] ?? null;
  const letter = KEYED_CODES[dimension];
  return letter && /^[+\w]{1,24}$/.test(value) ? `${letter}:${value}` : null;
}

const minuteTag = (minute: number) => (minute % 1296).toString(36).padStart(2, '0');
const minuteOf = (seconds: number) => Math.floor(seconds / MINUTE);

/** The attribute names a contact's codes add to at `nowSeconds`. */
function counterAttributes(codes: readonly string[], nowSeconds: number): string[] {
  const tag = minuteTag(minuteOf(nowSeconds));
  const slot = Math.floor((nowSeconds % MINUTE) / SLOT_SECONDS);
  const names: string[] = [];
  for (const code of codes) {
    names.push(`${tag}.${code}`);
    if (code.length === 1) names.push(`${tag}${slot}.${code}`);
  }
  return names;
}

/** A scope's surge state, read from the item. */
export interface ScopeState {
  readonly code: string;
  readonly since: number;
  readonly lastAbove: number;
}

/** What the item says of the surge: the scopes in surge and a manual surge's end. */
export interface SurgeState {
  readonly scopes: readonly ScopeState[];
  /** Epoch seconds; 0 for none. */
  readonly manualUntil: number;
  readonly manualBy: string;
}

export function surgeStateOf(item: AggregateItem): SurgeState {
  const scopes: ScopeState[] = [];
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith('s.') || typeof value !== 'number') continue;
    const code = name.slice(2);
    const above = item[`h.${code}`];
    scopes.push({ code, since: value, lastAbove: typeof above === 'number' ? above : value });
  }
  const manual = item.m;
  return {
    scopes,
    manualUntil: typeof manual === 'number' ? manual : 0,
    manualBy: typeof item.mby === 'string' ? item.mby : '',
  };
}

/** A rate over a threshold's window, estimated from the item (and what is not flushed yet). */
export interface Rate {
  readonly code: string;
  readonly threshold: SurgeThreshold;
  /** Calls in the last window, estimated (sliding: the previous window weighted by its overlap). */
  readonly calls: number;
}

/** Counter values by name: the item's, plus this instance's pending ones. */
type Counts = (name: string) => number;

/**
 * The rate of every counter a threshold watches, at `nowSeconds`: the current window plus the
 * previous one weighted by how much of it the sliding window still covers (for a minute, judged
 * by when in it the calls came: {@link stillCovered}), times the shards.
 */
export function ratesOf(
  thresholds: readonly SurgeThreshold[],
  names: Iterable<string>,
  counts: Counts,
  nowSeconds: number,
  shards: number,
): Rate[] {
  const minute = minuteOf(nowSeconds);
  const tag = minuteTag(minute);
  const previousTag = minuteTag(minute - 1);
  const keyed = new Set<string>();
  for (const name of names) {
    const dot = name.indexOf('.');
    if (dot !== 2 || (name.slice(0, 2) !== tag && name.slice(0, 2) !== previousTag)) continue;
    const code = name.slice(3);
    if (code.length > 1) keyed.add(code);
  }
  const previousWeight = stillCovered(counts, previousTag, nowSeconds % MINUTE);
  // A value with a threshold of its own is not judged by its dimension's general one.
  const specific = new Set(thresholds.flatMap((t) => (t.code ? [t.code] : [])));
  const rates: Rate[] = [];
  for (const threshold of thresholds) {
    const classCode = CLASS_CODES[threshold.dimension];
    const letter = `${KEYED_CODES[threshold.dimension]}:`;
    const codes = classCode
      ? [classCode]
      : threshold.code
        ? [threshold.code]
        : [...keyed].filter((code) => code.startsWith(letter) && !specific.has(code));
    for (const code of codes) {
      let calls: number;
      if (threshold.windowSeconds === SLOT_SECONDS) {
        const slot = Math.floor((nowSeconds % MINUTE) / SLOT_SECONDS);
        const into = (nowSeconds % SLOT_SECONDS) / SLOT_SECONDS;
        const previous = slot === 0 ? `${previousTag}5.${code}` : `${tag}${slot - 1}.${code}`;
        calls = counts(`${tag}${slot}.${code}`) + counts(previous) * (1 - into);
      } else {
        calls = counts(`${tag}.${code}`) + counts(`${previousTag}.${code}`) * previousWeight;
      }
      rates.push({ code, threshold, calls: calls * shards });
    }
  }
  return rates;
}

/**
 * The share of the previous minute's calls that the sliding minute still covers, `into` seconds
 * into this minute: from the previous minute's 10-second totals of all calls (`<mm><slot>.a`), so
 * a flood that stopped early in that minute is not spread over all of it; `1 - into/60` (calls
 * spread evenly) when there are none.
 */
function stillCovered(counts: Counts, previousTag: string, into: number): number {
  let total = 0;
  let covered = 0;
  for (let slot = 0; slot < MINUTE / SLOT_SECONDS; slot++) {
    const n = counts(`${previousTag}${slot}.a`);
    const start = slot * SLOT_SECONDS;
    const overlap = Math.min(SLOT_SECONDS, Math.max(0, start + SLOT_SECONDS - Math.max(start, into)));
    total += n;
    covered += (n * overlap) / SLOT_SECONDS;
  }
  return total > 0 ? covered / total : 1 - into / MINUTE;
}

/** A change of surge state this instance made: logged, counted as a metric, alarmed on. */
export interface SurgeEvent {
  readonly kind: 'started' | 'ended';
  /** The scope's name (`all`, `prefix:17`). */
  readonly scope: string;
  /** The estimated calls in the window when it started; 0 when it ended, or for a manual surge. */
  readonly calls: number;
  /** The threshold's text (`all:60/10s`), `by <who>` for a manual surge; `''` when it ended. */
  readonly threshold: string;
}

export interface AggregatesOptions {
  readonly config: AggregateConfig;
  readonly store: ScreeningStore;
  /** Epoch milliseconds. */
  readonly clock: () => number;
  /** For the shard a flush goes to; injectable for tests. */
  readonly random?: () => number;
}

const thresholdText = (t: SurgeThreshold) =>
  `${t.code ? scopeName(t.code) : t.dimension}:${t.count}/${t.windowSeconds === 10 ? '10s' : '1m'}`;

/**
 * One instance's aggregate counting and its view of the surge state. `record` counts a contact in
 * memory; `flush`, due once per flush interval, adds the counts to the shared item in one request,
 * takes the item it answers as the new view, and starts or ends surges the view calls for (rare
 * extra requests, one per scope change and shard).
 */
export class Aggregates {
  readonly config: AggregateConfig;
  private readonly store: ScreeningStore;
  private readonly clock: () => number;
  private readonly random: () => number;
  private pending = new Map<string, number>();
  /** Contacts recorded since the last flush. */
  private pendingContacts = 0;
  private viewItem: AggregateItem = {};
  /** The surge state of {@link viewItem}, worked out once per view, not once per call. */
  private viewState: SurgeState = surgeStateOf({});
  private viewShard = 0;
  private lastFlush = Number.NEGATIVE_INFINITY;
  private flushing: Promise<SurgeEvent[]> | null = null;
  private readonly recent = new Set<string>();
  private readonly dialled = new Set<string>();

  constructor(options: AggregatesOptions) {
    this.config = options.config;
    this.store = options.store;
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
  }

  /** The shared item as this instance last saw it. */
  private get view(): AggregateItem {
    return this.viewItem;
  }

  private set view(item: AggregateItem) {
    this.viewItem = item;
    this.viewState = surgeStateOf(item);
  }

  /** Epoch seconds by the clock. */
  private nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }

  /** The codes of the scopes live in the view (seen above their lower threshold within the hold). */
  private liveCodes(now: number): string[] {
    return this.viewState.scopes
      .filter((s) => now - s.lastAbove < this.config.holdSeconds)
      .map((s) => s.code);
  }

  /** Whether every call is covered already: a manual surge, or `all` live. */
  private everyone(now: number): boolean {
    return this.viewState.manualUntil > now || this.liveCodes(now).includes('a');
  }

  /** Counter values by name: the view's plus this instance's unflushed ones. */
  private readonly counts: Counts = (name) => {
    const value = this.viewItem[name];
    return (typeof value === 'number' ? value : 0) + (this.pending.get(name) ?? 0);
  };

  /** Counts a contact once (a retry of one this instance counted is not counted again). */
  record(contactId: string, codes: readonly string[]): void {
    if (this.recent.has(contactId)) return;
    if (this.recent.size >= RECENT_CONTACTS) {
      const oldest = this.recent.values().next();
      if (!oldest.done) this.recent.delete(oldest.value);
    }
    this.recent.add(contactId);
    this.pendingContacts += 1;
    const now = this.nowSeconds();
    const counted = codes.filter((code) => {
      if (!code.startsWith('d:') || this.dialled.has(code)) return true;
      if (this.dialled.size >= MAX_DIALLED) return false;
      this.dialled.add(code);
      return true;
    });
    for (const name of counterAttributes(counted, now))
      this.pending.set(name, (this.pending.get(name) ?? 0) + 1);
  }

  /**
   * Whether a flush is due: the interval has passed and {@link FLUSH_BATCH} contacts are waiting
   * (a busy instance: at most one flush per interval), or {@link QUIET_FLUSHES} intervals have
   * passed (a quiet one), or this instance has never read the surge state; or, an interval after
   * the last, when a counter of this contact (`codes`) is over {@link WATCH_RATIO} of the threshold
   * of a scope not in surge: a slow attack nearing its threshold is watched every interval, so it
   * is acted on when it crosses, not a quiet flush later; or when a surge has lapsed in the view
   * ({@link fading}).
   */
  due(codes: readonly string[] = []): boolean {
    const age = this.clock() - this.lastFlush;
    if (age >= this.config.flushMs * QUIET_FLUSHES) return true;
    if (age < this.config.flushMs) return false;
    return this.pendingContacts >= FLUSH_BATCH || this.fading() || this.crosses(codes);
  }

  /**
   * Whether a scope in the view has lapsed (not seen above its lower threshold for the hold): the
   * item is asked before the decision believes it, so a quiet instance never lets a call through
   * on a surge that has lapsed only in its own, old view. Once per scope's end: the flush either
   * brings the refreshed scope or ends it.
   */
  private fading(): boolean {
    const now = this.nowSeconds();
    return this.viewState.scopes.some((s) => now - s.lastAbove >= this.config.holdSeconds);
  }

  /** Whether one of `codes` nears its threshold, in the view and this instance's counts, and is not in surge. */
  private crosses(codes: readonly string[]): boolean {
    if (this.config.thresholds.length === 0 || codes.length === 0) return false;
    const now = this.nowSeconds();
    // Everyone in surge already: no narrower scope would change an answer.
    if (this.everyone(now)) return false;
    const tag = minuteTag(minuteOf(now));
    const names = codes.filter((code) => code.length > 1).map((code) => `${tag}.${code}`);
    return ratesOf(this.config.thresholds, names, this.counts, now, this.config.shards).some(
      (rate) =>
        rate.calls >= rate.threshold.count * WATCH_RATIO &&
        codes.includes(rate.code) &&
        this.view[`s.${rate.code}`] === undefined,
    );
  }

  /** Flushes unless one is running (then waits for it); answers the surge changes it made. */
  flush(signal?: AbortSignal): Promise<SurgeEvent[]> {
    this.flushing ??= this.flushNow(signal).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /**
   * The scope in surge that covers a contact with these codes (its name), or null: a manual surge,
   * `all`, or the first of the contact's own counters in surge.
   */
  surgeFor(codes: readonly string[]): string | null {
    const now = this.nowSeconds();
    if (this.viewState.manualUntil > now) return 'manual';
    const live = this.liveCodes(now);
    if (live.length === 0) return null;
    const code = codes.find((c) => live.includes(c));
    return code === undefined ? null : scopeName(code);
  }

  /** The scopes in surge as this instance last saw them, by name (`manual` for a manual surge). */
  liveScopes(): string[] {
    const now = this.nowSeconds();
    const live = this.liveCodes(now).map(scopeName);
    return this.viewState.manualUntil > now ? ['manual', ...live] : live;
  }

  private async flushNow(signal?: AbortSignal): Promise<SurgeEvent[]> {
    this.lastFlush = this.clock();
    const contacts = this.pendingContacts;
    this.pendingContacts = 0;
    const now = Math.floor(this.lastFlush / 1000);
    const minute = minuteOf(now);
    const live = new Set([minuteTag(minute), minuteTag(minute - 1)]);
    const add: Record<string, number> = {};
    const carried = new Map<string, number>();
    let n = 0;
    for (const [name, value] of this.pending) {
      if (!live.has(name.slice(0, 2))) continue;
      if (n++ < MAX_FLUSH_COUNTERS) add[name] = value;
      else carried.set(name, value);
    }
    this.pending = carried;
    const remove = Object.keys(this.view)
      .filter((name) => /^[0-9a-z]{2}\d?\./.test(name) && !live.has(name.slice(0, 2)))
      .slice(0, MAX_FLUSH_REMOVALS);
    // While a scope's rate stays above the lower threshold, its `h.<code>` is kept fresh: at most
    // every quarter of the hold, in the flush itself.
    const set: Record<string, number> = {};
    const state = this.viewState;
    const rates = this.rates(now);
    for (const scope of state.scopes) {
      if (now - scope.lastAbove < this.config.holdSeconds / 4) continue;
      if (rates.some((r) => r.code === scope.code && r.calls >= r.threshold.count * this.config.offRatio))
        set[`h.${scope.code}`] = now;
    }
    const shard = this.config.shards > 1 ? Math.floor(this.random() * this.config.shards) : 0;
    try {
      const item = await this.store.updateAggregates({ shard, add, set, remove }, signal);
      if (item) {
        this.view = item;
        this.viewShard = shard;
      }
    } catch (error) {
      // Nothing is lost but this flush's counts beyond a minute old: they are counted again next time.
      for (const [name, value] of Object.entries(add))
        this.pending.set(name, (this.pending.get(name) ?? 0) + value);
      this.pendingContacts += contacts;
      throw error;
    }
    return this.changes(now, signal);
  }

  /** The rates the view and this instance's unflushed counts give. */
  private rates(now: number): Rate[] {
    const names = new Set([...Object.keys(this.view), ...this.pending.keys()]);
    return ratesOf(this.config.thresholds, names, this.counts, now, this.config.shards);
  }

  /** Starts the surges the rates call for and ends those whose rate stayed low for the hold. */
  private async changes(now: number, signal?: AbortSignal): Promise<SurgeEvent[]> {
    const events: SurgeEvent[] = [];
    const state = this.viewState;
    const inSurge = new Map(state.scopes.map((s) => [s.code, s]));
    // While every call is covered (all, or a manual surge), a narrower scope adds nothing: `all`
    // is looked at first.
    let everyone = this.everyone(now);
    // `all` first, then the scopes furthest over their thresholds, a few per flush.
    const over = this.rates(now)
      .filter((r) => r.calls >= r.threshold.count && !inSurge.has(r.code))
      .sort(
        (x, y) =>
          Number(y.code === 'a') - Number(x.code === 'a') ||
          y.calls / y.threshold.count - x.calls / x.threshold.count,
      );
    let started = 0;
    for (const rate of over) {
      if (everyone && rate.code !== 'a') continue;
      if (started++ >= MAX_STARTS_PER_FLUSH || inSurge.has(rate.code)) continue;
      inSurge.set(rate.code, { code: rate.code, since: now, lastAbove: now });
      const first = await this.startScope(rate.code, now, signal);
      // The item answered shows the scopes others started: `all` among them covers everyone.
      everyone ||= this.everyone(now);
      if (first)
        events.push({
          kind: 'started',
          scope: scopeName(rate.code),
          calls: Math.round(rate.calls),
          threshold: thresholdText(rate.threshold),
        });
    }
    for (const scope of state.scopes) {
      if (now - scope.lastAbove < this.config.holdSeconds) continue;
      if (await this.endScope(scope, signal))
        events.push({ kind: 'ended', scope: scopeName(scope.code), calls: 0, threshold: '' });
    }
    const manual = await this.manualChange(state, now, signal);
    if (manual) events.push(manual);
    return events;
  }

  /**
   * A manual surge (`flowguard surge on`, `off`) is reported once, as the automatic ones are: the
   * first instance to see it start marks the item (`ms`, its end when seen) and reports it started;
   * the first to see it over or lifted removes the mark and reports it ended.
   */
  private async manualChange(
    state: SurgeState,
    now: number,
    signal?: AbortSignal,
  ): Promise<SurgeEvent | null> {
    const marked = this.view.ms;
    const on = state.manualUntil > now;
    if (on && marked === undefined) {
      const item = await this.store.updateAggregates(
        { shard: this.viewShard, set: { ms: state.manualUntil }, onlyIf: { name: 'ms', equals: null } },
        signal,
      );
      if (item === null) return null;
      this.view = { ...this.view, ms: state.manualUntil };
      return {
        kind: 'started',
        scope: 'manual',
        calls: 0,
        threshold: `by ${state.manualBy || 'an operator'}`,
      };
    }
    if (!on && typeof marked === 'number') {
      const item = await this.store.updateAggregates(
        { shard: this.viewShard, remove: ['ms'], onlyIf: { name: 'ms', equals: marked } },
        signal,
      );
      const { ms: _, ...rest } = this.view;
      this.view = rest;
      if (item === null) return null;
      return { kind: 'ended', scope: 'manual', calls: 0, threshold: '' };
    }
    return null;
  }

  /** Puts a scope in surge on every shard; true when this instance was the one that did. */
  private async startScope(code: string, now: number, signal?: AbortSignal): Promise<boolean> {
    let first = false;
    for (let shard = 0; shard < this.config.shards; shard++) {
      const item = await this.store.updateAggregates(
        { shard, set: { [`h.${code}`]: now }, setIfAbsent: { [`s.${code}`]: now }, returnOld: true },
        signal,
      );
      if (shard === 0) first = item !== null && item[`s.${code}`] === undefined;
      if (shard === this.viewShard) {
        // The item as it was, with this scope now in surge: what others started is seen at once.
        const surge = Object.entries(item ?? {}).filter(([name]) => /^(s\.|h\.|m$|mby$)/.test(name));
        this.view = {
          ...this.view,
          ...Object.fromEntries(surge),
          [`s.${code}`]: item?.[`s.${code}`] ?? now,
          [`h.${code}`]: now,
        };
      }
    }
    return first;
  }

  /** Ends a scope's surge on every shard, unless someone saw it above since; true when this instance ended it. */
  private async endScope(scope: ScopeState, signal?: AbortSignal): Promise<boolean> {
    const names = [`s.${scope.code}`, `h.${scope.code}`];
    const ended = await this.store.updateAggregates(
      { shard: this.viewShard, remove: names, onlyIf: { name: `h.${scope.code}`, equals: scope.lastAbove } },
      signal,
    );
    if (ended === null) return false;
    for (let shard = 0; shard < this.config.shards; shard++)
      if (shard !== this.viewShard) await this.store.updateAggregates({ shard, remove: names }, signal);
    const view = { ...this.view };
    for (const name of names) delete view[name];
    this.view = view;
    return true;
  }
}
