// Integration helpers: contact records put on a local Kinesis stream the way Connect puts them, and
// read back as the event Lambda's Kinesis event source would hand the function.
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
} from '@aws-sdk/client-kinesis';
import { lambdaKinesisEvent } from '@flowguard/testing';
import type { KinesisStreamEvent } from 'aws-lambda';

/** Puts each record (an object as JSON, a string as it is) with its contact id as partition key. */
export async function putContactRecords(
  client: KinesisClient,
  streamName: string,
  records: readonly unknown[],
): Promise<void> {
  const out = await client.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: records.map((record) => ({
        Data: Buffer.from(typeof record === 'string' ? record : JSON.stringify(record)),
        PartitionKey: String((record as { ContactId?: unknown })?.ContactId ?? 'unparseable'),
      })),
    }),
  );
  if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records not put`);
}

/** Every record of a one-shard stream, in order, as raw SDK records. */
export async function readStream(client: KinesisClient, streamName: string) {
  const shards = await client.send(new ListShardsCommand({ StreamName: streamName }));
  const shardId = shards.Shards?.[0]?.ShardId ?? '';
  const iterator = await client.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  const out = await client.send(
    new GetRecordsCommand({ ShardIterator: iterator.ShardIterator, Limit: 10_000 }),
  );
  return { shardId, records: out.Records ?? [] };
}

/** The stream's records as the KinesisStreamEvent Lambda would deliver for them. */
export async function lambdaEvent(
  client: KinesisClient,
  streamName: string,
  streamArn: string,
): Promise<KinesisStreamEvent> {
  return lambdaKinesisEvent(
    client,
    { streamName, streamArn },
    { role: 'arn:aws:iam::000000000000:role/forwarding' },
  );
}

/** The JSON of every record on a stream, with its partition key. */
export async function streamContents(client: KinesisClient, streamName: string) {
  const { records } = await readStream(client, streamName);
  return records.map((r) => ({
    partitionKey: r.PartitionKey,
    record: JSON.parse(Buffer.from(r.Data ?? []).toString()) as Record<string, unknown>,
  }));
}

/**
 * A destination that throttles: PutRecords requests lose the records `throttled` picks before they
 * reach the (real, local) stream, and the answer says so per record, as Kinesis answers a shard
 * over its write limit. The other records are written for real.
 */
export function throttleRecords(
  client: KinesisClient,
  throttled: (data: Uint8Array) => boolean,
): { calls: number } {
  const seen = { calls: 0 };
  const refused = {
    ErrorCode: 'ProvisionedThroughputExceededException',
    ErrorMessage: 'Rate exceeded for shard.',
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutRecordsCommand') return next(args);
      seen.calls += 1;
      const input = args.input as PutRecordsCommandInput;
      const records = input.Records ?? [];
      const pass = records.map((r) => !throttled(r.Data ?? new Uint8Array()));
      const sent = records.filter((_, i) => pass[i]);
      let answered: PutRecordsCommandOutput['Records'] = [];
      let result: Awaited<ReturnType<typeof next>> = { output: { $metadata: {} }, response: {} };
      if (sent.length > 0) {
        result = await next({ ...args, input: { ...input, Records: sent } });
        answered = (result.output as PutRecordsCommandOutput).Records ?? [];
      }
      let j = 0;
      const merged = records.map((_, i) => (pass[i] ? answered[j++] : refused));
      const output = {
        ...(result.output as PutRecordsCommandOutput),
        FailedRecordCount: merged.filter((r) => r && 'ErrorCode' in r && r.ErrorCode).length,
        Records: merged,
      };
      return { ...result, output };
    },
    { step: 'initialize', name: 'forwardingTestThrottle' },
  );
  return seen;
}
