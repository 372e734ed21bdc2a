// A real HTTP server on 127.0.0.1 standing in for a Lambda Function URL (payload format 2.0) or an
// API Gateway HTTP API set to payload format 1.0 (path `/v1`): each request becomes the event
// Lambda would get, and the handler's answer becomes the HTTP response.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpLambdaHandler } from '../../src/handler.js';

/**
 * The TCP peer AWS's front end would report as `sourceIp`. Every connection here comes from
 * 127.0.0.1, so the test names the peer it plays in this header, which the front end strips: the
 * handler never sees it.
 */
export const PEER_HEADER = 'x-test-peer';

export interface LocalEndpoint {
  readonly url: string;
  stop(): Promise<void>;
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === PEER_HEADER || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function multiHeaders(headers: IncomingHttpHeaders): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === PEER_HEADER || value === undefined) continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  return out;
}

export async function startEndpoint(handler: HttpLambdaHandler): Promise<LocalEndpoint> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const peer = String(req.headers[PEER_HEADER] ?? req.socket.remoteAddress ?? '');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      // Function URLs base64-encode bodies that are not text; this front end always does, so
      // both paths of the handler run.
      const binary = url.searchParams.has('base64');
      const body = raw.length === 0 ? undefined : binary ? raw.toString('base64') : raw.toString('utf8');
      const event =
        url.pathname === '/v1'
          ? {
              version: '1.0',
              resource: '/v1',
              path: '/v1',
              httpMethod: req.method,
              headers: flatHeaders(req.headers),
              multiValueHeaders: multiHeaders(req.headers),
              requestContext: { httpMethod: req.method, identity: { sourceIp: peer } },
              body: body ?? null,
              isBase64Encoded: binary,
            }
          : {
              version: '2.0',
              routeKey: '$default',
              rawPath: url.pathname,
              rawQueryString: url.search.slice(1),
              headers: flatHeaders(req.headers),
              requestContext: {
                domainName: '127.0.0.1',
                http: { method: req.method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: peer },
                requestId: 'local',
              },
              ...(body === undefined ? {} : { body }),
              isBase64Encoded: binary,
            };
      handler(event, { awsRequestId: 'local-request', getRemainingTimeInMillis: () => 10_000 })
        .then((response) => {
          res.writeHead(response.statusCode, response.headers);
          res.end(response.body);
        })
        .catch(() => {
          res.writeHead(500);
          res.end('handler threw');
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
