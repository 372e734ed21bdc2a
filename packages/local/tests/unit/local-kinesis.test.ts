import { request } from 'node:http';
import {
  type _Record,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalKinesis, startLocalKinesis } from '../../src/local-kinesis.js';
import { listening, portAcceptsConnections } from '../support.js';

/** Every record in the stream, from every shard, oldest first within a shard. */
async function readAll(client: KinesisClient, streamName: string): Promise<_Record[]> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: streamName }));
  const records: _Record[] = [];
  for (const shard of Shards) {
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records = [] } = await client.send(new GetRecordsCommand({ ShardIterator }));
    records.push(...Records);
  }
  return records;
}

const text = (record: _Record) => Buffer.from(record.Data ?? []).toString('utf8');

describe('startLocalKinesis', () => {
  let local: LocalKinesis;

  beforeAll(async () => {
    local = await startLocalKinesis();
  });

  afterAll(async () => {
    await local.stop();
  });

  it('listens on a loopback port and creates a stream that is ACTIVE when it resolves', async () => {
    const created = await local.createStream('contact-records', 2);

    const { StreamDescriptionSummary } = await local.client.send(
      new DescribeStreamSummaryCommand({ StreamName: 'contact-records' }),
    );

    expect(local.endpoint).toBe(`http://127.0.0.1:${local.port}`);
    expect(created).toEqual({
      streamName: 'contact-records',
      streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/contact-records',
    });
    expect(StreamDescriptionSummary).toMatchObject({
      StreamName: 'contact-records',
      StreamARN: created.streamArn,
      StreamStatus: 'ACTIVE',
      OpenShardCount: 2,
    });
  });

  it('round-trips PutRecord and PutRecords through GetShardIterator and GetRecords (the SDK over HTTP/2)', async () => {
    await local.createStream('round-trip', 2);

    const one = await local.client.send(
      new PutRecordCommand({
        StreamName: 'round-trip',
        PartitionKey: 'contact-1',
        Data: Buffer.from('first'),
      }),
    );
    const many = await local.client.send(
      new PutRecordsCommand({
        StreamName: 'round-trip',
        Records: ['second', 'third', 'fourth'].map((data, i) => ({
          PartitionKey: `contact-${i + 2}`,
          Data: Buffer.from(data),
        })),
      }),
    );
    const records = await readAll(local.client, 'round-trip');

    expect(one.ShardId).toMatch(/^shardId-00000000000[01]$/);
    expect(one.SequenceNumber).toMatch(/^\d+$/);
    expect(many.FailedRecordCount).toBe(0);
    expect(many.Records).toHaveLength(3);
    expect(records.map(text).sort()).toEqual(['first', 'fourth', 'second', 'third']);
    expect(records.find((r) => text(r) === 'first')).toMatchObject({
      PartitionKey: 'contact-1',
      SequenceNumber: one.SequenceNumber,
      ApproximateArrivalTimestamp: expect.any(Date),
    });
  });

  it('takes StreamARN where Kinesis does, as well as StreamName', async () => {
    const { streamArn } = await local.createStream('by-arn');

    await local.client.send(
      new PutRecordCommand({ StreamARN: streamArn, PartitionKey: 'p', Data: Buffer.from('via arn') }),
    );
    const { StreamDescriptionSummary } = await local.client.send(
      new DescribeStreamSummaryCommand({ StreamARN: streamArn }),
    );

    expect(StreamDescriptionSummary?.StreamName).toBe('by-arn');
    expect((await readAll(local.client, 'by-arn')).map(text)).toEqual(['via arn']);
  });

  it('answers ResourceNotFoundException for a stream that is not there', async () => {
    await expect(
      local.client.send(new DescribeStreamSummaryCommand({ StreamName: 'no-such-stream' })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Stream no-such-stream under account 000000000000 not found.',
    });
  });

  it('also speaks HTTP/1.1 on the same port, for tools other than the SDK', async () => {
    await local.createStream('over-http1');
    const body = JSON.stringify({ StreamName: 'over-http1' });

    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: local.port,
          method: 'POST',
          path: '/',
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': 'Kinesis_20131202.DescribeStreamSummary',
            'x-amz-date': '20260101T000000Z',
            authorization:
              'AWS4-HMAC-SHA256 Credential=flowguard-local/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({
      StreamDescriptionSummary: { StreamName: 'over-http1', StreamStatus: 'ACTIVE' },
    });
  });

  it('counts requests by operation', async () => {
    await local.createStream('counted');
    local.requests.reset();

    await local.client.send(
      new PutRecordsCommand({
        StreamName: 'counted',
        Records: [{ PartitionKey: 'p', Data: Buffer.from('x') }],
      }),
    );

    expect(Object.fromEntries(local.requests.byOperation)).toEqual({ PutRecords: 1 });
    expect(local.requests.total()).toBe(1);
  });

  it('is reached by a default SDK client through AWS_ENDPOINT_URL_KINESIS', async () => {
    await local.createStream('from-env');
    const saved = { ...process.env };
    Object.assign(process.env, local.env);
    try {
      const client = new KinesisClient({});
      await client.send(
        new PutRecordCommand({ StreamName: 'from-env', PartitionKey: 'p', Data: Buffer.from('env') }),
      );
      client.destroy();

      expect((await readAll(local.client, 'from-env')).map(text)).toEqual(['env']);
    } finally {
      for (const key of Object.keys(local.env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});

describe('starting and stopping', () => {
  it('listens on the port asked for; a second server there rejects with EADDRINUSE, leaving nothing running', async () => {
    const baseline = await listening();
    const first = await startLocalKinesis();
    // The front door, the HTTP/1.1 and HTTP/2 servers behind it, and kinesalite.
    expect(await listening()).toBe(baseline + 4);
    try {
      await expect(startLocalKinesis({ port: first.port })).rejects.toMatchObject({
        code: 'EADDRINUSE',
        port: first.port,
      });
      expect(await listening()).toBe(baseline + 4);
    } finally {
      await first.stop();
    }

    const again = await startLocalKinesis({ port: first.port });
    try {
      expect(again.endpoint).toBe(first.endpoint);
      await again.createStream('again');
    } finally {
      await again.stop();
    }
    expect(await listening()).toBe(baseline);
  });

  it('closes the port and every connection, also with a client still connected; stop twice is fine', async () => {
    const local = await startLocalKinesis();
    await local.createStream('open');
    const client = new KinesisClient({
      region: 'us-east-1',
      endpoint: local.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    await client.send(new DescribeStreamSummaryCommand({ StreamName: 'open' }));

    await local.stop();
    await local.stop();

    expect(await portAcceptsConnections(local.port)).toBe(false);
    await expect(client.send(new DescribeStreamSummaryCommand({ StreamName: 'open' }))).rejects.toThrow();
    client.destroy();
  });
});
