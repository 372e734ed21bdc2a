// HTTP events as Lambda receives them from a Function URL or an API Gateway HTTP API (payload
// format 2.0) or an HTTP API set to payload format 1.0, and the answers it sends back.
import { MAX_BODY_BYTES } from './contract.js';

export interface HttpRequest {
  readonly version: '1.0' | '2.0';
  /** Upper case. */
  readonly method: string;
  /** Lower-cased names; repeated headers joined with `, ` (as payload format 2.0 does). */
  readonly headers: ReadonlyMap<string, string>;
  /** Every `X-Forwarded-For` value, in order. */
  readonly forwardedFor: readonly string[];
  readonly sourceIp: string | undefined;
  /** The raw body bytes' length after base64 decoding, and the body; null when it is not valid UTF-8. */
  readonly body: string | null;
  readonly bodyBytes: number;
}

export class HttpEventError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
    this.name = 'HttpEventError';
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function stringMap(value: unknown): Map<string, string[]> {
  const map = new Map<string, string[]>();
  if (!isObject(value)) return map;
  for (const [name, v] of Object.entries(value)) {
    const values = Array.isArray(v)
      ? v.filter((x): x is string => typeof x === 'string')
      : typeof v === 'string'
        ? [v]
        : [];
    if (values.length === 0) continue;
    const key = name.toLowerCase();
    map.set(key, [...(map.get(key) ?? []), ...values]);
  }
  return map;
}

/** Base64 text longer than this decodes to more than the body cap. */
const MAX_BASE64_CHARS = Math.ceil(MAX_BODY_BYTES / 3) * 4 + 4;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeBody(event: Json): { body: string | null; bytes: number } {
  const raw = event.body;
  if (raw === undefined || raw === null || raw === '') return { body: '', bytes: 0 };
  if (typeof raw !== 'string') throw new HttpEventError(400, 'the body is not a string');
  if (event.isBase64Encoded === true) {
    if (raw.length > MAX_BASE64_CHARS) throw new HttpEventError(413, 'the body is too large');
    const bytes = Buffer.from(raw, 'base64');
    if (bytes.length > MAX_BODY_BYTES) throw new HttpEventError(413, 'the body is too large');
    try {
      return { body: utf8.decode(bytes), bytes: bytes.length };
    } catch {
      return { body: null, bytes: bytes.length };
    }
  }
  // Quick bound first: UTF-8 takes at least one byte per UTF-16 unit.
  if (raw.length > MAX_BODY_BYTES) throw new HttpEventError(413, 'the body is too large');
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > MAX_BODY_BYTES) throw new HttpEventError(413, 'the body is too large');
  return { body: raw, bytes };
}

/**
 * Reads a payload format 2.0 event (`version: "2.0"`, `requestContext.http`) or a 1.0 one
 * (`httpMethod`, `requestContext.identity`). Throws `HttpEventError` for anything else and for a
 * body over the cap.
 */
export function parseHttpEvent(event: unknown): HttpRequest {
  if (!isObject(event) || !isObject(event.requestContext)) throw new HttpEventError(400, 'not an HTTP event');
  const context = event.requestContext;
  let version: HttpRequest['version'];
  let method: unknown;
  let sourceIp: unknown;
  let headers: Map<string, string[]>;
  if (event.version === '2.0' && isObject(context.http)) {
    version = '2.0';
    method = context.http.method;
    sourceIp = context.http.sourceIp;
    headers = stringMap(event.headers);
  } else if (typeof event.httpMethod === 'string') {
    version = '1.0';
    method = event.httpMethod;
    sourceIp = isObject(context.identity) ? context.identity.sourceIp : undefined;
    // multiValueHeaders holds every value; headers only the last of each.
    const multi = stringMap(event.multiValueHeaders);
    headers = multi.size > 0 ? multi : stringMap(event.headers);
  } else {
    throw new HttpEventError(400, 'not an HTTP event');
  }
  if (typeof method !== 'string') throw new HttpEventError(400, 'no method');
  const forwardedFor = headers.get('x-forwarded-for') ?? [];
  const { body, bytes } = decodeBody(event);
  return {
    version,
    method: method.toUpperCase(),
    headers: new Map([...headers].map(([name, values]) => [name, values.join(', ')])),
    forwardedFor,
    sourceIp: typeof sourceIp === 'string' ? sourceIp : undefined,
    body,
    bodyBytes: bytes,
  };
}

/** What Lambda sends back for both payload formats. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  // Nothing here is meant to be rendered or framed.
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...SECURITY_HEADERS, ...headers },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

export function emptyResponse(
  statusCode: number,
  headers: Readonly<Record<string, string>> = {},
): HttpResponse {
  return { statusCode, headers: { ...SECURITY_HEADERS, ...headers }, body: '', isBase64Encoded: false };
}
