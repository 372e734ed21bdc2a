/// <reference path="./types/dynalite.d.ts" />
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { createTableRequest, DEFAULT_TABLE_NAME, timeToLiveRequest } from '@flowguard/table';
import dynalite from 'dynalite';

/** Credentials the local servers accept; they open nothing real. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'flowguard-local', secretAccessKey: 'flowguard-local' };
export const LOCAL_REGION = 'us-east-1';

export interface LocalDynamoDB {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly tableName: string;
  /** A client pointed at the server, with local credentials. */
  readonly client: DynamoDBClient;
  /**
   * The variables that point any AWS SDK v3 client (and child processes) at this server, through
   * the SDK's standard service-specific endpoint variable: production code paths stay the same.
   */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export interface LocalDynamoDBOptions {
  /** Default `flowguard`. */
  tableName?: string;
  /** Create the table (and enable TTL) at start. Default true. */
  createTable?: boolean;
  /** Extra client configuration. */
  clientConfig?: DynamoDBClientConfig;
  /** Return the item with a failed condition, as DynamoDB does (default true; see frontDoor). */
  conditionFailureItem?: boolean;
  /**
   * The endpoint's 127.0.0.1 port; default 0, a free one. A taken port rejects with `EADDRINUSE`
   * and leaves nothing running. (dynalite itself, behind the front door, always takes a free port.)
   */
  port?: number;
}

type TimeToLive = { AttributeName: string; TimeToLiveStatus: 'ENABLED' | 'DISABLED' };

const MAX_BODY = 16 * 1024 * 1024;

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        request.destroy();
        reject(new Error('request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': 'flowguard-local',
  });
  response.end(text);
}

interface Forwarded {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Sends a request on to dynalite and buffers its answer. */
function forward(port: number, headers: IncomingMessage['headers'], body: Buffer): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const upstream = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        headers: { ...headers, 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string' && name !== 'content-length' && name !== 'x-amz-crc32')
              out[name] = value;
          }
          resolve({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

const CONDITIONAL_WRITES = new Set(['UpdateItem', 'PutItem', 'DeleteItem']);

/**
 * A front door on its own loopback port that makes dynalite answer like DynamoDB where the
 * toolkit depends on it, and passes everything else through unchanged:
 * - UpdateTimeToLive / DescribeTimeToLive: dynalite has the one and always says DISABLED to the
 *   other; the table's TTL setting is part of its definition, so both are answered here.
 * - ReturnValuesOnConditionCheckFailure=ALL_OLD: DynamoDB puts the current item in the
 *   ConditionalCheckFailedException; dynalite does not, so the item is read and added here.
 *   (`conditionFailureItem: false` turns this off, to test code's fallback for emulators.)
 * Expired items are never deleted, as DynamoDB also allows for days: code must compare expiry
 * with now either way.
 */
function frontDoor(dynamoPort: number, options: { conditionFailureItem: boolean }): Server {
  const settings = new Map<string, TimeToLive>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    if (operation === 'UpdateTimeToLive' || operation === 'DescribeTimeToLive') {
      const input = JSON.parse(body.toString('utf8')) as {
        TableName?: string;
        TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
      };
      const table = input.TableName ?? '';
      if (operation === 'DescribeTimeToLive') {
        reply(res, 200, { TimeToLiveDescription: settings.get(table) ?? { TimeToLiveStatus: 'DISABLED' } });
        return;
      }
      const spec = input.TimeToLiveSpecification;
      if (!spec?.AttributeName || typeof spec.Enabled !== 'boolean') {
        reply(res, 400, {
          __type: 'com.amazon.coral.validate#ValidationException',
          message: 'TimeToLiveSpecification needs AttributeName and Enabled',
        });
        return;
      }
      settings.set(table, {
        AttributeName: spec.AttributeName,
        TimeToLiveStatus: spec.Enabled ? 'ENABLED' : 'DISABLED',
      });
      reply(res, 200, { TimeToLiveSpecification: spec });
      return;
    }
    const answer = await forward(dynamoPort, req.headers, body);
    if (options.conditionFailureItem && answer.status === 400 && CONDITIONAL_WRITES.has(operation)) {
      const input = JSON.parse(body.toString('utf8')) as {
        TableName?: string;
        Key?: unknown;
        Item?: Record<string, unknown>;
        ReturnValuesOnConditionCheckFailure?: string;
      };
      const error = JSON.parse(answer.body.toString('utf8')) as { __type?: string };
      if (
        input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' &&
        error.__type?.endsWith('ConditionalCheckFailedException')
      ) {
        const key = input.Key ?? (await keyOf(dynamoPort, req.headers, input.TableName, input.Item));
        const read = await forward(
          dynamoPort,
          { ...req.headers, 'x-amz-target': 'DynamoDB_20120810.GetItem' },
          Buffer.from(JSON.stringify({ TableName: input.TableName, Key: key, ConsistentRead: true })),
        );
        const item = (JSON.parse(read.body.toString('utf8')) as { Item?: unknown }).Item;
        reply(res, 400, item ? { ...error, Item: item } : error);
        return;
      }
    }
    res.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.length });
    res.end(answer.body);
  };
  return createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent)
        reply(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError' });
      else res.destroy();
    });
  });
}

/** The key attributes of a PutItem's item, from the table's key schema. */
async function keyOf(
  port: number,
  headers: IncomingMessage['headers'],
  table: string | undefined,
  item: Record<string, unknown> | undefined,
): Promise<Record<string, unknown>> {
  const described = await forward(
    port,
    { ...headers, 'x-amz-target': 'DynamoDB_20120810.DescribeTable' },
    Buffer.from(JSON.stringify({ TableName: table })),
  );
  const schema =
    (JSON.parse(described.body.toString('utf8')) as { Table?: { KeySchema?: { AttributeName: string }[] } })
      .Table?.KeySchema ?? [];
  return Object.fromEntries(schema.map(({ AttributeName }) => [AttributeName, item?.[AttributeName]]));
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Port 0: the OS picks a free port, so suites running in parallel never clash.
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** The variables that point an AWS SDK v3 client (here or in a child process) at a local server. */
export function localDynamoEnv(endpoint: string, tableName: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    FLOWGUARD_TABLE_NAME: tableName,
  };
}

/**
 * Starts dynalite in this process on a free (or the given) 127.0.0.1 port and (by default) creates
 * the table.
 */
export async function startLocalDynamoDB(options: LocalDynamoDBOptions = {}): Promise<LocalDynamoDB> {
  const name = options.tableName ?? DEFAULT_TABLE_NAME;
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoPort = await listen(dynamo);
  const server = frontDoor(dynamoPort, { conditionFailureItem: options.conditionFailureItem ?? true });
  const port = await listen(server, options.port).catch(async (error: unknown) => {
    await close(dynamo);
    throw error;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    ...options.clientConfig,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.destroy();
    await close(server);
    await close(dynamo);
  };
  try {
    if (options.createTable !== false) {
      await client.send(new CreateTableCommand(createTableRequest(name)));
      await client.send(new UpdateTimeToLiveCommand(timeToLiveRequest(name)));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoint,
    port,
    tableName: name,
    client,
    env: localDynamoEnv(endpoint, name),
    stop,
  };
}
