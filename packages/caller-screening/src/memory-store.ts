import { bucketOf } from './limits.js';
import type { Rule } from './rules.js';
import {
  type AuditEntry,
  type BlockInput,
  type BlockOutcome,
  type CallerState,
  dedupListName,
  type RecordInput,
  type RecordOutcome,
  type ScreeningStore,
  windowListName,
} from './store.js';

interface MutableState {
  blockedUntil: number;
  blockReason: string;
  blockedBy: string;
  blockedAt: number;
  lists: Map<string, string[]>;
}

/** The state as the screener sees it; the screener only reads it, so nothing is copied. */
function snapshot(key: string, state: MutableState): CallerState {
  return { key, ...state };
}

/**
 * The store's semantics in process memory, for benchmarks of the code around the store (no
 * I/O) and for the demo's dry runs. Tests of the store itself run against dynalite.
 */
export class MemoryScreeningStore implements ScreeningStore {
  private readonly states = new Map<string, MutableState>();
  private readonly audits: AuditEntry[] = [];
  private readonly rules = new Map<string, Rule>();

  private state(key: string): MutableState {
    let state = this.states.get(key);
    if (!state) {
      state = { blockedUntil: 0, blockReason: '', blockedBy: '', blockedAt: 0, lists: new Map() };
      this.states.set(key, state);
    }
    return state;
  }

  async record(input: RecordInput): Promise<RecordOutcome> {
    const state = this.state(input.key);
    if (state.blockedUntil > input.nowSeconds) return { kind: 'blocked', state: snapshot(input.key, state) };
    const dedup = bucketOf({ limit: 0, seconds: input.dedupSeconds }, input.nowSeconds);
    const seen = [dedupListName(dedup), dedupListName(dedup - 1)];
    if (seen.some((name) => state.lists.get(name)?.includes(input.contact))) {
      return { kind: 'duplicate', state: snapshot(input.key, state) };
    }
    const append = (name: string) => {
      const list = state.lists.get(name);
      if (list) list.push(input.contact);
      else state.lists.set(name, [input.contact]);
    };
    for (const window of input.windows) {
      const bucket = bucketOf(window, input.nowSeconds);
      append(windowListName(window, bucket));
      state.lists.delete(windowListName(window, bucket - 2));
    }
    append(dedupListName(dedup));
    state.lists.delete(dedupListName(dedup - 2));
    return { kind: 'recorded', state: snapshot(input.key, state) };
  }

  async getState(key: string): Promise<CallerState | null> {
    const state = this.states.get(key);
    return state ? snapshot(key, state) : null;
  }

  async block(input: BlockInput): Promise<BlockOutcome> {
    const state = this.state(input.key);
    const allowed =
      input.action === 'auto'
        ? state.blockedUntil <= input.nowSeconds
        : state.blockedUntil < input.untilSeconds;
    if (!allowed) return { result: 'kept', blockedUntil: state.blockedUntil };
    Object.assign(state, {
      blockedUntil: input.untilSeconds,
      blockReason: input.reason,
      blockedBy: input.by,
      blockedAt: input.nowSeconds,
    });
    this.audits.push({ ...input, at: input.nowSeconds, until: input.untilSeconds });
    return { result: 'applied', blockedUntil: input.untilSeconds };
  }

  async unblock(input: { key: string; by: string; reason: string; nowSeconds: number }): Promise<boolean> {
    const state = this.states.get(input.key);
    if (!state || state.blockedUntil <= input.nowSeconds) return false;
    Object.assign(state, { blockedUntil: 0, blockReason: '', blockedBy: '', blockedAt: 0 });
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
    for (const [key, state] of this.states) if (state.blockedUntil > nowSeconds) yield snapshot(key, state);
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
