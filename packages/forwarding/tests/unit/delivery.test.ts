import { describe, expect, it } from 'vitest';
import { backoffMs, DeliveryLedger, deliverChunk, runInOrder, type Task } from '../../src/delivery.js';
import type { DestinationSender, EntryFailure, OutgoingEntry } from '../../src/destinations.js';
import { KINESIS_LIMITS } from '../../src/index.js';

function entry(index: number): OutgoingEntry {
  const json = `{"i":${index}}`;
  return {
    index,
    partitionKey: `c${index}`,
    json,
    bytes: Buffer.from(json),
    time: undefined,
    shardId: 's',
    sequenceNumber: String(index),
    arrivedAt: 0,
  };
}

/** A sender that refuses, per call, the entries `refuse` names (by index) with `code`. */
function scriptedSender(script: ((entries: readonly OutgoingEntry[]) => EntryFailure[] | Error)[]) {
  const calls: number[][] = [];
  const sender: DestinationSender = {
    type: 'kinesis',
    limits: KINESIS_LIMITS,
    entryBytes: (e) => e.bytes.length,
    async send(entries) {
      calls.push(entries.map((e) => e.index));
      const step = script[calls.length - 1] ?? (() => []);
      const result = step(entries);
      if (result instanceof Error) throw result;
      return result;
    },
  };
  return { sender, calls };
}

const refuse =
  (indices: number[], code = 'ProvisionedThroughputExceededException', retryable = true) =>
  (entries: readonly OutgoingEntry[]): EntryFailure[] =>
    entries.filter((e) => indices.includes(e.index)).map((e) => ({ entry: e, code, retryable }));

const sleeps: number[] = [];
const options = {
  maxAttempts: 4,
  random: () => 0.5,
  sleep: async (ms: number) => {
    sleeps.push(ms);
  },
};

describe('deliverChunk', () => {
  it('sends again only the entries refused for a passing reason, with jittered growing waits', async () => {
    sleeps.length = 0;
    const { sender, calls } = scriptedSender([refuse([1, 3]), refuse([3]), () => []]);
    const result = await deliverChunk(sender, [0, 1, 2, 3].map(entry), options);
    expect(calls).toEqual([[0, 1, 2, 3], [1, 3], [3]]);
    expect(sleeps).toEqual([50, 100]);
    expect(result.delivered.map((e) => e.index)).toEqual([0, 1, 2, 3]);
    expect(result.failed).toEqual([]);
  });

  it('gives up after maxAttempts and names what is still refused', async () => {
    const always = refuse([2]);
    const { sender, calls } = scriptedSender([always, always, always, always, always]);
    const result = await deliverChunk(sender, [0, 1, 2].map(entry), options);
    expect(calls).toHaveLength(4);
    expect(result.delivered.map((e) => e.index)).toEqual([0, 1]);
    expect(result.failed.map((f) => [f.entry.index, f.code])).toEqual([
      [2, 'ProvisionedThroughputExceededException'],
    ]);
  });

  it('does not retry entries refused for what they are', async () => {
    const { sender, calls } = scriptedSender([refuse([1], 'MalformedDetail', false)]);
    const result = await deliverChunk(sender, [0, 1, 2].map(entry), options);
    expect(calls).toHaveLength(1);
    expect(result.rejected.map((f) => f.entry.index)).toEqual([1]);
    expect(result.delivered.map((e) => e.index)).toEqual([0, 2]);
  });

  it('fails every pending entry when the request fails as a whole (the SDK retried it already)', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const { sender, calls } = scriptedSender([refuse([1]), () => throttled]);
    const result = await deliverChunk(sender, [0, 1, 2].map(entry), options);
    expect(calls).toEqual([[0, 1, 2], [1]]);
    expect(result.failed.map((f) => [f.entry.index, f.code])).toEqual([[1, 'ThrottlingException']]);
    expect(result.delivered.map((e) => e.index)).toEqual([0, 2]);
  });

  it('stops retrying when the invocation runs out of time', async () => {
    const always = refuse([0]);
    const { sender, calls } = scriptedSender([always, always, always]);
    const result = await deliverChunk(sender, [entry(0)], { ...options, inTime: () => false });
    expect(calls).toHaveLength(1);
    expect(result.failed).toHaveLength(1);
  });
});

describe('backoffMs', () => {
  it('is a random share of a doubling wait, capped', () => {
    const at = (attempt: number, random: number) =>
      backoffMs(attempt, { maxAttempts: 9, random: () => random });
    expect([1, 2, 3, 4, 5, 6].map((n) => at(n, 0.999))).toEqual([99, 199, 399, 799, 1598, 1998]);
    expect(at(3, 0)).toBe(0);
  });
});

function task(first: number, log: string[], outcome: readonly number[] | Error = []): Task {
  return {
    first,
    async run() {
      log.push(`run ${first}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
}

describe('runInOrder', () => {
  it('runs every task and reports nothing when all records were handled', async () => {
    const log: string[] = [];
    const stop = await runInOrder([task(3, log), task(0, log), task(1, log)], {
      concurrency: 1,
      canStart: () => true,
    });
    expect(stop).toBeUndefined();
    expect(log).toEqual(['run 0', 'run 1', 'run 3']);
  });

  it('reports the lowest record not handled and begins no task starting after it', async () => {
    const log: string[] = [];
    const tasks = [task(0, log), task(2, log, [4, 3]), task(5, log), task(3, log), task(9, log)];
    const stop = await runInOrder(tasks, { concurrency: 1, canStart: () => true });
    expect(stop).toBe(3);
    // The task starting at 3 still runs: records up to the reported one must all be tried.
    expect(log).toEqual(['run 0', 'run 2', 'run 3']);
  });

  it('lowers the stop point when a task running alongside fails earlier', async () => {
    const log: string[] = [];
    const tasks = [task(0, log, [1]), task(4, log, [6]), task(8, log)];
    expect(await runInOrder(tasks, { concurrency: 2, canStart: () => true })).toBe(1);
    expect(log).toEqual(['run 0', 'run 4']);
  });

  it('stops at a task that cannot start in time', async () => {
    const log: string[] = [];
    let budget = 2;
    const stop = await runInOrder([task(0, log), task(1, log), task(7, log), task(8, log)], {
      concurrency: 1,
      canStart: () => budget-- > 0,
    });
    expect(stop).toBe(7);
    expect(log).toEqual(['run 0', 'run 1']);
  });

  it('takes a task that throws as failed from its first record', async () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    const stop = await runInOrder([task(0, log), task(2, log, new Error('boom'))], {
      concurrency: 1,
      canStart: () => true,
      onError: (error) => errors.push(error),
    });
    expect(stop).toBe(2);
    expect(errors).toHaveLength(1);
  });
});

describe('DeliveryLedger', () => {
  it('remembers keys up to its capacity, forgetting the oldest', () => {
    const ledger = new DeliveryLedger(2);
    const key = (n: number) => DeliveryLedger.key('p', 'arn', String(n));
    ledger.add(key(1));
    ledger.add(key(2));
    ledger.add(key(3));
    expect([1, 2, 3].map((n) => ledger.has(key(n)))).toEqual([false, true, true]);
    expect(ledger.size).toBe(2);
    expect(DeliveryLedger.key('a', 'b', 'c')).not.toBe(DeliveryLedger.key('a', 'bc', ''));
  });
});
