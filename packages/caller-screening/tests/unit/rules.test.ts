import { describe, expect, it } from 'vitest';
import { ScreeningInputError } from '../../src/errors.js';
import { type CallerIdentity, ipKey, phoneIdentity } from '../../src/identity.js';
import { LINE_TYPES, normaliseRule, RULE_TYPES, type Rule, RuleSet } from '../../src/rules.js';
import { callSignals, SIGNAL_NAMES, signalRuleKeys, type TelephonyHeaders } from '../../src/signals.js';

const NOW = 1_750_000_000;

const US = '+14155550123';
const US_OTHER = '+12015550123';
const US_PREMIUM = '+19005550123';
const UK = '+442079460000';
const KP = '+85023812222';

function rule(type: string, value: string, action: string, expiresAt = 0): Rule {
  return {
    ...normaliseRule(type, value, action),
    note: '',
    createdBy: 'test',
    createdAt: NOW - 3600,
    expiresAt,
  };
}

function rules(...list: Rule[]): RuleSet {
  return new RuleSet(list, NOW);
}

function phone(number: string): CallerIdentity {
  return phoneIdentity(number, 'US');
}

/** The signal rule keys of a call, as screen-caller works them out from the headers a flow passes. */
function sig(caller: CallerIdentity, headers: TelephonyHeaders = {}, systemEndpoint?: string) {
  return signalRuleKeys(callSignals({ caller, headers, systemEndpoint, defaultCountry: 'US' }));
}

function keyed(cls: CallerIdentity['class'], key: string): CallerIdentity {
  return { class: cls, key, number: null, valid: false, lineType: 'unknown', country: '' };
}

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function expectBadRule(run: () => unknown, message?: string): void {
  const error = errorOf(run);
  expect(error).toBeInstanceOf(ScreeningInputError);
  expect(error).toMatchObject({ code: 'bad_rule', name: 'ScreeningInputError' });
  if (message !== undefined) expect((error as Error).message).toContain(message);
}

describe('normaliseRule', () => {
  describe('type and action', () => {
    it('accepts every rule type', () => {
      const values = {
        caller: US,
        prefix: '+1900',
        country: 'KP',
        line_type: 'voip',
        signal: 'pai_mismatch',
      } as const;
      for (const type of RULE_TYPES) {
        expect(normaliseRule(type, values[type], 'BLOCK').type).toBe(type);
      }
    });

    it('trims and lower-cases the type and reads line-type as line_type', () => {
      expect(normaliseRule(' PREFIX ', '+1900', 'BLOCK').type).toBe('prefix');
      expect(normaliseRule('line-type', 'voip', 'BLOCK').type).toBe('line_type');
      expect(normaliseRule('Line_Type', 'voip', 'BLOCK').type).toBe('line_type');
    });

    it('trims and upper-cases the action', () => {
      expect(normaliseRule('prefix', '+1900', ' allow ').action).toBe('ALLOW');
      expect(normaliseRule('prefix', '+1900', 'Block').action).toBe('BLOCK');
    });

    it.each(['number', '', 'callers', 'line type'])('rejects the type %j', (type) => {
      expectBadRule(() => normaliseRule(type, US, 'BLOCK'), 'rule type must be one of');
    });

    it.each(['deny', '', 'THROTTLE', 'permit'])('rejects the action %j', (action) => {
      expectBadRule(() => normaliseRule('caller', US, action), 'rule action must be ALLOW or BLOCK');
    });
  });

  describe('caller', () => {
    it('turns an E.164 number into a tel: key', () => {
      expect(normaliseRule('caller', '+14155550123', 'BLOCK')).toEqual({
        type: 'caller',
        value: 'tel:+14155550123',
        action: 'BLOCK',
        monitor: false,
      });
      expect(normaliseRule('caller', ' +14155550123 ', 'ALLOW').value).toBe('tel:+14155550123');
    });

    it.each([
      'tel:+14155550123',
      'ip:203.0.113.7',
      'ip:2001:db8:1:2::/64',
      'cust:c-42',
      'email:customer@example.com',
    ])('keeps the caller key %s', (value) => {
      expect(normaliseRule('caller', value, 'BLOCK').value).toBe(value);
    });

    it('lower-cases an e-mail caller, as identity keys e-mail senders', () => {
      expect(normaliseRule('caller', 'email:Bob@Example.COM', 'BLOCK').value).toBe('email:bob@example.com');
    });

    it('keeps the case of a customer id', () => {
      expect(normaliseRule('caller', 'cust:AbC-42', 'BLOCK').value).toBe('cust:AbC-42');
    });

    it('accepts the key of an IPv6 caller exactly as identity writes it', () => {
      const key = ipKey('2001:db8::1');
      expect(key).toBe('ip:2001:db8:0:0::/64');
      expect(normaliseRule('caller', String(key), 'BLOCK').value).toBe(key);
    });

    it.each([
      '14155550123',
      '(415) 555-0123',
      'tel:14155550123',
      '+',
      'tel:+',
      `+${'1'.repeat(21)}`,
      'ip:',
      'ip:host.example',
      'cust:',
      'email:a',
      'phone:+14155550123',
      '',
      'anonymous',
    ])('rejects %j', (value) => {
      expectBadRule(() => normaliseRule('caller', value, 'BLOCK'), 'caller rule value must be');
    });
  });

  describe('prefix', () => {
    it.each(['+1', '+1900', `+${'9'.repeat(15)}`])('accepts %s', (value) => {
      expect(normaliseRule('prefix', value, 'BLOCK').value).toBe(value);
    });

    it('trims the value', () => {
      expect(normaliseRule('prefix', ' +1900 ', 'ALLOW').value).toBe('+1900');
    });

    it.each(['1900', '+', `+${'9'.repeat(16)}`, '+1 900', '+1-900', 'tel:+1900', ''])(
      'rejects %j',
      (value) => {
        expectBadRule(() => normaliseRule('prefix', value, 'BLOCK'), "prefix rule value must be '+'");
      },
    );
  });

  describe('country', () => {
    it('upper-cases the code', () => {
      expect(normaliseRule('country', 'kp', 'BLOCK')).toEqual({
        type: 'country',
        value: 'KP',
        action: 'BLOCK',
        monitor: false,
      });
      expect(normaliseRule('country', ' us ', 'ALLOW').value).toBe('US');
    });

    it.each(['KPR', 'K', 'K1', '', '+1', 'U S'])('rejects %j', (value) => {
      expectBadRule(() => normaliseRule('country', value, 'BLOCK'), 'two-letter country code');
    });
  });

  describe('line_type', () => {
    it.each(LINE_TYPES)('accepts %s', (value) => {
      expect(normaliseRule('line_type', value, 'BLOCK').value).toBe(value);
    });

    it('lower-cases the value', () => {
      expect(normaliseRule('line_type', 'PREMIUM_RATE', 'BLOCK').value).toBe('premium_rate');
    });

    it.each(['satellite', 'premium-rate', ''])('rejects %j', (value) => {
      expectBadRule(() => normaliseRule('line_type', value, 'BLOCK'), 'line_type rule value must be one of');
    });

    it('can only BLOCK', () => {
      expectBadRule(() => normaliseRule('line_type', 'voip', 'ALLOW'), 'line_type rules can only BLOCK');
    });
  });

  describe('signal', () => {
    it('strips leading zeros from an OLI code', () => {
      expect(normaliseRule('signal', 'oli:029', 'BLOCK')).toEqual({
        type: 'signal',
        value: 'oli:29',
        action: 'BLOCK',
        monitor: false,
      });
      expect(normaliseRule('signal', 'oli:000', 'BLOCK').value).toBe('oli:0');
    });

    it('lower-cases the value', () => {
      expect(normaliseRule('signal', 'OLI:70', 'BLOCK').value).toBe('oli:70');
      expect(normaliseRule('signal', 'PAI_MISMATCH', 'BLOCK').value).toBe('pai_mismatch');
      expect(normaliseRule('signal', 'Caller_Is_Dialed', 'BLOCK').value).toBe('caller_is_dialed');
    });

    it.each(SIGNAL_NAMES)('accepts the signal %s', (name) => {
      expect(normaliseRule('signal', ` ${name.toUpperCase()} `, 'BLOCK').value).toBe(name);
    });

    it('lists every signal name when it refuses a value', () => {
      const error = errorOf(() => normaliseRule('signal', 'spoofed', 'BLOCK')) as Error;
      for (const name of SIGNAL_NAMES) expect(error.message).toContain(name);
      expect(error.message).toContain('oli:<code>');
    });

    it.each([
      'oli:',
      'oli:1234',
      'oli:2a',
      'oli 29',
      'pai',
      'spoofed',
      '',
      'voip_mismatch',
      'pai_mismatch|voip',
    ])('rejects %j', (value) => {
      expectBadRule(() => normaliseRule('signal', value, 'BLOCK'), 'signal rule value must be');
    });

    it('can only BLOCK', () => {
      expectBadRule(() => normaliseRule('signal', 'pai_mismatch', 'ALLOW'), 'signal rules can only BLOCK');
    });
  });
});

describe('RuleSet', () => {
  it('has no verdict without rules', () => {
    const set = rules();
    expect(set.size).toBe(0);
    expect(set.evaluate(phone(US))).toBeNull();
  });

  describe('caller rules', () => {
    it('blocks and allows exact callers', () => {
      const set = rules(rule('caller', US, 'BLOCK'), rule('caller', US_OTHER, 'ALLOW'));
      expect(set.evaluate(phone(US))).toEqual({ action: 'BLOCK', rule: `caller:tel:${US}` });
      expect(set.evaluate(phone(US_OTHER))).toEqual({ action: 'ALLOW', rule: `caller:tel:${US_OTHER}` });
      expect(set.evaluate(phone('+13105550123'))).toBeNull();
    });

    it('lets a caller BLOCK beat a caller ALLOW in either order', () => {
      const verdict = { action: 'BLOCK', rule: `caller:tel:${US}` };
      expect(rules(rule('caller', US, 'ALLOW'), rule('caller', US, 'BLOCK')).evaluate(phone(US))).toEqual(
        verdict,
      );
      expect(rules(rule('caller', US, 'BLOCK'), rule('caller', US, 'ALLOW')).evaluate(phone(US))).toEqual(
        verdict,
      );
    });

    it('puts a caller ALLOW before prefix, country, line type and signal blocks', () => {
      const set = rules(
        rule('caller', US_PREMIUM, 'ALLOW'),
        rule('prefix', '+1900', 'BLOCK'),
        rule('country', 'US', 'BLOCK'),
        rule('line_type', 'premium_rate', 'BLOCK'),
        rule('signal', 'caller_is_dialed', 'BLOCK'),
      );
      expect(set.evaluate(phone(US_PREMIUM), sig(phone(US_PREMIUM), {}, US_PREMIUM))).toEqual({
        action: 'ALLOW',
        rule: `caller:tel:${US_PREMIUM}`,
      });
    });

    it('puts a caller BLOCK before a prefix ALLOW', () => {
      const set = rules(rule('prefix', '+1415', 'ALLOW'), rule('caller', US, 'BLOCK'));
      expect(set.evaluate(phone(US))).toEqual({ action: 'BLOCK', rule: `caller:tel:${US}` });
    });

    it('matches non-phone callers by key', () => {
      const set = rules(
        rule('caller', 'ip:203.0.113.7', 'BLOCK'),
        rule('caller', 'ip:2001:db8:1:2::/64', 'BLOCK'),
        rule('caller', 'cust:c-42', 'ALLOW'),
        rule('caller', 'email:spam@example.com', 'BLOCK'),
      );
      expect(set.evaluate(keyed('ip', 'ip:203.0.113.7'))).toEqual({
        action: 'BLOCK',
        rule: 'caller:ip:203.0.113.7',
      });
      expect(set.evaluate(keyed('ip', String(ipKey('2001:db8:1:2::99'))))?.action).toBe('BLOCK');
      expect(set.evaluate(keyed('customer', 'cust:c-42'))).toEqual({
        action: 'ALLOW',
        rule: 'caller:cust:c-42',
      });
      expect(set.evaluate(keyed('email', 'email:spam@example.com'))?.action).toBe('BLOCK');
      expect(set.evaluate(keyed('ip', 'ip:203.0.113.8'))).toBeNull();
    });

    it('matches an e-mail sender whatever the case of the rule', () => {
      const set = rules(rule('caller', 'email:Spam@Example.com', 'BLOCK'));
      expect(set.evaluate(keyed('email', 'email:spam@example.com'))).toEqual({
        action: 'BLOCK',
        rule: 'caller:email:spam@example.com',
      });
    });
  });

  describe('non-phone and keyless identities', () => {
    const everything = rules(
      rule('prefix', '+1', 'BLOCK'),
      rule('prefix', '+9', 'BLOCK'),
      rule('country', 'US', 'ALLOW'),
      rule('line_type', 'unknown', 'BLOCK'),
      rule('signal', 'oli:29', 'BLOCK'),
      rule('signal', 'pai_mismatch', 'BLOCK'),
    );

    it('matches a non-phone identity by caller rules only', () => {
      expect(
        everything.evaluate(keyed('ip', 'ip:203.0.113.7'), new Set(['oli:29', 'oli_prison', 'pai_mismatch'])),
      ).toBeNull();
      expect(everything.evaluate(keyed('customer', 'cust:c-42'))).toBeNull();
      expect(everything.evaluate(keyed('email', 'email:a@example.com'))).toBeNull();
    });

    it('has no verdict for a withheld caller', () => {
      const withheld = phone('anonymous');
      expect(withheld.class).toBe('withheld');
      expect(everything.evaluate(withheld, new Set(['oli:29', 'pai_mismatch']))).toBeNull();
    });

    it('has no verdict for an unidentified caller', () => {
      const unidentified = phone('hello');
      expect(unidentified.class).toBe('unidentified');
      expect(everything.evaluate(unidentified)).toBeNull();
    });
  });

  describe('prefixes', () => {
    it('lets the longest matching prefix win', () => {
      const set = rules(
        rule('prefix', '+1', 'BLOCK'),
        rule('prefix', '+1415', 'ALLOW'),
        rule('prefix', '+14', 'BLOCK'),
      );
      expect(set.evaluate(phone(US))).toEqual({ action: 'ALLOW', rule: 'prefix:+1415' });
      expect(set.evaluate(phone('+14085550123'))).toEqual({ action: 'BLOCK', rule: 'prefix:+14' });
      expect(set.evaluate(phone(US_OTHER))).toEqual({ action: 'BLOCK', rule: 'prefix:+1' });
      expect(set.evaluate(phone(UK))).toBeNull();
    });

    it('lets the longest prefix win whatever the order of the rules', () => {
      const set = rules(rule('prefix', '+1415', 'BLOCK'), rule('prefix', '+1', 'ALLOW'));
      expect(set.evaluate(phone(US))).toEqual({ action: 'BLOCK', rule: 'prefix:+1415' });
      expect(set.evaluate(phone(US_OTHER))).toEqual({ action: 'ALLOW', rule: 'prefix:+1' });
    });

    it('lets BLOCK beat ALLOW on the same prefix in either order', () => {
      const verdict = { action: 'BLOCK', rule: 'prefix:+1900' };
      expect(
        rules(rule('prefix', '+1900', 'ALLOW'), rule('prefix', '+1900', 'BLOCK')).evaluate(phone(US_PREMIUM)),
      ).toEqual(verdict);
      expect(
        rules(rule('prefix', '+1900', 'BLOCK'), rule('prefix', '+1900', 'ALLOW')).evaluate(phone(US_PREMIUM)),
      ).toEqual(verdict);
    });

    it('matches invalid numbers by their digits', () => {
      const set = rules(rule('prefix', '+999', 'BLOCK'));
      const invalid = phone('+999123456');
      expect(invalid.valid).toBe(false);
      expect(set.evaluate(invalid)).toEqual({ action: 'BLOCK', rule: 'prefix:+999' });
    });

    it('decides before country rules', () => {
      const set = rules(rule('prefix', '+44', 'ALLOW'), rule('country', 'GB', 'BLOCK'));
      expect(set.evaluate(phone(UK))).toEqual({ action: 'ALLOW', rule: 'prefix:+44' });
    });
  });

  describe('countries', () => {
    it('blocks a denied country only', () => {
      const set = rules(rule('country', 'KP', 'BLOCK'));
      expect(set.evaluate(phone(KP))).toEqual({ action: 'BLOCK', rule: 'country:KP' });
      expect(set.evaluate(phone(US))).toBeNull();
    });

    it('makes country ALLOW rules an allowlist that blocks other countries', () => {
      const set = rules(rule('country', 'US', 'ALLOW'), rule('country', 'CA', 'ALLOW'));
      expect(set.evaluate(phone(UK))).toEqual({ action: 'BLOCK', rule: 'country:not_allowed' });
      expect(set.evaluate(phone(KP))).toEqual({ action: 'BLOCK', rule: 'country:not_allowed' });
      expect(set.evaluate(phone(US))).toBeNull();
      expect(set.evaluate(phone('+16135550123'))).toBeNull();
    });

    it('does not block invalid numbers, which have no country, through the allowlist', () => {
      const set = rules(rule('country', 'US', 'ALLOW'));
      const invalid = phone('+999123456');
      expect(invalid.country).toBe('');
      expect(set.evaluate(invalid)).toBeNull();
    });

    it('names the country when it is both allowed and denied', () => {
      const set = rules(rule('country', 'GB', 'ALLOW'), rule('country', 'GB', 'BLOCK'));
      expect(set.evaluate(phone(UK))).toEqual({ action: 'BLOCK', rule: 'country:GB' });
    });
  });

  describe('line types', () => {
    it('blocks a listed line type', () => {
      const set = rules(rule('line_type', 'premium_rate', 'BLOCK'));
      expect(set.evaluate(phone(US_PREMIUM))).toEqual({ action: 'BLOCK', rule: 'line_type:premium_rate' });
      expect(set.evaluate(phone(US))).toBeNull();
      expect(set.evaluate(phone('+18002345678'))).toBeNull();
    });

    it('can block invalid numbers through the unknown line type', () => {
      const set = rules(rule('line_type', 'unknown', 'BLOCK'));
      expect(set.evaluate(phone('+999123456'))).toEqual({ action: 'BLOCK', rule: 'line_type:unknown' });
      expect(set.evaluate(phone(US))).toBeNull();
    });
  });

  describe('signals', () => {
    it('reports whether any signal rule exists', () => {
      expect(rules(rule('prefix', '+1', 'BLOCK')).usesSignals).toBe(false);
      expect(rules(rule('signal', 'oli:29', 'BLOCK')).usesSignals).toBe(true);
      expect(rules(rule('signal', 'oli:29', 'BLOCK', NOW)).usesSignals).toBe(false);
    });

    it('blocks a listed OLI code, however it is zero-padded', () => {
      const set = rules(rule('signal', 'oli:029', 'BLOCK'));
      expect(set.evaluate(phone(US), sig(phone(US), { isupOli: '29' }))).toEqual({
        action: 'BLOCK',
        rule: 'signal:oli:29',
      });
      expect(set.evaluate(phone(US), sig(phone(US), { isupOli: '029' }))).toEqual({
        action: 'BLOCK',
        rule: 'signal:oli:29',
      });
      expect(set.evaluate(phone(US), sig(phone(US), { isupOli: '27' }))).toBeNull();
      expect(set.evaluate(phone(US), sig(phone(US)))).toBeNull();
      expect(set.evaluate(phone(US))).toBeNull();
    });

    it('blocks a P-Asserted-Identity mismatch only when an asserted number is given and differs', () => {
      const set = rules(rule('signal', 'pai_mismatch', 'BLOCK'));
      const pai = (pAssertedIdentity: string) => sig(phone(US), { pAssertedIdentity });
      expect(set.evaluate(phone(US), pai('<sip:+14155550199@gw.example.com;user=phone>'))).toEqual({
        action: 'BLOCK',
        rule: 'signal:pai_mismatch',
      });
      expect(set.evaluate(phone(US), pai(`<sip:${US}@gw.example.com;user=phone>`))).toBeNull();
      expect(set.evaluate(phone(US), pai(''))).toBeNull();
      expect(set.evaluate(phone(US), sig(phone(US)))).toBeNull();
    });

    it('blocks a caller equal to the dialed number', () => {
      const set = rules(rule('signal', 'caller_is_dialed', 'BLOCK'));
      const dialed = phone('+18005550100');
      expect(set.evaluate(dialed, sig(dialed, {}, '+18005550100'))).toEqual({
        action: 'BLOCK',
        rule: 'signal:caller_is_dialed',
      });
      expect(set.evaluate(phone(US), sig(phone(US), {}, '+18005550100'))).toBeNull();
      expect(set.evaluate(phone(US), sig(phone(US)))).toBeNull();
    });

    it('ignores signals that have no rule', () => {
      const set = rules(rule('signal', 'oli:29', 'BLOCK'));
      expect(
        set.evaluate(phone(US), sig(phone(US), { isupOli: '70', pAssertedIdentity: 'tel:+14155550199' }, US)),
      ).toBeNull();
    });

    it("blocks on any signal of signals.ts, by the first of the call's keys a rule names", () => {
      const set = rules(
        rule('signal', 'from_mismatch', 'BLOCK'),
        rule('signal', 'oli_prison', 'BLOCK'),
        rule('signal', 'charge_info_mismatch', 'BLOCK'),
      );
      const from = sig(phone(US), { from: '"Bank" <sip:+14155550199@carrier.example>;tag=a1' });
      expect(set.evaluate(phone(US), from)).toEqual({ action: 'BLOCK', rule: 'signal:from_mismatch' });
      const both = sig(phone(US), { isupOli: '29', from: 'sip:+14155550199@carrier.example' });
      expect(set.evaluate(phone(US), both)).toEqual({ action: 'BLOCK', rule: 'signal:from_mismatch' });
      expect(set.evaluate(phone(US), sig(phone(US), { isupOli: '29' }))).toEqual({
        action: 'BLOCK',
        rule: 'signal:oli_prison',
      });
      expect(set.evaluate(phone(US), sig(phone(US), { pChargeInfo: `<sip:${US}@pbx.example>` }))).toBeNull();
      expect(set.evaluateSignals(new Set(['voip', 'charge_info_mismatch']))).toEqual({
        action: 'BLOCK',
        rule: 'signal:charge_info_mismatch',
      });
      expect(rules().evaluateSignals(new Set(['oli_prison']))).toBeNull();
    });

    it('applies number rules and signal rules to an asserted (pai:) caller', () => {
      const asserted: CallerIdentity = { ...phone(US_PREMIUM), class: 'asserted', key: `pai:${US_PREMIUM}` };
      expect(rules(rule('prefix', '+1900', 'BLOCK')).evaluate(asserted)).toEqual({
        action: 'BLOCK',
        rule: 'prefix:+1900',
      });
      expect(rules(rule('caller', `pai:${US_PREMIUM}`, 'BLOCK')).evaluate(asserted)).toEqual({
        action: 'BLOCK',
        rule: `caller:pai:${US_PREMIUM}`,
      });
      expect(rules(rule('caller', `tel:${US_PREMIUM}`, 'BLOCK')).evaluate(asserted)).toBeNull();
      expect(rules(rule('signal', 'oli:29', 'BLOCK')).evaluate(asserted, new Set(['oli:29']))).toEqual({
        action: 'BLOCK',
        rule: 'signal:oli:29',
      });
    });

    it('comes after line types', () => {
      const set = rules(rule('line_type', 'premium_rate', 'BLOCK'), rule('signal', 'oli:29', 'BLOCK'));
      expect(set.evaluate(phone(US_PREMIUM), sig(phone(US_PREMIUM), { isupOli: '29' }))).toEqual({
        action: 'BLOCK',
        rule: 'line_type:premium_rate',
      });
    });
  });

  describe('expiry', () => {
    it('ignores rules that expired at or before now', () => {
      const set = rules(
        rule('caller', US, 'BLOCK', NOW),
        rule('prefix', '+1', 'BLOCK', NOW - 1),
        rule('country', 'US', 'BLOCK', NOW - 86_400),
        rule('line_type', 'fixed_line_or_mobile', 'BLOCK', NOW),
        rule('signal', 'oli:29', 'BLOCK', NOW),
      );
      expect(set.size).toBe(0);
      expect(set.evaluate(phone(US), sig(phone(US), { isupOli: '29' }))).toBeNull();
    });

    it('keeps rules that expire after now or never', () => {
      const set = rules(rule('caller', US, 'BLOCK', NOW + 1), rule('caller', US_OTHER, 'BLOCK', 0));
      expect(set.size).toBe(2);
      expect(set.evaluate(phone(US))?.action).toBe('BLOCK');
      expect(set.evaluate(phone(US_OTHER))?.action).toBe('BLOCK');
    });

    it('lets an expired caller BLOCK no longer beat a live ALLOW', () => {
      const set = rules(rule('caller', US, 'BLOCK', NOW), rule('caller', US, 'ALLOW'));
      expect(set.evaluate(phone(US))).toEqual({ action: 'ALLOW', rule: `caller:tel:${US}` });
    });

    it('counts only live rules in size', () => {
      expect(rules(rule('caller', US, 'BLOCK', NOW), rule('prefix', '+1', 'BLOCK')).size).toBe(1);
    });
  });
});

describe('normaliseRule for IP callers', () => {
  it.each([
    ['ip:2001:db8:1:2::1', 'ip:2001:db8:1:2::/64'],
    ['ip:2001:db8::/64', 'ip:2001:db8:0:0::/64'],
    ['ip:::ffff:203.0.113.7', 'ip:203.0.113.7'],
    ['ip:203.0.113.7', 'ip:203.0.113.7'],
  ])('turns %s into the key identities use (%s)', (value, key) => {
    expect(normaliseRule('caller', value, 'BLOCK').value).toBe(key);
  });
});

describe('normaliseRule for invalid IP addresses', () => {
  it.each(['ip:999.1.1.1', 'ip:1.2.3', 'ip:not-an-ip'])(
    'refuses %s instead of storing a rule that never matches',
    (value) => {
      expect(() => normaliseRule('caller', value, 'BLOCK')).toThrow(/valid IP address/);
    },
  );
});

describe('monitor-only rules', () => {
  const monitored = (type: string, value: string, action: string): Rule => ({
    ...rule(type, value, action),
    ...normaliseRule(type, value, action, true),
  });

  it('normaliseRule keeps the flag, false by default, and refuses anything but a boolean', () => {
    expect(normaliseRule('prefix', '+1900', 'BLOCK', true)).toEqual({
      type: 'prefix',
      value: '+1900',
      action: 'BLOCK',
      monitor: true,
    });
    expect(normaliseRule('prefix', '+1900', 'BLOCK').monitor).toBe(false);
    expectBadRule(
      () => normaliseRule('prefix', '+1900', 'BLOCK', 'yes' as unknown as boolean),
      'rule monitor must be true or false',
    );
  });

  it.each([
    ['caller', US, 'BLOCK', `caller:tel:${US}`],
    ['prefix', '+1415', 'BLOCK', 'prefix:+1415'],
    ['country', 'US', 'BLOCK', 'country:US'],
    ['country', 'GB', 'ALLOW', 'country:not_allowed'],
    ['line_type', 'fixed_line_or_mobile', 'BLOCK', 'line_type:fixed_line_or_mobile'],
  ])('a monitored %s %s %s is reported, never enforced', (type, value, action, name) => {
    const set = rules(monitored(type, value, action));
    expect(set.monitors).toBe(true);
    expect(set.size).toBe(1);
    expect(set.evaluate(phone(US))).toBeNull();
    expect(set.evaluateMonitored(phone(US))).toEqual({ action: 'BLOCK', rule: name });
  });

  it('a monitored signal rule is reported, and makes signals worth working out', () => {
    const set = rules(monitored('signal', 'caller_is_dialed', 'BLOCK'));
    const keys = sig(phone(US), {}, US);
    expect(set.usesSignals).toBe(true);
    expect(set.evaluate(phone(US), keys)).toBeNull();
    expect(set.evaluateMonitored(phone(US), keys)).toEqual({
      action: 'BLOCK',
      rule: 'signal:caller_is_dialed',
    });
  });

  it('an enforced rule below a monitored one still decides; one above it leaves nothing to report', () => {
    const below = rules(monitored('caller', US, 'ALLOW'), rule('prefix', '+1415', 'BLOCK'));
    expect(below.evaluate(phone(US))).toEqual({ action: 'BLOCK', rule: 'prefix:+1415' });
    expect(below.evaluateMonitored(phone(US))).toEqual({ action: 'ALLOW', rule: `caller:tel:${US}` });

    const above = rules(rule('caller', US, 'ALLOW'), monitored('prefix', '+1415', 'BLOCK'));
    expect(above.evaluate(phone(US))).toEqual({ action: 'ALLOW', rule: `caller:tel:${US}` });
    expect(above.evaluateMonitored(phone(US))).toBeNull();
    expect(above.evaluateMonitored(phone(US_OTHER))).toBeNull();
  });

  it('reports nothing without monitored rules, or once a monitored rule has expired', () => {
    expect(rules(rule('prefix', '+1415', 'BLOCK')).evaluateMonitored(phone(US))).toBeNull();
    const expired = rules({ ...monitored('prefix', '+1415', 'BLOCK'), expiresAt: NOW - 1 });
    expect(expired.monitors).toBe(false);
    expect(expired.evaluateMonitored(phone(US))).toBeNull();
  });
});
