import { ResponseError } from './errors.js';

/** What a function may put in its answer; everything becomes a string. */
export type ResponseValue = string | number | boolean | bigint | null | undefined;
export type ResponseFields = Readonly<Record<string, ResponseValue>>;
/** What Connect receives: a flat map of strings, read in the flow as `$.External.<key>`. */
export type FlatResponse = Record<string, string>;

/**
 * Connect rejects a response over 32 KB, and contact attributes share a 32,768-byte budget per
 * contact; a function answer should leave the flow most of that.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024;
export const MAX_KEY_LENGTH = 64;

const KEY = /^[A-Za-z0-9_]+$/;
/** Legal characters, but names a consumer may mistake for object machinery. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface FlatResponseOptions {
  maxBytes?: number;
  /** Rewrite keys with other characters (see {@link sanitizeKey}) instead of refusing them. */
  sanitizeKeys?: boolean;
}

/**
 * Turns a key derived from data (a schema field, a header name) into a legal response key:
 * characters outside `[A-Za-z0-9_]` become `_`, and the result is cut to 64 characters.
 * Returns `''` when nothing usable is left.
 */
export function sanitizeKey(key: string): string {
  const cleaned = key.replace(/[^A-Za-z0-9_]/g, '_').slice(0, MAX_KEY_LENGTH);
  return /^_*$/.test(cleaned) || RESERVED_KEYS.has(cleaned) ? '' : cleaned;
}

function isLegalKey(key: string): boolean {
  return key.length <= MAX_KEY_LENGTH && KEY.test(key) && !RESERVED_KEYS.has(key);
}

function stringify(key: string, value: unknown): string {
  switch (typeof value) {
    case 'string':
      // Lone surrogates cannot be encoded as UTF-8; Connect would reject the whole answer.
      return value.toWellFormed();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new ResponseError('bad_response', `${key}: not a finite number`);
      return String(value);
    case 'bigint':
      return value.toString();
    case 'undefined':
      return '';
    default:
      if (value === null) return '';
      throw new ResponseError('bad_response', `${key}: nested values are not allowed`);
  }
}

/**
 * Builds the flat string map Connect accepts under both `STRING_MAP` and `JSON` response
 * validation. Booleans become `true`/`false`, null and undefined become `''`; objects and arrays
 * are refused, as are illegal keys and answers over the size limit ({@link ResponseError}).
 */
export function flatResponse(fields: ResponseFields, options: FlatResponseOptions = {}): FlatResponse {
  const out: FlatResponse = {};
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  for (const rawKey of Object.keys(fields)) {
    const key = options.sanitizeKeys ? sanitizeKey(rawKey) : rawKey;
    if (!isLegalKey(key)) throw new ResponseError('bad_response', 'illegal response key');
    if (Object.hasOwn(out, key))
      throw new ResponseError('bad_response', `${key}: two fields map to this key`);
    out[key] = stringify(key, fields[rawKey]);
  }
  const bytes = responseBytes(out);
  if (bytes > maxBytes) {
    throw new ResponseError(
      'response_too_large',
      `response is ${bytes} bytes, over the ${maxBytes}-byte limit`,
    );
  }
  return out;
}

/** The UTF-8 size of the response as Connect receives it. */
export function responseBytes(response: FlatResponse): number {
  return Buffer.byteLength(JSON.stringify(response), 'utf8');
}
