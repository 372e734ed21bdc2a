// A real HTTP server on 127.0.0.1 standing in for a Lambda Function URL: each request becomes the
// event Lambda would get (payload format 2.0), and the handler's answer becomes the HTTP response.
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { close, listen, MAX_REQUEST_BODY } from './local-aws-json.js';

/** An HTTP function's answer, as a Function URL reads it. */
export interface HttpFunctionResponse {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** The least of a Lambda context an HTTP function reads. */
export interface HttpFunctionContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export type HttpFunction = (event: unknown, context: HttpFunctionContext) => Promise<HttpFunctionResponse>;

export interface LocalFunctionUrlOptions {
  /**
   * What the event reports as `requestContext.http.sourceIp`: a Function URL puts the TCP peer's
   * address there, never a header's. Default: the connection's own address (127.0.0.1 here); a
   * function of the request lets a local client play a peer from elsewhere.
   */
  sourceIp?: string | ((request: IncomingMessage) => string);
  /** The time the function is given, ms; default 10 s. */
  timeoutMs?: number;
  /** The 127.0.0.1 port; default 0, a free one. */
  port?: number;
}

export interface LocalFunctionUrl {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Requests answered so far. */
  readonly invocations: () => number;
  stop(): Promise<void>;
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

/** Serves `handler` as a Function URL would (payload format 2.0); a handler that throws is a 502. */
export async function startLocalFunctionUrl(
  handler: HttpFunction,
  options: LocalFunctionUrlOptions = {},
): Promise<LocalFunctionUrl> {
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_REQUEST_BODY) {
        res.writeHead(413);
        res.end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const sourceIp =
        typeof options.sourceIp === 'function'
          ? options.sourceIp(req)
          : (options.sourceIp ?? req.socket.remoteAddress ?? '');
      const requestId = crypto.randomUUID();
      const started = Date.now();
      const timeoutMs = options.timeoutMs ?? 10_000;
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers: flatHeaders(req.headers),
        requestContext: {
          domainName: req.headers.host ?? '127.0.0.1',
          http: {
            method: req.method,
            path: url.pathname,
            protocol: `HTTP/${req.httpVersion}`,
            sourceIp,
            userAgent: req.headers['user-agent'] ?? '',
          },
          requestId,
          timeEpoch: started,
        },
        ...(raw.length === 0 ? {} : { body: raw.toString('utf8') }),
        isBase64Encoded: false,
      };
      handler(event, {
        awsRequestId: requestId,
        getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()),
      })
        .then((response) => {
          count++;
          res.writeHead(response.statusCode, { ...response.headers });
          res.end(
            response.body === undefined
              ? undefined
              : Buffer.from(response.body, response.isBase64Encoded ? 'base64' : 'utf8'),
          );
        })
        .catch(() => {
          count++;
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end('{"Message":"Internal Server Error"}');
        });
    });
  });
  const port = await listen(server, options.port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    invocations: () => count,
    stop: () => close(server),
  };
}
