import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { eventBridgeSender, firehoseSender, kinesisSender, s3Sender } from '../../src/destinations.js';
import {
  chunkEntries,
  EVENTBRIDGE_LIMITS,
  FIREHOSE_LIMITS,
  KINESIS_LIMITS,
  type OutgoingEntry,
  s3ObjectKey,
} from '../../src/index.js';
import { ARRIVAL, SHARD, sequenceNumber } from '../support.js';

/** An entry whose JSON is exactly `bytes` long (at least its overhead). */
function entry(index: number, bytes = 100): OutgoingEntry {
  const overhead = JSON.stringify({ policy: 'p', ContactId: `c${index}`, pad: '' }).length;
  const json = JSON.stringify({
    policy: 'p',
    ContactId: `c${index}`,
    pad: 'x'.repeat(Math.max(0, bytes - overhead)),
  });
  return {
    index,
    partitionKey: `c${index}`,
    json,
    bytes: Buffer.from(json),
    time: new Date('2026-01-15T09:15:42Z'),
    shardId: SHARD,
    sequenceNumber: sequenceNumber(index + 1),
    arrivedAt: (ARRIVAL + index) * 1000,
  };
}

const entries = (n: number, bytes = 100) => Array.from({ length: n }, (_, i) => entry(i, bytes));
const sizes = (chunks: OutgoingEntry[][]) => chunks.map((c) => c.length);

describe('chunkEntries', () => {
  const firehose = firehoseSender(new FirehoseClient({}), 'x');
  const kinesis = kinesisSender(new KinesisClient({}), 'x');
  const events = eventBridgeSender(new EventBridgeClient({}), {
    eventBus: 'b',
    source: 'flowguard',
    detailType: 'T',
  });

  it('puts at most 500 records in a Firehose or Kinesis call, and 10 in an EventBridge call', () => {
    expect(sizes(chunkEntries(entries(1201), firehose).chunks)).toEqual([500, 500, 201]);
    expect(sizes(chunkEntries(entries(500), kinesis).chunks)).toEqual([500]);
    expect(sizes(chunkEntries(entries(25), events).chunks)).toEqual([10, 10, 5]);
  });

  it("keeps each call under the service's byte limit", () => {
    // 100 KiB records: 4 MiB holds 40 with newlines for Firehose, 5 MiB holds 51 for Kinesis (keys counted).
    const big = entries(120, 100 * 1024 - 1);
    const firehoseChunks = chunkEntries(big, firehose).chunks;
    for (const chunk of firehoseChunks) {
      expect(chunk.reduce((sum, e) => sum + firehose.entryBytes(e), 0)).toBeLessThanOrEqual(
        FIREHOSE_LIMITS.maxRequestBytes,
      );
    }
    expect(sizes(firehoseChunks)).toEqual([40, 40, 40]);
    expect(sizes(chunkEntries(big, kinesis).chunks)).toEqual([51, 51, 18]);
    const eventChunks = chunkEntries(entries(12, 60 * 1024), events).chunks;
    expect(sizes(eventChunks)).toEqual([4, 4, 4]);
    for (const chunk of eventChunks) {
      expect(chunk.reduce((sum, e) => sum + events.entryBytes(e), 0)).toBeLessThanOrEqual(
        EVENTBRIDGE_LIMITS.maxRequestBytes,
      );
    }
  });

  it('sets aside a record over the per-record limit instead of blocking the rest', () => {
    const list = [entry(0), entry(1, KINESIS_LIMITS.maxEntryBytes + 1), entry(2)];
    const { chunks, tooLarge } = chunkEntries(list, kinesis);
    expect(tooLarge.map((e) => e.index)).toEqual([1]);
    expect(chunks.map((c) => c.map((e) => e.index))).toEqual([[0, 2]]);
    // 1,000 KiB with the newline is the most a Firehose record may be.
    expect(chunkEntries([entry(0, 1000 * 1024)], firehose).tooLarge).toHaveLength(1);
    expect(chunkEntries([entry(0, 1000 * 1024 - 1)], firehose).tooLarge).toHaveLength(0);
    expect(chunkEntries([entry(0, 256 * 1024)], events).tooLarge).toHaveLength(1);
  });

  it('counts the partition key in a Kinesis record and Time, Source and DetailType in an event', () => {
    const e = entry(0, 100);
    expect(kinesis.entryBytes(e)).toBe(e.bytes.length + 2);
    expect(events.entryBytes(e)).toBe(e.bytes.length + 14 + 'flowguard'.length + 'T'.length);
    expect(firehose.entryBytes(e)).toBe(e.bytes.length + 1);
  });
});

describe('the senders', () => {
  it('Firehose: one JSON line a record, to the stream named in an ARN; refused records by position', async () => {
    const mock = mockClient(FirehoseClient);
    mock.on(PutRecordBatchCommand).resolves({
      FailedPutCount: 1,
      RequestResponses: [
        { RecordId: 'r0' },
        { ErrorCode: 'ServiceUnavailableException' },
        { RecordId: 'r2' },
      ],
    });
    const sender = firehoseSender(
      new FirehoseClient({ region: 'us-east-1' }),
      'arn:aws:firehose:us-east-1:123456789012:deliverystream/cards',
    );
    const failures = await sender.send(entries(3));
    const input = mock.commandCalls(PutRecordBatchCommand)[0]?.args[0].input;
    expect(input?.DeliveryStreamName).toBe('cards');
    expect(Buffer.from(input?.Records?.[0]?.Data ?? []).toString()).toBe(`${entry(0).json}\n`);
    expect(failures.map((f) => [f.entry.index, f.code, f.retryable])).toEqual([
      [1, 'ServiceUnavailableException', true],
    ]);
    mock.restore();
  });

  it('Kinesis: the contact id as partition key, a stream ARN as StreamARN', async () => {
    const mock = mockClient(KinesisClient);
    mock.on(PutRecordsCommand).resolves({
      FailedRecordCount: 2,
      Records: [
        { ErrorCode: 'ProvisionedThroughputExceededException' },
        { SequenceNumber: '1', ShardId: 's' },
        { ErrorCode: 'InternalFailure' },
      ],
    });
    const sender = kinesisSender(
      new KinesisClient({ region: 'us-east-1' }),
      'arn:aws:kinesis:us-east-1:123456789012:stream/out',
    );
    const failures = await sender.send(entries(3));
    const input = mock.commandCalls(PutRecordsCommand)[0]?.args[0].input;
    expect(input?.StreamARN).toBe('arn:aws:kinesis:us-east-1:123456789012:stream/out');
    expect(input?.Records?.map((r) => r.PartitionKey)).toEqual(['c0', 'c1', 'c2']);
    expect(failures.map((f) => f.entry.index)).toEqual([0, 2]);
    mock.restore();
  });

  it('EventBridge: bus, source, detail type, the record as Detail and LastUpdateTimestamp as Time', async () => {
    const mock = mockClient(EventBridgeClient);
    mock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'e0' }, { ErrorCode: 'MalformedDetail', ErrorMessage: 'x' }],
    });
    const sender = eventBridgeSender(new EventBridgeClient({}), {
      eventBus: 'analytics',
      source: 'flowguard.forwarding',
      detailType: 'ContactRecord',
    });
    const failures = await sender.send(entries(2));
    const first = mock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(first).toMatchObject({
      EventBusName: 'analytics',
      Source: 'flowguard.forwarding',
      DetailType: 'ContactRecord',
      Detail: entry(0).json,
      Time: new Date('2026-01-15T09:15:42Z'),
    });
    expect(failures.map((f) => [f.entry.index, f.code, f.retryable])).toEqual([
      [1, 'MalformedDetail', false],
    ]);
    mock.restore();
  });

  it('S3: one JSON Lines object at a key made of the shard and the first and last sequence numbers', async () => {
    const mock = mockClient(S3Client);
    mock.on(PutObjectCommand).resolves({});
    const sender = s3Sender(new S3Client({}), {
      bucket: 'vendor',
      prefix: 'records',
      kmsKeyId: 'alias/vendor',
    });
    await sender.send(entries(3));
    const input = mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input?.Key).toBe(`records/2026/01/15/${SHARD}-${sequenceNumber(1)}-${sequenceNumber(3)}.jsonl`);
    expect(String(input?.Body).split('\n')).toEqual([entry(0).json, entry(1).json, entry(2).json, '']);
    expect(input).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/vendor' });
    mock.restore();
  });

  it('S3 keys are the same for the same records, so a redelivery overwrites', () => {
    expect(s3ObjectKey('', entries(3))).toBe(s3ObjectKey('', entries(3)));
    expect(s3ObjectKey('a/', entries(2))).not.toBe(s3ObjectKey('a/', entries(3)));
  });
});

/** The region of the client a mocked call was sent through. */
const regionOfCall = async (call: { thisValue: unknown }) =>
  (call.thisValue as { config: { region: () => Promise<string> } }).config.region();

describe('the region a destination is sent to', () => {
  it('Firehose: a stream named by an ARN of another region goes through a client of that region, by its name', async () => {
    const mock = mockClient(FirehoseClient);
    mock.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'r0' }] });
    const own = new FirehoseClient({ region: 'us-east-1' });
    const made: string[] = [];
    const inRegion = (region: string) => {
      made.push(region);
      return new FirehoseClient({ region });
    };
    const sender = firehoseSender(
      own,
      'arn:aws:firehose:eu-west-1:123456789012:deliverystream/cards',
      inRegion,
    );
    await sender.send(entries(1));
    await sender.send(entries(1));
    const calls = mock.commandCalls(PutRecordBatchCommand);
    expect(calls.map((c) => c.args[0].input.DeliveryStreamName)).toEqual(['cards', 'cards']);
    expect(await Promise.all(calls.map(regionOfCall))).toEqual(['eu-west-1', 'eu-west-1']);
    expect(calls.every((c) => c.thisValue !== own)).toBe(true);
    expect(made).toEqual(['eu-west-1']); // made once, kept

    // A name, or an ARN of the function's own region: the function's own client.
    mock.resetHistory();
    await firehoseSender(own, 'cards', inRegion).send(entries(1));
    await firehoseSender(own, 'arn:aws:firehose:us-east-1:123456789012:deliverystream/cards', inRegion).send(
      entries(1),
    );
    expect(mock.commandCalls(PutRecordBatchCommand).map((c) => c.thisValue === own)).toEqual([true, true]);
    expect(made).toEqual(['eu-west-1']);
    mock.restore();
  });

  it('Firehose: with no client for the ARN’s region, the chunk fails rather than going to a stream of that name here', async () => {
    const mock = mockClient(FirehoseClient);
    mock.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'r0' }] });
    const sender = firehoseSender(
      new FirehoseClient({ region: 'us-east-1' }),
      'arn:aws:firehose:eu-west-1:123456789012:deliverystream/cards',
    );
    await expect(sender.send(entries(1))).rejects.toThrow("no client for the destination's region eu-west-1");
    expect(mock.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
    mock.restore();
  });

  it('Kinesis and EventBridge: an ARN of another region goes through a client of that region (the SDK would use its own)', async () => {
    const kinesis = mockClient(KinesisClient);
    kinesis
      .on(PutRecordsCommand)
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 's' }] });
    const events = mockClient(EventBridgeClient);
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const streamArn = 'arn:aws:kinesis:eu-west-1:111122223333:stream/out';
    await kinesisSender(
      new KinesisClient({ region: 'us-east-1' }),
      streamArn,
      (region) => new KinesisClient({ region }),
    ).send(entries(1));
    const busArn = 'arn:aws:events:ap-southeast-2:111122223333:event-bus/crm';
    await eventBridgeSender(
      new EventBridgeClient({ region: 'us-east-1' }),
      { eventBus: busArn, source: 's', detailType: 'd' },
      (region) => new EventBridgeClient({ region }),
    ).send(entries(1));
    const put = kinesis.commandCalls(PutRecordsCommand)[0];
    expect(put?.args[0].input.StreamARN).toBe(streamArn);
    expect(put && (await regionOfCall(put))).toBe('eu-west-1');
    const event = events.commandCalls(PutEventsCommand)[0];
    expect(event?.args[0].input.Entries?.[0]?.EventBusName).toBe(busArn);
    expect(event && (await regionOfCall(event))).toBe('ap-southeast-2');
    kinesis.restore();
    events.restore();
  });
});
