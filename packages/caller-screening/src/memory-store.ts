import {
  admittedName,
  type CallerState,
  type CountInput,
  counterName,
  dedupBucket,
  seenBefore,
  slotName,
  stateOf,
} from './ledger.js';
import { bucketOf } from './limits.js';
import type { Rule } from './rules.js';
import type {
  AdmitOutcome,
  AuditEntry,
  BlockInput,
  BlockOutcome,
  CountOutcome,
  ScreeningStore,
  UnblockInput,
} from './store.js';

type Item = Record<string, unknown>;

/**
 * The store's semantics in process memory, on items shaped as the DynamoDB store's, for
 * benchmarks of the code around the store (no I/O) and the fuzz harness. Tests of the store
 * itself run against dynalite.
 */
export class MemoryScreeningStore implements ScreeningStore {
  private readonly items = new Map<string, Item>();
  private readonly audits: AuditEntry[] = [];
  private readonly rules = new Map<string, Rule>();

  private item(key: string): Item {
    let item = this.items.get(key);
    if (!item) {
      item = {};
      this.items.set(key, item);
    }
    return item;
  }

  /** The reason a counting write's condition fails, if any. */
  private refusal(item: Item, input: CountInput): 'blocked' | 'duplicate' | null {
    const state = stateOf(input.key, item);
    if (state.blockedUntil > input.nowSeconds) return 'blocked';
    return seenBefore(state, input) ? 'duplicate' : null;
  }

  private countIn(item: Item, input: CountInput): void {
    for (const window of input.windows) {
      const bucket = bucketOf(window, input.nowSeconds);
      const name = counterName(window, bucket);
      item[name] = ((item[name] as number | undefined) ?? 0) + 1;
      delete item[counterName(window, bucket - 2)];
    }
  }

  private addAdmitted(item: Item, input: CountInput): void {
    const bucket = dedupBucket(input);
    const name = admittedName(bucket);
    item[name] = [...((item[name] as string[] | undefined) ?? []), input.contact];
    delete item[admittedName(bucket - 2)];
  }

  async admit(input: CountInput): Promise<AdmitOutcome> {
    const item = this.item(input.key);
    const refusal = this.refusal(item, input);
    if (refusal) return { kind: refusal, state: stateOf(input.key, item) };
    const full = input.windows.some((w) => {
      const bucket = bucketOf(w, input.nowSeconds);
      const later = item[counterName(w, bucket + 1)] !== undefined;
      return later || ((item[counterName(w, bucket)] as number | undefined) ?? 0) >= w.limit;
    });
    if (full) return { kind: 'refused', state: stateOf(input.key, item) };
    this.countIn(item, input);
    this.addAdmitted(item, input);
    return { kind: 'admitted', state: stateOf(input.key, item) };
  }

  async count(input: CountInput): Promise<CountOutcome> {
    const item = this.item(input.key);
    const refusal = this.refusal(item, input);
    if (refusal) return { kind: refusal, state: stateOf(input.key, item) };
    this.countIn(item, input);
    item[slotName(input.contact)] = input.contact;
    return { kind: 'counted', state: stateOf(input.key, item) };
  }

  async remember(input: CountInput): Promise<void> {
    const item = this.item(input.key);
    if (seenBefore(stateOf(input.key, item), input) !== 'admitted') this.addAdmitted(item, input);
  }

  async getState(key: string): Promise<CallerState | null> {
    const item = this.items.get(key);
    return item ? stateOf(key, item) : null;
  }

  async block(input: BlockInput): Promise<BlockOutcome> {
    const item = this.item(input.key);
    const current = (item.blockedUntil as number | undefined) ?? 0;
    const allowed = input.action === 'auto' ? current <= input.nowSeconds : current < input.untilSeconds;
    if (!allowed) return { result: 'kept', blockedUntil: current };
    for (const name of input.reset ?? []) delete item[name];
    Object.assign(item, {
      blockedUntil: input.untilSeconds,
      blockReason: input.reason,
      blockedBy: input.by,
      blockedAt: input.nowSeconds,
    });
    this.audits.push({ ...input, at: input.nowSeconds, until: input.untilSeconds });
    return { result: 'applied', blockedUntil: input.untilSeconds };
  }

  async unblock(input: UnblockInput): Promise<boolean> {
    const item = this.items.get(input.key);
    if (!item) return false;
    const state = stateOf(input.key, item);
    if (state.blockedUntil <= input.nowSeconds) return false;
    for (const name of ['blockedUntil', 'blockReason', 'blockedBy', 'blockedAt', ...state.counts.keys()])
      delete item[name];
    this.audits.push({ ...input, action: 'unblock', at: input.nowSeconds, until: input.nowSeconds });
    return true;
  }

  async history(key: string): Promise<AuditEntry[]> {
    return this.audits.filter((entry) => entry.key === key);
  }

  async compact(): Promise<boolean> {
    return false;
  }

  async *listBlocked(nowSeconds: number): AsyncGenerator<CallerState> {
    for (const [key, item] of this.items) {
      const state = stateOf(key, item);
      if (state.blockedUntil > nowSeconds) yield state;
    }
  }

  async loadRules(): Promise<Rule[]> {
    return [...this.rules.values()];
  }

  async putRule(rule: Rule): Promise<void> {
    this.rules.set(`${rule.type}#${rule.value}`, rule);
  }

  async deleteRule(type: string, value: string): Promise<boolean> {
    return this.rules.delete(`${type}#${value}`);
  }
}
