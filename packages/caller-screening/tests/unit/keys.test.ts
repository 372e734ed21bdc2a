import { parseContactEvent } from '@flowguard/contact';
import { emailEvent, voiceEvent } from '@flowguard/testing';
import { describe, expect, it } from 'vitest';
import { callerIdentity, phoneIdentity } from '../../src/identity.js';
import { CallerKeyError, callerKey, countryCode } from '../../src/keys.js';
import { assertedIdentity } from '../../src/signals.js';

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

  it('keys a pai: caller as screening keys a withheld caller by its P-Asserted-Identity', () => {
    const asserted = assertedIdentity(phoneIdentity('anonymous'), '<sip:+14155550123@ims.example>', 'US');
    expect(asserted?.key).toBe('pai:+14155550123');
    expect(callerKey(asserted?.key ?? '', 'US')).toBe('pai:+14155550123');
    expect(callerKey(' PAI:+19005550123', 'US')).toBe('pai:+19005550123');
    for (const bad of ['pai:14155550123', 'pai:+1', 'pai:+1415555012x', 'pai:', 'pai:+266696687'])
      expect(() => callerKey(bad, 'US'), bad).toThrow(CallerKeyError);
  });

  it('reads a country code once, for the functions and the CLI', () => {
    expect(countryCode(' gb ')).toBe('GB');
    expect(countryCode('XX')).toBeNull();
    expect(countryCode('USA')).toBeNull();
  });
});
