// forward-recordings with S3 mocked at the edge, for the paths a local server cannot stage (a
// source that changes between head and copy, access denied); the copies themselves against local
// S3 are in tests/integration/recordings.test.ts.
import {
  CopyObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  asContactRecord,
  copyTagging,
  destinationKey,
  forwardRecordings,
  parseLocation,
  type RecordingsTarget,
  readRecordingsForwardingConfig,
  recordingLocations,
} from '../../src/index.js';
import {
  DEAD_LETTER_BUCKET,
  kinesisEvent,
  lineSink,
  loadContactRecord,
  noSleep,
  sequenceNumber,
} from '../support.js';

const TARGET: RecordingsTarget = { bucket: 'vendor-recordings', prefix: 'cards', kmsKeyId: 'alias/vendor' };

describe('parseLocation', () => {
  it("reads Connect's bucket/key form and s3:// URLs", () => {
    expect(parseLocation('connect-bucket/connect/x/CallRecordings/a.wav')).toEqual({
      bucket: 'connect-bucket',
      key: 'connect/x/CallRecordings/a.wav',
    });
    expect(parseLocation('s3://connect-bucket/a b.json')).toEqual({
      bucket: 'connect-bucket',
      key: 'a b.json',
    });
  });

  it('refuses what names no bucket and key', () => {
    for (const bad of [
      '',
      'no-slash',
      'Bad_Bucket/key',
      'bucket/',
      '/key',
      'arn:aws:kinesisvideo:us-east-1:1:stream/x',
    ]) {
      expect(parseLocation(bad)).toBeUndefined();
    }
  });
});

describe('recordingLocations', () => {
  const voice = () => asContactRecord(loadContactRecord('contact-record-voice'));

  it('takes each S3 recording once, whether listed in Recordings, the legacy Recording or both', () => {
    const { locations, bad } = recordingLocations(voice(), TARGET);
    expect(locations).toEqual([
      {
        bucket: 'amazon-connect-recordings-example',
        key: 'connect/example/CallRecordings/2026/01/15/5ca32fbd-8f92-46af-92a5-6b0f970f0efe_20260115T09:08_UTC.wav',
        kind: 'AUDIO',
        field: 'Recordings.0.Location',
      },
    ]);
    expect(bad).toEqual([]);
  });

  it('takes a chat transcript', () => {
    const transcript = asContactRecord(loadContactRecord('contact-record-chat-transcript'));
    expect(recordingLocations(transcript, TARGET).locations.map((l) => l.kind)).toEqual(['CHAT']);
    expect(recordingLocations(transcript, { ...TARGET, mediaStreamTypes: ['AUDIO'] }).locations).toEqual([]);
  });

  it('leaves out deleted recordings and media not stored in S3, and names locations that do not parse', () => {
    const record = asContactRecord({
      ContactId: 'c',
      Recordings: [
        { Location: 'rec-bucket/deleted.wav', Status: 'DELETED', StorageType: 'S3' },
        { Location: 'arn:aws:kinesisvideo:us-east-1:1:stream/live', StorageType: 'KINESIS_VIDEO_STREAM' },
        { Location: 'not a location', MediaStreamType: 'AUDIO' },
        { Location: 'rec-bucket/screen.mp4', MediaStreamType: 'VIDEO', StorageType: 'S3' },
      ],
      Recording: { Location: 'rec-bucket/legacy.wav', Type: 'AUDIO', Status: 'AVAILABLE' },
    });
    const { locations, bad } = recordingLocations(record, TARGET);
    expect(locations.map((l) => l.key)).toEqual(['screen.mp4', 'legacy.wav']);
    expect(bad).toEqual(['Recordings.2.Location']);
  });
});

describe('copy details', () => {
  it('puts the copy under the policy prefix at the source key: one key per recording, whatever the delivery', () => {
    expect(destinationKey(TARGET, { bucket: 'b', key: 'connect/x/a.wav', kind: 'AUDIO', field: '' })).toBe(
      'cards/connect/x/a.wav',
    );
    expect(
      destinationKey(
        { ...TARGET, prefix: undefined },
        { bucket: 'b', key: 'a.wav', kind: undefined, field: '' },
      ),
    ).toBe('a.wav');
  });

  it('tags with the contact id and the policy, URL-encoded', () => {
    expect(copyTagging('5ca32fbd-8f92', 'cards')).toBe('contactId=5ca32fbd-8f92&policy=cards');
    expect(copyTagging('a&b=c', 'p')).toBe('contactId=a%26b%3Dc&policy=p');
  });
});

describe('forwardRecordings with S3 mocked', () => {
  const client = new S3Client({ region: 'us-east-1' });
  const s3 = mockClient(client);
  const logs = lineSink();
  const policy = {
    version: 1,
    policies: [{ name: 'cards-recordings', match: { queues: ['Cards'] }, recordings: TARGET }],
  };
  const handler = () =>
    forwardRecordings({
      config: readRecordingsForwardingConfig({
        FLOWGUARD_FORWARD_POLICY: JSON.stringify(policy),
        FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET: DEAD_LETTER_BUCKET,
        FLOWGUARD_METRICS: 'false',
      }),
      clients: { s3: client },
      sleep: noSleep,
      logSink: logs.sink,
    });
  const notFound = () =>
    new S3ServiceException({
      name: 'NotFound',
      $fault: 'client',
      $metadata: { httpStatusCode: 404 },
      message: 'Not Found',
    });
  const status = (code: number, name: string) =>
    new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: code }, message: name });
  const SOURCE = 'amazon-connect-recordings-example';

  beforeEach(() => {
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
  });

  afterEach(() => {
    s3.reset();
  });

  it('copies again when the source changed between the head and the copy', async () => {
    s3.on(HeadObjectCommand, { Bucket: SOURCE })
      .resolvesOnce({ ETag: '"one"', ContentLength: 10 })
      .resolves({ ETag: '"two"', ContentLength: 12 });
    s3.on(HeadObjectCommand, { Bucket: TARGET.bucket }).rejects(notFound());
    s3.on(CopyObjectCommand).rejectsOnce(status(412, 'PreconditionFailed')).resolves({});
    const response = await handler()(kinesisEvent([loadContactRecord('contact-record-voice')]));
    expect(response).toEqual({ batchItemFailures: [] });
    const copies = s3.commandCalls(CopyObjectCommand).map((c) => c.args[0].input);
    expect(copies.map((c) => [c.CopySourceIfMatch, c.Metadata?.['source-etag']])).toEqual([
      ['"one"', 'one'],
      ['"two"', 'two'],
    ]);
  });

  it('takes a 403 on the destination head as "not there" (no s3:ListBucket) and copies', async () => {
    s3.on(HeadObjectCommand, { Bucket: SOURCE }).resolves({
      ETag: '"e"',
      ContentLength: 10,
      ContentType: 'audio/wav',
    });
    s3.on(HeadObjectCommand, { Bucket: TARGET.bucket }).rejects(status(403, 'Forbidden'));
    s3.on(CopyObjectCommand).resolves({});
    await handler()(kinesisEvent([loadContactRecord('contact-record-voice')]));
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: TARGET.bucket,
      ContentType: 'audio/wav',
      MetadataDirective: 'REPLACE',
      TaggingDirective: 'REPLACE',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'alias/vendor',
    });
  });

  it('reports the record when a copy is refused (the destination key denied, say)', async () => {
    s3.on(HeadObjectCommand, { Bucket: SOURCE }).resolves({ ETag: '"e"', ContentLength: 10 });
    s3.on(HeadObjectCommand, { Bucket: TARGET.bucket }).rejects(notFound());
    s3.on(CopyObjectCommand).rejects(status(403, 'AccessDenied'));
    const event = kinesisEvent([
      loadContactRecord('contact-record-chat'),
      loadContactRecord('contact-record-voice'),
    ]);
    expect(await handler()(event)).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(2) }] });
    expect(logs.parsed().find((l) => l.message === 'recording not copied')).toMatchObject({
      policy: 'cards-recordings',
      errorName: 'AccessDenied',
    });
  });

  it('sets a recording too large for one CopyObject aside as a dead letter', async () => {
    s3.on(HeadObjectCommand, { Bucket: SOURCE }).resolves({ ETag: '"e"', ContentLength: 6 * 1024 ** 3 });
    const response = await handler()(kinesisEvent([loadContactRecord('contact-record-voice')]));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    const letter = JSON.parse(String(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body));
    expect(letter).toMatchObject({ reason: 'too_large', policy: 'cards-recordings' });
  });
});
