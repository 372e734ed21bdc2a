import { describe, expect, it } from 'vitest';
import { asContactRecord, decodeContactRecord } from '../../src/index.js';
import { FIXTURES, loadContactRecord } from '../support.js';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function problemOf(data: string): string {
  try {
    decodeContactRecord(data);
  } catch (error) {
    const { problem, detail } = error as { problem: string; detail: string };
    return `${problem} ${detail}`;
  }
  throw new Error('decoded');
}

describe('decodeContactRecord', () => {
  it('decodes each fixture: the documented sample, a chat and a chat with a transcript', () => {
    for (const name of FIXTURES) {
      const record = loadContactRecord(name);
      expect(decodeContactRecord(base64(JSON.stringify(record)))).toEqual(record);
    }
  });

  it('keeps fields AWS adds later, untouched', () => {
    const record = {
      ...loadContactRecord('contact-record-voice'),
      Campaign: { CampaignId: 'c-1' },
      QualityMetrics: {},
    };
    const decoded = decodeContactRecord(base64(JSON.stringify(record)));
    expect(decoded.Campaign).toEqual({ CampaignId: 'c-1' });
    expect(decoded.QualityMetrics).toEqual({});
  });

  it('takes null where the data model has objects: no queue, no agent, no endpoints, no attributes', () => {
    const record = {
      ContactId: 'c1',
      Queue: null,
      Agent: null,
      CustomerEndpoint: null,
      SystemEndpoint: null,
      Attributes: null,
      Recording: null,
      Recordings: null,
    };
    expect(decodeContactRecord(base64(JSON.stringify(record))).ContactId).toBe('c1');
  });

  it('tells data that is not base64 from text that is not JSON', () => {
    expect(problemOf('not base64!')).toBe('bad_base64 data');
    expect(problemOf('abc')).toBe('bad_base64 data');
    expect(problemOf('eyJ!Q29u')).toBe('bad_base64 data');
    expect(problemOf(base64('{"ContactId": "c1", '))).toBe('not_json data');
    expect(problemOf(base64(''))).toBe('not_json data');
  });

  it('names the field that makes a record unusable, never its value', () => {
    const voice = loadContactRecord('contact-record-voice');
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'ContactId: missing'],
      [{ ContactId: '' }, 'ContactId: missing'],
      [{ ContactId: 42 }, 'ContactId: missing'],
      [{ ContactId: 'x'.repeat(257) }, 'ContactId: too long'],
      [{ ...voice, Channel: 7 }, 'Channel: not a string'],
      [{ ...voice, Queue: 'Cards' }, 'Queue: not an object'],
      [{ ...voice, Queue: { Name: ['Cards'] } }, 'Queue.Name: not a string'],
      [{ ...voice, Agent: { RoutingProfile: { ARN: 1 } } }, 'Agent.RoutingProfile.ARN: not a string'],
      [
        { ...voice, Agent: { HierarchyGroups: { Level3: { GroupName: {} } } } },
        'Agent.HierarchyGroups.Level3.GroupName: not a string',
      ],
      [{ ...voice, Attributes: ['x'] }, 'Attributes: not an object'],
      [{ ...voice, Attributes: { dateOfBirth: 19800229 } }, 'Attributes.dateOfBirth: not a string'],
      [{ ...voice, Recordings: {} }, 'Recordings: not an array'],
      [{ ...voice, Recordings: ['s3://x'] }, 'Recordings.0: not an object'],
      [{ ...voice, Recording: { Location: 5 } }, 'Recording.Location: not a string'],
    ];
    for (const [record, detail] of cases) {
      expect(problemOf(base64(JSON.stringify(record)))).toBe(`not_a_contact_record ${detail}`);
    }
    expect(problemOf(base64('[1, 2]'))).toBe('not_a_contact_record (record): not an object');
    expect(problemOf(base64('"C-000123456"'))).not.toContain('C-000123456');
  });

  it('does not let __proto__ in a record reach any prototype', () => {
    const text =
      '{"ContactId": "c1", "Attributes": {"__proto__": "x", "constructor": "y"}, "__proto__": {"Channel": "VOICE"}}';
    const record = decodeContactRecord(base64(text));
    expect(record.Channel).toBeUndefined();
    expect(Object.hasOwn(record.Attributes ?? {}, '__proto__')).toBe(true);
    expect(({} as { Channel?: unknown }).Channel).toBeUndefined();
  });
});

describe('asContactRecord', () => {
  it('returns the parsed value itself: nothing is copied', () => {
    const value = loadContactRecord('contact-record-chat');
    expect(asContactRecord(value)).toBe(value);
  });
});
