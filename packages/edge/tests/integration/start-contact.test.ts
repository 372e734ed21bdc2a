// start-contact end to end: a real HTTP server on 127.0.0.1 turns requests into Function URL (2.0)
// and HTTP API 1.0 events, the screening store is dynalite, Connect is aws-sdk-client-mock.
import {
  ConnectClient,
  StartChatContactCommand,
  type StartChatContactCommandInput,
  StartTaskContactCommand,
  StartWebRTCContactCommand,
} from '@aws-sdk/client-connect';
import {
  DynamoScreeningStore,
  SIGNED_IDENTITY_ATTRIBUTES,
  screeningDynamoClient,
  signingKeyOf,
  verifySignedIdentity,
} from '@flowguard/caller-screening';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalDynamoDB, startLocalDynamoDB } from '@flowguard/testing';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_ERROR_OUTCOMES } from '../../src/contract.js';
import { startContactFromEnv } from '../../src/setup.js';
import { AUDIENCE, ISSUER, type LocalJwks, startLocalJwks } from '../support/jwks.js';
import { fakeSecrets, SIGNING_KEY_BASE64 } from '../support/secrets.js';
import { type LocalEndpoint, PEER_HEADER, startEndpoint } from '../support/server.js';

const ORIGIN = 'https://www.example.com';
const FLOW_ID = '11111111-2222-4333-8444-555555555555';
const INSTANCE_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
/** A fixed clock: every request of a test falls in one window, whatever the time of the run. */
const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);
const CHAT = {
  kind: 'chat',
  flow: 'support',
  displayName: 'Ada Lovelace',
  attributes: { orderId: 'A-1001' },
};

let local: LocalDynamoDB;
let jwks: LocalJwks;
const endpoints: LocalEndpoint[] = [];

interface Rig {
  readonly url: string;
  readonly connect: AwsClientStub<ConnectClient>;
  readonly logs: string[];
  readonly metrics: string[];
}

let contacts = 0;

async function rig(
  env: Record<string, string> = {},
  options: { dynamo?: ReturnType<typeof screeningDynamoClient> } = {},
): Promise<Rig> {
  const client = new ConnectClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const connect = mockClient(client);
  const reply = () => {
    contacts += 1;
    return {
      ContactId: `contact-${contacts}`,
      ParticipantId: `participant-${contacts}`,
      ParticipantToken: 'pt-secret',
    };
  };
  connect.on(StartChatContactCommand).callsFake(reply);
  connect.on(StartWebRTCContactCommand).callsFake(() => ({
    ...reply(),
    ConnectionData: { Meeting: { MeetingId: 'm-1' }, Attendee: { AttendeeId: 'a-1', JoinToken: 'jt' } },
  }));
  connect.on(StartTaskContactCommand).callsFake(() => ({ ContactId: reply().ContactId }));
  const logs: string[] = [];
  const metrics: string[] = [];
  const handler = startContactFromEnv({
    env: {
      FLOWGUARD_TABLE_NAME: local.tableName,
      FLOWGUARD_IP_LIMITS: '10/10m',
      FLOWGUARD_CUSTOMER_LIMITS: '10/10m',
      FLOWGUARD_AUTO_BLOCK_FACTOR: '0',
      FLOWGUARD_CONNECT_INSTANCE_ID: INSTANCE_ID,
      FLOWGUARD_EDGE_FLOWS: `support=${FLOW_ID}`,
      FLOWGUARD_EDGE_ALLOWED_ORIGINS: ORIGIN,
      FLOWGUARD_EDGE_ATTRIBUTES: 'orderId',
      FLOWGUARD_EDGE_SIGNING_SECRET_ID: 'edge/signing',
      FLOWGUARD_EDGE_JWKS_URL: jwks.url,
      FLOWGUARD_EDGE_JWT_ISSUER: ISSUER,
      FLOWGUARD_EDGE_JWT_AUDIENCE: AUDIENCE,
      FLOWGUARD_LOG_LEVEL: 'debug',
      ...env,
    },
    dynamo: options.dynamo ?? local.client,
    connect: client,
    secrets: fakeSecrets({ 'edge/signing': SIGNING_KEY_BASE64 }),
    clock: () => T0,
    logSink: (line) => logs.push(line),
    metricSink: (line) => metrics.push(line),
  });
  const endpoint = await startEndpoint(handler);
  endpoints.push(endpoint);
  return { url: endpoint.url, connect, logs, metrics };
}

interface Sent {
  readonly peer: string;
  readonly body?: unknown;
  readonly raw?: string;
  readonly headers?: Record<string, string>;
  readonly path?: string;
  readonly method?: string;
}

async function send(url: string, request: Sent): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`${url}${request.path ?? '/'}`, {
    method: request.method ?? 'POST',
    headers: {
      [PEER_HEADER]: request.peer,
      origin: ORIGIN,
      'content-type': 'application/json',
      ...request.headers,
    },
    ...(request.method === 'OPTIONS' ? {} : { body: request.raw ?? JSON.stringify(request.body ?? CHAT) }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const chatCalls = (r: Rig): StartChatContactCommandInput[] =>
  r.connect.commandCalls(StartChatContactCommand).map((call) => call.args[0].input);

beforeAll(async () => {
  local = await startLocalDynamoDB({ tableName: 'flowguard-edge' });
  jwks = await startLocalJwks();
});

afterAll(async () => {
  for (const endpoint of endpoints) await endpoint.stop();
  await jwks.stop();
  await local.stop();
});

describe('start-contact over HTTP', () => {
  it('admits exactly the limit of 50 concurrent requests from one IP: 10 × 200, 40 × 429 with Retry-After', async () => {
    // One process serving 50 requests at once decides a caller's a few at a time (a Lambda
    // instance serves one): the budget is widened so that queueing on two shared cores cannot turn
    // a decision into a degraded one. No answer below may be degraded.
    const r = await rig({ FLOWGUARD_BUDGET_MS: '8000' });
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(r.url, { peer: '203.0.113.10', path: i % 2 ? '/v1' : '/' })),
    );

    const ok = answers.filter((a) => a.status === 200);
    const throttled = answers.filter((a) => a.status === 429);
    expect(ok).toHaveLength(10);
    expect(throttled).toHaveLength(40);
    for (const a of throttled) {
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(JSON.parse(a.text)).toEqual({
        error: 'throttled',
        retryAfterSeconds: Number(a.headers.get('retry-after')),
      });
    }
    expect(r.connect.commandCalls(StartChatContactCommand)).toHaveLength(10);
    expect(r.metrics.join('\n')).not.toMatch(/FailOpen|FailClosed|"outcome":"timeout"/);
  });

  it('answers 200 with only what the client needs, and hands Connect the allow-listed and signed attributes', async () => {
    const r = await rig();
    const answer = await send(r.url, { peer: '203.0.113.11' });

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({
      ContactId: expect.any(String),
      ParticipantId: expect.any(String),
      ParticipantToken: 'pt-secret',
    });
    expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(answer.headers.get('vary')).toBe('Origin');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const [input] = chatCalls(r);
    expect(input).toMatchObject({
      InstanceId: INSTANCE_ID,
      ContactFlowId: FLOW_ID,
      ParticipantDetails: { DisplayName: 'Ada Lovelace' },
    });
    const attributes = input?.Attributes ?? {};
    expect(attributes.orderId).toBe('A-1001');
    expect(input?.ClientToken).toBe(attributes[SIGNED_IDENTITY_ATTRIBUTES.nonce]);
    const check = verifySignedIdentity([signingKeyOf(SIGNING_KEY_BASE64)], attributes, {
      nowSeconds: T0 / 1000,
      maxAgeSeconds: 60,
    });
    expect(check).toMatchObject({ ok: true, identity: { key: 'ip:203.0.113.11', customerId: '' } });
  });

  it('starts a web call and a task with their own calls and answers', async () => {
    const r = await rig();
    const webrtc = await send(r.url, {
      peer: '203.0.113.12',
      body: { kind: 'webrtc', flow: 'support', displayName: 'Ada' },
    });
    const task = await send(r.url, {
      peer: '203.0.113.12',
      body: { kind: 'task', flow: 'support', name: 'Call me back' },
    });

    expect(webrtc.status).toBe(200);
    expect(Object.keys(JSON.parse(webrtc.text)).sort()).toEqual([
      'ConnectionData',
      'ContactId',
      'ParticipantId',
      'ParticipantToken',
    ]);
    expect(task.status).toBe(200);
    expect(Object.keys(JSON.parse(task.text))).toEqual(['ContactId']);
    expect(r.connect.commandCalls(StartTaskContactCommand)[0]?.args[0].input).toMatchObject({
      Name: 'Call me back',
    });
  });

  it('counts IPv6 addresses of one /64 as one caller', async () => {
    const r = await rig();
    const answers = [];
    for (let i = 1; i <= 12; i++)
      answers.push(await send(r.url, { peer: `2001:db8:77:1::${i.toString(16)}` }));

    expect(answers.map((a) => a.status)).toEqual([...Array(10).fill(200), 429, 429]);
    expect(new Set(chatCalls(r).map((c) => c.Attributes?.[SIGNED_IDENTITY_ATTRIBUTES.key]))).toEqual(
      new Set(['ip:2001:db8:77:1::/64']),
    );
  });

  it('ignores a spoofed X-Forwarded-For when no proxy is trusted', async () => {
    const r = await rig();
    const answers = [];
    for (let i = 1; i <= 12; i++)
      answers.push(
        await send(r.url, { peer: '203.0.113.13', headers: { 'x-forwarded-for': `192.0.2.${i}` } }),
      );

    expect(answers.map((a) => a.status)).toEqual([...Array(10).fill(200), 429, 429]);
    expect(new Set(chatCalls(r).map((c) => c.Attributes?.[SIGNED_IDENTITY_ATTRIBUTES.key]))).toEqual(
      new Set(['ip:203.0.113.13']),
    );
  });

  it('behind a trusted proxy, counts the address it appended', async () => {
    const r = await rig({ FLOWGUARD_TRUSTED_PROXIES: '198.51.100.0/24' });
    const answer = await send(r.url, {
      peer: '198.51.100.5',
      headers: { 'x-forwarded-for': '192.0.2.200, 203.0.113.14' },
    });

    expect(answer.status).toBe(200);
    expect(chatCalls(r)[0]?.Attributes?.[SIGNED_IDENTITY_ATTRIBUTES.key]).toBe('ip:203.0.113.14');
  });

  it('answers a blocked IP 403 with a fixed body, and never calls Connect', async () => {
    const r = await rig();
    const store = new DynamoScreeningStore({ client: local.client, tableName: local.tableName });
    await store.block({
      key: 'ip:203.0.113.66',
      untilSeconds: T0 / 1000 + 3600,
      reason: 'abuse',
      by: 'test',
      nowSeconds: T0 / 1000,
      action: 'block',
    });
    const answer = await send(r.url, { peer: '203.0.113.66' });

    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text)).toEqual({ error: 'forbidden' });
    expect(r.connect.calls()).toHaveLength(0);
  });

  it('with the store down: 503 with Retry-After when fail-closed, the in-memory limits when fail-open', async () => {
    const dead = () =>
      screeningDynamoClient(
        { storeTimeoutMs: 200, storeAttempts: 1 },
        { endpoint: 'http://127.0.0.1:1', region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS },
      );
    const closed = await rig({ FLOWGUARD_EDGE_FAIL_MODE: 'chat=closed' }, { dynamo: dead() });
    const open = await rig({}, { dynamo: dead() });

    const refused = await send(closed.url, { peer: '203.0.113.15' });
    const admitted = await send(open.url, { peer: '203.0.113.15' });

    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(JSON.parse(refused.text)).toEqual({ error: 'unavailable', retryAfterSeconds: expect.any(Number) });
    expect(closed.connect.calls()).toHaveLength(0);
    expect(admitted.status).toBe(200);
    expect(open.metrics.join('\n')).toContain('"FailOpen":1');
  });

  it('answers a preflight 204 with CORS headers, and refuses an origin not on the list with 403', async () => {
    const r = await rig();
    const preflight = await send(r.url, {
      peer: '203.0.113.16',
      method: 'OPTIONS',
      headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    const foreign = await send(r.url, { peer: '203.0.113.16', headers: { origin: 'https://evil.example' } });

    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(preflight.headers.get('access-control-max-age')).toBe('600');
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(r.connect.calls()).toHaveLength(0);
  });

  it('takes the customer id from a verified token, and answers a bad one 401 without screening or Connect', async () => {
    const r = await rig({ FLOWGUARD_EDGE_KEY_BY: 'customer' });
    const good = await send(r.url, {
      peer: '203.0.113.17',
      headers: { authorization: `Bearer ${await jwks.sign({ sub: 'cust-1234' })}` },
    });
    const expired = await send(r.url, {
      peer: '203.0.113.17',
      headers: {
        authorization: `Bearer ${await jwks.sign({ sub: 'cust-1234' }, { expiresIn: Math.floor(Date.now() / 1000) - 300 })}`,
      },
    });

    expect(good.status).toBe(200);
    const attributes = chatCalls(r)[0]?.Attributes ?? {};
    expect(attributes[SIGNED_IDENTITY_ATTRIBUTES.key]).toBe('cust:cust-1234');
    expect(attributes[SIGNED_IDENTITY_ATTRIBUTES.customer]).toBe('cust-1234');
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('invalid_token');
    expect(JSON.parse(expired.text)).toEqual({ error: 'unauthorized' });
    expect(r.connect.calls()).toHaveLength(1);
  });

  it('reads base64 bodies, refuses a bad body with 400 and its field, a large one with 413, a wrong method with 405', async () => {
    const r = await rig();
    const base64 = await send(r.url, { peer: '203.0.113.18', path: '/?base64' });
    const badFlow = await send(r.url, {
      peer: '203.0.113.18',
      body: { ...CHAT, flow: 'not-configured-flow' },
    });
    const notJson = await send(r.url, { peer: '203.0.113.18', raw: '{"kind":' });
    const large = await send(r.url, {
      peer: '203.0.113.18',
      raw: JSON.stringify({ ...CHAT, pad: 'x'.repeat(9000) }),
    });
    const wrongType = await send(r.url, { peer: '203.0.113.18', headers: { 'content-type': 'text/plain' } });
    const get = await fetch(r.url, { headers: { [PEER_HEADER]: '203.0.113.18', origin: ORIGIN } });

    expect(base64.status).toBe(200);
    expect([badFlow.status, JSON.parse(badFlow.text)]).toEqual([
      400,
      { error: 'bad_request', field: '/flow' },
    ]);
    expect([notJson.status, JSON.parse(notJson.text)]).toEqual([400, { error: 'bad_request', field: '' }]);
    expect(large.status).toBe(413);
    expect(wrongType.status).toBe(415);
    expect(get.status).toBe(405);
    expect(r.connect.calls()).toHaveLength(1);
  });

  it('counts ServerError for every 5xx answer, and for no 4xx one', async () => {
    const dead = screeningDynamoClient(
      { storeTimeoutMs: 200, storeAttempts: 1 },
      { endpoint: 'http://127.0.0.1:1', region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS },
    );
    const r = await rig({ FLOWGUARD_IP_LIMITS: '1/10m' });
    const closed = await rig({ FLOWGUARD_EDGE_FAIL_MODE: 'chat=closed' }, { dynamo: dead });
    const unsigned = await rig({ FLOWGUARD_EDGE_SIGNING_SECRET_ID: 'edge/not-there' });
    const store = new DynamoScreeningStore({ client: local.client, tableName: local.tableName });
    await store.block({
      key: 'ip:192.0.2.71',
      untilSeconds: T0 / 1000 + 3600,
      reason: 'abuse',
      by: 'test',
      nowSeconds: T0 / 1000,
      action: 'block',
    });
    const statuses = [
      (await send(r.url, { peer: '192.0.2.70' })).status,
      (await send(r.url, { peer: '192.0.2.70' })).status,
      (await send(r.url, { peer: '192.0.2.71' })).status,
      (await send(r.url, { peer: '192.0.2.72', headers: { origin: 'https://evil.example' } })).status,
      (await send(r.url, { peer: '192.0.2.72', body: { ...CHAT, flow: 'nope' } })).status,
      (await send(r.url, { peer: '192.0.2.72', headers: { authorization: 'Bearer nope' } })).status,
      (await send(r.url, { peer: '192.0.2.72', method: 'PUT' })).status,
    ];
    r.connect.on(StartChatContactCommand).rejects(new Error('Connect refused'));
    statuses.push((await send(r.url, { peer: '192.0.2.73' })).status);
    r.connect
      .on(StartChatContactCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    statuses.push((await send(r.url, { peer: '192.0.2.74' })).status);
    statuses.push((await send(closed.url, { peer: '192.0.2.75' })).status);
    statuses.push((await send(unsigned.url, { peer: '192.0.2.76' })).status);

    expect(statuses).toEqual([200, 429, 403, 403, 400, 401, 405, 502, 503, 503, 503]);
    const emitted = [...r.metrics, ...closed.metrics, ...unsigned.metrics].map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );
    expect(emitted.map((m) => [m.outcome, m.ServerError])).toEqual([
      ['ok', undefined],
      ['throttled', undefined],
      ['blocked', undefined],
      ['origin_refused', undefined],
      ['bad_request', undefined],
      ['token_malformed', undefined],
      ['method_not_allowed', undefined],
      ['connect_error', 1],
      ['connect_throttled', 1],
      ['store_unavailable', 1],
      ['signing_unavailable', 1],
    ]);
    // Every outcome answered 5xx is one the contract lists (the alarms and the canary read it).
    for (const m of emitted.filter((m) => m.ServerError === 1))
      expect(SERVER_ERROR_OUTCOMES).toContain(m.outcome);
    for (const m of emitted.filter((m) => m.ServerError === undefined && m.outcome !== 'ok'))
      expect(SERVER_ERROR_OUTCOMES).not.toContain(m.outcome);
    // A metric of the EMF directive, under the function and the outcome like the others.
    type Directive = { CloudWatchMetrics: { Dimensions: string[][]; Metrics: object[] }[] };
    const directive = (emitted[7]?._aws as Directive | undefined)?.CloudWatchMetrics[0];
    expect(directive?.Dimensions).toEqual([['function', 'outcome']]);
    expect(directive?.Metrics).toContainEqual({ Name: 'ServerError', Unit: 'Count' });
  });

  it('logs one line per request with codes only: no address, token, name or attribute', async () => {
    const r = await rig();
    const token = await jwks.sign({ sub: 'cust-secret-id' });
    await send(r.url, { peer: '203.0.113.19', headers: { authorization: `Bearer ${token}` } });
    await send(r.url, { peer: '203.0.113.19', body: { ...CHAT, flow: 'nope' } });

    const text = [...r.logs, ...r.metrics].join('\n');
    for (const secret of [
      '203.0.113.19',
      token,
      'cust-secret-id',
      'Ada Lovelace',
      'A-1001',
      'pt-secret',
      'nope',
    ])
      expect(text).not.toContain(secret);
    const lines = r.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((l) => l.message === 'request');
    expect(lines.map((l) => [l.outcome, l.status])).toEqual([
      ['ok', 200],
      ['bad_request', 400],
    ]);
  });
});
