import { type CallerState, LimitSyntaxError, parseDuration } from '@flowguard/caller-screening';
import { type Context, checkedText } from './context.js';
import { csvLine } from './csv.js';
import { UsageError } from './errors.js';
import { humanDuration, importDuration, iso, json, oneLine, table } from './format.js';
import { MAX_REASON } from './import.js';
import { callerKey, exportedNumber, KeyError } from './keys.js';

export const DEFAULT_BLOCK_DURATION = '30d';

/** The store key for what the admin typed; a bad number is a usage error (exit 2). */
export function keyOf(ctx: Context, input: string, country: string | undefined): string {
  try {
    return callerKey(input, ctx.country(country));
  } catch (error) {
    if (error instanceof KeyError) throw new UsageError(error.message);
    throw error;
  }
}

/** Seconds from `--duration 30d` style text. */
export function durationOf(text: string, flag: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    if (error instanceof LimitSyntaxError) throw new UsageError(`${flag} '${text}': ${error.message}`);
    throw error;
  }
}

export interface AddOptions {
  readonly input: string;
  readonly reason: string | undefined;
  readonly duration: string | undefined;
  readonly by: string | undefined;
  readonly country: string | undefined;
}

export async function addBlock(ctx: Context, options: AddOptions): Promise<number> {
  const key = keyOf(ctx, options.input, options.country);
  const reason = checkedText(options.reason ?? '', '--reason', MAX_REASON);
  if (reason === '') throw new UsageError('--reason is required: say why (it is kept in the history)');
  const seconds = durationOf(options.duration ?? DEFAULT_BLOCK_DURATION, '--duration');
  const by = ctx.by(options.by);
  const now = ctx.nowSeconds();
  const outcome = await ctx
    .store()
    .block({ key, untilSeconds: now + seconds, reason, by, nowSeconds: now, action: 'block' });
  if (ctx.json) {
    ctx.out(json({ key, result: outcome.result, until: iso(outcome.blockedUntil), reason, by }));
  } else if (outcome.result === 'applied') {
    ctx.out(`blocked ${key} until ${iso(outcome.blockedUntil)} (${humanDuration(seconds)})\n`);
  } else {
    ctx.out(
      `kept: ${key} is already blocked until ${iso(outcome.blockedUntil)}, at least as long (a block is never shortened)\n`,
    );
  }
  return 0;
}

export interface RemoveOptions {
  readonly input: string;
  readonly reason: string | undefined;
  readonly by: string | undefined;
  readonly country: string | undefined;
}

/** Ends a live block. No live block: says so and exits 0 (removing is idempotent). */
export async function removeBlock(ctx: Context, options: RemoveOptions): Promise<number> {
  const key = keyOf(ctx, options.input, options.country);
  const reason = checkedText(options.reason ?? '', '--reason', MAX_REASON);
  const by = ctx.by(options.by);
  const removed = await ctx.store().unblock({ key, by, reason, nowSeconds: ctx.nowSeconds() });
  if (ctx.json) ctx.out(json({ key, removed }));
  else ctx.out(removed ? `unblocked ${key}\n` : `not blocked: ${key} has no live block; nothing changed\n`);
  return 0;
}

interface Listed {
  readonly key: string;
  readonly until: number;
  readonly reason: string;
  readonly by: string;
  readonly since: number;
}

async function liveBlocks(ctx: Context, now: number): Promise<Listed[]> {
  const blocks: Listed[] = [];
  for await (const state of ctx.store().listBlocked(now)) {
    blocks.push({
      key: state.key,
      until: state.blockedUntil,
      reason: state.blockReason,
      by: state.blockedBy,
      since: state.blockedAt,
    });
  }
  return blocks.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export async function listBlocks(ctx: Context): Promise<number> {
  const blocks = await liveBlocks(ctx, ctx.nowSeconds());
  if (ctx.json) {
    ctx.out(
      json(
        blocks.map((b) => ({
          key: b.key,
          until: iso(b.until),
          reason: b.reason,
          by: b.by,
          since: iso(b.since),
        })),
      ),
    );
  } else if (blocks.length === 0) {
    ctx.out('no live blocks\n');
  } else {
    ctx.out(
      table(
        ['KEY', 'UNTIL', 'BY', 'REASON'],
        blocks.map((b) => [b.key, iso(b.until), oneLine(b.by), oneLine(b.reason)]),
      ),
    );
  }
  return 0;
}

function blockOf(state: CallerState | null, now: number) {
  if (!state || state.blockedUntil <= now) return null;
  return {
    until: iso(state.blockedUntil),
    reason: state.blockReason,
    by: state.blockedBy,
    since: iso(state.blockedAt),
    remaining: humanDuration(state.blockedUntil - now),
  };
}

export async function showBlock(ctx: Context, input: string, country: string | undefined): Promise<number> {
  const key = keyOf(ctx, input, country);
  const store = ctx.store();
  const now = ctx.nowSeconds();
  const [state, history] = await Promise.all([store.getState(key), store.history(key)]);
  const block = blockOf(state, now);
  const entries = history.map((h) => ({
    at: iso(h.at),
    action: h.action,
    by: h.by,
    reason: h.reason,
    until: iso(h.until),
  }));
  if (ctx.json) {
    ctx.out(json({ key, blocked: block !== null, block, history: entries }));
    return 0;
  }
  ctx.out(
    block
      ? `${key}: blocked until ${block.until} (${block.remaining} left) by ${oneLine(block.by)}: ${oneLine(block.reason)}\n`
      : `${key}: not blocked\n`,
  );
  if (entries.length === 0) ctx.out('no history\n');
  else {
    ctx.out('history:\n');
    ctx.out(
      table(
        ['AT', 'ACTION', 'UNTIL', 'BY', 'REASON'],
        entries.map((e) => [
          e.at,
          e.action,
          e.action === 'unblock' ? '' : e.until,
          oneLine(e.by),
          oneLine(e.reason),
        ]),
      ),
    );
  }
  return 0;
}

/** Live blocks as import CSV (number,reason,duration,until,by); `duration` counts from now. */
export async function exportBlocks(ctx: Context): Promise<number> {
  const now = ctx.nowSeconds();
  const blocks = await liveBlocks(ctx, now);
  const rows = blocks.map((b) => ({
    number: exportedNumber(b.key),
    reason: b.reason,
    duration: importDuration(b.until - now),
    until: iso(b.until),
    by: b.by,
  }));
  if (ctx.json) {
    ctx.out(json(rows));
    return 0;
  }
  const chunk: string[] = [csvLine(['number', 'reason', 'duration', 'until', 'by'])];
  for (const row of rows) {
    // A row needs a reason to import again: blocks written without one say so.
    chunk.push(csvLine([row.number, row.reason || '(none)', row.duration, row.until, row.by]));
    if (chunk.length >= 1000) ctx.out(chunk.splice(0).join(''));
  }
  if (chunk.length > 0) ctx.out(chunk.join(''));
  return 0;
}
