import { describe, expect, it } from 'vitest';
import { matchesPattern, parsePattern } from '../../src/event-pattern.js';

/** An "AWS API Call via CloudTrail" event for a Connect call, as EventBridge delivers it. */
const event = {
  version: '0',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.connect',
  account: '123456789012',
  region: 'us-east-1',
  resources: [],
  detail: {
    eventSource: 'connect.amazonaws.com',
    eventName: 'UpdateUserIdentityInfo',
    awsRegion: 'us-east-1',
    readOnly: false,
    requestParameters: { InstanceId: '9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa' },
  },
};

const matches = (pattern: object) => {
  const parsed = parsePattern(JSON.stringify(pattern));
  return parsed !== undefined && matchesPattern(parsed, event);
};

describe('matchesPattern', () => {
  it('matches exact values, nested fields and arrays of alternatives', () => {
    expect(
      matches({ source: ['aws.connect'], detail: { eventName: ['CreateUser', 'UpdateUserIdentityInfo'] } }),
    ).toBe(true);
    expect(matches({ source: ['aws.connect'], detail: { eventName: ['CreateUser'] } })).toBe(false);
    expect(matches({ source: ['aws.s3'], detail: { eventName: ['UpdateUserIdentityInfo'] } })).toBe(false);
  });

  it('applies prefix, suffix, equals-ignore-case, wildcard and numeric', () => {
    expect(matches({ detail: { eventName: [{ prefix: 'Update' }] } })).toBe(true);
    expect(matches({ detail: { eventName: [{ prefix: { 'equals-ignore-case': 'updateuser' } }] } })).toBe(
      true,
    );
    expect(matches({ detail: { eventName: [{ suffix: 'Info' }] } })).toBe(true);
    expect(matches({ detail: { eventName: [{ 'equals-ignore-case': 'updateuseridentityinfo' }] } })).toBe(
      true,
    );
    expect(matches({ detail: { eventName: [{ wildcard: 'Update*Info' }] } })).toBe(true);
    expect(matches({ detail: { eventName: [{ wildcard: 'Create*' }] } })).toBe(false);
    expect(matches({ version: [{ numeric: ['>=', 0] }] })).toBe(false);
  });

  it('reads anything-but as exclusion, not as a mention', () => {
    expect(matches({ detail: { eventName: [{ 'anything-but': 'UpdateUserIdentityInfo' }] } })).toBe(false);
    expect(matches({ detail: { eventName: [{ 'anything-but': ['CreateUser'] }] } })).toBe(true);
    expect(matches({ detail: { eventName: [{ 'anything-but': { prefix: 'Update' } }] } })).toBe(false);
  });

  it('handles exists, including on fields the event lacks', () => {
    expect(matches({ detail: { errorCode: [{ exists: false }] } })).toBe(true);
    expect(matches({ detail: { errorCode: [{ exists: true }] } })).toBe(false);
    expect(matches({ detail: { userIdentity: { type: [{ exists: false }] } } })).toBe(true);
    expect(matches({ detail: { userIdentity: { type: ['IAMUser'] } } })).toBe(false);
  });

  it('takes $or alternatives', () => {
    expect(
      matches({ $or: [{ source: ['aws.s3'] }, { detail: { eventName: ['UpdateUserIdentityInfo'] } }] }),
    ).toBe(true);
    expect(
      matches({ detail: { $or: [{ eventName: ['CreateUser'] }, { eventSource: ['s3.amazonaws.com'] }] } }),
    ).toBe(false);
  });

  it('matches nothing on an operator it does not know or a malformed pattern', () => {
    expect(matches({ detail: { eventName: [{ 'some-future-operator': 'x' }] } })).toBe(false);
    expect(matches({ detail: { eventName: 'UpdateUserIdentityInfo' } })).toBe(false);
    expect(parsePattern('{"detail": ')).toBeUndefined();
    expect(parsePattern('["aws.connect"]')).toBeUndefined();
  });
});
