import type { Contact } from '@flowguard/contact';
import { Aggregates, callCodes, type SurgeEvent } from './aggregates.js';
import { type ClassAction, limitsFor, type ScreeningConfig } from './config.js';
import { ScreeningInputError, StoreUnavailableError } from './errors.js';
import {
  type CallerIdentity,
  callerIdentity,
  type IdentityOptions,
  phoneIdentity,
  signedKeyIdentity,
  WEB_INITIATED,
} from './identity.js';
import {
  type CallerState,
  type CountInput,
  contactToken,
  counterNamesToReset,
  remembered,
  rememberedStandings,
  type Standing,
  standings,
} from './ledger.js';
import { keySeed, type PhasedWindow, phaseWindows, type Window } from './limits.js';
import { LocalLimiter } from './local-limiter.js';
import { RuleSet, type RuleVerdict } from './rules.js';
import { type SignalReport, signalRuleKeys } from './signals.js';
import type { SignedIdentity } from './signed-identity.js';
import type { ScreeningStore } from './store.js';

/** What the edge's counts are remembered by: `edge:<nonce>`, never a Connect contact id (a UUID). */
export const EDGE_CONTACT_PREFIX = 'edge:';

/** `CHALLENGE` only in a surge, for voice contacts (docs/screening.md, "Surge mode"). */
export type Decision = 'ALLOW' | 'CHALLENGE' | 'THROTTLE' | 'BLOCK';

export interface ScreeningResult {
  readonly decision: Decision;
  /** `ok`, `allowlisted`, `blocklisted`, `rule`, `signals`, `rate_limited`, `auto_blocked`, `withheld`, `invalid_number`, `no_identity`, `edge_screened`, `surge`, `surge_repeat` */
  readonly reason: string;
  readonly callerType: string;
  readonly lineType: string;
  readonly callerCountry: string;
  readonly retryAfterSeconds: number;
  /** Epoch seconds, 0 for none. */
  readonly blockedUntil: number;
  /** The rule that decided, e.g. `prefix:+1900`, `signal:oli:29`, `score:<n>` for a signal score, `surge:<scope>` in a surge; `''` otherwise. */
  readonly rule: string;
  /** Set when the store could not answer (`store_unavailable`, `timeout`): a degraded answer. */
  readonly error?: string;
  /** A stable code for an identity that was refused or odd (e.g. `ipv4_leading_zero`), for a metric. */
  readonly warning?: string;
  /**
   * What a monitor-only setting would have decided, when that differs from `decision`: recorded
   * (answer, metric, log), never enforced. See {@link Verdict}.
   */
  readonly monitored?: Verdict;
}

/**
 * A decision some setting reached, and the rule that names it (`prefix:+1900`, `score:70`). With
 * `monitor: true` it is recorded, not enforced: screening goes on as if the setting were off, and
 * the answer reports it when it differs from the decision given (`monitoredDecision`,
 * `monitoredRule`). Rules and the signal score thresholds make them; aggregates and surge may too.
 */
export interface Verdict {
  readonly decision: Decision;
  readonly rule: string;
  readonly monitor?: boolean;
}

/**
 * The result with the first monitored verdict that would have changed its decision, if any:
 * monitored verdicts never change the decision itself.
 */
export function withMonitored(result: ScreeningResult, verdicts: readonly Verdict[]): ScreeningResult {
  const changed = verdicts.find((v) => v.monitor === true && v.decision !== result.decision);
  return changed ? { ...result, monitored: changed } : result;
}

export interface ScreenOptions {
  readonly policy?: string;
  /**
   * The call's spoofing signals (signals.ts `callSignals`), for `signal` rules and the score
   * thresholds; absent when neither is configured (nothing is worked out then).
   */
  readonly signals?: SignalReport;
  readonly signal?: AbortSignal;
  /** The flow's answer for an unidentified caller (parameter `unidentified`), overriding the settings. */
  readonly unidentified?: ClassAction;
  /** Called once per metric-worthy event (`AutoBlock`, `StoreCleanup`, `AggregateFlushFailed`). */
  readonly onEvent?: (event: 'AutoBlock' | 'StoreCleanup' | 'AggregateFlushFailed') => void;
  /**
   * Set for a voice contact: it is counted in the aggregates (by the number it dialled, when
   * given) and, in a surge that covers it, may be answered `CHALLENGE`. Chats and the edge's
   * requests leave it out: nothing counts them there and no surge changes their answer.
   */
  readonly voice?: { readonly dialled?: string };
  /** Called for each surge this instance started or ended (to log, count and alarm on). */
  readonly onSurge?: (event: SurgeEvent) => void;
}

/** What the store said of the caller on the way to a decision, for the surge's verdict. */
interface CallerFacts {
  /** Epoch seconds; 0 when unknown or never. */
  verifiedUntil: number;
  /** The caller's count in its shortest window, this contact included; 0 when unknown. */
  count: number;
}

interface CachedBlock {
  readonly until: number;
  readonly reason: string;
  /** Epoch seconds after which the instance must ask the store again. */
  readonly trustUntil: number;
}

const MAX_CACHED_BLOCKS = 10_000;
const NO_RULES = new RuleSet([], 0);
/** Decisions for one caller at the store at once, per process (see `enter`). */
const MAX_IN_FLIGHT_PER_CALLER = 4;
const MAX_CACHED_IDENTITIES = 10_000;

export interface ScreenerOptions {
  store: ScreeningStore;
  config: ScreeningConfig;
  /** Epoch milliseconds; injectable for tests. */
  clock?: () => number;
}

/** The fields every answer for a caller shares, before the decision and its reason. */
type Base = Omit<ScreeningResult, 'decision' | 'reason'>;

/** What every answer about `identity` carries, before its decision and reason. */
function baseOf(identity: CallerIdentity): Base {
  return {
    callerType: identity.class,
    lineType: identity.lineType,
    callerCountry: identity.country,
    retryAfterSeconds: 0,
    blockedUntil: 0,
    rule: '',
    ...(identity.warning ? { warning: identity.warning } : {}),
  };
}

function actionDecision(action: ClassAction): Decision {
  return action === 'allow' ? 'ALLOW' : action === 'throttle' ? 'THROTTLE' : 'BLOCK';
}

/** Adds to `monitored` the verdict monitor-only rules would have given this caller, if any. */
function monitorRules(
  rules: RuleSet,
  identity: CallerIdentity,
  signalKeys: ReadonlySet<string> | undefined,
  monitored: Verdict[],
): void {
  const verdict = rules.evaluateMonitored(identity, signalKeys);
  if (verdict) monitored.push({ decision: verdict.action, rule: verdict.rule, monitor: true });
}

const SEVERITY: Readonly<Record<Decision, number>> = { ALLOW: 0, CHALLENGE: 1, THROTTLE: 2, BLOCK: 3 };

/**
 * The screening decision for one contact. One store request in every common path (first-seen,
 * allowed, throttled, blocklisted); none for a caller this instance knows is blocked; one more
 * write (and its history entry) only when this contact is the one that triggers an auto-block.
 */
export class Screener {
  readonly config: ScreeningConfig;
  private readonly store: ScreeningStore;
  private readonly clock: () => number;
  private rules: RuleSet | null = null;
  private rulesLoadedAt = Number.NEGATIVE_INFINITY;
  private rulesLoading: Promise<RuleSet> | null = null;
  private readonly blocks = new Map<string, CachedBlock>();
  private readonly identities = new Map<string, CallerIdentity>();
  private readonly identityOptions: IdentityOptions;
  private readonly local = new LocalLimiter();
  private readonly gates = new Map<string, { active: number; waiting: (() => void)[] }>();
  /** This instance's aggregate counts and surge view; null with `FLOWGUARD_AGGREGATES=off`. */
  readonly aggregates: Aggregates | null;

  constructor(options: ScreenerOptions) {
    this.store = options.store;
    this.config = options.config;
    this.clock = options.clock ?? Date.now;
    this.aggregates = this.config.aggregates.enabled
      ? new Aggregates({ config: this.config.aggregates, store: this.store, clock: this.clock })
      : null;
    this.identityOptions = {
      defaultCountry: this.config.defaultCountry,
      ipAttribute: this.config.ipAttribute,
      customerIdAttribute: this.config.customerIdAttribute,
    };
  }

  /** The screener's clock, epoch seconds. */
  nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }

  /** The cached rules, loaded with one query when older than the rules TTL (one load at a time). */
  async ruleSet(signal?: AbortSignal): Promise<RuleSet> {
    const age = (this.clock() - this.rulesLoadedAt) / 1000;
    if (this.rules && age < this.config.rulesTtlSeconds) return this.rules;
    this.rulesLoading ??= this.store
      .loadRules(signal)
      .then((rules) => {
        this.rules = new RuleSet(rules, this.nowSeconds());
        this.rulesLoadedAt = this.clock();
        return this.rules;
      })
      .finally(() => {
        this.rulesLoading = null;
      });
    return this.rulesLoading;
  }

  /**
   * The rules for a decision: when a reload fails, the rules this instance has (stale), or none on
   * a cold instance, so that a store outage is answered by the in-memory limits below.
   */
  async currentRules(signal?: AbortSignal): Promise<RuleSet> {
    try {
      return await this.ruleSet(signal);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      return this.rules ?? NO_RULES;
    }
  }

  /** Forgets cached rules and blocks (after an admin change in the same process). */
  invalidate(): void {
    this.rules = null;
    this.rulesLoadedAt = Number.NEGATIVE_INFINITY;
    this.blocks.clear();
  }

  private rememberBlock(key: string, until: number, reason: string, now: number): void {
    if (this.config.blockCacheSeconds === 0) return;
    if (this.blocks.size >= MAX_CACHED_BLOCKS) {
      const oldest = this.blocks.keys().next();
      if (!oldest.done) this.blocks.delete(oldest.value);
    }
    this.blocks.set(key, { until, reason, trustUntil: Math.min(until, now + this.config.blockCacheSeconds) });
  }

  private cachedBlock(key: string, now: number): CachedBlock | null {
    const cached = this.blocks.get(key);
    if (!cached) return null;
    if (cached.trustUntil > now) return cached;
    this.blocks.delete(key);
    return null;
  }

  identify(contact: Contact): CallerIdentity {
    // Voice callers are looked up by number: parsing one costs more than the rest of a decision.
    const address = contact.customerEndpoint?.address;
    const plainVoice =
      contact.channel === 'VOICE' &&
      !WEB_INITIATED.has(contact.initiationMethod ?? '') &&
      address !== undefined;
    if (plainVoice && address !== null) {
      const known = this.identities.get(address);
      if (known) return known;
    }
    const identity = callerIdentity(contact, this.identityOptions);
    if (plainVoice && address !== null) this.remember(address, identity);
    return identity;
  }

  async screen(contact: Contact, options: ScreenOptions = {}): Promise<ScreeningResult> {
    return this.screenIdentity(this.identify(contact), contact.initialContactId, options);
  }

  /**
   * The decision for a caller already identified, counted as contact `contactId` (a flow's
   * InitialContactId; the edge's `edge:<nonce>`): a second decision for the same `contactId` is
   * not counted again.
   */
  async screenIdentity(
    identity: CallerIdentity,
    contactId: string,
    options: ScreenOptions & { readonly alsoRuledOut?: CallerIdentity | null } = {},
  ): Promise<ScreeningResult> {
    const monitored: Verdict[] = [];
    const facts: CallerFacts = { verifiedUntil: 0, count: 0 };
    const aggregates = options.voice ? this.aggregates : null;
    if (aggregates === null)
      return withMonitored(await this.decide(identity, contactId, options, monitored, facts), monitored);
    const codes = callCodes(identity, options.voice?.dialled, aggregates.config.prefixDigits);
    // The flush (at most one per interval) runs beside the decision's own request, never after it.
    const flushed = aggregates.due(codes) ? this.flushAggregates(aggregates, options) : undefined;
    const [result] = await Promise.all([
      this.decide(identity, contactId, options, monitored, facts),
      flushed,
    ]);
    // The aggregates measure the calls screening lets through: a flood the per-caller limits and
    // the blocklist already refuse needs no surge (this contact goes into the next flush).
    if (result.decision === 'ALLOW') aggregates.record(contactId, codes);
    const scope = aggregates.surgeFor(codes);
    const answer = scope === null ? result : this.inSurge(result, facts, scope, monitored);
    return withMonitored(answer, monitored);
  }

  /** Flushes the aggregates; a store that cannot take them costs a metric, never the decision. */
  private async flushAggregates(aggregates: Aggregates, options: ScreenOptions): Promise<void> {
    try {
      for (const event of await aggregates.flush(options.signal)) options.onSurge?.(event);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      options.onEvent?.('AggregateFlushFailed');
    }
  }

  /**
   * The answer in a surge covering the contact: a caller verified recently (an IVR challenge
   * passed), allowlisted, or already refused keeps its answer; a repeat offender (throttled, or
   * counted {@link AggregateConfig.repeatCount} times in its shortest window) is blocked; everyone
   * else the decision admitted is challenged. Monitor-only, the verdict is only reported.
   */
  private inSurge(result: ScreeningResult, facts: CallerFacts, scope: string, monitored: Verdict[]) {
    if (result.decision === 'BLOCK' || result.decision === 'CHALLENGE') return result;
    if (result.reason === 'allowlisted' || result.reason === 'edge_screened') return result;
    if (facts.verifiedUntil > this.nowSeconds()) return result;
    const rule = `surge:${scope}`;
    const { repeatCount } = this.config.aggregates;
    const repeat = result.reason === 'rate_limited' || (repeatCount > 0 && facts.count >= repeatCount);
    let verdict: Verdict | null = null;
    if (repeat) verdict = { decision: 'BLOCK', rule };
    else if (result.decision === 'ALLOW') verdict = { decision: 'CHALLENGE', rule };
    if (verdict === null) return result;
    if (this.config.aggregates.monitor) {
      monitored.push({ ...verdict, monitor: true });
      return result;
    }
    return {
      ...result,
      decision: verdict.decision,
      reason: repeat ? 'surge_repeat' : 'surge',
      rule,
      retryAfterSeconds: repeat ? result.retryAfterSeconds : 0,
    };
  }

  /** `screenIdentity`'s decision, monitored verdicts added to `monitored` on the way. */
  private async decide(
    identity: CallerIdentity,
    contactId: string,
    options: ScreenOptions & { readonly alsoRuledOut?: CallerIdentity | null },
    monitored: Verdict[],
    facts: CallerFacts,
  ): Promise<ScreeningResult> {
    const now = this.nowSeconds();
    const base = baseOf(identity);
    const limits = limitsFor(this.config, identity.class, options.policy);
    if (limits === null)
      throw new ScreeningInputError('unknown_policy', 'no limits are configured for this policy');

    if (identity.key === null) {
      const action =
        identity.class === 'withheld'
          ? this.config.withheldAction
          : this.unidentifiedAction(identity, options);
      const decision = actionDecision(action);
      // A score over a threshold (the OLI describes the line, withheld or not) can only make it stricter.
      const scored = this.scoreDecision(options.signals, monitored);
      if (scored && SEVERITY[scored.decision] > SEVERITY[decision])
        return { ...base, decision: scored.decision, reason: 'signals', rule: scored.rule };
      return { ...base, decision, reason: identity.class === 'withheld' ? 'withheld' : 'no_identity' };
    }
    const key = identity.key;

    const rules = await this.currentRules(options.signal);
    const signalKeys = options.signals && rules.usesSignals ? signalRuleKeys(options.signals) : undefined;
    const verdict = rules.evaluate(identity, signalKeys);
    monitorRules(rules, identity, signalKeys, monitored);
    if (verdict?.action === 'BLOCK')
      return { ...base, decision: 'BLOCK', reason: 'rule', rule: verdict.rule };
    // A request's other identity (its customer id when counted by IP, ...): its blocks count too.
    const other = options.alsoRuledOut;
    if (other?.key) {
      monitorRules(rules, other, signalKeys, monitored);
      const otherVerdict = rules.evaluate(other, signalKeys);
      if (otherVerdict?.action === 'BLOCK')
        return { ...base, decision: 'BLOCK', reason: 'rule', rule: otherVerdict.rule };
      const otherBlock = this.cachedBlock(other.key, now);
      if (otherBlock) return this.blocked(base, otherBlock.until, otherBlock.reason, now);
    }

    const cached = this.cachedBlock(key, now);
    if (cached) return this.blocked(base, cached.until, cached.reason, now);

    if (verdict?.action === 'ALLOW') {
      // An explicit block on this caller still wins over the allowlist.
      const state = await this.store.getState(key, options.signal).catch((error: unknown) => {
        if (error instanceof StoreUnavailableError) return null;
        throw error;
      });
      if (state && state.blockedUntil > now) {
        this.rememberBlock(key, state.blockedUntil, state.blockReason, now);
        return this.blocked(base, state.blockedUntil, state.blockReason, now);
      }
      return { ...base, decision: 'ALLOW', reason: 'allowlisted', rule: verdict.rule };
    }

    // A score over a threshold decides like a rule: not counted (the number may be someone
    // else's, spoofed), after the allowlist, and never over an explicit block on the caller.
    const scored = this.scoreDecision(options.signals, monitored);
    if (scored?.decision === 'BLOCK')
      return { ...base, decision: 'BLOCK', reason: 'signals', rule: scored.rule };
    if (scored?.decision === 'THROTTLE') {
      const state = await this.store.getState(key, options.signal).catch((error: unknown) => {
        if (error instanceof StoreUnavailableError) return null;
        throw error;
      });
      if (state && state.blockedUntil > now) return this.blockedBy(base, state, now);
      return { ...base, decision: 'THROTTLE', reason: 'signals', rule: scored.rule };
    }

    const invalid = identity.class === 'phone' && !identity.valid;
    if (invalid && this.config.invalidNumberAction !== 'allow') {
      return { ...base, decision: actionDecision(this.config.invalidNumberAction), reason: 'invalid_number' };
    }

    const windows = this.windowsFor(key, limits);
    const input: CountInput = {
      key,
      contact: contactToken(contactId),
      nowSeconds: now,
      windows,
    };
    const ok = { ...base, decision: 'ALLOW' as const, reason: invalid ? 'invalid_number' : 'ok' };
    try {
      if (windows.length === 0) {
        // No limits: nothing to count, only a block to honour.
        const state = await this.store.getState(key, options.signal);
        facts.verifiedUntil = state?.verifiedUntil ?? 0;
        return state && state.blockedUntil > now ? this.blockedBy(base, state, now) : ok;
      }
      const release = await this.enter(key, options.signal);
      try {
        // A contact that waited its turn may find the caller blocked meanwhile.
        const blocked = this.cachedBlock(key, now);
        if (blocked) return this.blocked(base, blocked.until, blocked.reason, now);
        return await this.count(input, base, ok, options, facts);
      } finally {
        release();
      }
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      return this.withoutStore(input, base, error);
    }
  }

  /**
   * The decision for a contact the edge (start-contact) screened and admitted: its signed identity,
   * already verified, is claimed for this contact in one request and, when this contact owns it,
   * the edge's ALLOW stands (`reason=edge_screened`) and nothing is counted again. A block that
   * came since (a rule, a block this instance knows) still wins. `null` when the identity is not
   * one the edge signs, or another contact claimed it first (a replay): the caller then screens
   * the contact as one with no signed identity.
   */
  async screenSigned(
    signed: SignedIdentity,
    contactId: string,
    options: ScreenOptions & { readonly maxAgeSeconds: number },
  ): Promise<ScreeningResult | null> {
    const identity = signedKeyIdentity(signed.key);
    if (identity?.key == null) return null;
    const rules = await this.currentRules(options.signal);
    const verdict = rules.evaluate(identity);
    const monitored: Verdict[] = [];
    monitorRules(rules, identity, undefined, monitored);
    const result = await this.edgeDecision(identity, identity.key, signed, contactId, verdict, options);
    return result && withMonitored(result, monitored);
  }

  /** `screenSigned`'s decision, given the enforced rules' verdict. */
  private async edgeDecision(
    identity: CallerIdentity,
    key: string,
    signed: SignedIdentity,
    contactId: string,
    verdict: RuleVerdict,
    options: ScreenOptions & { readonly maxAgeSeconds: number },
  ): Promise<ScreeningResult | null> {
    const now = this.nowSeconds();
    const base = baseOf(identity);
    if (verdict?.action === 'BLOCK')
      return { ...base, decision: 'BLOCK', reason: 'rule', rule: verdict.rule };
    const cached = this.cachedBlock(key, now);
    if (cached) return this.blocked(base, cached.until, cached.reason, now);
    const nonce = contactToken(`${EDGE_CONTACT_PREFIX}${signed.nonce}`);
    try {
      const claim = await this.store.claim(
        {
          nonce,
          contact: contactToken(contactId),
          expiresAt: signed.issuedAt + options.maxAgeSeconds + 60,
        },
        options.signal,
      );
      if (claim === 'replayed') return null;
      return { ...base, decision: 'ALLOW', reason: 'edge_screened' };
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      const limits = limitsFor(this.config, identity.class, options.policy) ?? [];
      const input = { key, contact: nonce, nowSeconds: now, windows: this.windowsFor(key, limits) };
      return this.withoutStore(input, base, error);
    }
  }

  /**
   * Counts the contact with one write and decides from the counts it returns: within every limit,
   * ALLOW; the count that reaches a window's auto-block threshold (exactly one contact's does),
   * the auto-block; otherwise THROTTLE. A retry or a transfer is not counted again and gets the
   * decision its remembered counts gave, whatever window it comes back in.
   */
  private async count(
    input: CountInput,
    base: Base,
    ok: ScreeningResult,
    options: ScreenOptions,
    facts: CallerFacts,
  ): Promise<ScreeningResult> {
    const now = input.nowSeconds;
    const outcome = await this.store.count(input, options.signal);
    const state = outcome.state;
    if (outcome.kind === 'blocked') return this.blockedBy(base, state, now);
    const current = standings(state, input.windows, now);
    facts.verifiedUntil = state.verifiedUntil;
    facts.count = current[0]?.count ?? 0;
    const known = outcome.kind === 'duplicate' ? remembered(state, input) : null;
    if (known === null) {
      await this.cleanup(state, input, options);
      if (current.every((s) => s.count <= s.window.limit)) return ok;
      if (this.autoBlockAt(current, (count, threshold) => count === threshold))
        return this.autoBlock(input, base, state, options);
      return this.throttled(base, current, now);
    }
    const first = rememberedStandings(known, input.windows, now);
    if (first.every((s) => s.count <= s.window.limit)) return ok;
    // The retry of a contact at or past the threshold while the counts still stand there and no
    // block is live: the auto-block's write was lost (its answer never came back). Write it now.
    if (
      this.autoBlockAt(first, (count, threshold) => count >= threshold) &&
      this.autoBlockAt(current, (count, threshold) => count >= threshold)
    )
      return this.autoBlock(input, base, state, options);
    return this.throttled(base, current, now);
  }

  private throttled(base: Base, standing: readonly Standing[], now: number): ScreeningResult {
    const over = standing.filter((s) => s.count > s.window.limit);
    const retry = Math.max(1, ...over.map((s) => s.endsAt - now));
    return { ...base, decision: 'THROTTLE', reason: 'rate_limited', retryAfterSeconds: retry };
  }

  /** Whether a window's count stands at its auto-block threshold (`limit × factor`), by `test`. */
  private autoBlockAt(standing: readonly Standing[], test: (count: number, threshold: number) => boolean) {
    const factor = this.config.autoBlockFactor;
    return factor > 0 && standing.some((s) => test(s.count, s.window.limit * factor));
  }

  /**
   * Blocks the caller for the auto-block duration and removes its counts, so that when the block
   * ends the caller is judged afresh (the counts that caused it cannot re-trigger it).
   */
  private async autoBlock(
    input: CountInput,
    base: Base,
    state: CallerState,
    options: ScreenOptions,
  ): Promise<ScreeningResult> {
    const now = input.nowSeconds;
    const result = await this.store.block(
      {
        key: input.key,
        untilSeconds: now + this.config.autoBlockSeconds,
        reason: 'auto',
        by: 'screen-caller',
        nowSeconds: now,
        action: 'auto',
        reset: counterNamesToReset(state, input.windows, now),
      },
      options.signal,
    );
    if (result.result === 'applied') options.onEvent?.('AutoBlock');
    // `kept`: another block is live (another contact's, or a person's); its end is the answer.
    this.rememberBlock(input.key, result.blockedUntil, 'auto', now);
    return this.blocked(base, result.blockedUntil, 'auto', now);
  }

  private blockedBy(base: Base, state: CallerState, now: number): ScreeningResult {
    this.rememberBlock(state.key, state.blockedUntil, state.blockReason, now);
    return this.blocked(base, state.blockedUntil, state.blockReason, now);
  }

  /**
   * The score thresholds' decision for these signals (`rule=score:<n>`), or null below them. With
   * `FLOWGUARD_SIGNAL_SCORE_MONITOR` the decision goes to `monitored` instead, and null is returned.
   */
  private scoreDecision(report: SignalReport | undefined, monitored: Verdict[]): Verdict | null {
    if (!report || report.score === 0) return null;
    const { signalBlockScore, signalThrottleScore } = this.config;
    let scored: Verdict | null = null;
    if (signalBlockScore > 0 && report.score >= signalBlockScore)
      scored = { decision: 'BLOCK', rule: `score:${report.score}` };
    else if (signalThrottleScore > 0 && report.score >= signalThrottleScore)
      scored = { decision: 'THROTTLE', rule: `score:${report.score}` };
    if (scored === null || !this.config.signalScoreMonitor) return scored;
    monitored.push({ ...scored, monitor: true });
    return null;
  }

  /**
   * What an unidentified caller gets: the flow's `unidentified` parameter when it gives one; else,
   * when an IP attribute was there but unusable, `FLOWGUARD_UNUSABLE_IP_ACTION` (default throttle:
   * a chat backend sending a malformed IP must not bypass every limit); else
   * `FLOWGUARD_UNIDENTIFIED_ACTION`.
   */
  private unidentifiedAction(identity: CallerIdentity, options: ScreenOptions): ClassAction {
    if (options.unidentified) return options.unidentified;
    return identity.unusable === 'ip' ? this.config.unusableIpAction : this.config.unidentifiedAction;
  }

  /**
   * Waits until fewer than {@link MAX_IN_FLIGHT_PER_CALLER} of this caller's decisions are at the
   * store in this process. A Lambda execution environment runs one invocation at a time, so there
   * it never waits; where one process serves many at once (multi-concurrency, or a burst played
   * through one handler), a burst from one caller is decided a few at a time, and once the caller
   * is blocked the rest are answered from memory instead of queueing at the store.
   */
  private async enter(key: string, signal?: AbortSignal): Promise<() => void> {
    let gate = this.gates.get(key);
    if (!gate) {
      gate = { active: 0, waiting: [] };
      this.gates.set(key, gate);
    }
    const own = gate;
    if (own.active < MAX_IN_FLIGHT_PER_CALLER) own.active += 1;
    else {
      await new Promise<void>((resolve, reject) => {
        const turn = () => {
          signal?.removeEventListener('abort', abandon);
          resolve();
        };
        const abandon = () => {
          own.waiting.splice(own.waiting.indexOf(turn), 1);
          reject(new StoreUnavailableError('count (timed out waiting for its turn)', { timedOut: true }));
        };
        if (signal?.aborted) return abandon();
        signal?.addEventListener('abort', abandon, { once: true });
        own.waiting.push(turn);
      });
    }
    // The slot passes straight to the next waiter, so no newcomer can overtake the queue.
    return () => {
      const next = own.waiting.shift();
      if (next) return next();
      own.active -= 1;
      if (own.active === 0) this.gates.delete(key);
    };
  }

  /**
   * The answer when the store cannot: fail closed blocks; fail open admits within the same limits
   * counted in this instance's memory, so an outage never means unlimited admission.
   */
  private withoutStore(input: CountInput, base: Base, error: StoreUnavailableError): ScreeningResult {
    const degraded = {
      ...base,
      reason: 'store_unavailable',
      error: error.timedOut ? 'timeout' : 'store_unavailable',
    };
    if (this.config.failMode === 'closed') return { ...degraded, decision: 'BLOCK' };
    const admitted = this.local.admit(input.key, input.contact, input.windows, input.nowSeconds);
    if (admitted) return { ...degraded, decision: 'ALLOW' };
    return { ...degraded, decision: 'THROTTLE', retryAfterSeconds: 60 };
  }

  /** The caller's windows, each with the caller's own phase (a few arithmetic steps: not cached). */
  windowsFor(key: string, limits: readonly Window[]): readonly PhasedWindow[] {
    return limits.length === 0 ? [] : phaseWindows(limits, keySeed(key));
  }

  private blocked(base: Base, until: number, reason: string, now: number): ScreeningResult {
    return {
      ...base,
      decision: 'BLOCK',
      reason: reason === 'auto' ? 'auto_blocked' : 'blocklisted',
      blockedUntil: until,
      retryAfterSeconds: Math.max(0, until - now),
    };
  }

  private async cleanup(state: CallerState, input: CountInput, options: ScreenOptions): Promise<void> {
    if (await this.store.compact(state, input, options.signal)) options.onEvent?.('StoreCleanup');
  }

  /**
   * Blocks a caller on an agent's word (flag-caller) or an admin's (CLI). Returns the block's end,
   * which may be later than asked when a longer block was already there.
   */
  async flag(
    identity: CallerIdentity,
    options: { reason: string; seconds: number; by: string; signal?: AbortSignal },
  ): Promise<{ blockedUntil: number; result: 'applied' | 'kept' }> {
    if (identity.key === null)
      throw new ScreeningInputError('no_caller_id', 'the caller has no usable identity');
    const now = this.nowSeconds();
    const outcome = await this.store.block(
      {
        key: identity.key,
        untilSeconds: now + options.seconds,
        reason: options.reason,
        by: options.by,
        nowSeconds: now,
        action: 'block',
      },
      options.signal,
    );
    this.rememberBlock(identity.key, outcome.blockedUntil, options.reason, now);
    return outcome;
  }

  /** A phone number typed by a person, normalised with the default country. */
  phone(number: string): CallerIdentity {
    const key = `phone:${number}`;
    const known = this.identities.get(key);
    if (known) return known;
    const identity = phoneIdentity(number, this.config.defaultCountry);
    this.remember(key, identity);
    return identity;
  }

  private remember(key: string, identity: CallerIdentity): void {
    if (this.identities.size >= MAX_CACHED_IDENTITIES) this.identities.clear();
    this.identities.set(key, identity);
  }
}
