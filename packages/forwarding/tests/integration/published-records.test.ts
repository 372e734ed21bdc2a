// The published contact records (tests/fixtures/published/) through both handlers end to end:
// put on local Kinesis as Connect puts them, forwarded minimised to another local stream, and
// their recordings (staged on local S3 under the Location Connect wrote) copied to another bucket.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { type LocalKinesis, type LocalS3, startLocalKinesis, startLocalS3 } from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  forwardContactRecords,
  forwardRecordings,
  parseLocation,
  readRecordingsForwardingConfig,
} from '../../src/index.js';
import { configFor, lineSink, loadPublishedRecord, noSleep, PUBLISHED } from '../support.js';
import { lambdaEvent, putContactRecords, streamContents } from './streams.js';

const DEAD_LETTERS = 'flowguard-dead-letters';
const VENDOR = 'vendor-recordings';
const KMS_KEY = 'arn:aws:kms:us-east-1:000000000000:key/1b7d4c2e-0000-4000-8000-0000000000aa';

const records = PUBLISHED.map((name) => loadPublishedRecord(name));
/** Every S3 Location the published records name, parsed. */
const locations = records.flatMap((record) =>
  [
    (record.Recording as { Location?: string } | null)?.Location,
    ...((record.Recordings as { Location?: string }[] | null) ?? []).map((r) => r.Location),
  ].flatMap((location) => (location ? [parseLocation(location)] : [])),
);
const connectBuckets = [...new Set(locations.map((l) => l?.bucket ?? ''))];

let kinesis: LocalKinesis;
let s3: LocalS3;

beforeAll(async () => {
  [kinesis, s3] = await Promise.all([
    startLocalKinesis(),
    startLocalS3({ buckets: [DEAD_LETTERS, VENDOR, ...connectBuckets] }),
  ]);
  for (const location of locations) {
    if (!location) continue;
    await s3.client.send(
      new PutObjectCommand({ Bucket: location.bucket, Key: location.key, Body: `audio of ${location.key}` }),
    );
  }
});

afterAll(async () => {
  await Promise.all([kinesis?.stop(), s3?.stop()]);
});

describe('published contact records on local Kinesis and S3', () => {
  it('forward-contact-records forwards each, minimised, and sets none aside', async () => {
    const source = await kinesis.createStream('published-source');
    const destination = await kinesis.createStream('published-destination');
    await putContactRecords(kinesis.client, source.streamName, records);
    const event = await lambdaEvent(kinesis.client, source.streamName, source.streamArn);
    const metrics = lineSink();
    const handler = forwardContactRecords({
      config: configFor({
        version: 1,
        policies: [
          {
            name: 'voice-queue',
            match: { channels: ['VOICE', 'CHAT'] },
            fields: ['Queue.Name', 'Agent.HierarchyGroups', 'InitialContactId', 'Channel'],
            destination: { type: 'kinesis', stream: destination.streamArn },
          },
        ],
      }),
      clients: { kinesis: kinesis.client, s3: s3.client },
      logSink: () => undefined,
      metricSink: metrics.sink,
      sleep: noSleep,
    });

    expect(await handler(event)).toEqual({ batchItemFailures: [] });

    const out = await streamContents(kinesis.client, destination.streamName);
    expect(out.map((o) => o.record)).toEqual(
      records.map((record) => ({
        policy: 'voice-queue',
        ContactId: record.ContactId,
        LastUpdateTimestamp: record.LastUpdateTimestamp,
        dedupeKey: `voice-queue/${record.ContactId}/${record.LastUpdateTimestamp}`,
        Queue: { Name: (record.Queue as { Name: string }).Name },
        Agent: { HierarchyGroups: (record.Agent as { HierarchyGroups: unknown }).HierarchyGroups },
        InitialContactId: record.InitialContactId,
        Channel: record.Channel,
      })),
    );
    const letters = await s3.client.send(new ListObjectsV2Command({ Bucket: DEAD_LETTERS }));
    expect(letters.Contents ?? []).toEqual([]);
  });

  it('forward-recordings copies every recording they name, colons in the key and all', async () => {
    const stream = await kinesis.createStream('published-recordings');
    await putContactRecords(kinesis.client, stream.streamName, records);
    const event = await lambdaEvent(kinesis.client, stream.streamName, stream.streamArn);
    const metrics = lineSink();
    const handler = forwardRecordings({
      config: readRecordingsForwardingConfig({
        FLOWGUARD_FORWARD_POLICY: JSON.stringify({
          version: 1,
          policies: [
            {
              name: 'published',
              match: { channels: ['VOICE', 'CHAT'] },
              recordings: { bucket: VENDOR, prefix: 'published', kmsKeyId: KMS_KEY },
            },
          ],
        }),
        FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET: DEAD_LETTERS,
        FLOWGUARD_FORWARD_MAX_ATTEMPTS: '2',
      }),
      clients: { s3: s3.client },
      sleep: noSleep,
      metricSink: metrics.sink,
      logSink: () => undefined,
    });

    expect(await handler(event)).toEqual({ batchItemFailures: [] });

    const keys = [...new Set(locations.map((l) => l?.key ?? ''))];
    expect(keys.some((key) => key.includes(':'))).toBe(true);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: VENDOR }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(
      keys.map((k) => `published/${k}`).sort(),
    );
    for (const key of keys) {
      const got = await s3.client.send(new GetObjectCommand({ Bucket: VENDOR, Key: `published/${key}` }));
      expect(await got.Body?.transformToString()).toBe(`audio of ${key}`);
    }
    const letters = await s3.client.send(new ListObjectsV2Command({ Bucket: DEAD_LETTERS }));
    expect(letters.Contents ?? []).toEqual([]);
  });
});
