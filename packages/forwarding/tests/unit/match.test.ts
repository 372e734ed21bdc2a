import { describe, expect, it } from 'vitest';
import { asContactRecord, type ContactRecord, matcher, type PolicyMatch } from '../../src/index.js';
import { loadContactRecord } from '../support.js';

const voice = () => asContactRecord(loadContactRecord('contact-record-voice'));
const chat = () => asContactRecord(loadContactRecord('contact-record-chat'));
const transcript = () => asContactRecord(loadContactRecord('contact-record-chat-transcript'));

const matches = (match: PolicyMatch, record: ContactRecord) => matcher(match)(record);

const CARDS_QUEUE_ARN =
  'arn:aws:connect:us-east-1:123456789012:instance/aaaaaaaa-bbbb-cccc-dddd-111111111111/queue/30000000-0000-4000-8000-000000000001';
const LEVEL3_ARN =
  'arn:aws:connect:us-east-1:123456789012:instance/aaaaaaaa-bbbb-cccc-dddd-111111111111/agent-group/10000000-0000-4000-8000-000000000003';

describe('matcher', () => {
  it('matches a queue by ARN or by name', () => {
    expect(matches({ queues: [CARDS_QUEUE_ARN] }, voice())).toBe(true);
    expect(matches({ queues: ['Cards'] }, voice())).toBe(true);
    expect(matches({ queues: ['Mortgages', 'Cards Chat'] }, voice())).toBe(false);
    expect(matches({ queues: ['Mortgages', 'Cards Chat'] }, transcript())).toBe(true);
  });

  it('never compares a name with an ARN', () => {
    const record = asContactRecord({ ContactId: 'c', Queue: { ARN: 'Cards', Name: CARDS_QUEUE_ARN } });
    expect(matches({ queues: ['Cards'] }, record)).toBe(false);
    expect(matches({ queues: [CARDS_QUEUE_ARN] }, record)).toBe(false);
  });

  it('does not match a queue condition when the contact never reached a queue', () => {
    expect(matches({ queues: ['Cards'] }, asContactRecord({ ContactId: 'c', Queue: null }))).toBe(false);
    expect(matches({ queues: ['Cards'] }, asContactRecord({ ContactId: 'c' }))).toBe(false);
  });

  it("matches the agent's routing profile", () => {
    expect(matches({ routingProfiles: ['Cards Agents'] }, voice())).toBe(true);
    expect(matches({ routingProfiles: ['Cards Agents'] }, chat())).toBe(false);
    expect(
      matches({ routingProfiles: ['Cards Agents'] }, asContactRecord({ ContactId: 'c', Agent: null })),
    ).toBe(false);
  });

  it('matches a hierarchy group at any of the five levels, by ARN or name', () => {
    expect(matches({ hierarchyGroups: ['Retail Banking'] }, voice())).toBe(true);
    expect(matches({ hierarchyGroups: ['Team North'] }, voice())).toBe(true);
    expect(matches({ hierarchyGroups: [LEVEL3_ARN] }, voice())).toBe(true);
    expect(matches({ hierarchyGroups: ['Team North'] }, chat())).toBe(false);
    const level5 = asContactRecord({
      ContactId: 'c',
      Agent: { HierarchyGroups: { Level5: { GroupName: 'Night Shift' } } },
    });
    expect(matches({ hierarchyGroups: ['Night Shift'] }, level5)).toBe(true);
  });

  it('matches channels', () => {
    expect(matches({ channels: ['CHAT'] }, chat())).toBe(true);
    expect(matches({ channels: ['CHAT'] }, voice())).toBe(false);
    expect(matches({ channels: ['EMAIL'] }, asContactRecord({ ContactId: 'c' }))).toBe(false);
  });

  it('matches attributes equal to one of the listed values; every named attribute must match', () => {
    expect(matches({ attributes: { businessUnit: ['cards'] } }, voice())).toBe(true);
    expect(matches({ attributes: { businessUnit: ['cards', 'mortgages'] } }, chat())).toBe(true);
    expect(matches({ attributes: { businessUnit: ['Cards'] } }, voice())).toBe(false);
    expect(matches({ attributes: { businessUnit: ['cards'], greetingPlayed: ['true'] } }, voice())).toBe(
      true,
    );
    expect(matches({ attributes: { businessUnit: ['cards'], greetingPlayed: ['true'] } }, transcript())).toBe(
      false,
    );
  });

  it('never matches an inherited property as an attribute', () => {
    const record = asContactRecord({ ContactId: 'c', Attributes: {} });
    expect(matches({ attributes: { constructor: ['function Object() { [native code] }'] } }, record)).toBe(
      false,
    );
    expect(matches({ attributes: { toString: ['x'] } }, asContactRecord({ ContactId: 'c' }))).toBe(false);
  });

  it('needs every given condition to hold', () => {
    const cardsVoice: PolicyMatch = { queues: ['Cards', 'Cards Chat'], channels: ['VOICE'] };
    expect(matches(cardsVoice, voice())).toBe(true);
    expect(matches(cardsVoice, transcript())).toBe(false);
    const all: PolicyMatch = {
      queues: ['Cards'],
      routingProfiles: ['Cards Agents'],
      channels: ['VOICE'],
      hierarchyGroups: ['Cards'],
      attributes: { businessUnit: ['cards'] },
    };
    expect(matches(all, voice())).toBe(true);
    expect(matches({ ...all, routingProfiles: ['Mortgage Chat'] }, voice())).toBe(false);
  });
});
