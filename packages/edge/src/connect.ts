// Starting the contact: StartChatContact, StartWebRTCContact or StartTaskContact.
import {
  ConnectClient,
  type ConnectClientConfig,
  StartChatContactCommand,
  StartTaskContactCommand,
  StartWebRTCContactCommand,
} from '@aws-sdk/client-connect';
import type { StartContactBody } from './body.js';

/** What the website gets back: only what its chat or calling client needs, in Connect's own field names. */
export type StartedContact = Readonly<Record<string, unknown>> & { readonly ContactId: string };

export interface StartInput {
  readonly instanceId: string;
  readonly flowId: string;
  readonly body: StartContactBody;
  /** The allow-listed attributes and the signed identity. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Idempotency: a retry of the same request by the SDK starts one contact. */
  readonly clientToken: string;
  readonly signal?: AbortSignal;
}

/** The one call the edge makes of `ConnectClient`; tests pass the real client under aws-sdk-client-mock. */
export interface ConnectStarter {
  start(input: StartInput): Promise<StartedContact>;
}

/**
 * A Connect client whose attempts fit the budget: one retry at most (the SDK's default of three
 * attempts with backoff could outlive the answer).
 */
export function edgeConnectClient(extra: ConnectClientConfig = {}): ConnectClient {
  return new ConnectClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 1500, throwOnRequestTimeout: true },
    ...extra,
  });
}

/** Raised when Connect answered without the identifiers the client needs. */
export class ConnectAnswerError extends Error {
  constructor() {
    super('Connect answered without a contact id');
    this.name = 'ConnectAnswerError';
  }
}

export function connectStarter(client: ConnectClient): ConnectStarter {
  return {
    async start(input) {
      const { body } = input;
      const common = {
        InstanceId: input.instanceId,
        ContactFlowId: input.flowId,
        Attributes: { ...input.attributes },
        ClientToken: input.clientToken,
      };
      const options = { abortSignal: input.signal };
      switch (body.kind) {
        case 'chat': {
          const out = await client.send(
            new StartChatContactCommand({
              ...common,
              ParticipantDetails: { DisplayName: body.displayName ?? '' },
              ...(body.initialMessage
                ? { InitialMessage: { ContentType: 'text/plain', Content: body.initialMessage.content } }
                : {}),
            }),
            options,
          );
          if (!out.ContactId) throw new ConnectAnswerError();
          return {
            ContactId: out.ContactId,
            ParticipantId: out.ParticipantId,
            ParticipantToken: out.ParticipantToken,
          };
        }
        case 'webrtc': {
          const out = await client.send(
            new StartWebRTCContactCommand({
              ...common,
              ParticipantDetails: { DisplayName: body.displayName ?? '' },
            }),
            options,
          );
          if (!out.ContactId) throw new ConnectAnswerError();
          return {
            ContactId: out.ContactId,
            ParticipantId: out.ParticipantId,
            ParticipantToken: out.ParticipantToken,
            ConnectionData: out.ConnectionData,
          };
        }
        case 'task': {
          const out = await client.send(
            new StartTaskContactCommand({
              ...common,
              Name: body.name ?? '',
              ...(body.description ? { Description: body.description } : {}),
            }),
            options,
          );
          if (!out.ContactId) throw new ConnectAnswerError();
          return { ContactId: out.ContactId };
        }
      }
    },
  };
}

/** Connect's errors that mean "later": answered 503 with `Retry-After`. */
const THROTTLED = new Set(['ThrottlingException', 'LimitExceededException', 'TooManyRequestsException']);

export function isConnectThrottle(error: unknown): boolean {
  const name = (error as { name?: unknown })?.name;
  return typeof name === 'string' && THROTTLED.has(name);
}
