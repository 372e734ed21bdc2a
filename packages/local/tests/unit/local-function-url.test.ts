// The local Function URL: each request becomes a payload format 2.0 event, the answer the response.
import { describe, expect, it } from 'vitest';
import { type HttpFunction, startLocalFunctionUrl } from '../../src/local-function-url.js';

describe('startLocalFunctionUrl', () => {
  const echo =
    (events: unknown[]): HttpFunction =>
    async (event, context) => {
      events.push(event);
      return {
        statusCode: 201,
        headers: { 'content-type': 'application/json', 'retry-after': '7' },
        body: JSON.stringify({
          requestId: context.awsRequestId,
          left: context.getRemainingTimeInMillis() > 0,
        }),
      };
    };

  it('hands the handler a 2.0 event with the connection as sourceIp, whatever X-Forwarded-For says', async () => {
    const events: unknown[] = [];
    const url = await startLocalFunctionUrl(echo(events));
    try {
      const response = await fetch(`${url.url}/start?x=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.9' },
        body: '{"kind":"chat"}',
      });

      expect(response.status).toBe(201);
      expect(response.headers.get('retry-after')).toBe('7');
      expect(await response.json()).toMatchObject({ left: true });
      expect(events[0]).toMatchObject({
        version: '2.0',
        rawPath: '/start',
        rawQueryString: 'x=1',
        body: '{"kind":"chat"}',
        isBase64Encoded: false,
        headers: { 'x-forwarded-for': '198.51.100.9' },
        requestContext: { http: { method: 'POST', path: '/start', sourceIp: '127.0.0.1' } },
      });
      expect(url.invocations()).toBe(1);
    } finally {
      await url.stop();
    }
  });

  it('reports the peer it is told to play, and answers 502 when the handler throws', async () => {
    const events: unknown[] = [];
    const played = await startLocalFunctionUrl(echo(events), { sourceIp: '203.0.113.50' });
    const failing = await startLocalFunctionUrl(async () => {
      throw new Error('boom');
    });
    try {
      await fetch(played.url, { method: 'POST', body: '{}' });
      const failed = await fetch(failing.url, { method: 'POST', body: '{}' });

      expect(events[0]).toMatchObject({ requestContext: { http: { sourceIp: '203.0.113.50' } } });
      expect(failed.status).toBe(502);
      expect(await failed.text()).not.toContain('boom');
    } finally {
      await Promise.all([played.stop(), failing.stop()]);
    }
  });
});
