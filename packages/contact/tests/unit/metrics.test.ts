import { describe, expect, it } from 'vitest';
import { type LineSink, MetricsEmitter } from '../../src/index.js';

type Entry = Record<string, unknown>;

/** An emitter writing into an array, and the parsed lines it wrote. */
function capture(namespace = 'Flowguard'): { metrics: MetricsEmitter; lines: string[]; entries(): Entry[] } {
  const lines: string[] = [];
  const sink: LineSink = (line) => lines.push(line);
  return {
    metrics: new MetricsEmitter({ namespace, sink }),
    lines,
    entries: () => lines.map((line) => JSON.parse(line) as Entry),
  };
}

describe('MetricsEmitter', () => {
  it('writes one EMF line with the namespace, dimensions and metric definitions', () => {
    const { metrics, lines, entries } = capture('Acme/Flowguard');

    metrics.emit(
      { function: 'screen-caller', outcome: 'ok' },
      [
        { name: 'Invocations', unit: 'Count', value: 1 },
        { name: 'Latency', unit: 'Milliseconds', value: 12.5 },
      ],
      1_700_000_000_000,
    );

    expect(lines).toHaveLength(1);
    expect(entries()[0]).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'Acme/Flowguard',
            Dimensions: [['function', 'outcome']],
            Metrics: [
              { Name: 'Invocations', Unit: 'Count' },
              { Name: 'Latency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      function: 'screen-caller',
      outcome: 'ok',
      Invocations: 1,
      Latency: 12.5,
    });
  });

  it('stamps the line with the current time by default', () => {
    const { metrics, entries } = capture();
    const before = Date.now();

    metrics.emit({ function: 'f' }, [{ name: 'Invocations', unit: 'Count', value: 1 }]);

    const aws = entries()[0]?._aws as { Timestamp: number };
    expect(aws.Timestamp).toBeGreaterThanOrEqual(before);
    expect(aws.Timestamp).toBeLessThanOrEqual(Date.now());
  });

  it.each([
    ['a caller number with a space', '+14155550123 '],
    ['a caller number', '+14155550123'],
    ['a 100-character value', 'x'.repeat(100)],
    ['an empty value', ''],
    ['a value with a slash', 'a/b'],
    ['a contact id', 'a9e3b0c1-2d4f-4e6a-8b7c-9d0e1f2a3b4c'],
    ['an IPv4 address', '203.0.113.7'],
    ['an IPv6 address', 'fe80::1'],
    ['a number without +', '14155550123'],
  ])('writes %s as the dimension value "other"', (_, value) => {
    const { metrics, lines, entries } = capture();

    metrics.emit({ function: 'screen-caller', outcome: value }, [
      { name: 'Invocations', unit: 'Count', value: 1 },
    ]);

    expect(entries()[0]?.outcome).toBe('other');
    if (value !== '') expect(lines[0]).not.toContain(value);
  });

  it('keeps stable codes as dimension values', () => {
    const { metrics, entries } = capture();

    metrics.emit({ function: 'screen-caller', outcome: 'store_unavailable' }, [
      { name: 'Invocations', unit: 'Count', value: 1 },
    ]);

    expect(entries()[0]).toMatchObject({ function: 'screen-caller', outcome: 'store_unavailable' });
  });

  it('sums metrics that share a name and defines them once', () => {
    const { metrics, entries } = capture();

    metrics.emit({ function: 'f' }, [
      { name: 'Blocked', unit: 'Count', value: 1 },
      { name: 'Blocked', unit: 'Count', value: 2 },
      { name: 'Invocations', unit: 'Count', value: 1 },
    ]);

    const [entry] = entries();
    expect(entry?.Blocked).toBe(3);
    const aws = entry?._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
    expect(aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toEqual(['Blocked', 'Invocations']);
  });

  it('skips metrics with illegal names, non-finite values or a dimension name', () => {
    const { metrics, entries } = capture();

    metrics.emit({ function: 'f' }, [
      { name: 'Invocations', unit: 'Count', value: 1 },
      { name: '_aws', unit: 'Count', value: 1 },
      { name: 'has space', unit: 'Count', value: 1 },
      { name: 'Ratio', unit: 'None', value: Number.NaN },
      { name: 'function', unit: 'Count', value: 1 },
    ]);

    const [entry] = entries();
    expect(Object.keys(entry ?? {}).sort()).toEqual(['Invocations', '_aws', 'function']);
    expect(entry?.function).toBe('f');
    const aws = entry?._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
    expect(aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: 'Invocations', Unit: 'Count' }]);
  });

  it('skips dimensions with illegal keys', () => {
    const { metrics, entries } = capture();

    metrics.emit({ function: 'f', 'caller number': 'x' }, [{ name: 'Invocations', unit: 'Count', value: 1 }]);

    const aws = entries()[0]?._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] };
    expect(aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['function']]);
  });

  it('writes nothing when there is no valid metric', () => {
    const { metrics, lines } = capture();

    metrics.emit({ function: 'f' }, []);
    metrics.emit({ function: 'f' }, [
      { name: 'Latency', unit: 'Milliseconds', value: Number.POSITIVE_INFINITY },
    ]);

    expect(lines).toEqual([]);
  });

  it('does not throw when its sink throws', () => {
    const metrics = new MetricsEmitter({
      namespace: 'Flowguard',
      sink: () => {
        throw new Error('stream closed');
      },
    });

    expect(() =>
      metrics.emit({ function: 'f' }, [{ name: 'Invocations', unit: 'Count', value: 1 }]),
    ).not.toThrow();
  });
});
