// The local Connect `flowguard local` runs, driven by the real @aws-sdk/client-connect (this
// package's dependency; @flowguard/local has none): the SDK's own serializers, endpoint variable,
// idempotency token and error parsing against the stand-in.
import { randomUUID } from 'node:crypto';
import {
  ConnectClient,
  ConnectServiceException,
  ResourceNotFoundException,
  StartChatContactCommand,
  StartTaskContactCommand,
  StartWebRTCContactCommand,
  StopContactCommand,
} from '@aws-sdk/client-connect';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalConnect, startLocalConnect } from '@flowguard/local';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_CONNECT } from '../../src/local-environment.js';

const FLOW = LOCAL_CONNECT.flows['web-chat'];

describe('the local Connect through @aws-sdk/client-connect', () => {
  let local: LocalConnect;
  let client: ConnectClient;

  beforeAll(async () => {
    local = await startLocalConnect({ instanceId: LOCAL_CONNECT.instanceId, contactFlowIds: [FLOW] });
    client = new ConnectClient({
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoint: local.endpoint,
    });
  });

  afterAll(async () => {
    client.destroy();
    await local.stop();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const chat = (extra: Partial<ConstructorParameters<typeof StartChatContactCommand>[0]> = {}) =>
    new StartChatContactCommand({
      InstanceId: LOCAL_CONNECT.instanceId,
      ContactFlowId: FLOW,
      ParticipantDetails: { DisplayName: 'Ada' },
      Attributes: { topic: 'billing' },
      ...extra,
    });

  it('starts a chat, records its flow and attributes, and answers a fake, labelled token', async () => {
    const out = await client.send(chat());

    expect(out.ContactId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.ParticipantId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.ParticipantToken).toMatch(/^LOCAL-participant-/);
    const recorded = local.contacts.find((c) => c.contactId === out.ContactId);
    expect(recorded).toMatchObject({
      kind: 'chat',
      contactFlowId: FLOW,
      attributes: { topic: 'billing' },
      // The SDK fills ClientToken itself when the caller does not.
      clientToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('starts one contact for a ClientToken however often it is sent', async () => {
    const ClientToken = randomUUID();
    const before = local.contacts.length;

    const first = await client.send(chat({ ClientToken }));
    const again = await client.send(chat({ ClientToken }));

    expect(again.ContactId).toBe(first.ContactId);
    expect(again.ParticipantToken).toBe(first.ParticipantToken);
    expect(local.contacts.length).toBe(before + 1);
  });

  it('starts a web call with its connection data, and a task', async () => {
    const call = await client.send(
      new StartWebRTCContactCommand({
        InstanceId: LOCAL_CONNECT.instanceId,
        ContactFlowId: FLOW,
        ParticipantDetails: { DisplayName: 'Ada' },
      }),
    );
    const task = await client.send(
      new StartTaskContactCommand({
        InstanceId: LOCAL_CONNECT.instanceId,
        ContactFlowId: FLOW,
        Name: 'Call back',
      }),
    );

    expect(call.ConnectionData?.Attendee?.JoinToken).toMatch(/^LOCAL-join-/);
    expect(call.ConnectionData?.Meeting?.MediaPlacement?.SignalingUrl).toMatch(
      /^wss:\/\/local-connect\.invalid\//,
    );
    expect(task.ContactId).toMatch(/^[0-9a-f-]{36}$/);
    expect(local.contacts.map((c) => c.kind).slice(-2)).toEqual(['webrtc', 'task']);
  });

  it('throws ResourceNotFoundException, with a 404, for another instance or flow', async () => {
    const before = local.contacts.length;

    const instance = await client.send(chat({ InstanceId: randomUUID() })).catch((e: unknown) => e);
    const flow = await client.send(chat({ ContactFlowId: randomUUID() })).catch((e: unknown) => e);

    for (const error of [instance, flow]) {
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
      expect((error as Error).message).toMatch(/not found/);
    }
    expect(local.contacts.length).toBe(before);
  });

  it('names the operations it serves when the SDK asks for another', async () => {
    const error = await client
      .send(new StopContactCommand({ InstanceId: LOCAL_CONNECT.instanceId, ContactId: randomUUID() }))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConnectServiceException);
    expect((error as Error).name).toBe('UnknownOperationException');
    expect((error as Error).message).toMatch(
      /^Unknown operation POST \/contact\/stop: the local Connect answers only StartChatContact \(PUT \/contact\/chat\)/,
    );
  });

  it('is found by a default client through AWS_ENDPOINT_URL_CONNECT, the variable it gives', async () => {
    for (const [name, value] of Object.entries(local.env)) vi.stubEnv(name, value);
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_SESSION_TOKEN', undefined);
    const byEnv = new ConnectClient({});
    try {
      const out = await byEnv.send(chat());

      expect(local.contacts.at(-1)?.contactId).toBe(out.ContactId);
    } finally {
      byEnv.destroy();
    }
  });
});
