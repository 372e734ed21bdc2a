// forward-contact-records against its AWS clients mocked at the edge (aws-sdk-client-mock):
// Firehose and EventBridge have no local server; the same paths against real local Kinesis and S3
// are in tests/integration.
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fingerprintKeysOf } from '@flowguard/secure-input';
import type { KinesisStreamEvent } from 'aws-lambda';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  compilePolicies,
  DeliveryLedger,
  type ForwardContactRecordsDeps,
  forwardContactRecords,
  PolicyError,
  type PolicySource,
  validatePolicyDocument,
} from '../../src/index.js';
import {
  configFor,
  DEAD_LETTER_BUCKET,
  fingerprintSecret,
  kinesisEvent,
  lineSink,
  loadContactRecord,
  noSleep,
  redeliveryFrom,
  sequenceNumber,
  voiceRecord,
} from '../support.js';

const POLICY = {
  version: 1,
  policies: [
    {
      name: 'cards-analytics',
      match: { attributes: { businessUnit: ['cards'] } },
      fields: ['Queue.Name', 'Agent.RoutingProfile.Name', 'InitiationTimestamp', 'Channel'],
      attributes: ['businessUnit'],
      hash: ['customerId'],
      destination: { type: 'firehose', deliveryStream: 'cards-analytics' },
    },
    {
      name: 'chat-events',
      match: { channels: ['CHAT'] },
      fields: ['Channel', 'Queue.Name'],
      mask: ['customerId'],
      destination: {
        type: 'eventbridge',
        eventBus: 'analytics',
        source: 'flowguard.forwarding',
        detailType: 'ContactRecord',
      },
    },
  ],
};

const keys = fingerprintKeysOf(fingerprintSecret([3]));

interface Harness {
  readonly firehose: AwsClientStub<FirehoseClient>;
  readonly events: AwsClientStub<EventBridgeClient>;
  readonly s3: AwsClientStub<S3Client>;
  readonly logs: ReturnType<typeof lineSink>;
  readonly metrics: ReturnType<typeof lineSink>;
  handler: ReturnType<typeof forwardContactRecords>;
}

let h: Harness;

function build(overrides: Partial<ForwardContactRecordsDeps> = {}, policy: unknown = POLICY): Harness {
  const firehoseClient = new FirehoseClient({ region: 'us-east-1' });
  const eventsClient = new EventBridgeClient({ region: 'us-east-1' });
  const s3Client = new S3Client({ region: 'us-east-1' });
  const logs = lineSink();
  const metrics = lineSink();
  const harness = {
    firehose: mockClient(firehoseClient),
    events: mockClient(eventsClient),
    s3: mockClient(s3Client),
    logs,
    metrics,
    handler: forwardContactRecords({
      config: configFor(policy),
      clients: { firehose: firehoseClient, eventBridge: eventsClient, s3: s3Client },
      fingerprintKeys: { get: async () => keys },
      logSink: logs.sink,
      metricSink: metrics.sink,
      sleep: noSleep,
      random: () => 0.5,
      concurrency: 1,
      ...overrides,
    }),
  };
  harness.s3.on(PutObjectCommand).resolves({});
  return harness;
}

/** Every Firehose record and EventBridge event sent, parsed, in order. */
function sent(harness = h): Record<string, unknown>[] {
  const records = harness.firehose
    .commandCalls(PutRecordBatchCommand)
    .flatMap((call) => call.args[0].input.Records ?? [])
    .map((r) => JSON.parse(Buffer.from(r.Data ?? []).toString()) as Record<string, unknown>);
  const events = harness.events
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((e: PutEventsRequestEntry) => JSON.parse(e.Detail ?? '{}') as Record<string, unknown>);
  return [...records, ...events];
}

const succeedEvents = (harness = h) => {
  harness.events.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
  }));
};

const succeedAll = (harness = h) => {
  harness.firehose.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({
    FailedPutCount: 0,
    RequestResponses: input.Records.map((_, i) => ({ RecordId: `r${i}` })),
  }));
  succeedEvents(harness);
};

const loans = () =>
  voiceRecord({ ContactId: 'loans-0001', Attributes: { businessUnit: 'loans', dateOfBirth: '1970-01-01' } });

beforeEach(() => {
  h = build();
});

afterEach(() => {
  h.firehose.restore();
  h.events.restore();
  h.s3.restore();
});

describe('forwardContactRecords', () => {
  it('sends each record to every policy it matches, minimised; a record matching none goes nowhere', async () => {
    succeedAll();
    const voice = loadContactRecord('contact-record-voice');
    const chat = loadContactRecord('contact-record-chat');
    const transcript = loadContactRecord('contact-record-chat-transcript');
    const response = await h.handler(kinesisEvent([voice, chat, transcript, loans()]));

    expect(response).toEqual({ batchItemFailures: [] });
    const out = sent();
    expect(out.map((r) => [r.policy, r.ContactId])).toEqual([
      ['cards-analytics', voice.ContactId],
      ['cards-analytics', transcript.ContactId],
      ['chat-events', chat.ContactId],
      ['chat-events', transcript.ContactId],
    ]);
    expect(out[0]).toEqual({
      policy: 'cards-analytics',
      ContactId: voice.ContactId,
      LastUpdateTimestamp: '2026-01-15T09:15:42Z',
      dedupeKey: `cards-analytics/${voice.ContactId}/2026-01-15T09:15:42Z`,
      Queue: { Name: 'Cards' },
      Agent: { RoutingProfile: { Name: 'Cards Agents' } },
      InitiationTimestamp: '2026-01-15T09:08:52Z',
      Channel: 'VOICE',
      Attributes: { businessUnit: 'cards', customerId: expect.stringMatching(/^v3:[A-Za-z0-9_-]{43}$/) },
    });
    expect(out[2]?.Attributes).toEqual({ customerId: '*******7654' });
    expect(h.firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(1);
    expect(h.events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Time).toEqual(
      new Date('2026-01-15T10:22:05Z'),
    );
  });

  it('lets out no value a policy does not name, to any destination', async () => {
    succeedAll();
    const records = [
      loadContactRecord('contact-record-voice'),
      loadContactRecord('contact-record-chat'),
      loadContactRecord('contact-record-chat-transcript'),
      loans(),
    ];
    await h.handler(kinesisEvent(records));
    const everything = JSON.stringify([
      h.firehose.calls().map((c) => c.args[0].input),
      h.events.calls().map((c) => c.args[0].input),
    ]).replaceAll(/"Data":\{[^}]*\}/g, '');
    const bytes = h.firehose
      .commandCalls(PutRecordBatchCommand)
      .flatMap((c) => c.args[0].input.Records ?? [])
      .map((r) => Buffer.from(r.Data ?? []).toString())
      .join('');
    for (const secret of [
      '1980-02-29',
      '1975-06-01',
      '1990-12-31',
      '1970-01-01',
      '+14155550123',
      '+18005550100',
      '203.0.113.7',
      '12345678901234',
      'C-000123456',
      'jdoe',
      'Retail Banking',
      'dateOfBirth',
      'CustomerEndpoint',
    ]) {
      expect(everything).not.toContain(secret);
      expect(bytes).not.toContain(secret);
    }
  });

  it('counts records in, forwarded and filtered per policy in EMF, with no contact data in dimensions', async () => {
    succeedAll();
    await h.handler(
      kinesisEvent([
        loadContactRecord('contact-record-voice'),
        loadContactRecord('contact-record-chat'),
        loans(),
      ]),
    );
    const lines = h.metrics.parsed();
    const cards = lines.find((l) => l.policy === 'cards-analytics');
    const chat = lines.find((l) => l.policy === 'chat-events');
    expect(cards).toMatchObject({
      function: 'forward-contact-records',
      RecordsIn: 3,
      Forwarded: 1,
      Filtered: 2,
    });
    expect(chat).toMatchObject({ RecordsIn: 3, Forwarded: 1, Filtered: 2 });
    expect(lines.find((l) => l.policy === undefined)).toMatchObject({ RecordsIn: 3 });
    const dimensions = lines.flatMap((l) => {
      const directive = (l._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0];
      return (directive?.Dimensions[0] ?? []).map((d) => l[d]);
    });
    expect(new Set(dimensions)).toEqual(
      new Set(['forward-contact-records', 'cards-analytics', 'chat-events']),
    );
  });

  it('logs counts and policy names, never attribute values or addresses', async () => {
    succeedAll();
    await h.handler(kinesisEvent([loadContactRecord('contact-record-voice'), 'not json']));
    const text = h.logs.lines.join('\n');
    expect(text).toContain('cards-analytics');
    for (const secret of ['C-000123456', '+14155550123', '1980-02-29', 'cards"', '12345678901234']) {
      expect(text).not.toContain(secret);
    }
  });

  it('sets a record that does not parse aside as a dead letter with the reason and the raw data', async () => {
    succeedAll();
    const event = kinesisEvent([
      loadContactRecord('contact-record-voice'),
      '{"ContactId": 42}',
      'not json at all',
    ]);
    const response = await h.handler(event);

    expect(response).toEqual({ batchItemFailures: [] });
    const letters = h.s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(letters.map((l) => [l.Bucket, l.Key])).toEqual([
      [DEAD_LETTER_BUCKET, `dead-letter/2026/01/15/shardId-000000000000/${sequenceNumber(2)}.json`],
      [DEAD_LETTER_BUCKET, `dead-letter/2026/01/15/shardId-000000000000/${sequenceNumber(3)}.json`],
    ]);
    const body = JSON.parse(String(letters[0]?.Body));
    expect(body).toMatchObject({
      reason: 'not_a_contact_record',
      detail: 'ContactId: missing',
      policy: null,
      function: 'forward-contact-records',
      sequenceNumber: sequenceNumber(2),
      data: event.Records[1]?.kinesis.data,
    });
    expect(JSON.parse(String(letters[1]?.Body)).reason).toBe('not_json');
    expect(sent()).toHaveLength(1);
    expect(h.metrics.parsed().find((l) => l.policy === undefined)).toMatchObject({ DeadLettered: 2 });
  });

  it('reports a bad record whose dead letter cannot be written, and begins nothing after it', async () => {
    succeedAll();
    h.s3.on(PutObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const voice = loadContactRecord('contact-record-voice');
    const transcript = loadContactRecord('contact-record-chat-transcript');
    const response = await h.handler(kinesisEvent([voice, 'garbage', transcript]));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(2) }] });
    // The Firehose chunk began at the first record and carried the third; the EventBridge chunk
    // begins at the third, after the reported record, and is not begun.
    expect(sent().map((r) => `${r.policy} ${r.ContactId}`)).toEqual([
      `cards-analytics ${voice.ContactId}`,
      `cards-analytics ${transcript.ContactId}`,
    ]);
    expect(h.events.calls()).toHaveLength(0);
  });

  it('sets aside a record too large for its destination and forwards the rest', async () => {
    succeedAll();
    const huge = voiceRecord({
      ContactId: 'huge-0001',
      Attributes: { businessUnit: 'cards', customerId: 'C-1', padding: 'x' },
      Queue: { Name: 'x'.repeat(1_100_000) },
    });
    const response = await h.handler(kinesisEvent([huge, loadContactRecord('contact-record-voice')]));
    expect(response).toEqual({ batchItemFailures: [] });
    const [letter] = h.s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(letter?.Key).toBe(
      `dead-letter/2026/01/15/shardId-000000000000/${sequenceNumber(1)}-cards-analytics.json`,
    );
    expect(JSON.parse(String(letter?.Body))).toMatchObject({
      reason: 'too_large',
      policy: 'cards-analytics',
    });
    expect(JSON.parse(String(letter?.Body)).detail).toMatch(/^firehose: \d+ bytes, at most 1024000$/);
    expect(sent().map((r) => r.ContactId)).toEqual(['5ca32fbd-8f92-46af-92a5-6b0f970f0efe']);
  });

  it('sets aside an entry a destination refuses for what it is, without retrying it', async () => {
    succeedAll();
    h.events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'bad' }],
    });
    const response = await h.handler(kinesisEvent([loadContactRecord('contact-record-chat')]));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.events.commandCalls(PutEventsCommand)).toHaveLength(1);
    const body = JSON.parse(String(h.s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body));
    expect(body).toMatchObject({
      reason: 'rejected',
      detail: 'eventbridge: MalformedDetail',
      policy: 'chat-events',
    });
  });

  it('fails the invocation when there is no usable policy, so the whole batch comes again', async () => {
    const failing: PolicySource = {
      get: async () => {
        throw new PolicyError('parameter /fg/policy', [
          { path: '/policies/0/name', message: 'must match pattern' },
        ]);
      },
    };
    const harness = build({ policySource: failing });
    await expect(harness.handler(kinesisEvent([loadContactRecord('contact-record-voice')]))).rejects.toThrow(
      PolicyError,
    );
    expect(harness.logs.parsed().at(-1)).toMatchObject({ level: 'ERROR', errorCode: 'bad_policy' });
    expect(harness.firehose.calls()).toHaveLength(0);
  });

  it('answers an empty batch with no failures', async () => {
    expect(await h.handler({ Records: [] })).toEqual({ batchItemFailures: [] });
  });
});

describe('partial failures and the Kinesis checkpoint', () => {
  const batch = () =>
    kinesisEvent(
      Array.from({ length: 6 }, (_, i) =>
        voiceRecord({
          ContactId: `contact-${i}`,
          Channel: i % 2 === 0 ? 'VOICE' : 'CHAT',
          Attributes: { businessUnit: 'cards', customerId: `C-${i}` },
        }),
      ),
    );

  /** Firehose refuses, on every try, the record of the contacts named. */
  const throttleFirehose = (harness: Harness, contacts: readonly string[]) => {
    harness.firehose.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => {
      const responses = input.Records.map((r, i) => {
        const contact = (JSON.parse(Buffer.from(r.Data).toString()) as { ContactId: string }).ContactId;
        return contacts.includes(contact)
          ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }
          : { RecordId: `r${i}` };
      });
      return {
        FailedPutCount: responses.filter((r) => 'ErrorCode' in r).length,
        RequestResponses: responses,
      };
    });
  };

  it('a throttled destination: retries the refused records, then reports the first one still refused', async () => {
    const harness = build({}, { version: 1, policies: [POLICY.policies[0]] });
    throttleFirehose(harness, ['contact-2']);
    const event = batch();
    const response = await harness.handler(event);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(3) }] });
    const calls = harness.firehose
      .commandCalls(PutRecordBatchCommand)
      .map((c) => c.args[0].input.Records?.length);
    // One call with all six, then the refused one alone, up to four tries.
    expect(calls).toEqual([6, 1, 1, 1]);
    expect(harness.metrics.parsed().find((l) => l.policy === 'cards-analytics')).toMatchObject({
      Forwarded: 5,
      Failed: 1,
    });
    expect(harness.metrics.parsed().find((l) => l.policy === undefined)).toMatchObject({
      BatchItemFailures: 1,
      Deferred: 4,
    });
  });

  it('a redelivered batch: each record reaches the destination exactly once overall', async () => {
    const harness = build({}, { version: 1, policies: [POLICY.policies[0]] });
    throttleFirehose(harness, ['contact-2']);
    const event = batch();
    const first = await harness.handler(event);
    const restart = first.batchItemFailures[0]?.itemIdentifier as string;

    harness.firehose.reset();
    succeedAll(harness);
    const second = await harness.handler(redeliveryFrom(event, restart));

    expect(second).toEqual({ batchItemFailures: [] });
    const everything = [
      ...harness.firehose.commandCalls(PutRecordBatchCommand).flatMap((c) => c.args[0].input.Records ?? []),
    ];
    // The first invocation's deliveries were checked above; here, only what went again.
    expect(everything.map((r) => JSON.parse(Buffer.from(r.Data ?? []).toString()).ContactId)).toEqual([
      'contact-2',
    ]);
    expect(harness.metrics.parsed().at(-1)).toMatchObject({
      policy: 'cards-analytics',
      AlreadyForwarded: 3,
      Forwarded: 1,
    });
  });

  it('sends nothing that starts after the reported record', async () => {
    // Two policies: chat events wait behind the Firehose chunk that fails at contact-2.
    const harness = build();
    throttleFirehose(harness, ['contact-0']);
    succeedEvents(harness);
    const response = await harness.handler(batch());
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(1) }] });
    // The EventBridge chunk starts at contact-1, after the reported record: it is never begun.
    expect(harness.events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('a whole request throttled: the chunk’s first record is reported and nothing is lost', async () => {
    const harness = build({}, { version: 1, policies: [POLICY.policies[0]] });
    harness.firehose.on(PutRecordBatchCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $retryable: { throttling: true },
      }),
    );
    const response = await harness.handler(batch());
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(1) }] });
    expect(harness.firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(1);
    const warn = harness.logs.parsed().find((l) => l.message === 'destination refused entries');
    expect(warn).toMatchObject({
      policy: 'cards-analytics',
      destination: 'firehose',
      errorCodes: ['ThrottlingException'],
    });
  });

  it('remembers what went out after the reported record, so a redelivery does not send it again', async () => {
    // Policy B (EventBridge) delivers contact-3 while policy A (Firehose) fails at contact-2.
    const ledger = new DeliveryLedger();
    const harness = build({ ledger, concurrency: 2 });
    throttleFirehose(harness, ['contact-2']);
    succeedEvents(harness);
    const event = batch();
    const first = await harness.handler(event);
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(3) }] });
    const firstEvents = harness.events
      .commandCalls(PutEventsCommand)
      .flatMap((c) => c.args[0].input.Entries ?? []);
    expect(firstEvents.map((e) => JSON.parse(e.Detail ?? '{}').ContactId)).toEqual([
      'contact-1',
      'contact-3',
      'contact-5',
    ]);
    // Firehose delivered contacts 0, 1, 3, 4, 5 (its one chunk), EventBridge 1, 3 and 5.
    expect(ledger.size).toBe(8);

    harness.firehose.reset();
    harness.events.reset();
    succeedAll(harness);
    await harness.handler(redeliveryFrom(event, sequenceNumber(3)));
    const again = sent(harness).map((r) => `${r.policy} ${r.ContactId}`);
    expect(again).toEqual(['cards-analytics contact-2']);
  });

  it('stops starting work when the Lambda is about to time out, and reports where it stopped', async () => {
    let now = 1_000_000;
    const harness = build({ clock: () => now }, { version: 1, policies: [POLICY.policies[1]] });
    harness.events.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => {
      now += 50_000;
      return { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })) };
    });
    const many = kinesisEvent(
      Array.from({ length: 25 }, (_, i) => voiceRecord({ ContactId: `chat-${i}`, Channel: 'CHAT' })),
    );
    const response = await harness.handler(many, { getRemainingTimeInMillis: () => 60_000 });
    // 60 s left, 5 s kept in reserve: a call may start up to 55 s in. Each call takes 50 s here,
    // so the second starts at 50 s and the third, at 100 s, does not: records 21 to 25 come again.
    expect(harness.events.commandCalls(PutEventsCommand)).toHaveLength(2);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(21) }] });
  });

  it('takes the ledger key from the stream and sequence number: another stream’s record is not skipped', () => {
    const a = DeliveryLedger.key('p', 'arn:a', sequenceNumber(1));
    const b = DeliveryLedger.key('p', 'arn:b', sequenceNumber(1));
    expect(a).not.toBe(b);
  });
});

describe('the event shape', () => {
  it('takes a record with no data as one that does not parse', async () => {
    succeedAll();
    const event = kinesisEvent([loadContactRecord('contact-record-voice')]) as KinesisStreamEvent;
    const record = event.Records[0];
    if (record) (record.kinesis as { data?: string }).data = undefined;
    expect(await h.handler(event)).toEqual({ batchItemFailures: [] });
    expect(JSON.parse(String(h.s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body)).reason).toBe(
      'bad_base64',
    );
  });
});

describe('a Firehose stream named by ARN', () => {
  const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:flowguard-forward-contact-records';
  const policyTo = (deliveryStream: string) => ({
    version: 1,
    policies: [
      {
        name: 'cards-analytics',
        match: { attributes: { businessUnit: ['cards'] } },
        fields: ['Channel'],
        destination: { type: 'firehose', deliveryStream },
      },
    ],
  });

  /** Every Firehose client, the function's own and the ones it makes, mocked at the class. */
  function handlerTo(deliveryStream: string, overrides: Partial<ForwardContactRecordsDeps> = {}) {
    const firehose = mockClient(FirehoseClient);
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedPutCount: 0,
      RequestResponses: input.Records.map((_, i) => ({ RecordId: `r${i}` })),
    }));
    const logs = lineSink();
    const handler = forwardContactRecords({
      config: configFor(policyTo(deliveryStream)),
      clients: {
        firehose: new FirehoseClient({ region: 'us-east-1' }),
        s3: new S3Client({ region: 'us-east-1' }),
      },
      logSink: logs.sink,
      metricSink: lineSink().sink,
      sleep: noSleep,
      ...overrides,
    });
    return { firehose, handler, logs };
  }

  const regionsOf = (firehose: AwsClientStub<FirehoseClient>) =>
    Promise.all(
      firehose
        .commandCalls(PutRecordBatchCommand)
        .map((c) => (c.thisValue as FirehoseClient).config.region()),
    );

  it('is written in the ARN’s region, by its name, from a client made for that region', async () => {
    const { firehose, handler } = handlerTo('arn:aws:firehose:eu-west-1:123456789012:deliverystream/cards');
    const context = { invokedFunctionArn: FUNCTION_ARN };
    expect(await handler(kinesisEvent([loadContactRecord('contact-record-voice')]), context)).toEqual({
      batchItemFailures: [],
    });
    await handler(kinesisEvent([voiceRecord({ ContactId: 'contact-2' })], 2), context);
    const calls = firehose.commandCalls(PutRecordBatchCommand);
    expect(calls.map((c) => c.args[0].input.DeliveryStreamName)).toEqual(['cards', 'cards']);
    expect(await regionsOf(firehose)).toEqual(['eu-west-1', 'eu-west-1']);
    expect(calls[0]?.thisValue).toBe(calls[1]?.thisValue); // one client for the region, kept
    firehose.restore();
  });

  it('of the function’s own region uses the function’s client', async () => {
    const { firehose, handler } = handlerTo('arn:aws:firehose:us-east-1:123456789012:deliverystream/cards');
    await handler(kinesisEvent([loadContactRecord('contact-record-voice')]), {
      invokedFunctionArn: FUNCTION_ARN,
    });
    expect(await regionsOf(firehose)).toEqual(['us-east-1']);
    firehose.restore();
  });

  it('of another account is refused as an invalid policy, naming its JSON path: nothing is sent, the batch comes again', async () => {
    const { firehose, handler, logs } = handlerTo(
      'arn:aws:firehose:us-east-1:111122223333:deliverystream/cards',
    );
    const event = kinesisEvent([loadContactRecord('contact-record-voice')]);
    const refused = handler(event, { invokedFunctionArn: FUNCTION_ARN });
    await expect(refused).rejects.toBeInstanceOf(PolicyError);
    await expect(refused).rejects.toThrow(
      "FLOWGUARD_FORWARD_POLICY: invalid policy: /policies/0/destination/deliveryStream: names a stream of another account than this function's",
    );
    // Every invocation, not only the first.
    await expect(handler(event, { invokedFunctionArn: FUNCTION_ARN })).rejects.toBeInstanceOf(PolicyError);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
    const line = logs.parsed().find((l) => l.message === 'no usable policy: the batch comes again');
    expect(line).toBeDefined();
    expect(JSON.stringify(line)).not.toContain('111122223333');
    firehose.restore();
  });

  it('of another account is refused from a policy read at run time too; deps.account stands in for the context', async () => {
    const document = policyTo('arn:aws:firehose:us-east-1:111122223333:deliverystream/cards');
    const { firehose, handler } = handlerTo('cards', {
      account: '123456789012',
      policySource: {
        get: async () => compilePolicies(validatePolicyDocument(document)),
      },
    });
    await expect(handler(kinesisEvent([loadContactRecord('contact-record-voice')]))).rejects.toThrow(
      '/policies/0/destination/deliveryStream: names a stream of another account',
    );
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
    firehose.restore();
  });
});
