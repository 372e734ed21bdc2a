import { describe, expect, it } from 'vitest';
import type { FieldSelector, TrailSelectors } from '../../src/facts.js';
import { coversObjectEvent, logsManagementWrites, type ObjectEvent } from '../../src/trail-coverage.js';

const PREFIX = 'arn:aws:s3:::amzn-s3-demo-recordings/connect/example/CallRecordings/';
const read: ObjectEvent = {
  eventName: 'GetObject',
  readOnly: true,
  objectArnPrefix: PREFIX,
  objectSuffix: '.wav',
};
const write: ObjectEvent = { ...read, eventName: 'DeleteObject', readOnly: false };

const basic = (readWriteType: 'ReadOnly' | 'WriteOnly' | 'All', values: string[]): TrailSelectors => ({
  basic: [
    {
      readWriteType,
      includeManagementEvents: true,
      excludedManagementSources: [],
      dataResources: [{ type: 'AWS::S3::Object', values }],
    },
  ],
  advanced: [],
});

const advanced = (...fields: FieldSelector[]): TrailSelectors => ({
  basic: [],
  advanced: [
    {
      fieldSelectors: [
        { field: 'eventCategory', equals: ['Data'] },
        { field: 'resources.type', equals: ['AWS::S3::Object'] },
        ...fields,
      ],
    },
  ],
});

describe('coversObjectEvent', () => {
  it('reads basic selectors: the bucket, all buckets, the direction', () => {
    expect(coversObjectEvent(basic('All', ['arn:aws:s3:::amzn-s3-demo-recordings/']), read)).toBe(true);
    expect(coversObjectEvent(basic('ReadOnly', ['arn:aws:s3']), read)).toBe(true);
    expect(coversObjectEvent(basic('ReadOnly', ['arn:aws:s3']), write)).toBe(false);
    expect(coversObjectEvent(basic('All', ['arn:aws:s3:::amzn-s3-demo-other/']), read)).toBe(false);
    expect(coversObjectEvent(basic('All', [`${PREFIX}2027/`]), read)).toBe(false);
  });

  it('reads advanced selectors: prefix, readOnly, eventName', () => {
    expect(coversObjectEvent(advanced({ field: 'resources.ARN', startsWith: [PREFIX] }), read)).toBe(true);
    expect(coversObjectEvent(advanced(), read)).toBe(true);
    expect(coversObjectEvent(advanced({ field: 'readOnly', equals: ['false'] }), read)).toBe(false);
    expect(
      coversObjectEvent(advanced({ field: 'eventName', equals: ['PutObject', 'GetObject'] }), read),
    ).toBe(true);
    expect(coversObjectEvent(advanced({ field: 'eventName', notEquals: ['GetObject'] }), read)).toBe(false);
  });

  it('never counts a selector that covers only some recordings', () => {
    expect(coversObjectEvent(advanced({ field: 'resources.ARN', equals: [`${PREFIX}one.wav`] }), read)).toBe(
      false,
    );
    expect(
      coversObjectEvent(advanced({ field: 'resources.ARN', notStartsWith: [`${PREFIX}2027/`] }), read),
    ).toBe(false);
    expect(coversObjectEvent(advanced({ field: 'resources.ARN', notEndsWith: ['.wav'] }), read)).toBe(false);
    expect(coversObjectEvent(advanced({ field: 'resources.ARN', notEndsWith: ['.json'] }), read)).toBe(true);
    expect(coversObjectEvent(advanced({ field: 'resources.ARN', endsWith: ['.wav'] }), read)).toBe(true);
    expect(
      coversObjectEvent(advanced({ field: 'userIdentity.arn', notStartsWith: ['arn:aws:sts::1:'] }), read),
    ).toBe(false);
  });
});

describe('logsManagementWrites', () => {
  it('accepts All or WriteOnly management events, and an advanced Management selector', () => {
    expect(logsManagementWrites(basic('All', []))).toBe(true);
    expect(logsManagementWrites(basic('ReadOnly', []))).toBe(false);
    expect(
      logsManagementWrites({
        basic: [],
        advanced: [{ fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }] }],
      }),
    ).toBe(true);
    expect(
      logsManagementWrites({
        basic: [],
        advanced: [
          {
            fieldSelectors: [
              { field: 'eventCategory', equals: ['Management'] },
              { field: 'eventSource', notEquals: ['connect.amazonaws.com'] },
            ],
          },
        ],
      }),
    ).toBe(false);
  });

  it('refuses management events that exclude Connect', () => {
    const selectors = basic('All', []);
    expect(
      logsManagementWrites({
        ...selectors,
        basic: [
          {
            ...(selectors.basic[0] as TrailSelectors['basic'][0]),
            excludedManagementSources: ['connect.amazonaws.com'],
          },
        ],
      }),
    ).toBe(false);
  });
});
