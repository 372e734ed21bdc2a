import { parseContactEvent } from '@flowguard/contact';
import { describe, expect, it } from 'vitest';
import {
  callbackEvent,
  chatEvent,
  clickToDialEvent,
  EVENT_FIXTURES,
  emailEvent,
  loadEventFixture,
  taskEvent,
  transferEvent,
  voiceEvent,
} from '../../src/index.js';

describe('event builders', () => {
  it('builds an inbound call with the caller in CustomerEndpoint', () => {
    const contact = parseContactEvent(voiceEvent('+14155550123'));

    expect(contact.channel).toBe('VOICE');
    expect(contact.initiationMethod).toBe('INBOUND');
    expect(contact.customerEndpoint).toEqual({ address: '+14155550123', type: 'TELEPHONE_NUMBER' });
    expect(contact.initialContactId).toBe(contact.contactId);
  });

  it('gives each event a new contact id', () => {
    expect(voiceEvent().Details.ContactData.ContactId).not.toBe(voiceEvent().Details.ContactData.ContactId);
  });

  it('builds a withheld call with a null endpoint', () => {
    expect(parseContactEvent(voiceEvent(null)).customerEndpoint).toBeNull();
  });

  it('builds a transfer: new ContactId, same InitialContactId, PreviousContactId set', () => {
    const first = voiceEvent('+14155550123', { attributes: { lang: 'en' } });

    const transferred = parseContactEvent(transferEvent(first));

    expect(transferred.contactId).not.toBe(first.Details.ContactData.ContactId);
    expect(transferred.initialContactId).toBe(first.Details.ContactData.ContactId);
    expect(transferred.previousContactId).toBe(first.Details.ContactData.ContactId);
    expect(transferred.initiationMethod).toBe('TRANSFER');
    expect(transferred.attributes.lang).toBe('en');
  });

  it('builds callback, click-to-dial, chat, task and email contacts', () => {
    expect(parseContactEvent(callbackEvent()).initiationMethod).toBe('CALLBACK');
    expect(
      parseContactEvent(clickToDialEvent('+14155550123', { attributes: { ip: '192.0.2.7' } })).attributes.ip,
    ).toBe('192.0.2.7');
    const chat = parseContactEvent(chatEvent({ attributes: { customerIp: '198.51.100.4' } }));
    expect([chat.channel, chat.customerEndpoint]).toEqual(['CHAT', null]);
    expect(parseContactEvent(taskEvent()).channel).toBe('TASK');
    expect(parseContactEvent(emailEvent('a@example.com')).customerEndpoint).toEqual({
      address: 'a@example.com',
      type: 'EMAIL_ADDRESS',
    });
  });

  it('passes parameters and contact-data overrides through', () => {
    const event = voiceEvent('+14155550123', {
      parameters: { policy: 'vip', tries: 2 },
      contactData: { AwsRegion: 'eu-west-2' },
    });
    const contact = parseContactEvent(event);

    expect(contact.parameters.policy).toBe('vip');
    expect(contact.parameters.tries).toBe(2);
    expect(contact.awsRegion).toBe('eu-west-2');
  });
});

describe('event fixtures', () => {
  it.each(EVENT_FIXTURES)('%s parses as a Connect event', (name) => {
    const contact = parseContactEvent(loadEventFixture(name));

    expect(contact.contactId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('returns a fresh copy on each load', () => {
    const first = loadEventFixture('voice-inbound');
    (first.Details as { Parameters: Record<string, unknown> }).Parameters.policy = 'changed';

    const second = parseContactEvent(loadEventFixture('voice-inbound'));

    expect(second.parameters.policy).toBe('default');
  });

  it('keeps the transfer fixture on the first contact of its chain', () => {
    const first = parseContactEvent(loadEventFixture('voice-inbound'));
    const transfer = parseContactEvent(loadEventFixture('voice-transfer'));

    expect(transfer.initialContactId).toBe(first.contactId);
    expect(transfer.contactId).not.toBe(first.contactId);
  });
});
