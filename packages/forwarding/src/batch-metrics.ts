import type { MetricsEmitter } from '@flowguard/contact';

/** Per policy; the policy name is the only dimension besides the function (never contact data). */
export type PolicyMetric =
  | 'RecordsIn'
  | 'Forwarded'
  | 'Filtered'
  | 'Failed'
  | 'DeadLettered'
  | 'AlreadyForwarded'
  | 'RecordingsCopied'
  | 'RecordingsAlreadyCopied';

/** Per invocation: what came in, what could not be read, what was left for redelivery. */
export type BatchMetric = 'RecordsIn' | 'DeadLettered' | 'Deferred' | 'BatchItemFailures';

/** Counts for one invocation, written as EMF lines at its end. */
export class BatchMetrics {
  private readonly batch = new Map<BatchMetric, number>();
  private readonly policies = new Map<string, Map<PolicyMetric, number>>();

  add(metric: BatchMetric, value = 1): void {
    this.batch.set(metric, (this.batch.get(metric) ?? 0) + value);
  }

  addFor(policy: string, metric: PolicyMetric, value = 1): void {
    let counts = this.policies.get(policy);
    if (!counts) {
      counts = new Map();
      this.policies.set(policy, counts);
    }
    counts.set(metric, (counts.get(metric) ?? 0) + value);
  }

  get(metric: BatchMetric): number {
    return this.batch.get(metric) ?? 0;
  }

  getFor(policy: string, metric: PolicyMetric): number {
    return this.policies.get(policy)?.get(metric) ?? 0;
  }

  /** Plain counts, for the log line. */
  summary(): {
    readonly batch: Record<string, number>;
    readonly policies: Record<string, Record<string, number>>;
  } {
    return {
      batch: Object.fromEntries(this.batch),
      policies: Object.fromEntries(
        [...this.policies].map(([name, counts]) => [name, Object.fromEntries(counts)]),
      ),
    };
  }

  emit(emitter: MetricsEmitter, functionName: string): void {
    const values = <K extends string>(counts: Map<K, number>) =>
      [...counts].map(([name, value]) => ({ name, unit: 'Count' as const, value }));
    emitter.emit({ function: functionName }, values(this.batch));
    for (const [policy, counts] of this.policies) {
      emitter.emit({ function: functionName, policy }, values(counts));
    }
  }
}
