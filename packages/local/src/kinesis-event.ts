// A stream's records as the event Lambda's Kinesis event source hands a function: what the demo and
// the forwarding tests feed forward-contact-records and forward-recordings.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { LOCAL_ACCOUNT_ID } from './local-aws-json.js';
import { LOCAL_REGION } from './local-dynamodb.js';

/** One record of a Kinesis event, in the shape of `@types/aws-lambda`'s `KinesisStreamRecord`. */
export interface LambdaKinesisRecord {
  readonly kinesis: {
    readonly kinesisSchemaVersion: string;
    readonly partitionKey: string;
    readonly sequenceNumber: string;
    /** The record's bytes, base64. */
    readonly data: string;
    /** Seconds since the epoch. */
    readonly approximateArrivalTimestamp: number;
  };
  readonly eventSource: 'aws:kinesis';
  readonly eventVersion: string;
  readonly eventID: string;
  readonly eventName: 'aws:kinesis:record';
  readonly invokeIdentityArn: string;
  readonly awsRegion: string;
  readonly eventSourceARN: string;
}

export interface LambdaKinesisEvent {
  readonly Records: LambdaKinesisRecord[];
}

/**
 * Every record of a one-shard stream, read from its start (TRIM_HORIZON), as one Lambda event.
 * The Kinesis client is loaded when first called, so importing this package stays light.
 */
export async function lambdaKinesisEvent(
  client: KinesisClient,
  stream: { readonly streamName: string; readonly streamArn: string },
  options: { readonly limit?: number; readonly role?: string } = {},
): Promise<LambdaKinesisEvent> {
  const { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } = await import(
    '@aws-sdk/client-kinesis'
  );
  const shards = await client.send(new ListShardsCommand({ StreamName: stream.streamName }));
  const shardId = shards.Shards?.[0]?.ShardId ?? '';
  const iterator = await client.send(
    new GetShardIteratorCommand({
      StreamName: stream.streamName,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  const out = await client.send(
    new GetRecordsCommand({ ShardIterator: iterator.ShardIterator, Limit: options.limit ?? 10_000 }),
  );
  return {
    Records: (out.Records ?? []).map((record) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.PartitionKey ?? '',
        sequenceNumber: record.SequenceNumber ?? '',
        data: Buffer.from(record.Data ?? []).toString('base64'),
        approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${record.SequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: options.role ?? `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/flowguard-forwarding`,
      awsRegion: LOCAL_REGION,
      eventSourceARN: stream.streamArn,
    })),
  };
}
