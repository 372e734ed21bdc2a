/// <reference path="./types/kinesalite.d.ts" />
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import { createServer as createHttp2Server, type Http2ServerRequest } from 'node:http2';
import {
  type AddressInfo,
  connect,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { KinesisClient, KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { close, LOCAL_ACCOUNT_ID, listen, type RequestCounter } from './local-aws-json.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-dynamodb.js';

export interface LocalKinesis {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** A client pointed at the server, with local credentials (and the SDK's own HTTP/2 handler). */
  readonly client: KinesisClient;
  /** `AWS_ENDPOINT_URL_KINESIS` and local credentials/region: any default SDK client reaches the server. */
  readonly env: Readonly<Record<string, string>>;
  /** Requests received, by operation (`PutRecords`, ...). */
  readonly requests: RequestCounter;
  /** Creates a stream and resolves once it is ACTIVE, with its name and ARN. */
  createStream(name: string, shards?: number): Promise<{ streamName: string; streamArn: string }>;
  stop(): Promise<void>;
}

export interface LocalKinesisOptions {
  /** Extra client configuration. */
  clientConfig?: KinesisClientConfig;
  /** The 127.0.0.1 port; default 0, a free one. A taken port rejects with `EADDRINUSE`. */
  port?: number;
  /** How long a stream stays CREATING, DELETING or UPDATING; default 0 (kinesalite's own is 500 ms). */
  streamStatusMs?: number;
  /** Open shards allowed in all (kinesalite's default 10, like a new account in some regions). */
  shardLimit?: number;
}

/** kinesalite refuses larger requests with 413; Kinesis's own limit (PutRecords) is 5 MiB of data. */
const MAX_BODY = 7 * 1024 * 1024;
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');
/** Headers that belong to one HTTP/1.1 connection and may not cross into HTTP/2. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
/** Operations that name a stream (by StreamName, or by StreamARN, which kinesalite predates). */
const NAMES_A_STREAM = new Set([
  'AddTagsToStream',
  'DecreaseStreamRetentionPeriod',
  'DeleteStream',
  'DescribeStream',
  'DescribeStreamSummary',
  'GetShardIterator',
  'IncreaseStreamRetentionPeriod',
  'ListShards',
  'ListTagsForStream',
  'MergeShards',
  'PutRecord',
  'PutRecords',
  'RemoveTagsFromStream',
  'SplitShard',
]);
const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([A-Za-z0-9_.-]{1,128})$/;

export const streamArn = (name: string) =>
  `arn:aws:kinesis:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stream/${name}`;

/** Whether the bytes a connection opened with are HTTP/2's preface (h2c with prior knowledge). */
function isHttp2(first: Buffer): boolean {
  const length = Math.min(first.length, HTTP2_PREFACE.length);
  return first.subarray(0, length).equals(HTTP2_PREFACE.subarray(0, length));
}

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage | Http2ServerRequest): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * Fills StreamName from StreamARN: Kinesis takes either since 2022, kinesalite only the name. Only
 * JSON bodies (what the AWS SDK for JavaScript sends); CBOR passes unchanged.
 */
function withStreamName(operation: string, contentType: string, body: Buffer): Buffer {
  if (!NAMES_A_STREAM.has(operation) || !contentType.startsWith('application/x-amz-json')) return body;
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch {
    return body;
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return body;
  const { StreamARN, StreamName } = input as { StreamARN?: unknown; StreamName?: unknown };
  const name = typeof StreamARN === 'string' ? STREAM_ARN.exec(StreamARN)?.[1] : undefined;
  if (name === undefined || StreamName !== undefined) return body;
  return Buffer.from(JSON.stringify({ ...input, StreamName: name }));
}

/** What the front door needs of an HTTP/1.1 or an HTTP/2 response. */
interface Reply {
  readonly headersSent: boolean;
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  end(body: Buffer | string): unknown;
  destroy(): unknown;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Sends a request on to kinesalite over HTTP/1.1 and buffers its answer. */
function forward(
  port: number,
  method: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const upstream = request(
      { host: '127.0.0.1', port, method, path: '/', headers: { ...headers, 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers))
            if (typeof value === 'string' && !HOP_BY_HOP.has(name) && name !== 'content-length')
              out[name] = value;
          resolve({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/**
 * Starts kinesalite in this process, in memory, on a free (or the given) 127.0.0.1 port. Streams
 * become ACTIVE at once (`streamStatusMs`). Any credentials are accepted (kinesalite only checks a
 * signature is there).
 *
 * The AWS SDK's Kinesis client speaks HTTP/2 only (`NodeHttp2Handler`, cleartext h2c towards an
 * `http://` endpoint); kinesalite and other tools speak HTTP/1.1. So the port is a front door that
 * tells the two apart by the connection's first bytes and serves both, passing requests on to
 * kinesalite over HTTP/1.1 on its own free port; it also fills StreamName from StreamARN.
 */
export async function startLocalKinesis(options: LocalKinesisOptions = {}): Promise<LocalKinesis> {
  const statusMs = options.streamStatusMs ?? 0;
  // Loaded when first started, so that importing @flowguard/local (every `flowguard` command) does not pay for them.
  const [{ default: kinesalite }, { CreateStreamCommand, KinesisClient, waitUntilStreamExists }] =
    await Promise.all([import('kinesalite'), import('@aws-sdk/client-kinesis')]);
  // kinesalite takes its ARNs' account and region from the environment when it starts.
  const saved = { account: process.env.AWS_ACCOUNT_ID, region: process.env.AWS_REGION };
  process.env.AWS_ACCOUNT_ID = LOCAL_ACCOUNT_ID;
  process.env.AWS_REGION = LOCAL_REGION;
  let kinesis: Server;
  try {
    kinesis = kinesalite({
      createStreamMs: statusMs,
      deleteStreamMs: statusMs,
      updateStreamMs: statusMs,
      shardLimit: options.shardLimit,
    });
  } finally {
    for (const [name, value] of [
      ['AWS_ACCOUNT_ID', saved.account],
      ['AWS_REGION', saved.region],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }

  const byOperation = new Map<string, number>();
  let kinesisPort = 0;
  const handle = async (req: IncomingMessage | Http2ServerRequest, res: Reply): Promise<void> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    if (operation) byOperation.set(operation, (byOperation.get(operation) ?? 0) + 1);
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      res.writeHead(413, { 'content-length': 0 });
      res.end('');
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (typeof value === 'string' && !name.startsWith(':') && !HOP_BY_HOP.has(name)) headers[name] = value;
    const contentType = headers['content-type'] ?? '';
    const answer = await forward(
      kinesisPort,
      req.method ?? 'POST',
      headers,
      withStreamName(operation, contentType, body),
    );
    res.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.length });
    res.end(answer.body);
  };
  const onRequest = (req: IncomingMessage | Http2ServerRequest, res: Reply) => {
    handle(req, res).catch(() => {
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'InternalFailure', message: 'The local Kinesis failed.' }));
      }
    });
  };
  const http1 = createServer(onRequest);
  const http2 = createHttp2Server(onRequest);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  // The internal servers are reached through a TCP relay: handing the socket itself to the HTTP/2
  // server would lose the bytes already read to tell the protocols apart.
  const front = createNetServer((socket) => {
    track(socket);
    socket.on('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      const inner = (isHttp2(first) ? http2 : http1).address() as AddressInfo;
      const upstream = connect(inner.port, '127.0.0.1');
      track(upstream);
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
      upstream.write(first);
      socket.pipe(upstream).pipe(socket);
    });
  });

  const started: NetServer[] = [];
  const http2Sessions = new Set<{ destroy(): void }>();
  http2.on('session', (session) => {
    http2Sessions.add(session);
    session.on('close', () => http2Sessions.delete(session));
  });
  const closeAll = async () => {
    for (const socket of sockets) socket.destroy();
    for (const session of http2Sessions) session.destroy();
    await Promise.all(
      started.map((server) =>
        server === kinesis || server === http1
          ? close(server as Server)
          : new Promise<void>((resolve) => server.close(() => resolve())),
      ),
    );
  };
  let port: number;
  try {
    kinesisPort = await listen(kinesis);
    started.push(kinesis);
    await listen(http1);
    started.push(http1);
    await listen(http2);
    started.push(http2);
    port = await listen(front, options.port);
    started.push(front);
  } catch (error) {
    await closeAll();
    throw error;
  }

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new KinesisClient({
    region: LOCAL_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    ...options.clientConfig,
  });
  let stopped = false;
  return {
    endpoint,
    port,
    client,
    env: {
      AWS_ENDPOINT_URL_KINESIS: endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    },
    requests: {
      byOperation,
      total: () => [...byOperation.values()].reduce((sum, count) => sum + count, 0),
      reset: () => byOperation.clear(),
    },
    async createStream(name, shards = 1) {
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      // Polled every 10-100 ms (the waiter's defaults are 10 s to 120 s), for at most 10 s.
      await waitUntilStreamExists(
        { client, minDelay: 0.01, maxDelay: 0.1, maxWaitTime: 10 + statusMs / 1000 },
        { StreamName: name },
      );
      return { streamName: name, streamArn: streamArn(name) };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      client.destroy();
      await closeAll();
    },
  };
}
