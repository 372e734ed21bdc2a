// forward-recordings end to end on real local servers: the contact-record stream on local Kinesis,
// Connect's recordings bucket and the external bucket on local S3 (s3rver, with SSE and tags kept
// by @flowguard/local's front door).
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalKinesis,
  type LocalS3,
  startLocalKinesis,
  startLocalS3,
} from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardRecordings, readRecordingsForwardingConfig } from '../../src/index.js';
import { countOperations, lineSink, loadContactRecord, noSleep, voiceRecord } from '../support.js';
import { lambdaEvent, putContactRecords } from './streams.js';

const CONNECT_BUCKET = 'amazon-connect-recordings-example';
const VENDOR = 'vendor-recordings';
const DEAD_LETTERS = 'flowguard-dead-letters';
const KMS_KEY = 'arn:aws:kms:us-east-1:000000000000:key/1b7d4c2e-0000-4000-8000-0000000000aa';

const POLICY = {
  version: 1,
  policies: [
    {
      name: 'cards-recordings',
      match: { queues: ['Cards', 'Cards Chat'] },
      recordings: { bucket: VENDOR, prefix: 'cards', kmsKeyId: KMS_KEY },
    },
  ],
};

const location = (record: Record<string, unknown>) =>
  ((record.Recordings as { Location: string }[])[0]?.Location ?? '').slice(CONNECT_BUCKET.length + 1);

let kinesis: LocalKinesis;
let s3: LocalS3;
const voice = loadContactRecord('contact-record-voice');
const transcript = loadContactRecord('contact-record-chat-transcript');
const chat = loadContactRecord('contact-record-chat');
const WAV = Buffer.from('RIFF....WAVEfmt fake audio for the test');
const TRANSCRIPT = JSON.stringify({ Version: '2019-08-26', Transcript: [{ Content: 'hello' }] });

function handler() {
  const metrics = lineSink();
  const logs = lineSink();
  // A client of its own per handler: a new instance, and its requests counted apart.
  const s3Client = new S3Client({
    region: LOCAL_REGION,
    endpoint: s3.endpoint,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
  });
  const copies = countOperations(s3Client);
  const fn = forwardRecordings({
    config: readRecordingsForwardingConfig({
      FLOWGUARD_FORWARD_POLICY: JSON.stringify(POLICY),
      FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET: DEAD_LETTERS,
      FLOWGUARD_FORWARD_MAX_ATTEMPTS: '2',
    }),
    clients: { s3: s3Client },
    sleep: noSleep,
    metricSink: metrics.sink,
    logSink: logs.sink,
  });
  return { fn, metrics, logs, copies };
}

beforeAll(async () => {
  [kinesis, s3] = await Promise.all([
    startLocalKinesis(),
    startLocalS3({ buckets: [CONNECT_BUCKET, VENDOR, DEAD_LETTERS] }),
  ]);
  await s3.client.send(
    new PutObjectCommand({
      Bucket: CONNECT_BUCKET,
      Key: location(voice),
      Body: WAV,
      ContentType: 'audio/wav',
    }),
  );
  await s3.client.send(
    new PutObjectCommand({
      Bucket: CONNECT_BUCKET,
      Key: location(transcript),
      Body: TRANSCRIPT,
      ContentType: 'application/json',
    }),
  );
});

afterAll(async () => {
  await Promise.all([kinesis?.stop(), s3?.stop()]);
});

describe('forward-recordings on local Kinesis and S3', () => {
  it('copies the recordings and transcripts of matching contacts, encrypted and tagged; leaves the others', async () => {
    const stream = await kinesis.createStream('recordings-1');
    const loans = voiceRecord({
      ContactId: 'loans-1',
      Queue: { Name: 'Loans' },
      Recording: null,
      Recordings: [
        {
          Location: `${CONNECT_BUCKET}/connect/example/CallRecordings/loans-1.wav`,
          MediaStreamType: 'AUDIO',
          StorageType: 'S3',
        },
      ],
    });
    await putContactRecords(kinesis.client, stream.streamName, [voice, chat, loans, transcript]);
    const event = await lambdaEvent(kinesis.client, stream.streamName, stream.streamArn);
    const { fn, metrics } = handler();

    expect(await fn(event)).toEqual({ batchItemFailures: [] });

    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: VENDOR }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(
      [`cards/${location(transcript)}`, `cards/${location(voice)}`].sort(),
    );
    const audioKey = `cards/${location(voice)}`;
    const copied = await s3.client.send(new GetObjectCommand({ Bucket: VENDOR, Key: audioKey }));
    expect(Buffer.from((await copied.Body?.transformToByteArray()) ?? [])).toEqual(WAV);
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: VENDOR, Key: audioKey }));
    const source = await s3.client.send(
      new HeadObjectCommand({ Bucket: CONNECT_BUCKET, Key: location(voice) }),
    );
    expect(head).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KMS_KEY,
      ContentType: 'audio/wav',
      Metadata: { 'source-etag': (source.ETag ?? '').replaceAll('"', '') },
    });
    const tags = await s3.client.send(new GetObjectTaggingCommand({ Bucket: VENDOR, Key: audioKey }));
    expect(tags.TagSet).toEqual([
      { Key: 'contactId', Value: voice.ContactId },
      { Key: 'policy', Value: 'cards-recordings' },
    ]);
    const transcriptCopy = await s3.client.send(
      new GetObjectCommand({ Bucket: VENDOR, Key: `cards/${location(transcript)}` }),
    );
    expect(await transcriptCopy.Body?.transformToString()).toBe(TRANSCRIPT);
    expect(metrics.parsed().find((l) => l.policy === 'cards-recordings')).toMatchObject({
      RecordsIn: 4,
      Filtered: 2,
      RecordingsCopied: 2,
    });
  });

  it('a redelivered batch copies nothing twice', async () => {
    const stream = await kinesis.createStream('recordings-2');
    await putContactRecords(kinesis.client, stream.streamName, [voice, transcript]);
    const event = await lambdaEvent(kinesis.client, stream.streamName, stream.streamArn);
    const first = handler();
    await first.fn(event);
    const before = await s3.client.send(new ListObjectsV2Command({ Bucket: VENDOR }));

    // Another instance (no memory of the first): the ETag kept on each copy says it is done.
    const again = handler();
    expect(await again.fn(event)).toEqual({ batchItemFailures: [] });
    expect(again.copies.get('CopyObject') ?? 0).toBe(0);
    const after = await s3.client.send(new ListObjectsV2Command({ Bucket: VENDOR }));
    expect((after.Contents ?? []).map((o) => [o.Key, o.ETag])).toEqual(
      (before.Contents ?? []).map((o) => [o.Key, o.ETag]),
    );
    expect(again.metrics.parsed().find((l) => l.policy === 'cards-recordings')).toMatchObject({
      RecordingsAlreadyCopied: 2,
    });
  });

  it('copies a recording again when the source object changed', async () => {
    const stream = await kinesis.createStream('recordings-3');
    const record = voiceRecord({
      ContactId: 'changed-1',
      Recording: null,
      Recordings: [
        {
          Location: `${CONNECT_BUCKET}/connect/example/CallRecordings/changed-1.wav`,
          MediaStreamType: 'AUDIO',
          StorageType: 'S3',
        },
      ],
    });
    const key = 'connect/example/CallRecordings/changed-1.wav';
    await s3.client.send(new PutObjectCommand({ Bucket: CONNECT_BUCKET, Key: key, Body: 'first take' }));
    await putContactRecords(kinesis.client, stream.streamName, [record]);
    const event = await lambdaEvent(kinesis.client, stream.streamName, stream.streamArn);
    await handler().fn(event);
    await s3.client.send(new PutObjectCommand({ Bucket: CONNECT_BUCKET, Key: key, Body: 'second take' }));
    const { fn, copies } = handler();
    await fn(event);
    expect(copies.get('CopyObject')).toBe(1);
    const copied = await s3.client.send(new GetObjectCommand({ Bucket: VENDOR, Key: `cards/${key}` }));
    expect(await copied.Body?.transformToString()).toBe('second take');
  });

  it('sets a record whose recording never appears aside as a dead letter, and one that does not parse', async () => {
    const stream = await kinesis.createStream('recordings-4');
    const missing = voiceRecord({
      ContactId: 'missing-1',
      Recording: null,
      Recordings: [
        {
          Location: `${CONNECT_BUCKET}/connect/example/CallRecordings/missing-1.wav`,
          MediaStreamType: 'AUDIO',
          StorageType: 'S3',
        },
      ],
    });
    await putContactRecords(kinesis.client, stream.streamName, [missing, 'not a contact record']);
    const event = await lambdaEvent(kinesis.client, stream.streamName, stream.streamArn);
    const { fn, copies } = handler();

    expect(await fn(event)).toEqual({ batchItemFailures: [] });
    expect(copies.get('HeadObject')).toBe(2);
    const letters = await s3.client.send(new ListObjectsV2Command({ Bucket: DEAD_LETTERS }));
    const bodies = await Promise.all(
      (letters.Contents ?? []).map(async ({ Key }) => {
        const got = await s3.client.send(new GetObjectCommand({ Bucket: DEAD_LETTERS, Key }));
        return JSON.parse((await got.Body?.transformToString()) ?? '{}') as Record<string, unknown>;
      }),
    );
    const mine = bodies.filter((b) =>
      event.Records.some((r) => r.kinesis.sequenceNumber === b.sequenceNumber),
    );
    expect(mine.map((b) => [b.reason, b.detail, b.policy, b.function]).sort()).toEqual([
      ['not_json', 'data', null, 'forward-recordings'],
      ['recording_not_found', 'Recordings.0.Location', 'cards-recordings', 'forward-recordings'],
    ]);
  });
});
