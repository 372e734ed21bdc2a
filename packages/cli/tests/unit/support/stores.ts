import {
  type AuditEntry,
  type BlockOutcome,
  type CallerState,
  type Rule,
  type ScreeningStore,
  StoreUnavailableError,
} from '@flowguard/caller-screening';

type BlockInput = Parameters<ScreeningStore['block']>[0];
type BlockManyOptions = NonNullable<Parameters<ScreeningStore['blockMany']>[1]>;
type BlockManyResult = Awaited<ReturnType<ScreeningStore['blockMany']>>[number];

/**
 * Where a faulty block fails: `before` the write (nothing written), or `after` it (the block is
 * written, then the call fails, as when the history entry or the answer is lost).
 */
export type Fault = 'before' | 'after' | null;

function faultError(operation: string): StoreUnavailableError {
  const cause = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
  return new StoreUnavailableError(operation, { cause });
}

/**
 * A store that fails `block` and `blockMany` (each caller of it) as `fault(key, call)` says, and
 * passes everything else through.
 */
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
    if (fault === 'before') throw faultError('block');
    const outcome = await this.inner.block(input, signal);
    if (fault === 'after') throw faultError('history');
    return outcome;
  }

  async blockMany(inputs: readonly BlockInput[], options: BlockManyOptions = {}): Promise<BlockManyResult[]> {
    const results: BlockManyResult[] = new Array(inputs.length);
    const settle = (index: number, result: BlockManyResult) => {
      results[index] = result;
      options.onResult?.(index, result);
    };
    const faults = inputs.map((input) => {
      const call = (this.calls.get(input.key) ?? 0) + 1;
      this.calls.set(input.key, call);
      return this.fault(input.key, call);
    });
    const passed = inputs.flatMap((input, index) => (faults[index] === 'before' ? [] : [{ input, index }]));
    for (const [index, fault] of faults.entries()) {
      if (fault === 'before') settle(index, { result: 'failed', error: faultError('block') });
    }
    await this.inner.blockMany(
      passed.map(({ input }) => input),
      {
        ...options,
        onResult: (i, result) => {
          const { index } = passed[i] as { index: number };
          settle(
            index,
            faults[index] === 'after' ? { result: 'failed', error: faultError('history') } : result,
          );
        },
      },
    );
    return results;
  }

  count: ScreeningStore['count'] = (input, signal) => this.inner.count(input, signal);
  updateAggregates: ScreeningStore['updateAggregates'] = (update, signal) =>
    this.inner.updateAggregates(update, signal);
  readAggregates: ScreeningStore['readAggregates'] = (shard, signal) =>
    this.inner.readAggregates(shard, signal);
  markVerified: ScreeningStore['markVerified'] = (key, until, signal) =>
    this.inner.markVerified(key, until, signal);
  claim: ScreeningStore['claim'] = (input, signal) => this.inner.claim(input, signal);
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
