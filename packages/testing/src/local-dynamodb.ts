/// <reference path="./types/dynalite.d.ts" />
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
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
  /** Extra client configuration (e.g. middleware-free settings for benchmarks). */
  clientConfig?: DynamoDBClientConfig;
}

type TimeToLive = { AttributeName: string; TimeToLiveStatus: 'ENABLED' | 'DISABLED' };

function readBody(request: IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.destroy();
        reject(new Error('request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
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

/**
 * dynalite answers DescribeTimeToLive with DISABLED and has no UpdateTimeToLive. The table's TTL
 * setting is part of its definition, so both are answered here, in front of dynalite, with the
 * real service's shapes; expired items are never deleted locally, which is what DynamoDB also
 * allows for days, so code must compare expiry with now either way.
 */
function withTimeToLive(server: Server): void {
  const [inner] = server.listeners('request') as RequestListener[];
  if (!inner) throw new Error('dynalite server has no request handler');
  const settings = new Map<string, TimeToLive>();
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    if (operation !== 'UpdateTimeToLive' && operation !== 'DescribeTimeToLive') {
      inner(request, response);
      return;
    }
    readBody(request)
      .then((text) => {
        const body = JSON.parse(text) as {
          TableName?: string;
          TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
        };
        const table = body.TableName ?? '';
        if (operation === 'DescribeTimeToLive') {
          reply(response, 200, {
            TimeToLiveDescription: settings.get(table) ?? { TimeToLiveStatus: 'DISABLED' },
          });
          return;
        }
        const spec = body.TimeToLiveSpecification;
        if (!spec?.AttributeName || typeof spec.Enabled !== 'boolean') {
          reply(response, 400, {
            __type: 'com.amazon.coral.validate#ValidationException',
            message: 'TimeToLiveSpecification needs AttributeName and Enabled',
          });
          return;
        }
        settings.set(table, {
          AttributeName: spec.AttributeName,
          TimeToLiveStatus: spec.Enabled ? 'ENABLED' : 'DISABLED',
        });
        reply(response, 200, { TimeToLiveSpecification: spec });
      })
      .catch(() => {
        reply(response, 400, { __type: 'com.amazon.coral.service#SerializationException' });
      });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Port 0: the OS picks a free port, so suites running in parallel never clash.
    server.listen(0, '127.0.0.1', () => {
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

/** Starts dynalite in this process on a free 127.0.0.1 port and (by default) creates the table. */
export async function startLocalDynamoDB(options: LocalDynamoDBOptions = {}): Promise<LocalDynamoDB> {
  const name = options.tableName ?? DEFAULT_TABLE_NAME;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  withTimeToLive(server);
  const port = await listen(server);
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
    env: {
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      FLOWGUARD_TABLE_NAME: name,
    },
    stop,
  };
}
