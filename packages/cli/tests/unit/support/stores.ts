import {
  type AuditEntry,
  type BlockOutcome,
  type CallerState,
  type Rule,
  type ScreeningStore,
  StoreUnavailableError,
} from '@flowguard/caller-screening';

type BlockInput = Parameters<ScreeningStore['block']>[0];

/**
 * Where a faulty block fails: `before` the write (nothing written), or `after` it (the block is
 * written, then the call fails, as when the history entry or the answer is lost).
 */
export type Fault = 'before' | 'after' | null;

/** A store that fails `block` as `fault(key, call)` says, and passes everything else through. */
export class FaultyStore implements ScreeningStore {
  readonly calls = new Map<string, number>();
  private readonly inner: ScreeningStore;
  private readonly fault: (key: string, call: number) => Fault;

  constructor(inner: ScreeningStore, fault: (key: string, call: number) => Fault) {
    this.inner = inner;
    this.fault = fault;
  }

  async block(input: BlockInput, signal?: AbortSignal): Promise<BlockOutcome> {
    const call = (this.calls.get(input.key) ?? 0) + 1;
    this.calls.set(input.key, call);
    const fault = this.fault(input.key, call);
    const cause = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    if (fault === 'before') throw new StoreUnavailableError('block', { cause });
    const outcome = await this.inner.block(input, signal);
    if (fault === 'after') throw new StoreUnavailableError('history', { cause });
    return outcome;
  }

  count: ScreeningStore['count'] = (input, signal) => this.inner.count(input, signal);
  getState = (key: string, signal?: AbortSignal): Promise<CallerState | null> =>
    this.inner.getState(key, signal);
  unblock: ScreeningStore['unblock'] = (input, signal) => this.inner.unblock(input, signal);
  history = (key: string, signal?: AbortSignal): Promise<AuditEntry[]> => this.inner.history(key, signal);
  compact: ScreeningStore['compact'] = (state, input, signal) => this.inner.compact(state, input, signal);
  listBlocked = (nowSeconds: number, signal?: AbortSignal): AsyncGenerator<CallerState> =>
    this.inner.listBlocked(nowSeconds, signal);
  loadRules = (signal?: AbortSignal): Promise<Rule[]> => this.inner.loadRules(signal);
  putRule = (rule: Rule, signal?: AbortSignal): Promise<void> => this.inner.putRule(rule, signal);
  deleteRule = (type: string, value: string, signal?: AbortSignal): Promise<boolean> =>
    this.inner.deleteRule(type, value, signal);
}
