import { normaliseRule, RULE_TYPES, type Rule, ScreeningInputError } from '@flowguard/caller-screening';
import { durationOf, keyOf } from './blocklist.js';
import { type Context, checkedText } from './context.js';
import { UsageError } from './errors.js';
import { iso, json, oneLine, table } from './format.js';

/** Type and value normalised as screening matches them; caller values go through the blocklist's key rules. */
function normalised(
  ctx: Context,
  type: string,
  value: string,
  action: string,
  country: string | undefined,
  monitor = false,
) {
  try {
    const t = type.trim().toLowerCase().replaceAll('-', '_');
    const v = t === 'caller' ? keyOf(ctx, value, country) : value;
    return normaliseRule(t, v, action, monitor);
  } catch (error) {
    if (error instanceof ScreeningInputError) throw new UsageError(error.message);
    throw error;
  }
}

export interface RuleAddOptions {
  readonly type: string;
  readonly value: string;
  readonly action: string | undefined;
  /** Monitor-only: reported, never enforced. */
  readonly monitor?: boolean;
  readonly note: string | undefined;
  readonly expires: string | undefined;
  readonly by: string | undefined;
  readonly country: string | undefined;
}

export async function addRule(ctx: Context, options: RuleAddOptions): Promise<number> {
  const rule = normalised(
    ctx,
    options.type,
    options.value,
    options.action ?? 'BLOCK',
    options.country,
    options.monitor === true,
  );
  const note = checkedText(options.note ?? '', '--note', 500);
  const by = ctx.by(options.by);
  const now = ctx.nowSeconds();
  const expiresAt = options.expires === undefined ? 0 : now + durationOf(options.expires, '--expires');
  const store = ctx.store();
  const before = (await store.loadRules()).find((r) => r.type === rule.type && r.value === rule.value);
  await store.putRule({ ...rule, note, createdBy: by, createdAt: now, expiresAt });
  const expires = expiresAt > 0 ? iso(expiresAt) : null;
  if (ctx.json) {
    ctx.out(json({ ...rule, note, by, expires, replaced: before !== undefined }));
  } else {
    const what = `${rule.type} ${rule.value} ${rule.action}${rule.monitor ? ' (monitor-only)' : ''}, ${expires ? `expires ${expires}` : 'no expiry'}`;
    const was = before ? `${before.action}${before.monitor === true ? ' (monitor-only)' : ''}` : '';
    ctx.out(before ? `replaced rule ${what} (was ${was})\n` : `added rule ${what}\n`);
  }
  return 0;
}

/** Removes a rule. No such rule: says so and exits 0 (removing is idempotent). */
export async function removeRule(
  ctx: Context,
  type: string,
  value: string,
  country: string | undefined,
): Promise<number> {
  // Every type accepts BLOCK: the action only matters for checking, not for the rule's key.
  const rule = normalised(ctx, type, value, 'BLOCK', country);
  const removed = await ctx.store().deleteRule(rule.type, rule.value);
  if (ctx.json) ctx.out(json({ type: rule.type, value: rule.value, removed }));
  else
    ctx.out(
      removed
        ? `removed rule ${rule.type} ${rule.value}\n`
        : `no rule ${rule.type} ${rule.value}; nothing changed\n`,
    );
  return 0;
}

export async function listRules(ctx: Context): Promise<number> {
  const now = ctx.nowSeconds();
  const order = (r: Rule) => RULE_TYPES.indexOf(r.type);
  const rules = (await ctx.store().loadRules()).sort(
    (a, b) => order(a) - order(b) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
  );
  const expiry = (r: Rule) =>
    r.expiresAt === 0 ? 'never' : `${r.expiresAt <= now ? 'expired ' : ''}${iso(r.expiresAt)}`;
  if (ctx.json) {
    ctx.out(
      json(
        rules.map((r) => ({
          type: r.type,
          value: r.value,
          action: r.action,
          monitor: r.monitor === true,
          note: r.note,
          by: r.createdBy,
          created: iso(r.createdAt),
          expires: r.expiresAt > 0 ? iso(r.expiresAt) : null,
          expired: r.expiresAt > 0 && r.expiresAt <= now,
        })),
      ),
    );
  } else if (rules.length === 0) {
    ctx.out('no rules\n');
  } else {
    ctx.out(
      table(
        ['TYPE', 'VALUE', 'ACTION', 'MODE', 'EXPIRES', 'BY', 'NOTE'],
        rules.map((r) => [
          r.type,
          r.value,
          r.action,
          r.monitor === true ? 'monitor' : 'enforce',
          expiry(r),
          oneLine(r.createdBy),
          oneLine(r.note),
        ]),
      ),
    );
  }
  return 0;
}
