import { parseContactEvent } from '@flowguard/contact';
import {
  type ConnectEvent,
  chatEvent,
  clickToDialEvent,
  emailEvent,
  taskEvent,
  voiceEvent,
} from '@flowguard/testing';
import { describe, expect, it } from 'vitest';
import {
  type CallerIdentity,
  callerIdentity,
  type IdentityOptions,
  ipKey,
  isWithheld,
  phoneIdentity,
} from '../../src/identity.js';

/** What the screener passes: the configuration defaults (FLOWGUARD_IP_ATTRIBUTE etc.). */
const OPTIONS: IdentityOptions = {
  defaultCountry: 'US',
  ipAttribute: 'customerIp',
  customerIdAttribute: 'customerId',
};

function identityOf(event: ConnectEvent, options: IdentityOptions = OPTIONS): CallerIdentity {
  return callerIdentity(parseContactEvent(event), options);
}

const WITHHELD_IDENTITY: CallerIdentity = {
  class: 'withheld',
  key: null,
  number: null,
  valid: false,
  lineType: 'unknown',
  country: '',
};

const UNIDENTIFIED: CallerIdentity = { ...WITHHELD_IDENTITY, class: 'unidentified' };

/** connect-facts.md §5 and the extra spellings identity.ts knows. */
const WITHHELD_WORDS = [
  'anonymous',
  'Anonymous',
  'ANONYMOUS',
  'Restricted',
  'RESTRICTED',
  'private',
  'unknown',
  'Unknown',
  'unavailable',
  'blocked',
  'withheld',
  'Private Number',
  'no caller id',
  'sip:anonymous@anonymous.invalid',
  '',
  ' ',
  '   ',
  '\t',
  ' anonymous ',
];

/** The keypad spellings (ANONYMOUS, RESTRICTED, UNAVAILABLE, UNKNOWN, BLOCKED), also formatted. */
const WITHHELD_NUMBERS = [
  '+266696687',
  '+7378742833',
  '+86282452253',
  '+8656696',
  '+2562533',
  '+266 696 687',
  '+737 874 2833',
  '+737-874-2833',
  '+86 282 452 253',
  '+86-282-452-253',
  '+865 6696',
  '+865-6696',
  '+256 2533',
  '+256-2533',
  ' +266696687 ',
  '266696687',
  '(737) 874-2833',
];

describe('isWithheld', () => {
  it.each([...WITHHELD_WORDS, ...WITHHELD_NUMBERS])('is true for %j', (spelling) => {
    expect(isWithheld(spelling)).toBe(true);
  });

  it('is true for null and undefined', () => {
    expect(isWithheld(null)).toBe(true);
    expect(isWithheld(undefined)).toBe(true);
  });

  it.each(['+14155550123', '+442079460000', '+2662533', '+26669668', '+73787428330', 'hello'])(
    'is false for %j',
    (address) => {
      expect(isWithheld(address)).toBe(false);
    },
  );
});

describe('phoneIdentity', () => {
  describe('withheld caller IDs', () => {
    it.each([...WITHHELD_WORDS, ...WITHHELD_NUMBERS])('makes %j class withheld with no key', (spelling) => {
      expect(phoneIdentity(spelling, 'US')).toEqual(WITHHELD_IDENTITY);
    });

    it('recognises a keypad spelling reached through an international dialling prefix', () => {
      // Not a withheld spelling as written: only the parsed E.164 number gives it away.
      expect(phoneIdentity('00 266 696 687', 'GB')).toEqual(WITHHELD_IDENTITY);
      expect(phoneIdentity('011 737 874 2833', 'US')).toEqual(WITHHELD_IDENTITY);
    });
  });

  describe('valid numbers', () => {
    it('keys a US number by E.164 with its country and line type', () => {
      expect(phoneIdentity('+14155550123')).toEqual({
        class: 'phone',
        key: 'tel:+14155550123',
        number: '+14155550123',
        valid: true,
        lineType: 'fixed_line_or_mobile',
        country: 'US',
      });
    });

    it('keys a UK fixed line and a UK mobile', () => {
      expect(phoneIdentity('+442079460000')).toMatchObject({
        class: 'phone',
        key: 'tel:+442079460000',
        valid: true,
        lineType: 'fixed_line',
        country: 'GB',
      });
      expect(phoneIdentity('+447400123456')).toMatchObject({
        key: 'tel:+447400123456',
        valid: true,
        lineType: 'mobile',
        country: 'GB',
      });
    });

    it('classifies a US 900 number as premium_rate', () => {
      expect(phoneIdentity('+19005550123')).toMatchObject({
        key: 'tel:+19005550123',
        valid: true,
        lineType: 'premium_rate',
        country: 'US',
      });
    });

    it('classifies a UK 09 number as premium_rate', () => {
      expect(phoneIdentity('+449098790000')).toMatchObject({ lineType: 'premium_rate', country: 'GB' });
    });

    it.each(['+18002345678', '+18665550100', '+18885550100'])('classifies %s as toll_free', (number) => {
      expect(phoneIdentity(number)).toMatchObject({ valid: true, lineType: 'toll_free', country: 'US' });
    });

    it('classifies a UK 0800 number as toll_free', () => {
      expect(phoneIdentity('+448001234567')).toMatchObject({ lineType: 'toll_free', country: 'GB' });
    });

    it('normalises international formats with spaces, dashes and brackets', () => {
      expect(phoneIdentity('+1 (415) 555-0123').key).toBe('tel:+14155550123');
      expect(phoneIdentity('+44 20 7946 0000').key).toBe('tel:+442079460000');
      expect(phoneIdentity(' +14155550123 ').key).toBe('tel:+14155550123');
    });

    it('ignores an extension', () => {
      expect(phoneIdentity('+14155550123 ext 5').key).toBe('tel:+14155550123');
    });
  });

  describe('national formats', () => {
    it('reads a US national number with default country US', () => {
      expect(phoneIdentity('(415) 555-0123', 'US')).toMatchObject({
        key: 'tel:+14155550123',
        valid: true,
        country: 'US',
      });
      expect(phoneIdentity('415-555-0123', 'US').key).toBe('tel:+14155550123');
    });

    it('reads a UK national number with default country GB', () => {
      expect(phoneIdentity('020 7946 0000', 'GB')).toMatchObject({
        key: 'tel:+442079460000',
        valid: true,
        lineType: 'fixed_line',
        country: 'GB',
      });
      expect(phoneIdentity('07400 123456', 'GB')).toMatchObject({
        key: 'tel:+447400123456',
        lineType: 'mobile',
      });
    });

    it('keeps an E.164 number from another country whatever the default country', () => {
      expect(phoneIdentity('+14155550123', 'GB')).toMatchObject({ key: 'tel:+14155550123', country: 'US' });
    });

    it('cannot place a national number without a default country: keyed by digits, invalid', () => {
      expect(phoneIdentity('020 7946 0000')).toEqual({
        class: 'phone',
        key: 'tel:+02079460000',
        number: '+02079460000',
        valid: false,
        lineType: 'unknown',
        country: '',
      });
    });
  });

  describe('invalid numbers', () => {
    it.each([
      ['+1234', 'tel:+1234'],
      ['+12', 'tel:+12'],
      ['+999123456', 'tel:+999123456'],
      ['12345', 'tel:+112345'],
      ['+447700900123', 'tel:+447700900123'],
    ])('keys %j as %s (with default country US), invalid and without a country', (address, key) => {
      expect(phoneIdentity(address, 'US')).toEqual({
        class: 'phone',
        key,
        number: key.slice('tel:'.length),
        valid: false,
        lineType: 'unknown',
        country: '',
      });
    });

    it('keys short national garbage by its digits alone without a default country', () => {
      expect(phoneIdentity('12345')).toMatchObject({ key: 'tel:+12345', valid: false, country: '' });
    });

    it('gives the same key to the same garbage twice, so it can be rate-limited', () => {
      expect(phoneIdentity('+999-123-456').key).toBe(phoneIdentity('+999 123 456').key);
    });

    it('caps the digits of an overlong number at 20', () => {
      const identity = phoneIdentity('+12345678901234567890123');
      expect(identity.key).toBe('tel:+12345678901234567890');
      expect(identity.valid).toBe(false);
    });

    it.each(['hello', 'abc-def', '---', '()'])('makes %j with no digits unidentified', (address) => {
      expect(phoneIdentity(address, 'US')).toEqual(UNIDENTIFIED);
    });
  });
});

describe('ipKey', () => {
  it('keys IPv4 exactly', () => {
    expect(ipKey('203.0.113.7')).toBe('ip:203.0.113.7');
    expect(ipKey(' 203.0.113.7 ')).toBe('ip:203.0.113.7');
    expect(ipKey('203.0.113.8')).not.toBe(ipKey('203.0.113.7'));
  });

  it('gives full and compressed forms of one IPv6 /64 the same key', () => {
    const key = 'ip:2001:db8:1:2::/64';
    expect(ipKey('2001:0db8:0001:0002:0000:0000:0000:0001')).toBe(key);
    expect(ipKey('2001:db8:1:2::1')).toBe(key);
    expect(ipKey('2001:DB8:1:2::1')).toBe(key);
  });

  it('gives every address inside one /64 the same key', () => {
    expect(ipKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(ipKey('2001:db8:1:2::1'));
    expect(ipKey('2001:db8:1:2:abcd::99')).toBe(ipKey('2001:db8:1:2::1'));
  });

  it('gives different /64s different keys', () => {
    expect(ipKey('2001:db8:1:3::1')).toBe('ip:2001:db8:1:3::/64');
    expect(ipKey('2001:db8:1:3::1')).not.toBe(ipKey('2001:db8:1:2::1'));
    expect(ipKey('2001:db8:2:2::1')).not.toBe(ipKey('2001:db8:1:2::1'));
  });

  it('expands zeros compressed inside the first 64 bits', () => {
    expect(ipKey('2001:db8::1')).toBe('ip:2001:db8:0:0::/64');
    expect(ipKey('2001:db8:0:0:1::1')).toBe(ipKey('2001:db8::1'));
  });

  it('keys an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(ipKey('::ffff:203.0.113.7')).toBe('ip:203.0.113.7');
    expect(ipKey('::FFFF:203.0.113.7')).toBe('ip:203.0.113.7');
    expect(ipKey('[::ffff:203.0.113.7]')).toBe('ip:203.0.113.7');
  });

  it('keys an IPv6 address with an embedded IPv4 tail by its /64', () => {
    expect(ipKey('2001:db8:1:2::203.0.113.7')).toBe('ip:2001:db8:1:2::/64');
  });

  it('strips brackets', () => {
    expect(ipKey('[2001:db8:1:2::1]')).toBe('ip:2001:db8:1:2::/64');
    expect(ipKey('[203.0.113.7]')).toBe('ip:203.0.113.7');
  });

  it('strips a zone id', () => {
    expect(ipKey('fe80::1%eth0')).toBe('ip:fe80:0:0:0::/64');
    expect(ipKey('fe80::1%eth0')).toBe(ipKey('fe80::2%3'));
  });

  it.each([
    'not-an-ip',
    '',
    '1.2.3',
    '999.1.1.1',
    '203.0.113.7:443',
    '2001:db8:::1',
    '2001:db8:1:2:3:4:5:6:7',
    'gggg::1',
  ])('is null for %j', (raw) => {
    expect(ipKey(raw)).toBeNull();
  });
});

describe('callerIdentity', () => {
  describe('voice', () => {
    it('keys an inbound caller by E.164 number', () => {
      expect(identityOf(voiceEvent('+14155550123'))).toEqual({
        class: 'phone',
        key: 'tel:+14155550123',
        number: '+14155550123',
        valid: true,
        lineType: 'fixed_line_or_mobile',
        country: 'US',
      });
    });

    it.each([...WITHHELD_WORDS, ...WITHHELD_NUMBERS])('makes caller %j withheld with no key', (spelling) => {
      expect(identityOf(voiceEvent(spelling))).toEqual(WITHHELD_IDENTITY);
    });

    it('makes a null customer endpoint withheld', () => {
      expect(identityOf(voiceEvent(null))).toEqual(WITHHELD_IDENTITY);
    });

    it('makes an endpoint without an address withheld', () => {
      const event = voiceEvent('+14155550123', {
        contactData: { CustomerEndpoint: { Type: 'TELEPHONE_NUMBER' } },
      });
      expect(identityOf(event)).toEqual(WITHHELD_IDENTITY);
    });

    it('uses the default country for a national-format caller', () => {
      expect(identityOf(voiceEvent('020 7946 0000'), { ...OPTIONS, defaultCountry: 'GB' }).key).toBe(
        'tel:+442079460000',
      );
    });

    it('ignores an IP attribute on an ordinary inbound call', () => {
      const event = voiceEvent('+14155550123', {
        attributes: { customerIp: '203.0.113.7', customerId: 'c-1' },
      });
      expect(identityOf(event).key).toBe('tel:+14155550123');
    });
  });

  describe('click-to-dial and web calling', () => {
    it('keys a click-to-dial call by the IP attribute', () => {
      const event = clickToDialEvent('+14155550123', { attributes: { customerIp: '203.0.113.7' } });
      expect(identityOf(event)).toEqual({
        class: 'ip',
        key: 'ip:203.0.113.7',
        number: null,
        valid: false,
        lineType: 'unknown',
        country: '',
      });
    });

    it('keys a click-to-dial call by the number when there is no IP or customer id', () => {
      expect(identityOf(clickToDialEvent('+14155550123'))).toMatchObject({
        class: 'phone',
        key: 'tel:+14155550123',
        valid: true,
      });
    });

    it('normalises a typed national number of a click-to-dial call', () => {
      expect(identityOf(clickToDialEvent('(415) 555-0123')).key).toBe('tel:+14155550123');
    });

    it('falls back to the customer id before the number', () => {
      const event = clickToDialEvent('+14155550123', { attributes: { customerId: 'c-42' } });
      expect(identityOf(event)).toMatchObject({ class: 'customer', key: 'cust:c-42' });
    });

    it('falls back to the number when the IP attribute is not an IP', () => {
      const event = clickToDialEvent('+14155550123', { attributes: { customerIp: 'not-an-ip' } });
      expect(identityOf(event).key).toBe('tel:+14155550123');
    });

    it('keys a WEBRTC_API call by the IP attribute too', () => {
      const event = voiceEvent('+14155550123', {
        attributes: { customerIp: '2001:db8:1:2::99' },
        contactData: { InitiationMethod: 'WEBRTC_API' },
      });
      expect(identityOf(event)).toMatchObject({ class: 'ip', key: 'ip:2001:db8:1:2::/64' });
    });

    it('makes a click-to-dial call without IP and with a withheld number withheld', () => {
      expect(identityOf(clickToDialEvent('anonymous'))).toEqual(WITHHELD_IDENTITY);
    });
  });

  describe('chat', () => {
    it('keys by the IP attribute named in the options', () => {
      expect(identityOf(chatEvent({ attributes: { customerIp: '203.0.113.7' } }))).toMatchObject({
        class: 'ip',
        key: 'ip:203.0.113.7',
      });
    });

    it('keys IPv6 chat customers by /64', () => {
      const a = identityOf(chatEvent({ attributes: { customerIp: '2001:db8:1:2::1' } }));
      const b = identityOf(chatEvent({ attributes: { customerIp: '2001:0db8:0001:0002:ffff::7' } }));
      expect(a.key).toBe('ip:2001:db8:1:2::/64');
      expect(b.key).toBe(a.key);
    });

    it('trims the IP attribute', () => {
      expect(identityOf(chatEvent({ attributes: { customerIp: '  203.0.113.7 ' } })).key).toBe(
        'ip:203.0.113.7',
      );
    });

    it('reads the IP from whichever attribute the options name', () => {
      const event = chatEvent({ attributes: { clientAddress: '203.0.113.9', customerIp: '203.0.113.7' } });
      expect(identityOf(event, { ...OPTIONS, ipAttribute: 'clientAddress' }).key).toBe('ip:203.0.113.9');
    });

    it('does not look for an IP when the options name no attribute', () => {
      const event = chatEvent({ attributes: { customerIp: '203.0.113.7' } });
      expect(identityOf(event, {})).toEqual(UNIDENTIFIED);
    });

    it('keys by the customerId attribute without an IP', () => {
      expect(identityOf(chatEvent({ attributes: { customerId: 'c-42' } }))).toEqual({
        class: 'customer',
        key: 'cust:c-42',
        number: null,
        valid: false,
        lineType: 'unknown',
        country: '',
      });
    });

    it('keys by ContactData.CustomerId without an IP or customerId attribute', () => {
      expect(identityOf(chatEvent({ contactData: { CustomerId: 'profile-7' } })).key).toBe('cust:profile-7');
    });

    it('prefers the customerId attribute over ContactData.CustomerId', () => {
      const event = chatEvent({
        attributes: { customerId: 'c-42' },
        contactData: { CustomerId: 'profile-7' },
      });
      expect(identityOf(event).key).toBe('cust:c-42');
    });

    it('prefers the IP over any customer id', () => {
      const event = chatEvent({
        attributes: { customerIp: '203.0.113.7', customerId: 'c-42' },
        contactData: { CustomerId: 'profile-7' },
      });
      expect(identityOf(event).key).toBe('ip:203.0.113.7');
    });

    it('falls back to the customer id when the IP attribute is not an IP', () => {
      const event = chatEvent({ attributes: { customerIp: '999.1.1.1', customerId: 'c-42' } });
      expect(identityOf(event).key).toBe('cust:c-42');
    });

    it('ignores blank attributes', () => {
      const event = chatEvent({ attributes: { customerIp: '  ', customerId: '' } });
      expect(identityOf(event)).toEqual(UNIDENTIFIED);
    });

    it('refuses a customer id longer than 256 characters', () => {
      expect(identityOf(chatEvent({ attributes: { customerId: 'x'.repeat(257) } }))).toEqual(UNIDENTIFIED);
      expect(identityOf(chatEvent({ attributes: { customerId: 'x'.repeat(256) } })).key).toBe(
        `cust:${'x'.repeat(256)}`,
      );
    });

    it('is unidentified with nothing to go on', () => {
      expect(identityOf(chatEvent())).toEqual(UNIDENTIFIED);
    });
  });

  describe('email', () => {
    it('keys by the lower-cased, trimmed address', () => {
      expect(identityOf(emailEvent(' Customer@Example.COM '))).toEqual({
        class: 'email',
        key: 'email:customer@example.com',
        number: null,
        valid: false,
        lineType: 'unknown',
        country: '',
      });
    });

    it('is unidentified for an address without @', () => {
      expect(identityOf(emailEvent('customer.example.com'))).toEqual(UNIDENTIFIED);
    });

    it('is unidentified for an overlong address', () => {
      expect(identityOf(emailEvent(`${'a'.repeat(250)}@example.com`))).toEqual(UNIDENTIFIED);
    });

    it('is unidentified without a customer endpoint', () => {
      expect(identityOf(emailEvent('x@example.com', { contactData: { CustomerEndpoint: null } }))).toEqual(
        UNIDENTIFIED,
      );
    });
  });

  describe('task and other channels', () => {
    it('makes a task with nothing to go on unidentified', () => {
      expect(identityOf(taskEvent())).toEqual(UNIDENTIFIED);
    });

    it('keys a task by its customer id', () => {
      expect(identityOf(taskEvent({ attributes: { customerId: 'c-42' } })).key).toBe('cust:c-42');
    });

    it('keys an unknown channel like chat', () => {
      const event = taskEvent({ attributes: { customerIp: '203.0.113.7' }, contactData: { Channel: 'SMS' } });
      expect(identityOf(event).key).toBe('ip:203.0.113.7');
    });
  });
});

describe('ipKey with IPv4-mapped addresses written in hex', () => {
  it.each([
    ['::ffff:cb00:7107'],
    ['0:0:0:0:0:ffff:203.0.113.7'],
    ['0000:0000:0000:0000:0000:ffff:cb00:7107'],
    ['[::ffff:cb00:7107]'],
    ['::ffff:0:203.0.113.7'],
  ])('keys %s as the IPv4 address, never a shared ::/64', (address) => {
    expect(ipKey(address)).toBe('ip:203.0.113.7');
  });
});
