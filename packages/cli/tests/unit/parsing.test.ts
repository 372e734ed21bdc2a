import { StoreUnavailableError } from '@flowguard/caller-screening';
import { describe, expect, it } from 'vitest';
import { CsvError, csvLine, parseCsvLine } from '../../src/csv.js';
import { humanDuration, importDuration } from '../../src/format.js';
import { callerKey, KeyError } from '../../src/keys.js';
import { describeStoreError, isPermanent } from '../../src/store.js';

describe('callerKey', () => {
  it.each([
    ['(415) 555-0123', 'US', 'tel:+14155550123'],
    ['415.555.0123', 'US', 'tel:+14155550123'],
    ['+1 415 555 0123', 'GB', 'tel:+14155550123'],
    ['020 7946 0000', 'GB', 'tel:+442079460000'],
    ['07400 123456', 'GB', 'tel:+447400123456'],
    ['tel:+14155550123', 'US', 'tel:+14155550123'],
    ['TEL:+123', 'US', 'tel:+123'],
    ['ip:203.0.113.7', 'US', 'ip:203.0.113.7'],
    ['ip:[2001:db8:1:2::99]', 'US', 'ip:2001:db8:1:2::/64'],
    ['ip:2001:db8:1:2::/64', 'US', 'ip:2001:db8:1:2::/64'],
    ['cust: C-1 ', 'US', 'cust:C-1'],
    ['email:A@B.example', 'US', 'email:a@b.example'],
  ] as const)('%s (%s) -> %s', (input, country, key) => {
    expect(callerKey(input, country)).toBe(key);
  });

  it.each([
    ['', 'a number or key is required'],
    ['12345', "'12345' is not a valid phone number for country US"],
    ['1-800-FLOWERS', "'1-800-FLOWERS' is not a valid phone number for country US"],
    ['restricted', "'restricted' is a withheld caller ID, which has no key"],
    ['tel:+266696687', "'tel:+266696687' is a withheld caller ID, which has no key"],
    ['tel:14155550123', "'tel:14155550123' is not a store key: write tel:+ and the digits (E.164)"],
    ['ip:not-an-ip', "'ip:not-an-ip' is not an IP address"],
    ['email:nobody', "'email:nobody' is not an e-mail address"],
    ['cust:', "'cust:': a customer id is 1 to 256 characters"],
    [
      'mallory@example.com',
      "'mallory@example.com' looks like an e-mail address: write email:mallory@example.com",
    ],
    ['+1415555\u00000123', 'a number or key cannot contain control characters'],
  ])('refuses %j', (input, message) => {
    expect(() => callerKey(input, 'US')).toThrow(new KeyError(message));
  });
});

describe('CSV', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    [' a , b ,c ', ['a', 'b', 'c']],
    ['a,"b, c",d', ['a', 'b, c', 'd']],
    ['"say ""hi""",x', ['say "hi"', 'x']],
    ['a,,', ['a', '', '']],
    ['', ['']],
    ['a, "b" ,c', ['a', 'b', 'c']],
  ])('parses %j', (line, fields) => {
    expect(parseCsvLine(line)).toEqual(fields);
  });

  it.each([
    ['a,"b', 'unterminated quoted field'],
    ['a,"b"c', 'text after a closing quote'],
    ['a,b"c', 'a quote inside an unquoted field'],
  ])('refuses %j', (line, message) => {
    expect(() => parseCsvLine(line)).toThrow(new CsvError(message));
  });

  it('writes fields that parse back', () => {
    const fields = ['+14155550123', 'fraud, "big"', ' padded ', 'two\nlines', 'plain'];
    const line = csvLine(fields);
    expect(line).toBe('+14155550123,"fraud, ""big"""," padded ",two lines,plain\n');
    expect(parseCsvLine(line.trimEnd())).toEqual([
      '+14155550123',
      'fraud, "big"',
      'padded',
      'two lines',
      'plain',
    ]);
  });
});

describe('durations', () => {
  it.each([
    [1, '1s'],
    [59, '59s'],
    [3600, '1h'],
    [90_061, '1d 1h'],
    [30 * 86_400, '30d'],
    [0, '0s'],
  ])('humanDuration(%d) = %s', (seconds, text) => {
    expect(humanDuration(seconds)).toBe(text);
  });

  it.each([
    [30 * 86_400, '30d'],
    [7200, '2h'],
    [90, '90s'],
    [999_999, '999999s'],
    [1_000_020, '16667m'],
    [1_000_001, '16667m'],
    [3650 * 86_400, '3650d'],
    [3650 * 86_400 - 1, '87600h'],
    [5000 * 86_400, '3650d'],
    [0.5, '1s'],
  ])('importDuration(%d) = %s, never shorter', (seconds, text) => {
    expect(importDuration(seconds)).toBe(text);
  });
});

describe('store errors', () => {
  const failure = (name: string, message: string, extra: Record<string, unknown> = {}) =>
    new StoreUnavailableError('block', { cause: Object.assign(new Error(message), { name, ...extra }) });

  it('names the cause, never its message', () => {
    const denied = failure(
      'AccessDeniedException',
      'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: dynamodb:UpdateItem',
    );
    const text = describeStoreError(denied, 'flowguard');
    expect(text).toBe("store unavailable: store block failed: access denied to table 'flowguard'");
    expect(text).not.toContain('123456789012');
    expect(isPermanent(denied)).toBe(true);
    const odd = failure(
      'ThrottlingException',
      'Rate exceeded for arn:aws:dynamodb:us-east-1:123456789012:table/x',
    );
    expect(describeStoreError(odd, 'flowguard')).toBe(
      'store unavailable: store block failed (ThrottlingException)',
    );
    expect(isPermanent(odd)).toBe(false);
  });

  it('gives hints for credentials and region', () => {
    expect(describeStoreError(failure('CredentialsProviderError', 'Could not load credentials'), 't')).toBe(
      'store unavailable: store block failed: no AWS credentials found',
    );
    expect(describeStoreError(failure('Error', 'Region is missing'), 't')).toBe(
      'store unavailable: store block failed: no AWS region (set AWS_REGION or AWS_PROFILE)',
    );
    expect(isPermanent(failure('Error', 'Region is missing'))).toBe(true);
  });
});
