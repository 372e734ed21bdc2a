import type { LineSink } from './log.js';
import { stdoutSink } from './log.js';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Bytes' | 'None';

export interface MetricValue {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
}

export interface MetricsOptions {
  namespace: string;
  sink?: LineSink;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/**
 * Dimension keys are fixed by the toolkit; their values are names and stable codes only:
 * letters, `_` and `-`, with at most two digits at the end. A contact id, an IP address or a
 * phone number can never pass, so none can become a dimension (one metric per caller).
 */
const DIMENSION_VALUE = /^[A-Za-z][A-Za-z_-]{0,61}[0-9]{0,2}$/;

/**
 * Writes CloudWatch embedded metric format (EMF) lines: CloudWatch Logs turns each into metrics,
 * with no API call from the function. Dimension values must be stable codes (function name,
 * outcome): a caller number, IP or contact id as a dimension would create a metric per caller,
 * so anything else is refused.
 */
export class MetricsEmitter {
  private readonly namespace: string;
  private readonly sink: LineSink;

  constructor(options: MetricsOptions) {
    this.namespace = options.namespace;
    this.sink = options.sink ?? stdoutSink;
  }

  /** The `CloudWatchMetrics` directive, by shape: the same few shapes recur on every call. */
  private readonly directives = new Map<string, string>();

  emit(
    dimensions: Readonly<Record<string, string>>,
    metrics: readonly MetricValue[],
    timestamp = Date.now(),
  ): void {
    const entry: Record<string, unknown> = {};
    const dimensionKeys: string[] = [];
    for (const key of Object.keys(dimensions)) {
      if (!NAME.test(key)) continue;
      const value = dimensions[key] ?? '';
      entry[key] = DIMENSION_VALUE.test(value) ? value : 'other';
      dimensionKeys.push(key);
    }
    let shape = dimensionKeys.join(',');
    const definitions: { Name: string; Unit: MetricUnit }[] = [];
    for (const metric of metrics) {
      if (!NAME.test(metric.name) || !Number.isFinite(metric.value) || dimensionKeys.includes(metric.name))
        continue;
      const previous = entry[metric.name];
      if (typeof previous === 'number') {
        entry[metric.name] = previous + metric.value;
        continue;
      }
      entry[metric.name] = metric.value;
      definitions.push({ Name: metric.name, Unit: metric.unit });
      shape += `|${metric.name}:${metric.unit}`;
    }
    if (definitions.length === 0) return;
    let directive = this.directives.get(shape);
    if (directive === undefined) {
      directive = JSON.stringify([
        { Namespace: this.namespace, Dimensions: [dimensionKeys], Metrics: definitions },
      ]);
      if (this.directives.size < 256) this.directives.set(shape, directive);
    }
    const body = JSON.stringify(entry);
    try {
      this.sink(
        `{"_aws":{"Timestamp":${Math.round(timestamp)},"CloudWatchMetrics":${directive}},${body.slice(1)}`,
      );
    } catch {
      // Metrics are best effort; they never fail an invocation.
    }
  }
}
