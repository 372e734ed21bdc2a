import { parseContactEvent } from '@flowguard/contact';
import {
  type ConnectEvent,
  chatEvent,
  clickToDialEvent,
  emailEvent,
  seededRandom,
  taskEvent,
  voiceEvent,
} from '@flowguard/testing';
import ipaddr from 'ipaddr.js';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import {
  type CallerIdentity,
  callerIdentity,
  IDENTITY_WARNINGS,
  type IdentityOptions,
  ipKey,
  isWithheld,
  parseIp,
  parseNat64Prefix,
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

/** The event with CustomerEndpoint.Address replaced by anything at all, as a hostile sender could. */
function withAddress(event: ConnectEvent, address: unknown): ConnectEvent {
  Reflect.set(event.Details.ContactData, 'CustomerEndpoint', { Address: address, Type: 'TELEPHONE_NUMBER' });
  return event;
}

const WITHHELD_IDENTITY: CallerIdentity = {
  class: 'withheld',
  key: null,
  number: null,
  valid: false,
  lineType: 'unknown',
  country: '',
  unusable: '',
  warning: '',
};

/** Nothing to go on at all (no IP attribute, no customer id, no endpoint). */
const UNIDENTIFIED: CallerIdentity = { ...WITHHELD_IDENTITY, class: 'unidentified' };

/** A customer endpoint address that was given but names no caller. */
function unusableAddress(warning: CallerIdentity['warning']): CallerIdentity {
  return { ...UNIDENTIFIED, unusable: 'address', warning };
}

/** An IP attribute that was given but does not parse, and nothing else identified the caller. */
function unusableIp(warning: CallerIdentity['warning']): CallerIdentity {
  return { ...UNIDENTIFIED, unusable: 'ip', warning };
}

const CALLER = 'tel:+14155550101';

/** What must hold for every identity, whatever the input. */
function expectWellFormed(identity: CallerIdentity): void {
  expect(['phone', 'withheld', 'ip', 'customer', 'email', 'unidentified']).toContain(identity.class);
  expect(identity.warning).toMatch(/^([a-z][a-z0-9_]*)?$/);
  expect(['', ...IDENTITY_WARNINGS]).toContain(identity.warning);
  expect(['', 'ip', 'address']).toContain(identity.unusable);
  if (identity.unusable !== '') expect(identity.class).toBe('unidentified');
  if (identity.class === 'withheld' || identity.class === 'unidentified') expect(identity.key).toBeNull();
  else expect(identity.key).not.toBeNull();
  if (identity.class === 'phone') expect(identity.key).toMatch(/^tel:\+\d{1,20}$/);
}

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

/** Withheld spellings inside SIP and tel URIs: the user part decides. */
const WITHHELD_URIS = [
  // RFC 3323 §4.1.1.3: the From of a caller who asks for privacy.
  '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1928301774',
  'sip:restricted@host.example',
  'sips:Anonymous@198.51.100.7:5061;transport=tls',
  '<sip:unavailable@carrier.example>',
  'sip:+266696687@gw.example;user=phone',
  '<tel:+7378742833>',
  'tel:+86-282-452-253',
  // RFC 3261 §20.20: a display name "Anonymous" on a random user.
  'Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8',
];

describe('isWithheld', () => {
  it.each([...WITHHELD_WORDS, ...WITHHELD_NUMBERS, ...WITHHELD_URIS])('is true for %j', (spelling) => {
    expect(isWithheld(spelling)).toBe(true);
  });

  it('is true for null and undefined', () => {
    expect(isWithheld(null)).toBe(true);
    expect(isWithheld(undefined)).toBe(true);
  });

  it.each([
    '+14155550123',
    '+442079460000',
    '+2662533',
    '+26669668',
    '+73787428330',
    'hello',
    // A number is not withheld because a display name or host says "anonymous": the user part decides.
    '"Anonymous" <sip:+14155550101@anonymous.invalid>',
    'sip:alice@example.com',
  ])('is false for %j', (address) => {
    expect(isWithheld(address)).toBe(false);
  });
});

describe('phoneIdentity', () => {
  describe('withheld caller IDs', () => {
    it.each([...WITHHELD_WORDS, ...WITHHELD_NUMBERS, ...WITHHELD_URIS])(
      'makes %j class withheld with no key',
      (spelling) => {
        expect(phoneIdentity(spelling, 'US')).toEqual(WITHHELD_IDENTITY);
      },
    );

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
        unusable: '',
        warning: '',
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
        unusable: '',
        warning: '',
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
        unusable: '',
        warning: '',
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

    it.each(['hello', 'abc-def', '---', '()'])(
      'makes %j with no digits unidentified, not withheld',
      (address) => {
        expect(phoneIdentity(address, 'US')).toEqual(unusableAddress('address_no_digits'));
      },
    );

    it('refuses a number over 64 characters instead of cutting it (cut digits would merge callers)', () => {
      expect(phoneIdentity(`+1 ${'4'.repeat(61)}`, 'US').class).toBe('phone');
      expect(phoneIdentity(`+1 ${'4'.repeat(62)}`, 'US')).toEqual(unusableAddress('address_too_long'));
    });

    it('refuses a number with control characters inside', () => {
      expect(phoneIdentity('+1415\u0000555\u00070101', 'US')).toEqual(unusableAddress('address_malformed'));
    });
  });

  describe('SIP and tel URIs: keyed by the user part alone', () => {
    it('keys the attack URI by its number, not the host digits', () => {
      expect(phoneIdentity('sip:+14155550101@10.0.0.1:5060;user=phone', 'US')).toEqual({
        class: 'phone',
        key: CALLER,
        number: '+14155550101',
        valid: true,
        lineType: 'fixed_line_or_mobile',
        country: 'US',
        unusable: '',
        warning: '',
      });
    });

    it.each([
      ['"Alice" <sip:+14155550101@host:5060;user=phone>'],
      ['Bob <tel:+14155550101>'],
      ['tel:+1-415-555-0101;phone-context=example.com'],
      ['sip:%2B14155550101@gw.example'],
      ['sip:%2b1%2D415%2d555%2D0101@gw.example'],
      ['sips:+14155550101@[2001:db8::7]:5061;transport=tls?subject=hi&priority=urgent'],
      ['<sip:+14155550101@203.0.113.9>;tag=a48s'],
      ['"Say \\"hi\\" <x@y>" <sip:+14155550101@host>'],
      ['SIP:+14155550101@HOST.EXAMPLE'],
      ['TEL:+14155550101'],
      ['sip:14155550101@carrier.example;user=phone'],
      ['sip:4155550101@carrier.example'],
      ['sip:+14155550101;npdi;rn=+14155550000@carrier.example;user=phone'],
      ['+14155550101@10.0.0.1:5060'],
      ['<14155550101@10.0.0.1>'],
    ])('keys %j as the caller', (uri) => {
      expect(phoneIdentity(uri, 'US')).toMatchObject({
        class: 'phone',
        key: CALLER,
        valid: true,
        warning: '',
      });
    });

    it('gives one key to the same number through 50 different hosts, ports, parameters and wrappers', () => {
      const users = ['+14155550101', '+1-415-555-0101', '%2B14155550101', '14155550101', '+1(415)555.0101'];
      const hosts = (i: number) =>
        [`10.0.${i}.1`, `gw${i}.carrier.example`, `[2001:db8::${i.toString(16)}]`, `198.51.100.${i}`][i % 4];
      const wrap = (i: number, uri: string) =>
        [uri, `"Caller ${i}" <${uri}>`, `<${uri}>;tag=${i}`, `Caller${i} <${uri}>;expires=${i}`][i % 4];
      const uris = new Set<string>();
      for (let i = 0; uris.size < 50; i++) {
        const scheme = i % 7 === 3 ? 'sips' : 'sip';
        const params = [';user=phone', `;transport=tcp;x-${i}=${i}`, '', `;maddr=192.0.2.${i}?h=${i}`][i % 4];
        const password = i % 5 === 0 ? `:pw${i}` : '';
        uris.add(
          wrap(i, `${scheme}:${users[i % users.length]}${password}@${hosts(i)}:${5060 + i}${params}`) ?? '',
        );
        uris.add(`tel:${users[i % users.length]};phone-context=site${i}.example;ext=${i}`);
      }

      const keys = new Set([...uris].map((uri) => phoneIdentity(uri, 'US').key));

      expect(uris.size).toBeGreaterThanOrEqual(50);
      expect([...keys]).toEqual([CALLER]);
    });

    it('keeps different numbers through one host apart', () => {
      const keys = new Set(
        Array.from(
          { length: 50 },
          (_, i) => phoneIdentity(`sip:+1415555${String(i).padStart(4, '0')}@gw:5060`).key,
        ),
      );
      expect(keys.size).toBe(50);
    });

    describe('RFC 3261 §19.1.3 example SIP URIs', () => {
      it.each([
        ['sip:alice@atlanta.com', unusableAddress('uri_user_not_a_number')],
        ['sip:alice:secretword@atlanta.com;transport=tcp', unusableAddress('uri_user_not_a_number')],
        [
          'sips:alice@atlanta.com?subject=project%20x&priority=urgent',
          unusableAddress('uri_user_not_a_number'),
        ],
        ['sip:alice@192.0.2.4', unusableAddress('uri_user_not_a_number')],
        // No user part: the URI names a server, not a caller.
        ['sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com', unusableAddress('uri_malformed')],
        ['sip:alice;day=tuesday@atlanta.com', unusableAddress('uri_user_not_a_number')],
      ])('%s names no number: %o', (uri, expected) => {
        expect(phoneIdentity(uri, 'US')).toEqual(expected);
      });

      it('keys sip:+1-212-555-1212:1234@gateway.com;user=phone by the number, not the password', () => {
        expect(phoneIdentity('sip:+1-212-555-1212:1234@gateway.com;user=phone', 'US')).toMatchObject({
          key: 'tel:+12125551212',
          valid: true,
        });
      });

      it('keys sips:1212@gateway.com as the bare number 1212 would be', () => {
        expect(phoneIdentity('sips:1212@gateway.com', 'US').key).toBe(phoneIdentity('1212', 'US').key);
        expect(phoneIdentity('sips:1212@gateway.com', 'US').key).toBe(
          phoneIdentity('sip:1212@other.example', 'US').key,
        );
      });
    });

    it('keys RFC 3261 §19.1.6 sip:+358-555-1234567;postd=pp22@foo.com;user=phone as its tel URL does', () => {
      const sip = phoneIdentity('sip:+358-555-1234567;postd=pp22@foo.com;user=phone');
      const tel = phoneIdentity('tel:+358-555-1234567;postd=pp22');
      expect(sip.key).toBe('tel:+3585551234567');
      expect(tel.key).toBe(sip.key);
    });

    describe('RFC 3261 §20.10, §20.20, §20.39 name-addrs with display names', () => {
      it.each([
        // §20.10 Contact
        [
          '"Mr. Watson" <sip:watson@worcester.bell-telephone.com>;q=0.7; expires=3600',
          'uri_user_not_a_number',
        ],
        ['<sips:bob@192.0.2.4>;expires=60', 'uri_user_not_a_number'],
        // §20.20 From
        ['"A. G. Bell" <sip:agb@bell-telephone.com> ;tag=a48s', 'uri_user_not_a_number'],
        // §20.39 To
        ['The Operator <sip:operator@cs.columbia.edu>;tag=287447', 'uri_user_not_a_number'],
        // §20.10: a mailto URI is no caller ID.
        ['"Mr. Watson" <mailto:watson@bell-telephone.com> ;q=0.1', 'uri_user_not_a_number'],
      ] as const)('%s names no number', (nameAddr, warning) => {
        expect(phoneIdentity(nameAddr, 'US')).toEqual(unusableAddress(warning));
      });

      it.each([
        ['sip:+12125551212@server.phone2net.com;tag=887s'], // §20.20 From
        ['sip:+12125551212@server.phone2net.com'], // §20.39 To
      ])('keys %s by its number', (addrSpec) => {
        expect(phoneIdentity(addrSpec, 'US')).toMatchObject({ key: 'tel:+12125551212', valid: true });
      });

      it('keys RFC 3261 §20.20 Anonymous <sip:c8oqz84zk7z@privacy.org> as withheld', () => {
        expect(phoneIdentity('Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8')).toEqual(WITHHELD_IDENTITY);
      });
    });

    describe('RFC 3966 tel URIs', () => {
      it('keys §6 tel:+1-201-555-0123 by E.164, visual separators removed (§5.1.1)', () => {
        expect(phoneIdentity('tel:+1-201-555-0123', 'US')).toMatchObject({
          key: 'tel:+12015550123',
          valid: true,
          country: 'US',
        });
        expect(phoneIdentity('tel:+1-(201).555-0123', 'US').key).toBe('tel:+12015550123');
      });

      it('keys §6 tel:863-1234;phone-context=+1-914-555 within its global context, as libphonenumber-js does', () => {
        const uri = 'tel:863-1234;phone-context=+1-914-555';
        expect(phoneIdentity(uri, 'US').key).toBe('tel:+19145558631234');
        expect(`tel:${parsePhoneNumberFromString(uri, { defaultCountry: 'US' })?.number}`).toBe(
          phoneIdentity(uri, 'US').key,
        );
      });

      it('keys §6 tel:7042;phone-context=example.com as the local number; the domain context changes nothing', () => {
        expect(phoneIdentity('tel:7042;phone-context=example.com', 'US').key).toBe(
          phoneIdentity('7042', 'US').key,
        );
        expect(phoneIdentity('tel:7042;phone-context=other.example', 'US').key).toBe(
          phoneIdentity('tel:7042;phone-context=example.com', 'US').key,
        );
      });

      it('ignores §5.2 isub, §5.3 ext and a phone-context on a global number', () => {
        for (const uri of [
          'tel:+1-415-555-0101;isub=1411',
          'tel:+1-415-555-0101;ext=7',
          'tel:+1-415-555-0101;phone-context=+44',
        ]) {
          expect(phoneIdentity(uri, 'US').key).toBe(CALLER);
        }
      });

      it('refuses a tel URI whose number holds letters or DTMF', () => {
        expect(phoneIdentity('tel:*21#', 'US')).toEqual(unusableAddress('uri_user_not_a_number'));
        expect(phoneIdentity('tel:1-800-FLOWERS', 'US')).toEqual(unusableAddress('uri_user_not_a_number'));
      });
    });

    it('never lets the host vary the key of a named (non-numeric) user: no key at all', () => {
      const hosts = ['example.com', 'evil.example:5061', '203.0.113.7', '[2001:db8::1]:5060'];
      for (const host of hosts) {
        expect(phoneIdentity(`sip:alice@${host}`, 'US')).toEqual(unusableAddress('uri_user_not_a_number'));
      }
    });

    describe('hostile URIs: a defined identity, never a throw', () => {
      it.each([
        ['over 512 characters', `sip:+14155550101@${'h'.repeat(500)}.example`, 'address_too_long'],
        ['10 KB', `sip:+14155550101@host;${'x=1;'.repeat(2600)}`, 'address_too_long'],
        ['an unclosed <', '<sip:+14155550101@host', 'uri_malformed'],
        ['a > without <', 'sip:+14155550101@host>', 'uri_malformed'],
        ['nested brackets', '<<sip:+14155550101@host>>', 'uri_malformed'],
        ['two name-addrs', '<sip:+14155550101@a>, <sip:+14155550102@b>', 'uri_malformed'],
        ['an unclosed quote', '"Alice <sip:+14155550101@host>', 'uri_malformed'],
        ['a quote with no <', '"Alice" sip:+14155550101@host', 'uri_malformed'],
        ['a NUL in the user', 'sip:+1415\u00005550101@host', 'uri_malformed'],
        ['a newline in the host', 'sip:+14155550101@ho\nst', 'uri_malformed'],
        ['an empty user', 'sip:@host', 'uri_malformed'],
        ['only a scheme', 'sip:', 'uri_malformed'],
        ['an empty tel', 'tel:', 'uri_malformed'],
        ['empty brackets', '<>', 'uri_malformed'],
        ['an escaped ; in the user', 'sip:+1415%3B5550101@host', 'uri_user_not_a_number'],
        ['a stray %', 'sip:+1415%5550101@host', 'uri_user_not_a_number'],
        ['a double-escaped +', 'sip:%252B14155550101@host', 'uri_user_not_a_number'],
        ['a NUL escaped', 'sip:%00@host', 'uri_user_not_a_number'],
      ] as const)('refuses %s', (_, uri, warning) => {
        expect(phoneIdentity(uri, 'US')).toEqual(unusableAddress(warning));
      });

      it('reads many @ as RFC 3261 does: the first ends the user part', () => {
        expect(phoneIdentity('sip:+14155550101@a@b@c@d', 'US').key).toBe(CALLER);
        expect(phoneIdentity(`sip:+14155550101${'@x'.repeat(200)}`, 'US').key).toBe(CALLER);
      });

      it('answers 3,000 random URI-like strings with a well-formed identity', () => {
        const random = seededRandom(13);
        const pieces = [
          'sip:',
          'sips:',
          'tel:',
          '+1',
          '415',
          '555',
          '0101',
          '@',
          ':',
          ';',
          '?',
          '&',
          '=',
          '<',
          '>',
        ];
        const more = [
          '"',
          '\\',
          '%',
          '%2B',
          '%3',
          '[',
          ']',
          ' ',
          '\u0000',
          '\u202e',
          'é',
          'anonymous',
          'user=phone',
        ];
        const alphabet = [...pieces, ...more, 'phone-context=', 'phone-context=+44', '.', '-', '(', ')', 'x'];
        for (let n = 0; n < 3000; n++) {
          let text = '';
          const length = Math.floor(random() * 30);
          for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
          expectWellFormed(phoneIdentity(text, 'US'));
          expect(() => isWithheld(text)).not.toThrow();
        }
      });
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

  it('strips a zone id (RFC 4007 §11), also written %25 as in URIs (RFC 6874)', () => {
    expect(ipKey('fe80::1%eth0')).toBe('ip:fe80:0:0:0::/64');
    expect(ipKey('fe80::1%eth0')).toBe(ipKey('fe80::2%3'));
    expect(ipKey('[fe80::1%25eth0]:443')).toBe('ip:fe80:0:0:0::/64');
  });

  it.each(['not-an-ip', '', '1.2.3', '999.1.1.1', '2001:db8:::1', '2001:db8:1:2:3:4:5:6:7', 'gggg::1'])(
    'is null for %j',
    (raw) => {
      expect(ipKey(raw)).toBeNull();
    },
  );
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

describe('parseIp', () => {
  describe('ports', () => {
    it.each([
      ['203.0.113.7:5555', 'ip:203.0.113.7'],
      ['203.0.113.7:0', 'ip:203.0.113.7'],
      ['203.0.113.7:65535', 'ip:203.0.113.7'],
      ['[203.0.113.7]:443', 'ip:203.0.113.7'],
      ['[2001:db8::1]:443', 'ip:2001:db8:0:0::/64'],
      ['[2001:db8::1]', 'ip:2001:db8:0:0::/64'],
      ['[::ffff:203.0.113.7]:8080', 'ip:203.0.113.7'],
      // RFC 5952 §6: the recommended way to write an address with a port.
      ['[2001:db8::1]:80', 'ip:2001:db8:0:0::/64'],
    ])('keys %s as %s', (raw, key) => {
      expect(parseIp(raw)).toEqual({ key, warning: '' });
    });

    it('keys RFC 5952 §6 2001:db8::1:80 (ambiguous: an address, not a port) within the same /64', () => {
      expect(parseIp('2001:db8::1:80')).toEqual({ key: 'ip:2001:db8:0:0::/64', warning: '' });
    });

    it('gives one key to one IPv4 address through 50 different ports', () => {
      const keys = new Set(Array.from({ length: 50 }, (_, i) => ipKey(`203.0.113.7:${1024 + i * 997}`)));
      expect([...keys]).toEqual(['ip:203.0.113.7']);
    });

    it('gives one key to one IPv6 /64 through 50 different ports and interface ids', () => {
      const keys = new Set(
        Array.from({ length: 50 }, (_, i) =>
          ipKey(`[2001:db8:1:2::${((i * 7919) % 0xffff).toString(16)}]:${1024 + i}`),
        ),
      );
      expect([...keys]).toEqual(['ip:2001:db8:1:2::/64']);
    });

    it.each([
      '203.0.113.7:65536',
      '203.0.113.7:123456',
      '203.0.113.7:',
      '203.0.113.7:http',
      '[2001:db8::1]:',
      '[2001:db8::1]:99999',
      '[2001:db8::1',
      '2001:db8::1]',
      '[[2001:db8::1]]',
      '[]',
      ':443',
      '203.0.113.7:80:80',
    ])('refuses %j', (raw) => {
      expect(parseIp(raw)).toEqual({ key: null, warning: 'ip_unparseable' });
    });
  });

  describe('RFC 4291 §2.2 text forms', () => {
    it.each([
      ['ABCD:EF01:2345:6789:ABCD:EF01:2345:6789', 'ip:abcd:ef01:2345:6789::/64'],
      ['2001:DB8:0:0:8:800:200C:417A', 'ip:2001:db8:0:0::/64'],
      ['2001:DB8::8:800:200C:417A', 'ip:2001:db8:0:0::/64'],
      ['FF01:0:0:0:0:0:0:101', 'ip:ff01:0:0:0::/64'],
      ['FF01::101', 'ip:ff01:0:0:0::/64'],
      ['0:0:0:0:0:0:0:1', 'ip:0:0:0:0::/64'],
      ['::1', 'ip:0:0:0:0::/64'],
      ['0:0:0:0:0:0:0:0', 'ip:0:0:0:0::/64'],
      ['::', 'ip:0:0:0:0::/64'],
      // §2.2 form 3 with §2.5.5.1 IPv4-compatible and §2.5.5.2 IPv4-mapped addresses.
      ['0:0:0:0:0:0:13.1.68.3', 'ip:13.1.68.3'],
      ['::13.1.68.3', 'ip:13.1.68.3'],
      ['0:0:0:0:0:FFFF:129.144.52.38', 'ip:129.144.52.38'],
      ['::FFFF:129.144.52.38', 'ip:129.144.52.38'],
    ])('keys %s as %s', (raw, key) => {
      expect(parseIp(raw)).toEqual({ key, warning: '' });
    });

    it('keys an IPv4-compatible address (§2.5.5.1) the same in hex and dotted form', () => {
      expect(ipKey('::c000:207')).toBe('ip:192.0.2.7');
      expect(ipKey('::192.0.2.7')).toBe('ip:192.0.2.7');
      // ipaddr.js 2.5 reads the dotted form as IPv4-mapped: a different address. identity.ts
      // converts the dotted tail itself, so the value, not the spelling, decides.
      expect(ipaddr.parse('::192.0.2.7').toString()).toBe('::ffff:c000:207');
    });
  });

  describe('RFC 5952 spellings of one address', () => {
    it.each([
      // §1: eight spellings of 2001:db8:0:0:1:0:0:1.
      [
        [
          '2001:db8:0:0:1:0:0:1',
          '2001:0db8:0:0:1:0:0:1',
          '2001:db8::1:0:0:1',
          '2001:db8::0:1:0:0:1',
          '2001:0db8::1:0:0:1',
          '2001:db8:0:0:1::1',
          '2001:db8:0000:0:1::1',
          '2001:DB8:0:0:1::1',
        ],
      ],
      // §2.1 leading zeros, §2.2 zero compression, §2.3 case.
      [
        [
          '2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001',
          '2001:db8:aaaa:bbbb:cccc:dddd:eeee:001',
          '2001:db8:aaaa:bbbb:cccc:dddd:eeee:01',
          '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1',
          '2001:db8:aaaa:bbbb:cccc:dddd::1',
          '2001:db8:aaaa:bbbb:cccc:dddd:0:1',
          '2001:db8:aaaa:bbbb:cccc:dddd:eeee:AaAa',
        ],
      ],
    ])('gives one key to %o', (spellings) => {
      expect(new Set(spellings.map((s) => ipKey(s))).size).toBe(1);
      expect(ipKey(spellings[0] ?? '')).toMatch(/^ip:2001:db8:[0-9a-f:]+::\/64$/);
    });

    it('keys RFC 5952 §5 ::ffff:192.0.2.1 as the IPv4 address', () => {
      expect(ipKey('::ffff:192.0.2.1')).toBe('ip:192.0.2.1');
    });
  });

  describe('NAT64 (RFC 6052)', () => {
    it.each([
      // §2.1 well-known prefix; §2.4 shows 192.0.2.33 under it.
      ['64:ff9b::192.0.2.33'],
      ['64:ff9b::c000:221'],
      ['64:FF9B:0:0:0:0:C000:0221'],
      ['[64:ff9b::192.0.2.33]:443'],
    ])('keys %s under the well-known prefix as ip:192.0.2.33', (raw) => {
      expect(parseIp(raw)).toEqual({ key: 'ip:192.0.2.33', warning: '' });
    });

    it('keys both spellings in the brief the same', () => {
      expect(ipKey('64:ff9b::c000:0207')).toBe('ip:192.0.2.7');
      expect(ipKey('64:ff9b::192.0.2.7')).toBe('ip:192.0.2.7');
    });

    it('gives 50 IPv4 hosts behind NAT64 50 keys, each the key of the IPv4 address itself', () => {
      const random = seededRandom(6052);
      const hosts = new Set<string>();
      while (hosts.size < 50) {
        hosts.add(Array.from({ length: 4 }, () => Math.floor(random() * 256)).join('.'));
      }
      for (const host of hosts) {
        const [a = 0, b = 0, c = 0, d = 0] = host.split('.').map(Number);
        const hex = `64:ff9b::${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        expect(ipKey(`64:ff9b::${host}`)).toBe(ipKey(host));
        expect(ipKey(hex)).toBe(`ip:${host}`);
      }
      expect(new Set([...hosts].map((h) => ipKey(`64:ff9b::${h}`))).size).toBe(50);
    });

    it('does not read 64:ff9b:1::/48 (RFC 8215 local use) as the well-known prefix', () => {
      expect(ipKey('64:ff9b:1::c000:221')).toBe('ip:64:ff9b:1:0::/64');
    });

    /** §2.4 Table 1: 192.0.2.33 under each network-specific prefix length. */
    const TABLE_1: [string, string][] = [
      ['2001:db8::/32', '2001:db8:c000:221::'],
      ['2001:db8:100::/40', '2001:db8:1c0:2:21::'],
      ['2001:db8:122::/48', '2001:db8:122:c000:2:2100::'],
      ['2001:db8:122:300::/56', '2001:db8:122:3c0:0:221::'],
      ['2001:db8:122:344::/64', '2001:db8:122:344:c0:2:2100::'],
      ['2001:db8:122:344::/96', '2001:db8:122:344::192.0.2.33'],
    ];

    it.each(TABLE_1)(
      'keys a network-specific %s address %s as ip:192.0.2.33 when configured',
      (prefix, address) => {
        expect(parseIp(address, { nat64Prefixes: [prefix] })).toEqual({ key: 'ip:192.0.2.33', warning: '' });
        expect(parseIp(address, { nat64Prefixes: ['2001:db8:ffff::/48', prefix] }).key).toBe('ip:192.0.2.33');
      },
    );

    it('keys network-specific addresses by their /64 when no prefix is configured', () => {
      expect(ipKey('2001:db8:122:344::192.0.2.33')).toBe('ip:2001:db8:122:344::/64');
    });

    it('does not read an address whose u octet (bits 64-71, §2.2) is set as NAT64', () => {
      const address = '2001:db8:122:344:ffc0:2:2100:0';
      expect(parseIp(address, { nat64Prefixes: ['2001:db8:122:344::/64'] }).key).toBe(
        'ip:2001:db8:122:344::/64',
      );
    });

    it('parses only the prefix lengths §2.2 allows, with no bits past the length', () => {
      expect(parseNat64Prefix('2001:db8:122::/48')?.length).toBe(48);
      for (const bad of [
        '2001:db8::/33',
        '2001:db8::/128',
        '2001:db8::1/32',
        'nonsense',
        '2001:db8::',
        '/96',
      ]) {
        expect(parseNat64Prefix(bad)).toBeNull();
      }
      expect(parseIp('2001:db8:c000:221::', { nat64Prefixes: ['2001:db8::/33'] }).key).toBe(
        'ip:2001:db8:c000:221::/64',
      );
    });
  });

  describe('6to4 and Teredo', () => {
    it('keys a 6to4 address (RFC 3056 §2, 2002:V4ADDR::/48) as the IPv4 address of its site', () => {
      expect(ipKey('2002:c000:0207::1')).toBe('ip:192.0.2.7');
      expect(ipKey('2002:c000:207:1234::99')).toBe('ip:192.0.2.7');
      expect(ipKey('2002:c000:208::1')).toBe('ip:192.0.2.8');
    });

    it('gives a 6to4 site one key across all 65,536 of its /64s', () => {
      const keys = new Set(
        Array.from({ length: 50 }, (_, i) => ipKey(`2002:cb00:7107:${(i * 1297).toString(16)}::1`)),
      );
      expect([...keys]).toEqual(['ip:203.0.113.7']);
    });

    it("keys a Teredo address (RFC 4380 §4, 2001::/32) by the client's public IPv4, not the server's /64", () => {
      // Server 65.54.227.120 (4136:e378), flags 8000, port 40000 (63bf obfuscated), client
      // 192.0.2.45 obfuscated by inverting every bit: c000:022d -> 3fff:fdd2.
      expect(ipKey('2001:0:4136:e378:8000:63bf:3fff:fdd2')).toBe('ip:192.0.2.45');
      expect(ipKey('2001:0:4136:e378:8000:63bf:3fff:fdd1')).toBe('ip:192.0.2.46');
    });
  });

  describe('IPv4 forms that parsers read differently are refused', () => {
    it.each([
      '010.0.0.1',
      '1.02.3.4',
      '00.0.0.0',
      '192.168.001.1',
      '0177.0.0.1',
      '010.0.0.1:80',
      '[010.0.0.1]:80',
      '::ffff:010.0.0.1',
      '64:ff9b::192.000.2.7',
    ])('refuses %j with the warning ipv4_leading_zero', (raw) => {
      expect(parseIp(raw)).toEqual({ key: null, warning: 'ipv4_leading_zero' });
    });

    it('does so although ipaddr.js accepts them, as octal', () => {
      expect(ipaddr.isValid('010.0.0.1')).toBe(true);
      expect(ipaddr.parse('010.0.0.1').toString()).toBe('8.0.0.1');
      expect(ipaddr.IPv4.isValidFourPartDecimal('010.0.0.1')).toBe(false);
    });

    it.each([
      '0x7f.0.0.1',
      '0x7f000001',
      '127.1',
      '2130706433',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1.2.3.-4',
    ])('refuses %j, which ipaddr.js may read as another address, as ip_unparseable', (raw) => {
      expect(parseIp(raw)).toEqual({ key: null, warning: 'ip_unparseable' });
    });

    it('keeps the plain zero octet', () => {
      expect(ipKey('0.0.0.0')).toBe('ip:0.0.0.0');
      expect(ipKey('10.0.0.1')).toBe('ip:10.0.0.1');
    });
  });

  describe('hostile values', () => {
    it.each([
      ['10 KB', '1'.repeat(10 * 1024)],
      ['a forwarded-for list', '203.0.113.7, 10.0.0.1'],
      ['a NUL', '203.0.113.7\u0000'],
      ['a newline inside', '2001:db8::\n1'],
      ['a host name', 'host.example'],
      ['a CIDR', '203.0.113.0/24'],
      ['non-ASCII digits', '١.٢.٣.٤'],
      ['a port on bare IPv6', '2001:db8::1%eth0:443]'],
    ])('refuses %s', (_, raw) => {
      expect(parseIp(raw)).toEqual({ key: null, warning: 'ip_unparseable' });
    });

    it('answers 3,000 random address-like strings with a key of the right shape or a refusal', () => {
      const random = seededRandom(4291);
      const alphabet = [
        '1',
        '0',
        '2',
        '5',
        'f',
        'F',
        'ff9b',
        '64',
        '2002',
        ':',
        '::',
        '.',
        '[',
        ']',
        '%',
        'x',
        ' ',
      ];
      for (let n = 0; n < 3000; n++) {
        let text = '';
        const length = Math.floor(random() * 24);
        for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
        const { key, warning } = parseIp(text);
        if (key === null) expect(['ipv4_leading_zero', 'ip_unparseable']).toContain(warning);
        else expect(key).toMatch(/^ip:(\d{1,3}(\.\d{1,3}){3}|([0-9a-f]{1,4}:){4}:\/64)$/);
      }
    });
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
        unusable: '',
        warning: '',
      });
    });

    it.each([...WITHHELD_WORDS, ...WITHHELD_NUMBERS, ...WITHHELD_URIS])(
      'makes caller %j withheld with no key',
      (spelling) => {
        expect(identityOf(voiceEvent(spelling))).toEqual(WITHHELD_IDENTITY);
      },
    );

    it('makes a null customer endpoint withheld', () => {
      expect(identityOf(voiceEvent(null))).toEqual(WITHHELD_IDENTITY);
    });

    it('makes an endpoint without an address withheld', () => {
      const event = voiceEvent('+14155550123', {
        contactData: { CustomerEndpoint: { Type: 'TELEPHONE_NUMBER' } },
      });
      expect(identityOf(event)).toEqual(WITHHELD_IDENTITY);
    });

    it('keys a caller whose address is a SIP URI by the number in it', () => {
      expect(identityOf(voiceEvent('sip:+14155550101@10.0.0.1:5060;user=phone')).key).toBe(CALLER);
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

    describe('an unusable address is unidentified, not withheld', () => {
      it.each([
        ['a number', 14155550101],
        ['a boolean', false],
        ['an object', { number: '+14155550101' }],
        ['an array', ['+14155550101']],
        ['a string over 4096 characters', `+1${'4'.repeat(5000)}`],
      ])('when Address is %s (the event parser marks it malformed)', (_, address) => {
        expect(identityOf(withAddress(voiceEvent(), address))).toEqual(unusableAddress('address_malformed'));
      });

      it.each([
        ['garbage without digits', 'hello there', 'address_no_digits'],
        ['a number over 64 characters', `+1${'4'.repeat(70)}`, 'address_too_long'],
        ['a URI over 512 characters', `sip:+14155550101@${'a'.repeat(600)}`, 'address_too_long'],
        ['a 4096-character string', 'x'.repeat(4096), 'address_too_long'],
        ['a SIP URI with a name for a user', 'sip:alice@example.com', 'uri_user_not_a_number'],
        ['an unbalanced name-addr', '"Alice" <sip:+14155550101@host', 'uri_malformed'],
      ] as const)('when Address is %s', (_, address, warning) => {
        expect(identityOf(voiceEvent(address))).toEqual(unusableAddress(warning));
      });
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
        unusable: '',
        warning: '',
      });
    });

    it('keys a click-to-dial call by an IP attribute with a port', () => {
      const event = clickToDialEvent('+14155550123', {
        attributes: { customerIp: '[2001:db8:1:2::9]:50123' },
      });
      expect(identityOf(event)).toMatchObject({ class: 'ip', key: 'ip:2001:db8:1:2::/64' });
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

    it('falls back to the number when the IP attribute is not an IP, and says so', () => {
      const event = clickToDialEvent('+14155550123', { attributes: { customerIp: 'not-an-ip' } });
      expect(identityOf(event)).toMatchObject({
        class: 'phone',
        key: 'tel:+14155550123',
        unusable: '',
        warning: 'ip_unparseable',
      });
    });

    it('falls back to the customer id when the IP has leading zeros, with the warning', () => {
      const event = clickToDialEvent('+14155550123', {
        attributes: { customerIp: '010.0.0.1', customerId: 'c-42' },
      });
      expect(identityOf(event)).toMatchObject({
        class: 'customer',
        key: 'cust:c-42',
        warning: 'ipv4_leading_zero',
      });
    });

    it('is unidentified with unusable ip when the IP is refused and the number is withheld or absent', () => {
      const withheld = clickToDialEvent('anonymous', { attributes: { customerIp: '010.0.0.1' } });
      const absent = clickToDialEvent('+14155550123', {
        attributes: { customerIp: '203.0.113.7:99999' },
        contactData: { CustomerEndpoint: null },
      });
      expect(identityOf(withheld)).toEqual(unusableIp('ipv4_leading_zero'));
      expect(identityOf(absent)).toEqual(unusableIp('ip_unparseable'));
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

    it('keys by an IP attribute with a port', () => {
      expect(identityOf(chatEvent({ attributes: { customerIp: '203.0.113.7:5555' } })).key).toBe(
        'ip:203.0.113.7',
      );
    });

    it('keys a NAT64 customer by the IPv4 address it reaches, not the carrier-wide /64', () => {
      const a = identityOf(chatEvent({ attributes: { customerIp: '64:ff9b::c000:0207' } }));
      const b = identityOf(chatEvent({ attributes: { customerIp: '64:ff9b::192.0.2.8' } }));
      expect([a.key, b.key]).toEqual(['ip:192.0.2.7', 'ip:192.0.2.8']);
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

    it('uses the configured NAT64 prefixes', () => {
      const event = chatEvent({ attributes: { customerIp: '2001:db8:122:c000:2:2100::' } });
      expect(identityOf(event, { ...OPTIONS, nat64Prefixes: ['2001:db8:122::/48'] }).key).toBe(
        'ip:192.0.2.33',
      );
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
        unusable: '',
        warning: '',
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

    it('falls back to the customer id when the IP attribute is not an IP, with a warning', () => {
      const event = chatEvent({ attributes: { customerIp: '999.1.1.1', customerId: 'c-42' } });
      expect(identityOf(event)).toMatchObject({ key: 'cust:c-42', unusable: '', warning: 'ip_unparseable' });
    });

    it.each([
      ['010.0.0.1', 'ipv4_leading_zero'],
      ['1.02.3.4', 'ipv4_leading_zero'],
      ['999.1.1.1', 'ip_unparseable'],
      ['203.0.113.7:70000', 'ip_unparseable'],
      ['x'.repeat(10 * 1024), 'ip_unparseable'],
    ] as const)('is unidentified with unusable ip for IP %j and no customer id', (customerIp, warning) => {
      expect(identityOf(chatEvent({ attributes: { customerIp } }))).toEqual(unusableIp(warning));
    });

    it('ignores blank attributes', () => {
      const event = chatEvent({ attributes: { customerIp: '  ', customerId: '' } });
      expect(identityOf(event)).toEqual(UNIDENTIFIED);
    });

    it('refuses a customer id longer than 256 characters', () => {
      expect(identityOf(chatEvent({ attributes: { customerId: 'x'.repeat(257) } }))).toEqual({
        ...UNIDENTIFIED,
        warning: 'customer_id_too_long',
      });
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
        unusable: '',
        warning: '',
      });
    });

    it('is unidentified for an address without @', () => {
      expect(identityOf(emailEvent('customer.example.com'))).toEqual(unusableAddress('email_malformed'));
    });

    it('is unidentified for an overlong address', () => {
      expect(identityOf(emailEvent(`${'a'.repeat(250)}@example.com`))).toEqual(
        unusableAddress('email_malformed'),
      );
    });

    it('is unidentified for an address the event parser marked malformed', () => {
      expect(identityOf(withAddress(emailEvent(), 42))).toEqual(unusableAddress('address_malformed'));
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

  describe('hostile Address values on every channel: a defined identity, never a throw', () => {
    const values: [string, unknown][] = [
      ['null', null],
      ['a number', 14155550101],
      ['NaN-like text', 'NaN'],
      ['a float', 1.5],
      ['true', true],
      ['an object', { toString: 'x' }],
      ['an array', [1, 2]],
      ['10 KB of digits', '1'.repeat(10 * 1024)],
      ['10 KB of @', '@'.repeat(10 * 1024)],
      ['10 KB of <', '<'.repeat(10 * 1024)],
      ['control characters', '\u0000\u0001\u001b[31m'],
      ['a lone surrogate', '\ud800+14155550101'],
      ['many @', 'sip:+1@a@b@c@d@e@f'],
    ];
    const builders: [string, () => ConnectEvent][] = [
      ['voice', () => voiceEvent()],
      ['click-to-dial', () => clickToDialEvent('+14155550101', { attributes: { customerIp: '010.0.0.1' } })],
      ['email', () => emailEvent()],
      ['chat', () => chatEvent()],
    ];

    it.each(builders)('%s', (_, build) => {
      for (const [, value] of values) {
        const identity = identityOf(withAddress(build(), value));
        expectWellFormed(identity);
        if (value === null) continue;
        // Something was sent: never mistaken for a withheld caller ID.
        expect(identity.class).not.toBe('withheld');
      }
    });
  });
});

describe('IDENTITY_WARNINGS', () => {
  it('are metric-safe codes: letters and _ only, no duplicates', () => {
    for (const warning of IDENTITY_WARNINGS) expect(warning).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(new Set(IDENTITY_WARNINGS).size).toBe(IDENTITY_WARNINGS.length);
  });
});
