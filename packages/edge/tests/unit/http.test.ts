import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/contract.js';
import { HttpEventError, parseHttpEvent } from '../../src/http.js';

const v2 = (overrides: Record<string, unknown> = {}) => ({
  version: '2.0',
  routeKey: '$default',
  rawPath: '/',
  headers: { 'content-type': 'application/json', origin: 'https://www.example.com' },
  requestContext: { http: { method: 'POST', sourceIp: '203.0.113.7', path: '/' } },
  body: '{}',
  isBase64Encoded: false,
  ...overrides,
});

describe('parseHttpEvent', () => {
  it('reads payload format 2.0 (Function URL, HTTP API)', () => {
    const request = parseHttpEvent(
      v2({ headers: { 'X-Forwarded-For': '192.0.2.1', Origin: 'https://a.example' } }),
    );
    expect(request).toMatchObject({ version: '2.0', method: 'POST', sourceIp: '203.0.113.7', body: '{}' });
    expect(request.headers.get('origin')).toBe('https://a.example');
    expect(request.forwardedFor).toEqual(['192.0.2.1']);
  });

  it('reads payload format 1.0, every value of a repeated header included', () => {
    const request = parseHttpEvent({
      httpMethod: 'post',
      headers: { 'X-Forwarded-For': '192.0.2.2' },
      multiValueHeaders: {
        'X-Forwarded-For': ['192.0.2.1', '192.0.2.2'],
        'Content-Type': ['application/json'],
      },
      requestContext: { identity: { sourceIp: '2001:db8::1' } },
      body: 'e30=',
      isBase64Encoded: true,
    });
    expect(request).toMatchObject({ version: '1.0', method: 'POST', sourceIp: '2001:db8::1', body: '{}' });
    expect(request.forwardedFor).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(request.headers.get('content-type')).toBe('application/json');
  });

  it('decodes base64 bodies and marks bytes that are not UTF-8', () => {
    expect(
      parseHttpEvent(v2({ body: Buffer.from('{"a":"é"}').toString('base64'), isBase64Encoded: true })).body,
    ).toBe('{"a":"é"}');
    expect(
      parseHttpEvent(v2({ body: Buffer.from([0xff, 0xfe]).toString('base64'), isBase64Encoded: true })).body,
    ).toBeNull();
  });

  it('refuses a body over the cap with 413, plain or base64', () => {
    const big = 'x'.repeat(MAX_BODY_BYTES + 1);
    expect(() => parseHttpEvent(v2({ body: big }))).toThrow(expect.objectContaining({ status: 413 }));
    expect(() =>
      parseHttpEvent(v2({ body: Buffer.from(big).toString('base64'), isBase64Encoded: true })),
    ).toThrow(expect.objectContaining({ status: 413 }));
    // Multi-byte characters count as bytes.
    expect(() => parseHttpEvent(v2({ body: 'é'.repeat(MAX_BODY_BYTES / 2 + 1) }))).toThrow(HttpEventError);
    expect(parseHttpEvent(v2({ body: 'x'.repeat(MAX_BODY_BYTES) })).bodyBytes).toBe(MAX_BODY_BYTES);
  });

  it('refuses what is not an HTTP event', () => {
    for (const event of [null, 'x', {}, { requestContext: {} }, { version: '2.0', requestContext: {} }])
      expect(() => parseHttpEvent(event)).toThrow(HttpEventError);
  });
});
