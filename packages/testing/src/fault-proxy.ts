import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the proxy does to the next requests:
 * - `latency`: waits `ms` before forwarding;
 * - `drop`: closes the connection without an answer (nothing reaches the service);
 * - `drop-after`: forwards, lets the service act, then closes the connection (the answer is lost);
 * - `status`: answers HTTP `status` with an AWS-style JSON error (`errorType`, default an
 *   internal error);
 * - `throttle`: answers the service's throttling error (DynamoDB's
 *   `ProvisionedThroughputExceededException`, else `ThrottlingException`);
 * - `malformed`: answers 200 with a body that is not JSON.
 */
export type Fault =
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'drop' }
  | { readonly kind: 'drop-after' }
  | { readonly kind: 'status'; readonly status: number; readonly errorType?: string }
  | { readonly kind: 'throttle' }
  | { readonly kind: 'malformed' };

export interface FaultProxy {
  readonly endpoint: string;
  readonly port: number;
  /** Applies `fault` to the next `count` requests (default: until `clear`). */
  inject(fault: Fault, count?: number): void;
  clear(): void;
  /** Requests seen, by operation (`X-Amz-Target`'s operation), faults included. */
  readonly seen: Map<string, number>;
  stop(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

function operationOf(req: IncomingMessage): { service: string; operation: string } {
  const target = String(req.headers['x-amz-target'] ?? '');
  const dot = target.indexOf('.');
  return { service: target.slice(0, Math.max(0, dot)), operation: target.slice(dot + 1) || 'unknown' };
}

function awsError(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * A loopback proxy in front of a local AWS endpoint that injects faults on a schedule the test
 * controls. Point a client at `endpoint` instead of the service's own.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const seen = new Map<string, number>();
  let fault: Fault | undefined;
  let remaining = Number.POSITIVE_INFINITY;

  const take = (): Fault | undefined => {
    if (!fault || remaining <= 0) return undefined;
    remaining--;
    const current = fault;
    if (remaining <= 0) fault = undefined;
    return current;
  };

  const forward = (
    req: IncomingMessage,
    body: Buffer,
    onAnswer: (status: number, headers: Record<string, string>, data: Buffer) => void,
    onError: () => void,
  ) => {
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host, 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers))
            if (typeof value === 'string') headers[name] = value;
          onAnswer(res.statusCode ?? 502, headers, Buffer.concat(chunks));
        });
        res.on('error', onError);
      },
    );
    out.on('error', onError);
    out.end(body);
  };

  const pending = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const { service, operation } = operationOf(req);
      seen.set(operation, (seen.get(operation) ?? 0) + 1);
      const injected = take();
      const pass = () =>
        forward(
          req,
          body,
          (status, headers, data) => {
            if (injected?.kind === 'drop-after') {
              req.socket.destroy();
              return;
            }
            res.writeHead(status, { ...headers, 'content-length': data.length });
            res.end(data);
          },
          () => awsError(res, 502, 'InternalServerError', 'proxy could not reach the service'),
        );
      switch (injected?.kind) {
        case 'latency': {
          // Held until the delay ends, or dropped when the client gives up or the proxy stops: a
          // long delay leaves nothing running after the test.
          const timer = setTimeout(() => {
            pending.delete(timer);
            pass();
          }, injected.ms);
          pending.add(timer);
          req.socket.once('close', () => {
            clearTimeout(timer);
            pending.delete(timer);
          });
          return;
        }
        case 'drop':
          req.socket.destroy();
          return;
        case 'status':
          awsError(res, injected.status, injected.errorType ?? 'InternalServerError', 'injected failure');
          return;
        case 'throttle':
          awsError(
            res,
            400,
            service.startsWith('DynamoDB')
              ? 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException'
              : 'ThrottlingException',
            'Rate exceeded',
          );
          return;
        case 'malformed':
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          res.end('<html>not json');
          return;
        default:
          pass();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    seen,
    inject(next, count) {
      fault = next;
      remaining = count ?? Number.POSITIVE_INFINITY;
    },
    clear() {
      fault = undefined;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
