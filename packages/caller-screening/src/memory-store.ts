import {
  type CallerState,
  type CountInput,
  counterName,
  priorName,
  slotName,
  slotOf,
  stateOf,
} from './ledger.js';
import { bucketOf } from './limits.js';
import type { Rule } from './rules.js';
import type {
  AggregateItem,
  AggregateUpdate,
  AuditEntry,
  BlockInput,
  BlockManyOptions,
  BlockManyResult,
  BlockOutcome,
  ClaimInput,
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
  private readonly aggregates = new Map<number, Record<string, number | string>>();

  private item(key: string): Item {
    let item = this.items.get(key);
    if (!item) {
      item = {};
      this.items.set(key, item);
    }
    return item;
  }

  async count(input: CountInput): Promise<CountOutcome> {
    const item = this.item(input.key);
    const slot = slotOf(input.contact);
    if (((item.blockedUntil as number | undefined) ?? 0) > input.nowSeconds)
      return { kind: 'blocked', state: stateOf(input.key, { ...item }) };
    if (item[slotName(slot)] === input.contact)
      return { kind: 'duplicate', state: stateOf(input.key, { ...item }) };
    item[slotName(slot)] = input.contact;
    input.windows.forEach((window, i) => {
      const bucket = bucketOf(window, input.nowSeconds);
      const name = counterName(window, bucket);
      const before = (item[name] as number | undefined) ?? 0;
      item[priorName(slot, i)] = before;
      item[name] = before + 1;
      delete item[counterName(window, bucket - 2)];
    });
    // The counters are read now; the slots only for a duplicate, which gets a copy above.
    return { kind: 'counted', state: stateOf(input.key, item) };
  }

  private readonly claims = new Map<string, string>();

  async claim(input: ClaimInput): Promise<'claimed' | 'replayed'> {
    const owner = this.claims.get(input.nonce) ?? input.contact;
    this.claims.set(input.nonce, owner);
    return owner === input.contact ? 'claimed' : 'replayed';
  }

  async markVerified(key: string, untilSeconds: number): Promise<number> {
    const item = this.item(key);
    const current = (item.verifiedUntil as number | undefined) ?? 0;
    if (current < untilSeconds) item.verifiedUntil = untilSeconds;
    return Math.max(current, untilSeconds);
  }

  async getState(key: string): Promise<CallerState | null> {
    const item = this.items.get(key);
    return item ? stateOf(key, { ...item }) : null;
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

  async blockMany(inputs: readonly BlockInput[], options: BlockManyOptions = {}): Promise<BlockManyResult[]> {
    const results: BlockManyResult[] = [];
    for (const [index, input] of inputs.entries()) {
      const result = await this.block(input);
      results.push(result);
      options.onResult?.(index, result);
    }
    return results;
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

  async updateAggregates(update: AggregateUpdate): Promise<AggregateItem | null> {
    const item = this.aggregates.get(update.shard) ?? {};
    if (update.onlyIf && (item[update.onlyIf.name] ?? null) !== update.onlyIf.equals) return null;
    const before = { ...item };
    const after: Record<string, number | string> = { ...item };
    for (const [name, value] of Object.entries(update.set ?? {})) after[name] = value;
    for (const [name, value] of Object.entries(update.setIfAbsent ?? {})) after[name] ??= value;
    for (const [name, value] of Object.entries(update.add ?? {}))
      after[name] = (typeof after[name] === 'number' ? after[name] : 0) + value;
    for (const name of update.remove ?? []) delete after[name];
    this.aggregates.set(update.shard, after);
    return update.returnOld ? before : { ...after };
  }

  async readAggregates(shard: number): Promise<AggregateItem> {
    return { ...(this.aggregates.get(shard) ?? {}) };
  }
}
