import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  flatResponse,
  ResponseError,
  type ResponseFields,
  responseBytes,
  sanitizeKey,
} from '../../src/index.js';

/** Runs `build` and returns the ResponseError it throws, failing the test if it does not. */
function responseError(build: () => unknown): ResponseError {
  try {
    build();
  } catch (error) {
    if (error instanceof ResponseError) return error;
    throw error;
  }
  throw new Error('expected a ResponseError');
}

describe('flatResponse', () => {
  it('turns every value into a string', () => {
    const fields = {
      decision: 'allow',
      blocked: false,
      known: true,
      score: 42,
      ratio: 0.5,
      big: 12345678901234567890n,
      reason: null,
      detail: undefined,
    };

    const response = flatResponse(fields);

    expect(response).toEqual({
      decision: 'allow',
      blocked: 'false',
      known: 'true',
      score: '42',
      ratio: '0.5',
      big: '12345678901234567890',
      reason: '',
      detail: '',
    });
  });

  it.each([
    ['a nested object', { a: 1 }],
    ['an array', ['a']],
    ['a function', () => 'x'],
  ])('refuses %s as a value with bad_response', (_, value) => {
    const fields = { decision: value } as unknown as ResponseFields;

    const error = responseError(() => flatResponse(fields));

    expect(error.code).toBe('bad_response');
    expect(error.message).toContain('decision');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses %s', (value) => {
    const error = responseError(() => flatResponse({ score: value }));

    expect(error.code).toBe('bad_response');
  });

  it.each(['a-b', 'a b', '', 'é', 'a.b', '$.x', 'k'.repeat(65)])('refuses the key %j', (key) => {
    const error = responseError(() => flatResponse({ [key]: 'x' }));

    expect(error.code).toBe('bad_response');
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the reserved key %j', (key) => {
    const fields = JSON.parse(`{"${key}": "x"}`) as ResponseFields;
    expect(Object.hasOwn(fields, key)).toBe(true);

    const error = responseError(() => flatResponse(fields));

    expect(error.code).toBe('bad_response');
  });

  it('accepts letters, digits and underscores up to 64 characters', () => {
    const key = `Ab_9${'k'.repeat(60)}`;

    const response = flatResponse({ [key]: 'x', _lead: 'y', '123': 'z' });

    expect(response).toEqual({ [key]: 'x', _lead: 'y', '123': 'z' });
  });

  it('rewrites illegal keys with sanitizeKeys', () => {
    const fields = { 'P-Asserted-Identity': 'x', 'line type': 'y', plain: 'z' };

    const response = flatResponse(fields, { sanitizeKeys: true });

    expect(response).toEqual({ P_Asserted_Identity: 'x', line_type: 'y', plain: 'z' });
  });

  it('refuses two keys that sanitize to the same key', () => {
    const fields = { 'a-b': '1', 'a b': '2' };

    const error = responseError(() => flatResponse(fields, { sanitizeKeys: true }));

    expect(error.code).toBe('bad_response');
    expect(error.message).toContain('a_b');
  });

  it('refuses a key that sanitizes to nothing', () => {
    const error = responseError(() => flatResponse({ '---': 'x' }, { sanitizeKeys: true }));

    expect(error.code).toBe('bad_response');
  });

  it('makes lone surrogates well-formed and keeps valid pairs', () => {
    const fields = { high: 'a\uD800b', low: '\uDC00', pair: '📞' };

    const response = flatResponse(fields);

    expect(response).toEqual({ high: 'a\uFFFDb', low: '\uFFFD', pair: '📞' });
    expect(response.high?.isWellFormed()).toBe(true);
    expect(Buffer.from(JSON.stringify(response), 'utf8').toString('utf8')).toBe(JSON.stringify(response));
  });

  describe('size limit', () => {
    /** `{"big":""}` is 10 bytes; a value of `n` ASCII characters makes a response of n + 10. */
    const overhead = responseBytes({ big: '' });

    it('accepts a response of exactly the default limit', () => {
      const value = 'x'.repeat(DEFAULT_MAX_RESPONSE_BYTES - overhead);

      const response = flatResponse({ big: value });

      expect(responseBytes(response)).toBe(DEFAULT_MAX_RESPONSE_BYTES);
    });

    it('refuses a response one byte over with response_too_large', () => {
      const value = 'x'.repeat(DEFAULT_MAX_RESPONSE_BYTES - overhead + 1);

      const error = responseError(() => flatResponse({ big: value }));

      expect(error.code).toBe('response_too_large');
    });

    it('counts multi-byte characters in bytes, not in string length', () => {
      const value = 'é'.repeat(9000);
      expect(value.length).toBeLessThan(DEFAULT_MAX_RESPONSE_BYTES);

      const error = responseError(() => flatResponse({ big: value }));

      expect(error.code).toBe('response_too_large');
    });

    it('applies a custom maxBytes', () => {
      const fields = { a: 'xxxxx' };

      expect(flatResponse(fields, { maxBytes: 13 })).toEqual({ a: 'xxxxx' });
      expect(responseError(() => flatResponse(fields, { maxBytes: 12 })).code).toBe('response_too_large');
    });
  });
});

describe('responseBytes', () => {
  it('is the UTF-8 size of the JSON text', () => {
    expect(responseBytes({})).toBe(2);
    expect(responseBytes({ k: 'e' })).toBe(9);
    expect(responseBytes({ k: 'é' })).toBe(10);
    expect(responseBytes({ k: '€' })).toBe(11);
    expect(responseBytes({ k: '📞' })).toBe(12);
  });

  it('counts JSON escapes', () => {
    expect(responseBytes({ k: '"' })).toBe(10);
  });
});

describe('sanitizeKey', () => {
  it.each([
    ['a-b', 'a_b'],
    ['a b', 'a_b'],
    ['P-Asserted-Identity', 'P_Asserted_Identity'],
    ['café', 'caf_'],
    ['already_fine9', 'already_fine9'],
    ['k'.repeat(100), 'k'.repeat(64)],
  ])('turns %j into %j', (key, expected) => {
    expect(sanitizeKey(key)).toBe(expected);
  });

  it.each(['---', '', '___', 'é', '__proto__', 'constructor', 'prototype'])(
    'gives an empty string for %j',
    (key) => {
      expect(sanitizeKey(key)).toBe('');
    },
  );
});
