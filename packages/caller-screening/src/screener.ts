import type { Contact } from '@flowguard/contact';
import { type ClassAction, limitsFor, type ScreeningConfig } from './config.js';
import { ScreeningInputError } from './errors.js';
import {
  type CallerIdentity,
  callerIdentity,
  type IdentityOptions,
  phoneIdentity,
  WEB_INITIATED,
} from './identity.js';
import { bucketOf, type Window } from './limits.js';
import { type CallSignals, RuleSet } from './rules.js';
import {
  type CallerState,
  contactToken,
  type RecordInput,
  type RecordOutcome,
  type ScreeningStore,
  windowListName,
} from './store.js';

export type Decision = 'ALLOW' | 'THROTTLE' | 'BLOCK';

export interface ScreeningResult {
  readonly decision: Decision;
  /** `ok`, `allowlisted`, `blocklisted`, `rule`, `rate_limited`, `auto_blocked`, `withheld`, `invalid_number`, `no_identity` */
  readonly reason: string;
  readonly callerType: string;
  readonly lineType: string;
  readonly callerCountry: string;
  readonly retryAfterSeconds: number;
  /** Epoch seconds, 0 for none. */
  readonly blockedUntil: number;
  /** The rule that decided, e.g. `prefix:+1900`; `''` otherwise. */
  readonly rule: string;
}

export interface ScreenOptions {
  readonly policy?: string;
  readonly signals?: CallSignals;
  readonly signal?: AbortSignal;
  /** Called once per metric-worthy event (`AutoBlock`, `StoreCleanup`). */
  readonly onEvent?: (event: 'AutoBlock' | 'StoreCleanup') => void;
}

interface CachedBlock {
  readonly until: number;
  readonly reason: string;
  /** Epoch seconds after which the instance must ask the store again. */
  readonly trustUntil: number;
}

const MAX_CACHED_BLOCKS = 10_000;
const MAX_CACHED_IDENTITIES = 10_000;

export interface ScreenerOptions {
  store: ScreeningStore;
  config: ScreeningConfig;
  /** Epoch milliseconds; injectable for tests. */
  clock?: () => number;
}

function actionDecision(action: ClassAction): Decision {
  return action === 'allow' ? 'ALLOW' : action === 'throttle' ? 'THROTTLE' : 'BLOCK';
}

/** Where a contact stands in one window: its count, and when that window ends. */
interface Standing {
  readonly window: Window;
  readonly position: number;
  readonly endsAt: number;
}

/**
 * Finds the contact's count in each window from the state item: its place in the list of the
 * bucket it was counted in, plus every contact counted in a later bucket (an instance with a
 * lagging clock may have counted it in an older bucket; it never gains allowance from that).
 */
export function standings(
  state: CallerState,
  token: string,
  windows: readonly Window[],
  nowSeconds: number,
): Standing[] {
  return windows.map((window) => {
    const current = bucketOf(window, nowSeconds);
    const prefix = `w${window.seconds}_`;
    const buckets: { bucket: number; list: readonly string[] }[] = [];
    for (const [name, list] of state.lists) {
      if (name.startsWith(prefix)) buckets.push({ bucket: Number(name.slice(prefix.length)), list });
    }
    buckets.sort((a, b) => b.bucket - a.bucket);
    let later = 0;
    for (const { bucket, list } of buckets) {
      const index = list.indexOf(token);
      if (index >= 0) return { window, position: later + index + 1, endsAt: (bucket + 1) * window.seconds };
      later += list.length;
    }
    const own = state.lists.get(windowListName(window, current))?.length ?? 0;
    return { window, position: Math.max(own, 1), endsAt: (current + 1) * window.seconds };
  });
}

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

  constructor(options: ScreenerOptions) {
    this.store = options.store;
    this.config = options.config;
    this.clock = options.clock ?? Date.now;
    this.identityOptions = {
      defaultCountry: this.config.defaultCountry,
      ipAttribute: this.config.ipAttribute,
      customerIdAttribute: this.config.customerIdAttribute,
    };
  }

  private nowSeconds(): number {
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
    const identity = this.identify(contact);
    const now = this.nowSeconds();
    const base = {
      callerType: identity.class,
      lineType: identity.lineType,
      callerCountry: identity.country,
      retryAfterSeconds: 0,
      blockedUntil: 0,
      rule: '',
    };
    const limits = limitsFor(this.config, identity.class, options.policy);
    if (limits === null)
      throw new ScreeningInputError('unknown_policy', 'no limits are configured for this policy');

    if (identity.key === null) {
      const action =
        identity.class === 'withheld' ? this.config.withheldAction : this.config.unidentifiedAction;
      return {
        ...base,
        decision: actionDecision(action),
        reason: identity.class === 'withheld' ? 'withheld' : 'no_identity',
      };
    }
    const key = identity.key;

    const verdict = (await this.ruleSet(options.signal)).evaluate(identity, options.signals);
    if (verdict?.action === 'BLOCK')
      return { ...base, decision: 'BLOCK', reason: 'rule', rule: verdict.rule };

    const cached = this.cachedBlock(key, now);
    if (cached) return this.blocked(base, cached.until, cached.reason, now);

    if (verdict?.action === 'ALLOW') {
      // An explicit block on this caller still wins over the allowlist.
      const state = await this.store.getState(key, options.signal);
      if (state && state.blockedUntil > now) {
        this.rememberBlock(key, state.blockedUntil, state.blockReason, now);
        return this.blocked(base, state.blockedUntil, state.blockReason, now);
      }
      return { ...base, decision: 'ALLOW', reason: 'allowlisted', rule: verdict.rule };
    }

    const invalid = identity.class === 'phone' && !identity.valid;
    if (invalid && this.config.invalidNumberAction !== 'allow') {
      return { ...base, decision: actionDecision(this.config.invalidNumberAction), reason: 'invalid_number' };
    }

    const token = contactToken(contact.initialContactId);
    const input = {
      key,
      contact: token,
      nowSeconds: now,
      windows: limits,
      dedupSeconds: this.config.dedupSeconds,
    };
    const outcome: RecordOutcome = await this.store.record(input, options.signal);
    if (outcome.kind === 'blocked') {
      this.rememberBlock(key, outcome.state.blockedUntil, outcome.state.blockReason, now);
      return this.blocked(base, outcome.state.blockedUntil, outcome.state.blockReason, now);
    }
    await this.cleanup(outcome.state, input, options);

    const standing = standings(outcome.state, token, limits, now);
    const autoBlock = this.autoBlockPosition(standing);
    if (autoBlock === 'trigger' || autoBlock === 'over') {
      const until = now + this.config.autoBlockSeconds;
      let blockedUntil = until;
      if (autoBlock === 'trigger') {
        const result = await this.store.block(
          { key, untilSeconds: until, reason: 'auto', by: 'screen-caller', nowSeconds: now, action: 'auto' },
          options.signal,
        );
        blockedUntil = result.blockedUntil;
        if (result.result === 'applied') options.onEvent?.('AutoBlock');
      }
      this.rememberBlock(key, blockedUntil, 'auto', now);
      return this.blocked(base, blockedUntil, 'auto', now);
    }
    const over = standing.filter((s) => s.position > s.window.limit);
    if (over.length > 0) {
      const retry = Math.max(...over.map((s) => s.endsAt - now));
      return { ...base, decision: 'THROTTLE', reason: 'rate_limited', retryAfterSeconds: Math.max(1, retry) };
    }
    return { ...base, decision: 'ALLOW', reason: invalid ? 'invalid_number' : 'ok' };
  }

  /** `trigger`: this contact is the one that reaches the threshold (exactly one does). */
  private autoBlockPosition(standing: readonly Standing[]): 'trigger' | 'over' | 'none' {
    const factor = this.config.autoBlockFactor;
    if (factor === 0) return 'none';
    let result: 'trigger' | 'over' | 'none' = 'none';
    for (const s of standing) {
      const threshold = s.window.limit * factor;
      if (s.position === threshold) return 'trigger';
      if (s.position > threshold) result = 'over';
    }
    return result;
  }

  private blocked(
    base: Omit<ScreeningResult, 'decision' | 'reason'>,
    until: number,
    reason: string,
    now: number,
  ): ScreeningResult {
    return {
      ...base,
      decision: 'BLOCK',
      reason: reason === 'auto' ? 'auto_blocked' : 'blocklisted',
      blockedUntil: until,
      retryAfterSeconds: Math.max(0, until - now),
    };
  }

  private async cleanup(state: CallerState, input: RecordInput, options: ScreenOptions): Promise<void> {
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
