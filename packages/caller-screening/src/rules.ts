import { ScreeningInputError } from './errors.js';
import { type CallerIdentity, ipKey } from './identity.js';
import { SIGNAL_NAMES } from './signals.js';

/**
 * Rules kept in the table under `pk=rules`, managed with `flowguard rules`, loaded with one query
 * and cached. An allow rule lets a caller past rate limits and rule blocks, never past an
 * explicit block on that caller: a block names one caller on purpose, with who and why, while an
 * allowlist entry is broad and a spoofed number could hide behind it.
 *
 * | type        | value                                   | actions      |
 * |-------------|-----------------------------------------|--------------|
 * | `caller`    | a caller key or E.164 number            | ALLOW, BLOCK |
 * | `prefix`    | `+1900` (E.164 prefix)                  | ALLOW, BLOCK |
 * | `country`   | ISO 3166-1 alpha-2 (`KP`)               | ALLOW, BLOCK |
 * | `line_type` | `premium_rate`, `voip`, `toll_free`, ... | BLOCK        |
 * | `signal`    | a signal name (signals.ts `SIGNAL_NAMES`) or `oli:<code>` | BLOCK |
 *
 * Country ALLOW rules make an allowlist: once one exists, valid numbers from other countries are
 * blocked. Among prefixes the longest match wins.
 *
 * A rule with `monitor: true` is monitor-only (docs/screening.md, "Monitor-only mode"): the
 * verdict the rules give with it is worked out and reported (`evaluateMonitored`), but the caller
 * is answered by the rules without it (`evaluate`).
 */
export const RULE_TYPES = ['caller', 'prefix', 'country', 'line_type', 'signal'] as const;
export type RuleType = (typeof RULE_TYPES)[number];
export type RuleAction = 'ALLOW' | 'BLOCK';

export interface Rule {
  readonly type: RuleType;
  readonly value: string;
  readonly action: RuleAction;
  readonly note: string;
  readonly createdBy: string;
  /** Epoch seconds. */
  readonly createdAt: number;
  /** Epoch seconds; 0 = no expiry. */
  readonly expiresAt: number;
  /** Monitor-only: its verdict is recorded, never enforced. Absent (items stored before it): false. */
  readonly monitor?: boolean;
}

export const LINE_TYPES = [
  'premium_rate',
  'toll_free',
  'shared_cost',
  'voip',
  'personal_number',
  'pager',
  'uan',
  'voicemail',
  'fixed_line_or_mobile',
  'fixed_line',
  'mobile',
  'unknown',
] as const;

/** What a `signal` rule may name: a signal of signals.ts, or `oli:<code>` (one ISUP-OLI code). */
export const SIGNAL_RULE_VALUES = `${SIGNAL_NAMES.join(', ')}, oli:<code>`;
const SIGNAL = new RegExp(`^(oli:\\d{1,3}|${SIGNAL_NAMES.join('|')})$`);
const COUNTRY = /^[A-Z]{2}$/;
const PREFIX = /^\+\d{1,15}$/;
const CALLER =
  /^(tel:\+\d{1,20}|pai:\+\d{1,20}|\+\d{1,20}|ip:[0-9a-f.:/]{2,45}|cust:.{1,256}|email:.{3,256})$/;

/** Checks and normalises a rule's type, value, action and monitor flag; throws with a clear message. */
export function normaliseRule(
  type: string,
  value: string,
  action: string,
  monitor = false,
): Pick<Rule, 'type' | 'value' | 'action'> & { readonly monitor: boolean } {
  if (typeof monitor !== 'boolean')
    throw new ScreeningInputError('bad_rule', 'rule monitor must be true or false');
  const t = type.trim().toLowerCase().replace('-', '_') as RuleType;
  if (!RULE_TYPES.includes(t)) {
    throw new ScreeningInputError('bad_rule', `rule type must be one of ${RULE_TYPES.join(', ')}`);
  }
  const a = action.trim().toUpperCase();
  if (a !== 'ALLOW' && a !== 'BLOCK')
    throw new ScreeningInputError('bad_rule', 'rule action must be ALLOW or BLOCK');
  let v = value.trim();
  const fail = (expected: string) =>
    new ScreeningInputError('bad_rule', `${t} rule value must be ${expected}`);
  switch (t) {
    case 'caller':
      if (/^\+\d+$/.test(v)) v = `tel:${v}`;
      // IP rules name the key identities use (IPv6 by /64, mapped IPv6 as IPv4), or never match.
      if (v.startsWith('ip:')) {
        const key = ipKey(v.slice(3).replace(/\/64$/, ''));
        if (!key) throw fail('a valid IP address after ip:');
        v = key;
      }
      if (v.startsWith('email:')) v = v.toLowerCase(); // identity keys e-mail callers lower-cased
      if (!CALLER.test(v))
        throw fail('a caller key (tel:+..., pai:+..., ip:..., cust:..., email:...) or an E.164 number');
      break;
    case 'prefix':
      if (!PREFIX.test(v)) throw fail("'+' and 1 to 15 digits");
      break;
    case 'country':
      v = v.toUpperCase();
      if (!COUNTRY.test(v)) throw fail('a two-letter country code');
      break;
    case 'line_type':
      v = v.toLowerCase();
      if (!(LINE_TYPES as readonly string[]).includes(v)) throw fail(`one of ${LINE_TYPES.join(', ')}`);
      if (a !== 'BLOCK') throw new ScreeningInputError('bad_rule', 'line_type rules can only BLOCK');
      break;
    case 'signal':
      v = v.toLowerCase();
      if (!SIGNAL.test(v)) throw fail(`one of ${SIGNAL_RULE_VALUES}`);
      if (v.startsWith('oli:')) v = `oli:${Number(v.slice(4))}`;
      if (a !== 'BLOCK') throw new ScreeningInputError('bad_rule', 'signal rules can only BLOCK');
      break;
  }
  return { type: t, value: v, action: a, monitor };
}

export type RuleVerdict =
  | { readonly action: 'ALLOW'; readonly rule: string }
  | { readonly action: 'BLOCK'; readonly rule: string }
  | null;

/** Rules compiled for fast matching: one set of rules, with no notion of monitoring. */
class Matcher {
  private readonly callers = new Map<string, RuleAction>();
  private readonly prefixes: { prefix: string; action: RuleAction }[] = [];
  private readonly countryBlocks = new Set<string>();
  private readonly countryAllows = new Set<string>();
  private readonly lineTypes = new Set<string>();
  private readonly signals = new Set<string>();

  constructor(rules: readonly Rule[]) {
    for (const rule of rules) {
      switch (rule.type) {
        case 'caller':
          // BLOCK wins over ALLOW for the same caller.
          if (this.callers.get(rule.value) !== 'BLOCK') this.callers.set(rule.value, rule.action);
          break;
        case 'prefix':
          this.prefixes.push({ prefix: rule.value, action: rule.action });
          break;
        case 'country':
          (rule.action === 'BLOCK' ? this.countryBlocks : this.countryAllows).add(rule.value);
          break;
        case 'line_type':
          this.lineTypes.add(rule.value);
          break;
        case 'signal':
          this.signals.add(rule.value);
          break;
      }
    }
    // Longest first; at equal length BLOCK first.
    this.prefixes.sort((a, b) => b.prefix.length - a.prefix.length || (a.action === 'BLOCK' ? -1 : 1));
  }

  get usesSignals(): boolean {
    return this.signals.size > 0;
  }

  /**
   * The verdict of the rules for this caller, or null when no rule applies. `signals`: the call's
   * signal rule keys (signals.ts `signalRuleKeys`), in the order the first match is reported.
   * An `asserted` caller's number meets the number rules (prefix, country, line type) too.
   */
  evaluate(identity: CallerIdentity, signals?: ReadonlySet<string>): RuleVerdict {
    if (identity.key === null) return null;
    const exact = this.callers.get(identity.key);
    if (exact) return { action: exact, rule: `caller:${identity.key}` };
    if ((identity.class !== 'phone' && identity.class !== 'asserted') || identity.number === null)
      return null;
    const number = identity.number;
    const prefix = this.prefixes.find((p) => number.startsWith(p.prefix));
    if (prefix) return { action: prefix.action, rule: `prefix:${prefix.prefix}` };
    if (identity.country) {
      if (this.countryBlocks.has(identity.country))
        return { action: 'BLOCK', rule: `country:${identity.country}` };
      if (this.countryAllows.size > 0 && !this.countryAllows.has(identity.country)) {
        return { action: 'BLOCK', rule: 'country:not_allowed' };
      }
    }
    if (this.lineTypes.has(identity.lineType))
      return { action: 'BLOCK', rule: `line_type:${identity.lineType}` };
    return signals ? this.evaluateSignals(signals) : null;
  }

  /** The first of the call's signal rule keys a `signal` rule names: `BLOCK`, `signal:<key>`. */
  evaluateSignals(keys: ReadonlySet<string>): RuleVerdict {
    if (this.signals.size === 0) return null;
    for (const key of keys) if (this.signals.has(key)) return { action: 'BLOCK', rule: `signal:${key}` };
    return null;
  }
}

/** Whether two verdicts are the same action by the same rule. */
function sameVerdict(a: RuleVerdict, b: RuleVerdict): boolean {
  return a === b || (a !== null && b !== null && a.action === b.action && a.rule === b.rule);
}

/**
 * Rules compiled for fast matching. Build once per rules refresh. Expired rules are left out;
 * monitor-only rules take part only in `evaluateMonitored`.
 */
export class RuleSet {
  /** Every live rule, monitored or not: what the rules would decide if all were enforced. */
  private readonly all: Matcher;
  /** The live rules that are enforced: what the caller is answered by. */
  private readonly enforced: Matcher;
  /** Whether any live rule is monitor-only. */
  readonly monitors: boolean;
  readonly size: number;

  constructor(rules: readonly Rule[], nowSeconds: number) {
    const live = rules.filter((rule) => rule.expiresAt === 0 || rule.expiresAt > nowSeconds);
    const enforced = live.filter((rule) => rule.monitor !== true);
    this.all = new Matcher(live);
    this.enforced = enforced.length === live.length ? this.all : new Matcher(enforced);
    this.monitors = enforced.length !== live.length;
    this.size = live.length;
  }

  /** Whether any signal rule exists (monitored too): without one, signals need not be worked out at all. */
  get usesSignals(): boolean {
    return this.all.usesSignals;
  }

  /**
   * The verdict of the enforced rules for this caller, or null when no rule applies. `signals`:
   * the call's signal rule keys (signals.ts `signalRuleKeys`), in the order the first match is
   * reported. An `asserted` caller's number meets the number rules (prefix, country, line type) too.
   */
  evaluate(identity: CallerIdentity, signals?: ReadonlySet<string>): RuleVerdict {
    return this.enforced.evaluate(identity, signals);
  }

  /**
   * The verdict the rules would give were the monitor-only rules enforced too, when it differs
   * from `evaluate`'s (a monitored rule would have decided); null otherwise. A monitored rule that
   * an enforced rule of higher precedence overrides would not have decided, so gives nothing.
   */
  evaluateMonitored(identity: CallerIdentity, signals?: ReadonlySet<string>): RuleVerdict {
    if (!this.monitors) return null;
    const all = this.all.evaluate(identity, signals);
    return sameVerdict(all, this.enforced.evaluate(identity, signals)) ? null : all;
  }

  /** The first of the call's signal rule keys an enforced `signal` rule names: `BLOCK`, `signal:<key>`. */
  evaluateSignals(keys: ReadonlySet<string>): RuleVerdict {
    return this.enforced.evaluateSignals(keys);
  }
}
