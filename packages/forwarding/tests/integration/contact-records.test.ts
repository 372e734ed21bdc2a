// forward-contact-records end to end on real local servers: contact records put on a local Kinesis
// stream (kinesalite) as Connect puts them, read back as Lambda's event, forwarded to another local
// Kinesis stream and to local S3 (s3rver), dead letters in local S3.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { fingerprintKeysOf } from '@flowguard/secure-input';
import { type LocalKinesis, type LocalS3, startLocalKinesis, startLocalS3 } from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ForwardContactRecordsDeps, forwardContactRecords } from '../../src/index.js';
import {
  configFor,
  fingerprintSecret,
  lineSink,
  loadContactRecord,
  noSleep,
  voiceRecord,
} from '../support.js';
import { lambdaEvent, putContactRecords, streamContents, throttleRecords } from './streams.js';

const DEAD_LETTERS = 'flowguard-dead-letters';
const VENDOR = 'vendor-drop';

let kinesis: LocalKinesis;
let s3: LocalS3;
let streams = 0;

async function objects(client: S3Client, bucket: string): Promise<Map<string, string>> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  const out = new Map<string, string>();
  for (const { Key } of listed.Contents ?? []) {
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
    out.set(Key ?? '', (await got.Body?.transformToString()) ?? '');
  }
  return out;
}

/** A fresh source stream and destination stream per test: tests share the servers. */
async function newStreams() {
  streams += 1;
  const source = await kinesis.createStream(`contact-records-${streams}`);
  const destination = await kinesis.createStream(`cards-analytics-${streams}`);
  return { source, destination };
}

function policyFor(destinationArn: string, prefix: string) {
  return {
    version: 1,
    policies: [
      {
        name: 'cards-analytics',
        match: { attributes: { businessUnit: ['cards'] } },
        fields: ['Queue.Name', 'Agent.RoutingProfile.Name', 'InitiationTimestamp', 'Channel'],
        attributes: ['businessUnit'],
        hash: ['customerId'],
        destination: { type: 'kinesis', stream: destinationArn },
      },
      {
        name: 'cards-agents',
        match: { routingProfiles: ['Cards Agents'] },
        fields: ['InitiationTimestamp', 'DisconnectTimestamp', 'Agent.HierarchyGroups.Level2.GroupName'],
        destination: { type: 's3', bucket: VENDOR, prefix, kmsKeyId: 'alias/vendor-drop' },
      },
    ],
  };
}

function handlerFor(policy: unknown, overrides: Partial<ForwardContactRecordsDeps> = {}) {
  const metrics = lineSink();
  const handler = forwardContactRecords({
    config: configFor(policy),
    clients: { kinesis: kinesis.client, s3: s3.client },
    fingerprintKeys: { get: async () => fingerprintKeysOf(fingerprintSecret([1])) },
    logSink: () => undefined,
    metricSink: metrics.sink,
    sleep: noSleep,
    ...overrides,
  });
  return { handler, metrics };
}

beforeAll(async () => {
  [kinesis, s3] = await Promise.all([startLocalKinesis(), startLocalS3({ buckets: [DEAD_LETTERS, VENDOR] })]);
});

afterAll(async () => {
  await Promise.all([kinesis?.stop(), s3?.stop()]);
});

describe('forward-contact-records on local Kinesis and S3', () => {
  it('forwards the documented record shape, minimised, and sets a bad record aside', async () => {
    const { source, destination } = await newStreams();
    const voice = loadContactRecord('contact-record-voice');
    const chat = loadContactRecord('contact-record-chat');
    const transcript = loadContactRecord('contact-record-chat-transcript');
    await putContactRecords(kinesis.client, source.streamName, [
      voice,
      chat,
      '{"Channel": "VOICE"}',
      transcript,
    ]);
    const event = await lambdaEvent(kinesis.client, source.streamName, source.streamArn);
    const { handler } = handlerFor(policyFor(destination.streamArn, 'run-1'));

    expect(await handler(event)).toEqual({ batchItemFailures: [] });

    const out = await streamContents(kinesis.client, destination.streamName);
    expect(out.map((o) => [o.partitionKey, o.record.ContactId, o.record.policy])).toEqual([
      [voice.ContactId, voice.ContactId, 'cards-analytics'],
      [transcript.ContactId, transcript.ContactId, 'cards-analytics'],
    ]);
    expect(out[0]?.record).toEqual({
      policy: 'cards-analytics',
      ContactId: voice.ContactId,
      LastUpdateTimestamp: '2026-01-15T09:15:42Z',
      dedupeKey: `cards-analytics/${voice.ContactId}/2026-01-15T09:15:42Z`,
      Queue: { Name: 'Cards' },
      Agent: { RoutingProfile: { Name: 'Cards Agents' } },
      InitiationTimestamp: '2026-01-15T09:08:52Z',
      Channel: 'VOICE',
      Attributes: { businessUnit: 'cards', customerId: expect.stringMatching(/^v1:/) },
    });

    const drop = await objects(s3.client, VENDOR);
    const shard = event.Records[0]?.eventID.split(':')[0];
    const [key, body] = [...drop].find(([k]) => k.startsWith('run-1/')) ?? [];
    const first = event.Records[0]?.kinesis.sequenceNumber;
    expect(key).toMatch(new RegExp(`^run-1/\\d{4}/\\d{2}/\\d{2}/${shard}-${first}-${first}\\.jsonl$`));
    expect(
      body
        ?.trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      {
        policy: 'cards-agents',
        ContactId: voice.ContactId,
        LastUpdateTimestamp: '2026-01-15T09:15:42Z',
        dedupeKey: `cards-agents/${voice.ContactId}/2026-01-15T09:15:42Z`,
        InitiationTimestamp: '2026-01-15T09:08:52Z',
        DisconnectTimestamp: '2026-01-15T09:09:51Z',
        Agent: { HierarchyGroups: { Level2: { GroupName: 'Cards' } } },
      },
    ]);

    const letters = await objects(s3.client, DEAD_LETTERS);
    const bad = event.Records[2];
    const letter = [...letters].find(([k]) => k.endsWith(`/${bad?.kinesis.sequenceNumber}.json`));
    expect(letter?.[0]).toMatch(/^dead-letter\/\d{4}\/\d{2}\/\d{2}\/shardId-000000000000\//);
    expect(JSON.parse(letter?.[1] ?? '{}')).toMatchObject({
      reason: 'not_a_contact_record',
      detail: 'ContactId: missing',
      data: bad?.kinesis.data,
    });

    // Nothing a policy does not name reached a destination.
    const received = JSON.stringify([out, [...drop].filter(([k]) => k.startsWith('run-1/'))]);
    for (const secret of [
      '1980-02-29',
      '1975-06-01',
      '+14155550123',
      '12345678901234',
      'C-000123456',
      'dateOfBirth',
      'jdoe',
    ]) {
      expect(received).not.toContain(secret);
    }
  });

  it('a redelivered batch: nothing reaches a destination twice', async () => {
    const { source, destination } = await newStreams();
    const records = Array.from({ length: 5 }, (_, i) =>
      voiceRecord({ ContactId: `again-${i}`, Attributes: { businessUnit: 'cards', customerId: `C-${i}` } }),
    );
    await putContactRecords(kinesis.client, source.streamName, records);
    const event = await lambdaEvent(kinesis.client, source.streamName, source.streamArn);
    const { handler, metrics } = handlerFor(policyFor(destination.streamArn, 'run-2'));

    await handler(event);
    const dropBefore = [...(await objects(s3.client, VENDOR))].filter(([k]) => k.startsWith('run-2/'));
    expect(await handler(event)).toEqual({ batchItemFailures: [] });

    const out = await streamContents(kinesis.client, destination.streamName);
    expect(out.map((o) => o.record.ContactId)).toEqual(records.map((r) => r.ContactId));
    const dropAfter = [...(await objects(s3.client, VENDOR))].filter(([k]) => k.startsWith('run-2/'));
    expect(dropAfter).toEqual(dropBefore);
    expect(dropAfter).toHaveLength(1);
    expect(metrics.parsed().at(-2)).toMatchObject({ policy: 'cards-analytics', AlreadyForwarded: 5 });
  });

  it('a redelivered batch on a new instance overwrites the S3 object instead of adding one', async () => {
    const { source, destination } = await newStreams();
    await putContactRecords(kinesis.client, source.streamName, [voiceRecord({ ContactId: 'cold-1' })]);
    const event = await lambdaEvent(kinesis.client, source.streamName, source.streamArn);
    const policy = policyFor(destination.streamArn, 'run-3');
    await handlerFor(policy).handler(event);
    await handlerFor(policy).handler(event);
    const drop = [...(await objects(s3.client, VENDOR))].filter(([k]) => k.startsWith('run-3/'));
    expect(drop).toHaveLength(1);
    expect(drop[0]?.[1].trim().split('\n')).toHaveLength(1);
  });

  it('a throttled destination: reports the first record still refused; the redelivery sends each record exactly once', async () => {
    const { source, destination } = await newStreams();
    const records = Array.from({ length: 8 }, (_, i) =>
      voiceRecord({ ContactId: `slow-${i}`, Attributes: { businessUnit: 'cards', customerId: `C-${i}` } }),
    );
    await putContactRecords(kinesis.client, source.streamName, records);
    const event = await lambdaEvent(kinesis.client, source.streamName, source.streamArn);
    const policy = { version: 1, policies: [policyFor(destination.streamArn, 'run-4').policies[0]] };

    // The shard refuses slow-3 on every try in the first invocation.
    let throttling = true;
    const throttle = throttleRecords(
      kinesis.client,
      (data) => throttling && Buffer.from(data).toString().includes('"slow-3"'),
    );
    const { handler } = handlerFor(policy);
    const first = await handler(event);
    expect(first).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[3]?.kinesis.sequenceNumber }],
    });
    expect(throttle.calls).toBe(4);

    // Lambda delivers again from slow-3; the shard has room now.
    throttling = false;
    const restart = event.Records.findIndex(
      (r) => r.kinesis.sequenceNumber === first.batchItemFailures[0]?.itemIdentifier,
    );
    expect(await handler({ Records: event.Records.slice(restart) })).toEqual({ batchItemFailures: [] });

    const out = await streamContents(kinesis.client, destination.streamName);
    const ids = out.map((o) => o.record.ContactId);
    expect([...ids].sort()).toEqual(records.map((r) => r.ContactId).sort());
    expect(new Set(ids).size).toBe(ids.length);
  });
});
