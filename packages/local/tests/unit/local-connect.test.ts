// The local Connect over its wire protocol (REST-JSON, as @aws-sdk/client-connect serializes it).
// The real SDK client is run against it in packages/cli/tests/unit/local-connect.test.ts (this
// package does not depend on @aws-sdk/client-connect).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalConnect, startLocalConnect } from '../../src/local-connect.js';

const INSTANCE = '11111111-2222-4333-8444-555555555555';
const FLOW = '99999999-8888-4777-8666-555555555555';

describe('startLocalConnect', () => {
  let connect: LocalConnect;

  beforeAll(async () => {
    connect = await startLocalConnect({ instanceId: INSTANCE, contactFlowIds: [FLOW] });
  });

  afterAll(async () => {
    await connect.stop();
  });

  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${connect.endpoint}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return {
      status: response.status,
      type: response.headers.get('x-amzn-errortype'),
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const chat = (extra: Record<string, unknown> = {}) => ({
    InstanceId: INSTANCE,
    ContactFlowId: FLOW,
    ParticipantDetails: { DisplayName: 'Ada' },
    Attributes: { topic: 'billing' },
    ...extra,
  });

  it('starts a chat on PUT /contact/chat and records it for its flow', async () => {
    const before = connect.contacts.length;

    const answer = await call('PUT', '/contact/chat', chat({ ClientToken: randomUUID() }));

    expect(answer.status).toBe(200);
    expect(answer.body.ContactId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.body.ParticipantId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.body.ParticipantToken).toMatch(/^LOCAL-participant-[A-Za-z0-9_-]{32}$/);
    expect(connect.contacts.length).toBe(before + 1);
    expect(connect.contacts.at(-1)).toMatchObject({
      kind: 'chat',
      contactId: answer.body.ContactId,
      contactFlowId: FLOW,
      attributes: { topic: 'billing' },
      displayName: 'Ada',
    });
  });

  it('answers the same contact to a repeated ClientToken, and a new one to a new token', async () => {
    const token = randomUUID();
    const before = connect.contacts.length;

    const first = await call('PUT', '/contact/chat', chat({ ClientToken: token }));
    const again = await call('PUT', '/contact/chat', chat({ ClientToken: token }));
    const other = await call('PUT', '/contact/chat', chat({ ClientToken: randomUUID() }));

    expect(again.body).toEqual(first.body);
    expect(other.body.ContactId).not.toBe(first.body.ContactId);
    expect(connect.contacts.length).toBe(before + 2);
  });

  it('starts a web call with its connection data, and a task', async () => {
    const webrtc = await call('PUT', '/contact/webrtc', chat());
    const task = await call('PUT', '/contact/task', {
      InstanceId: INSTANCE,
      ContactFlowId: FLOW,
      Name: 'Call back',
    });

    expect(webrtc.status).toBe(200);
    expect(webrtc.body.ConnectionData).toMatchObject({
      Attendee: { JoinToken: expect.stringMatching(/^LOCAL-join-/) },
      Meeting: {
        MediaRegion: 'us-east-1',
        MediaPlacement: { SignalingUrl: expect.stringMatching(/\.invalid\//) },
      },
    });
    expect(task.status).toBe(200);
    expect(Object.keys(task.body)).toEqual(['ContactId']);
    expect(connect.contacts.at(-1)).toMatchObject({ kind: 'task', name: 'Call back', contactFlowId: FLOW });
  });

  it('refuses another instance or flow as Connect does: 404 ResourceNotFoundException, nothing started', async () => {
    const before = connect.contacts.length;

    const instance = await call('PUT', '/contact/chat', chat({ InstanceId: randomUUID() }));
    const flow = await call('PUT', '/contact/chat', chat({ ContactFlowId: randomUUID() }));

    for (const answer of [instance, flow]) {
      expect(answer.status).toBe(404);
      expect(answer.type).toBe('ResourceNotFoundException');
      expect(answer.body.Message).toEqual(expect.stringMatching(/not found/));
    }
    expect(connect.contacts.length).toBe(before);
  });

  it('refuses a request without what the operation requires', async () => {
    const noDetails = await call('PUT', '/contact/chat', { InstanceId: INSTANCE, ContactFlowId: FLOW });
    const badAttributes = await call('PUT', '/contact/chat', chat({ Attributes: { n: 1 } }));
    const noName = await call('PUT', '/contact/task', { InstanceId: INSTANCE, ContactFlowId: FLOW });
    const notJson = await call('PUT', '/contact/chat', '{');

    expect([noDetails, badAttributes, noName].map((a) => [a.status, a.type])).toEqual([
      [400, 'InvalidParameterException'],
      [400, 'InvalidParameterException'],
      [400, 'InvalidParameterException'],
    ]);
    expect(notJson.type).toBe('SerializationException');
  });

  it('names the operations it serves when asked for another', async () => {
    const answer = await call('POST', '/contact/chat', chat());
    const other = await call('PUT', '/contact/outbound-voice', {});

    expect(answer.status).toBe(400);
    expect(answer.type).toBe('UnknownOperationException');
    expect(answer.body.Message).toBe(
      'Unknown operation POST /contact/chat: the local Connect answers only StartChatContact (PUT /contact/chat), StartTaskContact (PUT /contact/task), StartWebRTCContact (PUT /contact/webrtc).',
    );
    expect(other.body.Message).toMatch(/^Unknown operation PUT \/contact\/outbound-voice:/);
  });

  it('gives the endpoint variable the SDK reads for Connect, and counts requests by operation', () => {
    expect(connect.env.AWS_ENDPOINT_URL_CONNECT).toBe(connect.endpoint);
    expect(connect.requests.byOperation.get('StartChatContact')).toBeGreaterThan(0);
    expect(connect.requests.byOperation.get('StartTaskContact')).toBeGreaterThan(0);
  });

  it('refuses an instance or flow id that is not a UUID at start', async () => {
    await expect(startLocalConnect({ instanceId: 'local' })).rejects.toThrow(/not a UUID/);
  });
});
