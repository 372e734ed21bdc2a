// A stand-in for the three Amazon Connect APIs that start a contact from outside a flow
// (StartChatContact, StartWebRTCContact, StartTaskContact), for start-contact, the demo and the
// tests. It speaks Connect's REST-JSON protocol as @aws-sdk/client-connect sends it, so the real
// SDK client reaches it through AWS_ENDPOINT_URL_CONNECT; it starts no chat, call or task: it
// records each contact (kind, flow, attributes) so that the caller can run the contact's flow next.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { close, LOCAL_ACCOUNT_ID, listen, MAX_REQUEST_BODY, type RequestCounter } from './local-aws-json.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-dynamodb.js';

export type LocalContactKind = 'chat' | 'webrtc' | 'task';

/** A contact the local Connect started, as the flow it names would receive it. */
export interface LocalConnectContact {
  readonly kind: LocalContactKind;
  /** A fresh UUID; the same for a request repeated with its ClientToken. */
  readonly contactId: string;
  readonly instanceId: string;
  readonly contactFlowId: string;
  /** The contact attributes the request set (`$.Attributes` in the flow). */
  readonly attributes: Readonly<Record<string, string>>;
  /** Chat and web call: the customer's participant id. */
  readonly participantId?: string;
  /** Chat and web call: ParticipantDetails.DisplayName. */
  readonly displayName?: string;
  /** Task: its Name. */
  readonly name?: string;
  readonly clientToken?: string;
  /** Epoch milliseconds. */
  readonly startedAt: number;
}

export interface LocalConnect {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** The instance the server answers for; any other is ResourceNotFoundException. */
  readonly instanceId: string;
  readonly instanceArn: string;
  /** The contact flows it knows; any other is ResourceNotFoundException. */
  readonly contactFlowIds: readonly string[];
  /** `AWS_ENDPOINT_URL_CONNECT` and local credentials/region: a default ConnectClient reaches the server. */
  readonly env: Readonly<Record<string, string>>;
  /** The contacts started, in order; a request repeated with its ClientToken adds none. */
  readonly contacts: readonly LocalConnectContact[];
  /** Requests received by operation (`StartChatContact`, ...), refused ones included. */
  readonly requests: RequestCounter;
  stop(): Promise<void>;
}

export interface LocalConnectOptions {
  /** The instance id (a UUID); default a fresh one. */
  instanceId?: string;
  /** The contact flow ids (UUIDs) contacts may be started in; default one fresh id. */
  contactFlowIds?: readonly string[];
  /** The 127.0.0.1 port; default 0, a free one. A taken port rejects with `EADDRINUSE`. */
  port?: number;
}

/** The operations served, by `METHOD path` as the SDK's serializers send them. */
const OPERATIONS: ReadonlyMap<string, { name: string; kind: LocalContactKind }> = new Map([
  ['PUT /contact/chat', { name: 'StartChatContact', kind: 'chat' }],
  ['PUT /contact/task', { name: 'StartTaskContact', kind: 'task' }],
  ['PUT /contact/webrtc', { name: 'StartWebRTCContact', kind: 'webrtc' }],
]);
const SERVED = [...OPERATIONS.entries()].map(([route, op]) => `${op.name} (${route})`).join(', ');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Connect's limit on a contact's user-defined attributes, keys and values together. */
const MAX_ATTRIBUTES_BYTES = 32 * 1024;
const MAX_CONTACTS = 100_000;
/** A ClientToken is 1 to 500 characters. */
const MAX_CLIENT_TOKEN = 500;

/** An error as Connect answers it: HTTP status, `x-amzn-errortype`, and `{"Message": ...}`. */
class ConnectError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const invalidParameter = (message: string) => new ConnectError('InvalidParameterException', message, 400);
const invalidRequest = (message: string) => new ConnectError('InvalidRequestException', message, 400);
const notFound = (message: string) => new ConnectError('ResourceNotFoundException', message, 404);

/** A token that is plainly not Connect's: a client given it cannot mistake it for a real one. */
const localToken = (label: string) => `LOCAL-${label}-${randomBytes(24).toString('base64url')}`;

function send(response: ServerResponse, status: number, body: Record<string, unknown>, type?: string): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(type ? { 'x-amzn-errortype': type } : {}),
  });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BODY) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_REQUEST_BODY ? null : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

type Body = Record<string, unknown>;

function optionalString(body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`${field} must be a string.`);
  return value;
}

function requiredString(body: Body, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined || value === '') throw invalidParameter(`${field} is required.`);
  return value;
}

function attributesOf(body: Body): Record<string, string> {
  const value = body.Attributes;
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidParameter('Attributes must be a map of strings.');
  const entries = Object.entries(value as Body);
  let bytes = 0;
  for (const [key, item] of entries) {
    if (typeof item !== 'string' || key === '')
      throw invalidParameter('Attributes must be a map of strings.');
    bytes += Buffer.byteLength(key) + Buffer.byteLength(item);
  }
  if (bytes > MAX_ATTRIBUTES_BYTES)
    throw invalidParameter(`Attributes exceed ${MAX_ATTRIBUTES_BYTES} bytes in total.`);
  return Object.fromEntries(entries) as Record<string, string>;
}

function displayNameOf(body: Body): string {
  const details = body.ParticipantDetails;
  if (typeof details !== 'object' || details === null || Array.isArray(details))
    throw invalidParameter('ParticipantDetails is required.');
  const name = (details as Body).DisplayName;
  if (typeof name !== 'string') throw invalidParameter('ParticipantDetails.DisplayName is required.');
  return name;
}

/**
 * The local Connect on a free (or the given) 127.0.0.1 port. Signatures are not checked: any
 * credentials are accepted. InstanceId and ContactFlowId must be the ones it was started with.
 */
export async function startLocalConnect(options: LocalConnectOptions = {}): Promise<LocalConnect> {
  const instanceId = (options.instanceId ?? randomUUID()).toLowerCase();
  const flowIds = (options.contactFlowIds ?? [randomUUID()]).map((id) => id.toLowerCase());
  for (const id of [instanceId, ...flowIds])
    if (!UUID.test(id)) throw new RangeError(`not a UUID: '${id.slice(0, 40)}'`);
  const instanceArn = `arn:aws:connect:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:instance/${instanceId}`;
  const knownFlows = new Set(flowIds);
  const contacts: LocalConnectContact[] = [];
  /** ClientToken → the contact it started, per operation (as Connect scopes idempotency). */
  const byToken = new Map<string, { contact: LocalConnectContact; answer: Record<string, unknown> }>();
  const byOperation = new Map<string, number>();

  const start = (kind: LocalContactKind, operation: string, body: Body): Record<string, unknown> => {
    const instance = requiredString(body, 'InstanceId').toLowerCase();
    if (instance !== instanceId && instance !== instanceArn)
      throw notFound(`Instance ${instance.slice(0, 100)} not found.`);
    const flowId =
      kind === 'task'
        ? optionalString(body, 'ContactFlowId')?.toLowerCase()
        : requiredString(body, 'ContactFlowId').toLowerCase();
    if (kind === 'task' && flowId === undefined)
      throw invalidRequest('ContactFlowId, QuickConnectId or TaskTemplateId is required.');
    const contactFlowId = flowId ?? '';
    if (!knownFlows.has(contactFlowId))
      throw notFound(`Contact flow ${contactFlowId.slice(0, 100)} not found in instance ${instanceId}.`);
    const attributes = attributesOf(body);
    const clientToken = optionalString(body, 'ClientToken');
    if (clientToken !== undefined && (clientToken === '' || clientToken.length > MAX_CLIENT_TOKEN))
      throw invalidParameter(`ClientToken must be 1 to ${MAX_CLIENT_TOKEN} characters.`);
    const displayName = kind === 'task' ? undefined : displayNameOf(body);
    const name = kind === 'task' ? requiredString(body, 'Name') : undefined;

    const tokenKey = clientToken === undefined ? undefined : `${operation}\n${clientToken}`;
    const earlier = tokenKey === undefined ? undefined : byToken.get(tokenKey);
    if (earlier) {
      // The same request again (the SDK's retry): the same contact, no new one.
      if (earlier.contact.contactFlowId !== contactFlowId)
        throw new ConnectError(
          'IdempotencyException',
          'An earlier request with this ClientToken had other parameters.',
          409,
        );
      return earlier.answer;
    }
    if (contacts.length >= MAX_CONTACTS)
      throw new ConnectError('LimitExceededException', 'The local Connect holds too many contacts.', 429);

    const contactId = randomUUID();
    const participantId = kind === 'task' ? undefined : randomUUID();
    const contact: LocalConnectContact = {
      kind,
      contactId,
      instanceId,
      contactFlowId,
      attributes,
      ...(participantId ? { participantId } : {}),
      ...(displayName !== undefined ? { displayName } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(clientToken !== undefined ? { clientToken } : {}),
      startedAt: Date.now(),
    };
    let answer: Record<string, unknown>;
    if (kind === 'task') answer = { ContactId: contactId };
    else if (kind === 'chat')
      answer = {
        ContactId: contactId,
        ParticipantId: participantId,
        ParticipantToken: localToken('participant'),
      };
    else {
      const meetingId = randomUUID();
      const media = `wss://local-connect.invalid/${meetingId}`;
      answer = {
        ContactId: contactId,
        ParticipantId: participantId,
        ParticipantToken: localToken('participant'),
        ConnectionData: {
          Attendee: { AttendeeId: randomUUID(), JoinToken: localToken('join') },
          Meeting: {
            MeetingId: meetingId,
            MediaRegion: LOCAL_REGION,
            MediaPlacement: {
              AudioHostUrl: `${media}/audio`,
              AudioFallbackUrl: `${media}/audio-fallback`,
              SignalingUrl: `${media}/signal`,
              TurnControlUrl: `${media}/turn`,
              EventIngestionUrl: `${media}/events`,
            },
            MeetingFeatures: { Audio: { EchoReduction: 'UNAVAILABLE' } },
          },
        },
      };
    }
    contacts.push(contact);
    if (tokenKey !== undefined) byToken.set(tokenKey, { contact, answer });
    return answer;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const route = `${req.method ?? ''} ${path}`;
    const operation = OPERATIONS.get(route);
    if (!operation) {
      send(
        res,
        400,
        { Message: `Unknown operation ${route.slice(0, 200)}: the local Connect answers only ${SERVED}.` },
        'UnknownOperationException',
      );
      return;
    }
    byOperation.set(operation.name, (byOperation.get(operation.name) ?? 0) + 1);
    if (raw === null) {
      send(res, 413, { Message: 'Request body too large.' }, 'RequestEntityTooLargeException');
      return;
    }
    let body: unknown;
    try {
      body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    } catch {
      send(res, 400, { Message: 'The request body is not JSON.' }, 'SerializationException');
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      send(res, 400, { Message: 'The request body must be a JSON object.' }, 'SerializationException');
      return;
    }
    try {
      send(res, 200, start(operation.kind, operation.name, body as Body));
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
      send(res, error.status, { Message: error.message }, error.type);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      send(res, 500, { Message: 'Internal error.' }, 'InternalServiceException');
    });
  });
  const port = await listen(server, options.port);
  const endpoint = `http://127.0.0.1:${port}`;
  let stopped = false;
  return {
    endpoint,
    port,
    instanceId,
    instanceArn,
    contactFlowIds: flowIds,
    env: {
      AWS_ENDPOINT_URL_CONNECT: endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    },
    contacts,
    requests: {
      byOperation,
      total: () => [...byOperation.values()].reduce((sum, count) => sum + count, 0),
      reset: () => byOperation.clear(),
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await close(server);
    },
  };
}
