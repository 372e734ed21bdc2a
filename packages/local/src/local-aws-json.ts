import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';

/** Requests a local service received, by operation (`GetSecretValue`, `Decrypt`, ...). */
export interface RequestCounter {
  /** Requests since the last reset, by operation. */
  readonly byOperation: Map<string, number>;
  total(): number;
  reset(): void;
}

/** The account every local ARN is in. */
export const LOCAL_ACCOUNT_ID = '000000000000';
/** Requests larger than this are refused with 413: AWS's own limits for these services are far below. */
export const MAX_REQUEST_BODY = 1024 * 1024;
const MAX_DELAY_MS = 60_000;
const MAX_FAILURES = 1000;

/**
 * An error as an AWS JSON 1.1 service answers it: HTTP `status` (400 unless a server fault) with
 * `{"__type": type, "<message field>": message}`. The SDK names the thrown error after `__type`.
 */
export class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export type JsonObject = Record<string, unknown>;

/** Typed access to a request's JSON members; a member of the wrong type is the service's `invalid` error. */
export class JsonInput {
  constructor(
    readonly body: JsonObject,
    private readonly invalid: string,
  ) {}

  error(message: string): AwsJsonError {
    return new AwsJsonError(this.invalid, message);
  }

  has(field: string): boolean {
    return this.body[field] !== undefined && this.body[field] !== null;
  }

  string(field: string): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.error(`${field} must be a string`);
    return value;
  }

  requiredString(field: string): string {
    const value = this.string(field);
    if (value === undefined || value === '') throw this.error(`You must provide a value for ${field}.`);
    return value;
  }

  integer(field: string): number | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value))
      throw this.error(`${field} must be an integer`);
    return value;
  }

  boolean(field: string): boolean | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw this.error(`${field} must be a boolean`);
    return value;
  }

  stringList(field: string): string[] | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
      throw this.error(`${field} must be a list of strings`);
    return value as string[];
  }

  stringMap(field: string): Record<string, string> | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value))
      throw this.error(`${field} must be a map of strings`);
    const entries = Object.entries(value as JsonObject);
    if (!entries.every(([, item]) => typeof item === 'string'))
      throw this.error(`${field} must be a map of strings`);
    return Object.fromEntries(entries) as Record<string, string>;
  }

  /** A blob member: standard base64 in the JSON protocol. */
  blob(field: string): Buffer | undefined {
    const value = this.string(field);
    if (value === undefined) return undefined;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0)
      throw this.error(`${field} must be base64`);
    return Buffer.from(value, 'base64');
  }
}

export type Handler = (input: JsonInput) => JsonObject;

/** What `failNext` makes the next requests answer: the service's throttling error, or an HTTP 500. */
export type FailureKind = 'throttle' | 'internal';

export interface ServiceFaults {
  /** The next `count` requests (any operation) fail with `kind`; the SDK retries both kinds. */
  failNext(count: number, kind: FailureKind): void;
  /** Every answer waits `ms` (at most 60 s) until `reset`. */
  delay(ms: number): void;
  /** Clears every fault. */
  reset(): void;
}

export interface JsonServiceOptions {
  /** What an error calls the service: `Secrets Manager`, `KMS`. */
  serviceName: string;
  /** `X-Amz-Target` prefix: `secretsmanager`, `TrentService`. */
  targetPrefix: string;
  /** The member that carries an error's message in this service's error shapes. */
  messageField: 'Message' | 'message';
  /** The error a member of the wrong type or a missing member is. */
  invalidInput: string;
  /** The service's HTTP 500 error. */
  internalError: { type: string; message: string };
  handlers: ReadonlyMap<string, Handler>;
  /** Runs before the handler (after faults); throws an `AwsJsonError` to refuse the request. */
  guard?: (operation: string, input: JsonInput) => void;
  /** The 127.0.0.1 port; default 0, a free one. A taken port rejects with `EADDRINUSE`. */
  port?: number;
}

export interface JsonService {
  readonly endpoint: string;
  readonly port: number;
  /** Requests received, by operation, failed ones included. */
  readonly requests: RequestCounter;
  readonly faults: ServiceFaults;
  stop(): Promise<void>;
}

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let size = 0;
    let tooLarge = false;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge) return;
      if (size > MAX_REQUEST_BODY) {
        tooLarge = true;
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: JsonObject, close = false): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(close ? { connection: 'close' } : {}),
  });
  response.end(text);
}

/**
 * Listens on 127.0.0.1 and resolves with the port. Port 0 (the default): the OS picks a free port,
 * so suites running in parallel never clash. A fixed port that is taken rejects (`EADDRINUSE`).
 */
export function listen(server: NetServer, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes a server and every connection it holds, idle or not. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/**
 * An AWS JSON 1.1 service on a free (or the given) 127.0.0.1 port: `POST /` with `X-Amz-Target: <prefix>.<Operation>`,
 * answered by `handlers`; any other operation is UnknownOperationException (HTTP 400, not counted),
 * naming the operations served. Signatures are not checked: any credentials are accepted.
 */
export async function startJsonService(options: JsonServiceOptions): Promise<JsonService> {
  const byOperation = new Map<string, number>();
  const sleeping = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  let failures = 0;
  let failureKind: FailureKind = 'throttle';
  let delayMs = 0;

  const served = [...options.handlers.keys()].sort().join(', ');
  const unknownOperation = (what: string) =>
    `Unknown operation ${what}: the local ${options.serviceName} answers only ${served}.`;

  const errorBody = (type: string, message: string): JsonObject => ({
    __type: type,
    [options.messageField]: message,
  });

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          sleeping.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      sleeping.add(entry);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      send(res, 413, errorBody('RequestEntityTooLargeException', 'Request body too large'), true);
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const prefix = `${options.targetPrefix}.`;
    const operation = target.startsWith(prefix) ? target.slice(prefix.length) : '';
    const handler = options.handlers.get(operation);
    if (req.method !== 'POST' || !handler) {
      send(res, 400, errorBody('UnknownOperationException', unknownOperation(target || String(req.method))));
      return;
    }
    byOperation.set(operation, (byOperation.get(operation) ?? 0) + 1);
    if (delayMs > 0) await sleep(delayMs);
    if (failures > 0) {
      failures -= 1;
      if (failureKind === 'throttle') send(res, 400, errorBody('ThrottlingException', 'Rate exceeded'));
      else send(res, 500, errorBody(options.internalError.type, options.internalError.message));
      return;
    }
    let parsed: unknown;
    try {
      parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      send(
        res,
        400,
        errorBody('SerializationException', 'Start of structure or map found where not expected.'),
      );
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      send(res, 400, errorBody('SerializationException', 'The request body must be a JSON object.'));
      return;
    }
    try {
      const input = new JsonInput(parsed as JsonObject, options.invalidInput);
      options.guard?.(operation, input);
      send(res, 200, handler(input));
    } catch (error) {
      if (!(error instanceof AwsJsonError)) throw error;
      send(res, error.status, errorBody(error.type, error.message));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      send(res, 500, errorBody(options.internalError.type, options.internalError.message));
    });
  });
  const port = await listen(server, options.port);

  const faults: ServiceFaults = {
    failNext(count, kind) {
      if (!Number.isInteger(count) || count < 0 || count > MAX_FAILURES)
        throw new RangeError(`failNext count must be an integer from 0 to ${MAX_FAILURES}`);
      failures = count;
      failureKind = kind;
    },
    delay(ms) {
      if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS)
        throw new RangeError(`delay must be from 0 to ${MAX_DELAY_MS} ms`);
      delayMs = ms;
    },
    reset() {
      failures = 0;
      delayMs = 0;
    },
  };

  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests: {
      byOperation,
      total: () => [...byOperation.values()].reduce((sum, count) => sum + count, 0),
      reset: () => byOperation.clear(),
    },
    faults,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const entry of sleeping) {
        clearTimeout(entry.timer);
        entry.wake();
      }
      sleeping.clear();
      await close(server);
    },
  };
}
