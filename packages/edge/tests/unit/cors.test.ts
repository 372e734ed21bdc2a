import { describe, expect, it } from 'vitest';
import { checkOrigin, preflightHeaders } from '../../src/cors.js';

const config = {
  origins: new Set(['https://www.example.com']),
  allowNoOrigin: false,
  corsMaxAgeSeconds: 600,
};

describe('checkOrigin', () => {
  it('answers an allowed origin with exactly that origin and Vary: Origin', () => {
    expect(checkOrigin('https://www.example.com', config)).toEqual({
      ok: true,
      headers: { 'Access-Control-Allow-Origin': 'https://www.example.com', Vary: 'Origin' },
    });
  });

  it('refuses any other origin, look-alikes and `null` included', () => {
    for (const origin of [
      'https://evil.example',
      'https://www.example.com.evil.example',
      'http://www.example.com',
      'https://WWW.example.com',
      'https://www.example.com/',
      'null',
      '*',
    ])
      expect(checkOrigin(origin, config), origin).toEqual({ ok: false });
  });

  it('refuses a request without Origin unless configured to accept it (without CORS headers)', () => {
    expect(checkOrigin(undefined, config)).toEqual({ ok: false });
    expect(checkOrigin(undefined, { ...config, allowNoOrigin: true })).toEqual({ ok: true, headers: {} });
  });

  it('gives a preflight the methods, headers and max-age', () => {
    const allowed = checkOrigin('https://www.example.com', config);
    if (!allowed.ok) throw new Error('refused');
    expect(preflightHeaders(allowed.headers, config)).toMatchObject({
      'Access-Control-Allow-Origin': 'https://www.example.com',
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      'Access-Control-Max-Age': '600',
      Vary: expect.stringContaining('Origin'),
    });
  });
});
