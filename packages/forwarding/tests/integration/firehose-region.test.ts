// Where a Firehose request really goes: forward-contact-records' own clients (none given) against a
// local HTTP server standing in for Firehose through AWS_ENDPOINT_URL_FIREHOSE, which every client
// the function makes reads, the per-region ones included. The region a request was signed for
// (its SigV4 credential scope) is the region it was sent to.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { forwardContactRecords } from '../../src/index.js';
import { configFor, kinesisEvent, lineSink, loadContactRecord, noSleep } from '../support.js';

interface Received {
  readonly target: string;
  readonly region: string | undefined;
  readonly body: { DeliveryStreamName?: string; Records?: unknown[] };
}

let server: Server;
let endpoint: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'];
      received.push({
        target: String(request.headers['x-amz-target']),
        region: /Credential=[^/]+\/\d{8}\/([^/]+)\/firehose\//.exec(
          String(request.headers.authorization),
        )?.[1],
        body,
      });
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          FailedPutCount: 0,
          Encrypted: false,
          RequestResponses: (body.Records ?? []).map((_, i) => ({ RecordId: `r${i}` })),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterEach(() => {
  vi.unstubAllEnvs();
  received.length = 0;
});

function handlerTo(deliveryStream: string) {
  vi.stubEnv('AWS_ENDPOINT_URL_FIREHOSE', endpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDLOCAL');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  return forwardContactRecords({
    config: configFor({
      version: 1,
      policies: [
        {
          name: 'cards-analytics',
          match: { attributes: { businessUnit: ['cards'] } },
          fields: ['Channel'],
          destination: { type: 'firehose', deliveryStream },
        },
      ],
    }),
    logSink: lineSink().sink,
    metricSink: lineSink().sink,
    sleep: noSleep,
  });
}

const CONTEXT = {
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:flowguard-forward-contact-records',
};

describe('forward-contact-records to Firehose, over HTTP', () => {
  it('signs for and sends to the region of a stream named by ARN, by its name', async () => {
    const handler = handlerTo('arn:aws:firehose:eu-west-1:123456789012:deliverystream/cards');
    const response = await handler(kinesisEvent([loadContactRecord('contact-record-voice')]), CONTEXT);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(
      received.map((r) => [r.target, r.region, r.body.DeliveryStreamName, r.body.Records?.length]),
    ).toEqual([['Firehose_20150804.PutRecordBatch', 'eu-west-1', 'cards', 1]]);
  });

  it('sends a stream named by name to the function’s own region', async () => {
    const handler = handlerTo('cards');
    await handler(kinesisEvent([loadContactRecord('contact-record-voice')]), CONTEXT);
    expect(received.map((r) => [r.region, r.body.DeliveryStreamName])).toEqual([['us-east-1', 'cards']]);
  });

  it('sends nothing for a stream of another account', async () => {
    const handler = handlerTo('arn:aws:firehose:eu-west-1:111122223333:deliverystream/cards');
    await expect(handler(kinesisEvent([loadContactRecord('contact-record-voice')]), CONTEXT)).rejects.toThrow(
      '/policies/0/destination/deliveryStream: names a stream of another account',
    );
    expect(received).toEqual([]);
  });
});
