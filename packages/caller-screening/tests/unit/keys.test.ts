import { parseContactEvent } from '@flowguard/contact';
import { emailEvent, voiceEvent } from '@flowguard/testing';
import { describe, expect, it } from 'vitest';
import { callerIdentity } from '../../src/identity.js';
import { CallerKeyError, callerKey, countryCode } from '../../src/keys.js';

describe('callerKey: what an admin types, keyed as screening keys contacts', () => {
  it.each([
    ['an e-mail address with upper case', emailEvent(' Someone@Example.COM ')],
    ['an e-mail address with an odd local part', emailEvent('"a b"@example.com')],
    ['a phone number', voiceEvent('+14155550123')],
  ])('accepts %s that screening keyed', (_, event) => {
    const identity = callerIdentity(parseContactEvent(event), { defaultCountry: 'US' });

    expect(identity.key).not.toBeNull();
    expect(callerKey(identity.key ?? '', 'US')).toBe(identity.key);
  });

  it('keys a customer id as screening does, and refuses one it could not key', () => {
    expect(callerKey('cust: C-1001 ', 'US')).toBe('cust:C-1001');
    expect(() => callerKey(`cust:${'x'.repeat(257)}`, 'US')).toThrow(CallerKeyError);
  });

  it('reads a country code once, for the functions and the CLI', () => {
    expect(countryCode(' gb ')).toBe('GB');
    expect(countryCode('XX')).toBeNull();
    expect(countryCode('USA')).toBeNull();
  });
});
