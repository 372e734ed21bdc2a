// Bodies, headers and addresses fuzzed with fast-check through the deployable handler (dynalite
// store, mocked Connect): never a 500, never a throw, and nothing the client sent comes back in the
// answer or goes into a log line.
import {
  ConnectClient,
  StartChatContactCommand,
  StartTaskContactCommand,
  StartWebRTCContactCommand,
} from '@aws-sdk/client-connect';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalDynamoDB, startLocalDynamoDB } from '@flowguard/testing';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpLambdaHandler } from '../../src/handler.js';
import { startContactFromEnv } from '../../src/setup.js';
import { fakeSecrets, SIGNING_KEY_BASE64 } from '../support/secrets.js';

const ORIGIN = 'https://www.example.com';
const RUNS = 150;
const STATUSES = new Set([200, 204, 400, 401, 403, 405, 413, 415, 429, 502, 503]);
const ERRORS = new Set([
  'bad_request',
  'unauthorized',
  'forbidden',
  'method_not_allowed',
  'too_large',
  'unsupported_media_type',
  'throttled',
  'unavailable',
]);
const FIELD =
  /^(\/(kind|flow|displayName|attributes|initialMessage|contentType|content|name|description|orderId))*$/;
/** What an answer or a log line may say whatever the input: an input string inside one of these is not an echo. */
const VOCABULARY = [
  ...ERRORS,
  'ContactId',
  'ParticipantId',
  'ParticipantToken',
  'ConnectionData',
  'contact-',
  'participant-',
  'pt-fixed',
  'retryAfterSeconds',
  'field',
  '/attributes/orderId',
  '/initialMessage/contentType',
  '/displayName',
  '/description',
  'start-contact',
  'invocation',
  'payloadVersion',
  'latencyMs',
  'outcome',
  'status',
  'decision',
  'reason',
  'rate_limited',
  'support',
  'webrtc',
  'orderId',
  'ALLOW',
  'THROTTLE',
  'BLOCK',
  'Bearer error="invalid_token"',
].join(' ');

let local: LocalDynamoDB;
let handler: HttpLambdaHandler;
let logs: string[] = [];

beforeAll(async () => {
  local = await startLocalDynamoDB({ tableName: 'flowguard-edge-fuzz' });
  const client = new ConnectClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const connect = mockClient(client);
  let n = 0;
  const reply = () => {
    n += 1;
    return { ContactId: `contact-${n}`, ParticipantId: `participant-${n}`, ParticipantToken: 'pt-fixed' };
  };
  connect.on(StartChatContactCommand).callsFake(reply);
  connect.on(StartWebRTCContactCommand).callsFake(reply);
  connect.on(StartTaskContactCommand).callsFake(reply);
  handler = startContactFromEnv({
    env: {
      FLOWGUARD_TABLE_NAME: local.tableName,
      FLOWGUARD_CONNECT_INSTANCE_ID: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
      FLOWGUARD_EDGE_FLOWS: 'support=11111111-2222-4333-8444-555555555555',
      FLOWGUARD_EDGE_ALLOWED_ORIGINS: ORIGIN,
      FLOWGUARD_EDGE_ATTRIBUTES: 'orderId',
      FLOWGUARD_EDGE_SIGNING_SECRET_ID: 'edge/signing',
      FLOWGUARD_LOG_LEVEL: 'debug',
    },
    dynamo: local.client,
    connect: client,
    secrets: fakeSecrets({ 'edge/signing': SIGNING_KEY_BASE64 }),
    logSink: (line) => logs.push(line),
    metricSink: () => {},
  });
});

afterAll(async () => {
  await local.stop();
});

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constant(''),
);
/** Names that pass the schema's own patterns but no allow-list: only the allow-list check refuses them. */
const plausibleName = fc.stringMatching(/^[A-Za-z0-9_-]{6,20}$/);
const fields = {
  kind: fc.oneof(fc.constantFrom('chat', 'webrtc', 'task'), text),
  flow: fc.oneof(fc.constant('support'), text, plausibleName),
  displayName: fc.oneof(text, fc.constant('Ada')),
  attributes: fc.dictionary(
    fc.oneof(fc.constant('orderId'), text, plausibleName),
    fc.oneof(text, fc.integer()),
    {
      maxKeys: 3,
    },
  ),
  initialMessage: fc.record(
    { contentType: fc.oneof(fc.constant('text/plain'), text), content: text },
    { requiredKeys: [] },
  ),
  name: text,
  description: text,
  extra: fc.anything({ maxDepth: 2 }),
};
const body = fc.record(fields, { requiredKeys: [] });
/** One field changed: the change, not an earlier field, decides the answer. */
const oneField = fc.oneof(
  ...Object.entries(fields).map(([key, arbitrary]) =>
    (arbitrary as fc.Arbitrary<unknown>).map((value) => ({ [key]: value })),
  ),
);
/** A body that passes, or fails at one field: most runs get as far as the screening and Connect. */
const nearlyValid = fc
  .record({
    kind: fc.constantFrom('chat', 'webrtc'),
    displayName: fc.string({ minLength: 1, maxLength: 30 }),
    attributes: fc.dictionary(fc.constant('orderId'), fc.string({ maxLength: 30 })),
  })
  .chain((valid) =>
    fc.oneof(
      fc.constant({ ...valid, flow: 'support' }),
      oneField.map((mutation) => ({ ...valid, flow: 'support', ...mutation })),
    ),
  );
const often = <T>(value: T, other: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(value), weight: 4 }, { arbitrary: other, weight: 1 });
const request = fc.record({
  payload: fc.oneof(
    { arbitrary: nearlyValid.map((b) => JSON.stringify(b)), weight: 4 },
    { arbitrary: body.map((b) => JSON.stringify(b)), weight: 1 },
    { arbitrary: fc.json({ maxDepth: 3 }), weight: 1 },
    { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
  ),
  base64: fc.boolean(),
  version: fc.constantFrom('1.0', '2.0'),
  method: often('POST', fc.constantFrom('OPTIONS', 'GET', 'PUT')),
  origin: often(ORIGIN, text),
  contentType: often('application/json', fc.oneof(fc.constant('application/json; charset=utf-8'), text)),
  authorization: fc.option(
    fc.oneof(
      text,
      text.map((t) => `Bearer ${t}`),
    ),
    { nil: undefined, freq: 4 },
  ),
  sourceIp: fc.oneof(fc.ipV4(), fc.ipV6(), text),
  forwardedFor: fc.option(text, { nil: undefined }),
});

type Generated = typeof request extends fc.Arbitrary<infer T> ? T : never;

function eventOf(r: Generated): unknown {
  const headers: Record<string, string> = { origin: r.origin, 'content-type': r.contentType };
  if (r.authorization !== undefined) headers.authorization = r.authorization;
  if (r.forwardedFor !== undefined) headers['x-forwarded-for'] = r.forwardedFor;
  const payloadBody = r.base64 ? Buffer.from(r.payload).toString('base64') : r.payload;
  return r.version === '2.0'
    ? {
        version: '2.0',
        headers,
        requestContext: { http: { method: r.method, sourceIp: r.sourceIp } },
        body: payloadBody,
        isBase64Encoded: r.base64,
      }
    : {
        httpMethod: r.method,
        headers,
        requestContext: { identity: { sourceIp: r.sourceIp } },
        body: payloadBody,
        isBase64Encoded: r.base64,
      };
}

/** Every string of the request a client chose, long enough that finding it is not chance. */
function inputs(r: Generated): string[] {
  const found: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string') found.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) {
        found.push(k);
        walk(v);
      }
  };
  try {
    walk(JSON.parse(r.payload));
  } catch {
    found.push(r.payload);
  }
  for (const value of [r.origin, r.authorization, r.sourceIp, r.forwardedFor, r.contentType])
    if (value) found.push(value);
  return found.filter(
    (s) => s.trim().length >= 6 && !VOCABULARY.includes(s) && s !== ORIGIN && !/^application\/json/.test(s),
  );
}

describe('start-contact under fuzzed requests', () => {
  it('answers every request with a known status and shape, echoing and logging nothing it was sent', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        logs = [];
        const response = await handler(eventOf(r));
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);

        expect(STATUSES.has(response.statusCode)).toBe(true);
        expect(response.headers['Cache-Control']).toBe('no-store');
        if (response.statusCode !== 204) {
          const parsed = JSON.parse(response.body) as Record<string, unknown>;
          if (response.statusCode !== 200) {
            expect(ERRORS.has(String(parsed.error))).toBe(true);
            expect(
              Object.keys(parsed).every((k) => ['error', 'field', 'retryAfterSeconds'].includes(k)),
            ).toBe(true);
            if ('field' in parsed) expect(String(parsed.field)).toMatch(FIELD);
          }
        }
        const seen = `${response.body}\n${JSON.stringify(response.headers)}\n${logs.join('\n')}`;
        for (const input of inputs(r))
          expect(seen.includes(input), `echoed or logged ${JSON.stringify(input)} in ${seen}`).toBe(false);
      }),
      { numRuns: RUNS },
    );
    // The runs reached the screening and Connect, not only the early refusals.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  });
});
