import {
  type AggregateConfig,
  type AggregateItem,
  ratesOf,
  readAggregateConfig,
  type ScreeningStore,
  type SurgeThreshold,
  scopeCode,
  scopeName,
  surgeStateOf,
} from '@flowguard/caller-screening';
import { ConfigError, envInt } from '@flowguard/contact';
import { durationOf } from './blocklist.js';
import type { Context } from './context.js';
import { CommandError, UsageError } from './errors.js';
import { humanDuration, iso, json, oneLine } from './format.js';
import { describeStoreError, isStoreUnavailable } from './store.js';

/** `FLOWGUARD_AGGREGATE_SHARDS`'s bound: the shard items `surge` looks for, whatever the setting. */
export const MAX_SHARDS = 16;
/** A manual surge lasts 1 minute to 7 days. */
export const MIN_SURGE_SECONDS = 60;
export const MAX_SURGE_SECONDS = 7 * 86_400;

/** The aggregate settings from the CLI's environment; a bad one is a usage error naming it. */
function configOf(ctx: Context): AggregateConfig {
  try {
    return readAggregateConfig(ctx.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** Only the shard count (on and off must work whatever else the environment holds). */
function configuredShards(ctx: Context): number {
  try {
    return envInt('FLOWGUARD_AGGREGATE_SHARDS', { env: ctx.env, min: 1, max: MAX_SHARDS, default: 1 });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

interface Shards {
  /** FLOWGUARD_AGGREGATE_SHARDS here. */
  readonly configured: number;
  /** The items read, by shard: the configured ones and any found beyond them. */
  readonly items: readonly AggregateItem[];
}

/** A store failure in the middle of a command: what was done, and the store's own one line. */
function storeFailure(ctx: Context, what: string, error: unknown): never {
  if (!isStoreUnavailable(error)) throw error;
  throw new CommandError(`${what}: ${describeStoreError(error, safeTable(ctx))}`);
}

function safeTable(ctx: Context): string {
  try {
    return ctx.table();
  } catch {
    return '';
  }
}

/**
 * Every shard's item: the configured shards, and any item found beyond them (screen-caller may be
 * configured with more shards than this shell: a surge set on some of its shards only would hold
 * for some flushes and not others).
 */
async function readShards(ctx: Context, store: ScreeningStore): Promise<Shards> {
  const configured = configuredShards(ctx);
  let items: AggregateItem[];
  try {
    items = await Promise.all(Array.from({ length: MAX_SHARDS }, (_, shard) => store.readAggregates(shard)));
  } catch (error) {
    storeFailure(ctx, 'reading the aggregate items', error);
  }
  let last = configured - 1;
  items.forEach((item, shard) => {
    if (Object.keys(item).length > 0) last = Math.max(last, shard);
  });
  return { configured, items: items.slice(0, last + 1) };
}

/** A line for shards beyond FLOWGUARD_AGGREGATE_SHARDS, or none. */
function beyondNote(shards: Shards): string[] {
  if (shards.items.length <= shards.configured) return [];
  return [
    `note: shard items up to ${shards.items.length - 1} exist, beyond FLOWGUARD_AGGREGATE_SHARDS=${shards.configured} here: all ${shards.items.length} are used (set FLOWGUARD_AGGREGATE_SHARDS as screen-caller has it)`,
  ];
}

/** Seconds from `--for`: 1m to 7d. */
function surgeSeconds(text: string | undefined): number {
  if (text === undefined || text.trim() === '')
    throw new UsageError('--for is required: how long the manual surge lasts, 1m to 7d (e.g. --for 30m)');
  const seconds = durationOf(text.trim(), '--for');
  if (seconds < MIN_SURGE_SECONDS || seconds > MAX_SURGE_SECONDS)
    throw new UsageError(`--for '${text.slice(0, 40)}': a manual surge lasts 1m to 7d`);
  return seconds;
}

export interface SurgeOnOptions {
  readonly for: string | undefined;
  readonly by: string | undefined;
}

/**
 * Starts (or re-times) a manual surge: `m` = now + --for and `mby` on every shard item. It
 * replaces the end of a manual surge already on, shorter or longer: running it again with a
 * shorter --for shortens it.
 */
export async function surgeOn(ctx: Context, options: SurgeOnOptions): Promise<number> {
  const seconds = surgeSeconds(options.for);
  const by = ctx.by(options.by);
  const store = ctx.store();
  const shards = await readShards(ctx, store);
  const now = ctx.nowSeconds();
  const until = now + seconds;
  const before = surgeStateOf(mergedManual(shards.items));
  for (let shard = 0; shard < shards.items.length; shard++) {
    try {
      await store.updateAggregates({ shard, set: { m: until, mby: by } });
    } catch (error) {
      storeFailure(
        ctx,
        `surge on stopped after ${shard} of ${shards.items.length} shards (run it again)`,
        error,
      );
    }
  }
  const replaced = before.manualUntil > now ? before : null;
  if (ctx.json) {
    ctx.out(
      json({
        surge: 'on',
        until: iso(until),
        seconds,
        by,
        shards: shards.items.length,
        replaced: replaced ? { until: iso(replaced.manualUntil), by: replaced.manualBy } : null,
      }),
    );
    return 0;
  }
  const lines = [
    `manual surge on until ${iso(until)} (${humanDuration(seconds)}) on ${plural(shards.items.length, 'shard')}, by ${oneLine(by)}`,
  ];
  if (replaced)
    lines.push(
      `replaced: the manual surge until ${iso(replaced.manualUntil)} by ${oneLine(replaced.manualBy) || '(unknown)'} (surge on sets the end, shorter or longer)`,
    );
  lines.push(
    "each screen-caller instance applies it at its next flush of the aggregates (seconds: FLOWGUARD_AGGREGATE_FLUSH_MS): voice callers without a recent verified contact are answered CHALLENGE; 'flowguard surge off' ends it",
    ...beyondNote(shards),
  );
  ctx.out(`${lines.join('\n')}\n`);
  return 0;
}

/**
 * Ends every surge: the manual one (`m`, `mby`) and every automatic scope (`s.*`, `h.*`), on every
 * shard item; with `scope`, only that one. A scope whose rate is still at its threshold starts
 * again at the next flush.
 */
export async function surgeOff(ctx: Context, options: { scope?: string } = {}): Promise<number> {
  const only = options.scope === undefined ? null : scopeCode(options.scope.trim());
  if (only === null && options.scope !== undefined)
    throw new UsageError(
      `--scope: not a scope name (manual, all, withheld, unidentified, invalid, dialled:<E.164>, prefix:<slot>, country:<ISO>, line:<type>)`,
    );
  const ends = (name: string) =>
    only === null
      ? name === 'm' || name === 'mby' || name.startsWith('s.') || name.startsWith('h.')
      : only === 'm'
        ? name === 'm' || name === 'mby'
        : name === `s.${only}` || name === `h.${only}`;
  const store = ctx.store();
  const shards = await readShards(ctx, store);
  const now = ctx.nowSeconds();
  const state = surgeStateOf(mergedManual(shards.items));
  const scopes = mergedScopes(shards.items).filter((s) => only === null || s.code === only);
  let written = 0;
  for (const [shard, item] of shards.items.entries()) {
    const names = Object.keys(item).filter(ends);
    if (names.length === 0) continue;
    try {
      await store.updateAggregates({ shard, remove: names });
    } catch (error) {
      storeFailure(ctx, `surge off stopped at shard ${shard} (run it again)`, error);
    }
    written += 1;
  }
  const manualEnded = only === null || only === 'm';
  const manual = manualEnded && state.manualUntil > now ? state : null;
  if (ctx.json) {
    ctx.out(
      json({
        surge: 'off',
        manual: manual ? { until: iso(manual.manualUntil), by: manual.manualBy } : null,
        scopes: scopes.map((s) => ({ scope: scopeName(s.code), since: iso(s.since) })),
        shards: shards.items.length,
        changed: written > 0,
      }),
    );
    return 0;
  }
  const lines: string[] = [];
  if (manual)
    lines.push(
      `ended manual surge (was until ${iso(manual.manualUntil)}, by ${oneLine(manual.manualBy) || '(unknown)'})`,
    );
  else if (manualEnded && state.manualUntil > 0)
    lines.push(`removed a manual surge that had ended ${iso(state.manualUntil)}`);
  for (const scope of scopes)
    lines.push(`ended automatic surge ${oneLine(scopeName(scope.code))} (since ${iso(scope.since)})`);
  if (written === 0)
    lines.push(
      only === null
        ? 'no surge on; nothing changed'
        : `no surge ${options.scope?.trim()} on; nothing changed`,
    );
  lines.push(
    'note: an automatic scope starts again at the next flush while its rate is still at its threshold (FLOWGUARD_SURGE_THRESHOLDS)',
    ...beyondNote(shards),
  );
  ctx.out(`${lines.join('\n')}\n`);
  return 0;
}

/** The manual surge of all shards: the latest end, and who set it. */
function mergedManual(items: readonly AggregateItem[]): AggregateItem {
  let best: AggregateItem = {};
  for (const item of items) {
    const until = typeof item.m === 'number' ? item.m : 0;
    const bestUntil = typeof best.m === 'number' ? best.m : 0;
    if (until > bestUntil) best = { m: until, ...(typeof item.mby === 'string' ? { mby: item.mby } : {}) };
  }
  return best;
}

interface MergedScope {
  readonly code: string;
  readonly since: number;
  readonly lastAbove: number;
  /** Shards whose item has the scope. */
  readonly shards: number;
}

/** The scopes in surge on any shard: the earliest start, the latest time seen above. */
function mergedScopes(items: readonly AggregateItem[]): MergedScope[] {
  const scopes = new Map<string, MergedScope>();
  for (const item of items) {
    for (const scope of surgeStateOf(item).scopes) {
      const known = scopes.get(scope.code);
      scopes.set(scope.code, {
        code: scope.code,
        since: Math.min(known?.since ?? scope.since, scope.since),
        lastAbove: Math.max(known?.lastAbove ?? scope.lastAbove, scope.lastAbove),
        shards: (known?.shards ?? 0) + 1,
      });
    }
  }
  return [...scopes.values()].sort((a, b) => a.since - b.since || (a.code < b.code ? -1 : 1));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const thresholdText = (t: SurgeThreshold) =>
  `${t.dimension}:${t.count}/${t.windowSeconds === 10 ? '10s' : '1m'}`;

type Level = 'above' | 'between' | 'below';

interface RateLine {
  readonly threshold: string;
  readonly scope: string | null;
  readonly window: string;
  readonly calls: number;
  readonly on: number;
  readonly off: number;
  readonly level: Level;
}

/**
 * The rates the items' counters give now, every shard's counters added together (so the sum is
 * the whole count, not one shard's estimate times the shards). A keyed threshold with no counter
 * yet is listed with no scope and no calls.
 */
function rateLines(config: AggregateConfig, items: readonly AggregateItem[], now: number): RateLine[] {
  const sums = new Map<string, number>();
  for (const item of items)
    for (const [name, value] of Object.entries(item))
      if (typeof value === 'number' && /^[0-9a-z]{2}\d?\./.test(name))
        sums.set(name, (sums.get(name) ?? 0) + value);
  const rates = ratesOf(config.thresholds, sums.keys(), (name) => sums.get(name) ?? 0, now, 1);
  const lines: RateLine[] = [];
  for (const threshold of config.thresholds) {
    const on = threshold.count;
    const off = threshold.count * config.offRatio;
    const window = threshold.windowSeconds === 10 ? '10s' : '1m';
    const text = thresholdText(threshold);
    const mine = rates.filter((r) => r.threshold === threshold).sort((a, b) => b.calls - a.calls);
    if (mine.length === 0)
      lines.push({ threshold: text, scope: null, window, calls: 0, on, off, level: 'below' });
    for (const rate of mine) {
      const calls = Math.round(rate.calls * 10) / 10;
      const level: Level = rate.calls >= on ? 'above' : rate.calls >= off ? 'between' : 'below';
      lines.push({ threshold: text, scope: scopeName(rate.code), window, calls, on, off, level });
    }
  }
  return lines;
}

/** The surge state of every shard, merged, and the rates now against the thresholds set here. */
export async function surgeStatus(ctx: Context): Promise<number> {
  const config = configOf(ctx);
  const store = ctx.store();
  const shards = await readShards(ctx, store);
  const now = ctx.nowSeconds();
  const manual = surgeStateOf(mergedManual(shards.items));
  const manualOn = manual.manualUntil > now;
  const scopes = mergedScopes(shards.items).map((s) => ({
    ...s,
    live: now - s.lastAbove < config.holdSeconds,
  }));
  const rates = rateLines(config, shards.items, now);
  const warnings: string[] = [];
  const withManual = shards.items.filter((item) => item.m === manual.manualUntil).length;
  if (manual.manualUntil > 0 && withManual < shards.items.length)
    warnings.push(
      `only ${withManual} of ${shards.items.length} shards hold this manual surge: run 'flowguard surge on' (or off) again`,
    );
  warnings.push(...beyondNote(shards).map((line) => line.replace(/^note: /, '')));
  const live = [
    ...(manualOn ? ['manual'] : []),
    ...scopes.filter((s) => s.live).map((s) => scopeName(s.code)),
  ];
  if (ctx.json) {
    ctx.out(
      json({
        surge: live.length > 0,
        in: live,
        shards: shards.items.length,
        manual: manualOn
          ? {
              until: iso(manual.manualUntil),
              by: manual.manualBy,
              remainingSeconds: manual.manualUntil - now,
            }
          : null,
        scopes: scopes.map((s) => ({
          scope: scopeName(s.code),
          since: iso(s.since),
          lastAbove: iso(s.lastAbove),
          live: s.live,
        })),
        holdSeconds: config.holdSeconds,
        offPercent: Math.round(config.offRatio * 100),
        thresholds: rates,
        warnings,
      }),
    );
    return 0;
  }
  const lines = [
    `surge: ${live.length > 0 ? `on (${live.map(oneLine).join(', ')})` : 'off'}`,
    manualOn
      ? `manual: on until ${iso(manual.manualUntil)} (${humanDuration(manual.manualUntil - now)} left), by ${oneLine(manual.manualBy) || '(unknown)'}`
      : manual.manualUntil > 0
        ? `manual: off (the last one ended ${iso(manual.manualUntil)})`
        : 'manual: off',
  ];
  if (scopes.length === 0) lines.push('scopes: none in surge');
  for (const s of scopes) {
    const ago = humanDuration(now - s.lastAbove);
    lines.push(
      `scope ${oneLine(scopeName(s.code))}: ${s.live ? 'live' : 'lapsed'}, since ${iso(s.since)}, last above ${iso(s.lastAbove)} (${ago} ago${s.live ? '' : `, over the ${humanDuration(config.holdSeconds)} hold: ends at the next flush`})`,
    );
  }
  if (config.thresholds.length === 0)
    lines.push(
      'thresholds: none configured here (FLOWGUARD_SURGE_THRESHOLDS is empty): no automatic surge to measure',
    );
  else
    lines.push(
      `thresholds: off below ${Math.round(config.offRatio * 100)}% for ${humanDuration(config.holdSeconds)}`,
    );
  for (const r of rates) {
    const off = Math.round(r.off * 10) / 10;
    lines.push(
      r.scope === null
        ? `rate ${r.threshold}: no calls counted`
        : `rate ${r.threshold} ${oneLine(r.scope)}: ${r.calls} calls in ${r.window}, on at ${r.on}, off below ${off}: ${r.level}`,
    );
  }
  for (const warning of warnings) lines.push(`warning: ${warning}`);
  ctx.out(`${lines.join('\n')}\n`);
  return 0;
}
