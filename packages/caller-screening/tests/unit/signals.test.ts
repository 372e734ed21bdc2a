import { seededRandom } from '@flowguard/testing';
import { describe, expect, it } from 'vitest';
import { type CallerIdentity, phoneIdentity } from '../../src/identity.js';
import {
  assertedIdentity,
  type CallSignal,
  CONNECT_HEADER_NAMES,
  callSignals,
  DEFAULT_SIGNAL_WEIGHTS,
  MAX_HEADER_LENGTH,
  oliCode,
  parseSignalWeights,
  SIGNAL_NAMES,
  type SignalInput,
  SignalWeightSyntaxError,
  signalRuleKeys,
  type TelephonyHeaders,
} from '../../src/signals.js';

const CALLER = '+14155550101'; // a valid US fixed-line-or-mobile number
const OTHER = '+12125550147';
const DIALED = '+18005550199';

const caller = (address = CALLER): CallerIdentity => phoneIdentity(address, 'US');
const withheld = phoneIdentity('anonymous', 'US');

function run(headers: TelephonyHeaders, extra: Partial<SignalInput> = {}) {
  return callSignals({ caller: caller(), systemEndpoint: DIALED, defaultCountry: 'US', headers, ...extra });
}
const names = (signals: readonly CallSignal[]) => signals.map((s) => s.name);

describe('callSignals: nothing given', () => {
  it('a clean caller with no headers has no signals and a score of 0', () => {
    expect(run({})).toEqual({ signals: [], score: 0, unreadable: [] });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
  ])('absence is not suspicion: every header %s adds nothing', (_, value) => {
    const headers = Object.fromEntries(Object.keys(CONNECT_HEADER_NAMES).map((k) => [k, value]));
    expect(run(headers)).toEqual({ signals: [], score: 0, unreadable: [] });
  });

  it('headers that agree with the caller add nothing', () => {
    const report = run({
      pAssertedIdentity: `<sip:${CALLER}@10.0.0.1;user=phone>`,
      from: `"Alice" <sip:${CALLER}@carrier.example>;tag=abc`,
      pChargeInfo: `<sip:${CALLER}@carrier.example>`,
      callingPartyAddress: '14155550101;noa=4',
    });
    expect(report.signals).toEqual([]);
  });
});

describe('callSignals: header mismatches', () => {
  it.each([
    ['pAssertedIdentity', 'pai_mismatch', 'P-Asserted-Identity', `<sip:${OTHER}@10.0.0.1;user=phone>`],
    ['from', 'from_mismatch', 'From', `<sip:${OTHER}@carrier.example>;tag=1`],
    ['pChargeInfo', 'charge_info_mismatch', 'P-Charge-Info', `<sip:${OTHER}@carrier.example>`],
    ['callingPartyAddress', 'calling_party_mismatch', 'Calling-Party-Address', '12125550147;noa=4'],
  ] as const)('%s naming another number: %s', (field, signal, source, value) => {
    const report = run({ [field]: value });
    expect(report.signals).toEqual([{ name: signal, weight: DEFAULT_SIGNAL_WEIGHTS[signal], source }]);
    expect(report.score).toBe(DEFAULT_SIGNAL_WEIGHTS[signal]);
  });

  it('national and international spellings of the caller are the caller', () => {
    for (const value of [
      '<sip:4155550101@10.0.0.1>',
      '<sip:14155550101@10.0.0.1>',
      '<sip:+1-415-555-0101@gw>',
      'tel:+1-415-555-0101',
      '<tel:4155550101;phone-context=+1>',
      `sip:${CALLER}@gw`,
    ])
      expect(run({ pAssertedIdentity: value }).signals, value).toEqual([]);
  });

  it('a foreign caller whose number a carrier sends without its + is not a mismatch', () => {
    const report = callSignals({
      caller: phoneIdentity('+442079460123', 'US'),
      defaultCountry: 'US',
      headers: { pAssertedIdentity: '<sip:442079460123@gw>', callingPartyAddress: '442079460123' },
    });
    expect(report.signals).toEqual([]);
  });

  it('Calling-Party-Address: noa=3 is national, noa=4 international', () => {
    expect(names(run({ callingPartyAddress: '4155550101;noa=3' }).signals)).toEqual([]);
    // Read as international, 4155550101 is not the caller.
    expect(names(run({ callingPartyAddress: '4155550101;noa=4' }).signals)).toEqual([
      'calling_party_mismatch',
    ]);
    expect(names(run({ callingPartyAddress: '+4155550101' }).signals)).toEqual(['calling_party_mismatch']);
  });

  it('a header naming only a withheld caller, or only a name, adds no mismatch', () => {
    const report = run({
      from: '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1928301774', // RFC 3323 §4.1.1.3
      pAssertedIdentity: '"Cullen Jennings" <sip:fluffy@cisco.com>', // RFC 3325 §10
    });
    expect(report.signals).toEqual([]);
    expect(report.unreadable).toEqual(['pAssertedIdentity']);
  });

  it('RFC 3325 §9.1: a SIP and a tel URI in one header, read together', () => {
    // RFC 3325 §10's two P-Asserted-Identity lines, joined as one header value.
    const pai = '"Cullen Jennings" <sip:fluffy@cisco.com>, <tel:+14085264000>';
    expect(names(run({ pAssertedIdentity: pai }).signals)).toEqual(['pai_mismatch']);
    expect(run({ pAssertedIdentity: pai }, { caller: caller('+14085264000') }).signals).toEqual([]);
    const both = `<sip:${CALLER}@gw;user=phone>, <tel:${CALLER}>`;
    expect(run({ pAssertedIdentity: both }).signals).toEqual([]);
  });

  it('two values naming different numbers are read as nothing: no mismatch either way', () => {
    expect(run({ pAssertedIdentity: `<sip:${OTHER}@gw>, <tel:+13125550111>` }).signals).toEqual([]);
    expect(run({ pAssertedIdentity: `<sip:${CALLER}@gw>, <tel:${OTHER}>` }).signals).toEqual([]);
  });

  it('a withheld caller has nothing to mismatch', () => {
    const report = run(
      { pAssertedIdentity: `<sip:${OTHER}@gw>`, from: `<sip:${OTHER}@gw>` },
      { caller: withheld },
    );
    expect(report.signals).toEqual([]);
  });

  it('all four at once, in SIGNAL_NAMES order, scored as their sum', () => {
    const report = run({
      pChargeInfo: `<sip:${OTHER}@gw>`,
      callingPartyAddress: '12125550147;noa=4',
      from: `<sip:${OTHER}@gw>`,
      pAssertedIdentity: `<sip:${OTHER}@gw>`,
    });
    expect(names(report.signals)).toEqual([
      'pai_mismatch',
      'from_mismatch',
      'calling_party_mismatch',
      'charge_info_mismatch',
    ]);
    expect(report.score).toBe(30 + 20 + 20 + 5);
  });
});

describe('callSignals: samples from published material', () => {
  // Bandwidth, "STIR/SHAKEN Inbound Verification" (support.bandwidth.com/hc/en-us/articles/
  // 1500007690922): verstat in the user part (older article text) and as a header parameter.
  // Connect documents no verstat, so it is read past, never a signal.
  it.each([
    '<sip:+13339990000;verstat=TN-Validation-Passed@67.xxx.x.xx:5060>',
    '<sip:+13339990000@67.xxx.x.xx:5060>;verstat=TN-Validation-Passed',
    '<sip:+13339990000@67.xxx.x.xx:5060>;verstat=TN-Validation-Failed',
  ])('Bandwidth P-Asserted-Identity %s: the number only', (pai) => {
    expect(run({ pAssertedIdentity: pai }, { caller: caller('+13339990000') }).signals).toEqual([
      { name: 'invalid_number', weight: 25, source: 'CustomerEndpoint' }, // NPA 333 is unassigned
    ]);
    expect(names(run({ pAssertedIdentity: pai }).signals)).toEqual(['pai_mismatch']);
  });

  // Telnyx, "SIP header parameters" (developers.telnyx.com/docs/voice/stir-shaken/sip-header-parameters).
  it('Telnyx P-Asserted-Identity with a display name and verstat', () => {
    const pai = '"John Doe" <sip:+18889809750@sip.telnyx.com;verstat=TN-Validation-Passed>';
    const telnyxCaller = caller('+18889809750');
    expect(names(run({ pAssertedIdentity: pai }, { caller: telnyxCaller }).signals)).toEqual(['toll_free']);
    expect(names(run({ pAssertedIdentity: pai }).signals)).toEqual(['pai_mismatch']);
  });

  // Telnyx, "P-Charge-Info Header" (developers.telnyx.com/docs/voice/sip-trunking/configuration/p-charge-info-header.md).
  it('Telnyx P-Charge-Info', () => {
    const report = run({ pChargeInfo: '<sip:+15551234567@sip.telnyx.com>' });
    expect(names(report.signals)).toEqual(['charge_info_mismatch']);
  });

  // AWS, connect-attrib-list.md "Telephony call metadata attributes" (awsdocs/amazon-connect-admin-guide
  // @9c43ca593f43991efff6f2be0aa600115bdfc8fc): the documented example values.
  it('AWS example values: Calling-Party-Address 15555555555;noa=4 is +15555555555', () => {
    const awsCaller = caller('+15555555555');
    expect(run({ callingPartyAddress: '15555555555;noa=4' }, { caller: awsCaller }).signals).toEqual([
      { name: 'invalid_number', weight: 25, source: 'CustomerEndpoint' },
    ]);
    expect(names(run({ callingPartyAddress: '15555555555;noa=4' }).signals)).toEqual([
      'calling_party_mismatch',
    ]);
  });

  // A Lex fulfilment function's comment showing a From passed on from a call (search index id
  // 32356279270): `."+18613583255551" <sip:+18613583255551@0.0.0.0>;tag=0N1SZ9v8Z01ZN`.
  it('a From with a tag and a 0.0.0.0 host; with its stray leading dot it is unreadable', () => {
    const from = '"+18613583255551" <sip:+18613583255551@0.0.0.0>;tag=0N1SZ9v8Z01ZN';
    expect(run({ from }, { caller: caller('+18613583255551') }).signals.map((s) => s.name)).toEqual([
      'invalid_number',
    ]);
    expect(names(run({ from }).signals)).toEqual(['from_mismatch']);
    expect(run({ from: `.${from}` })).toEqual({ signals: [], score: 0, unreadable: ['from'] });
  });
});

describe('callSignals: ISUP-OLI', () => {
  it.each([
    ['29', 'oli_prison', 20, '29'],
    ['27', 'oli_payphone', 10, '27'],
    ['70', 'oli_payphone', 10, '70'],
    ['02', 'oli_ani_failure', 15, '2'],
    ['2', 'oli_ani_failure', 15, '2'],
    ['61', 'oli_wireless', 0, '61'],
    ['62', 'oli_wireless', 0, '62'],
    ['63', 'oli_wireless', 0, '63'],
    ['60', 'oli_relay', 0, '60'],
    ['66', 'oli_relay', 0, '66'],
    ['67', 'oli_relay', 0, '67'],
    ['00', 'oli_other', 0, '0'],
    ['24', 'oli_other', 0, '24'],
    [' isup-oli=29 ', 'oli_prison', 20, '29'],
  ] as const)('%s is %s (weight %d), code %s', (oli, name, weight, code) => {
    const report = run({ isupOli: oli });
    expect(report.signals).toEqual([{ name, weight, source: 'ISUP-OLI', code }]);
    expect(report.score).toBe(weight);
    expect(signalRuleKeys(report)).toEqual(new Set([name, `oli:${code}`]));
  });

  it.each(['x', '1234', '2 9', '-1', '29;x', '٢٩', 'isup-oli=', '1e1'])(
    '%j is unreadable, no signal',
    (oli) => {
      expect(run({ isupOli: oli })).toEqual({ signals: [], score: 0, unreadable: ['isupOli'] });
      expect(oliCode(oli)).toBeNull();
    },
  );

  it('applies to withheld callers too (it describes the line, not the number)', () => {
    expect(names(run({ isupOli: '29' }, { caller: withheld }).signals)).toEqual(['oli_prison']);
  });
});

describe('callSignals: the caller number itself', () => {
  it.each([
    ['+19005550123', 'premium_rate'],
    ['+18005550199', 'toll_free'],
    ['+34901123456', 'shared_cost'],
    ['+445600000000', 'voip'],
    ['+1415555', 'invalid_number'],
    ['+999123456', 'invalid_number'],
  ])('%s: %s from CustomerEndpoint', (number, name) => {
    const identity = caller(number);
    const report = callSignals({ caller: identity, defaultCountry: 'US' });
    expect(report.signals).toEqual([
      { name, weight: DEFAULT_SIGNAL_WEIGHTS[name as 'voip'], source: 'CustomerEndpoint' },
    ]);
  });

  it('caller_is_dialed: the caller presents the number it called, however written', () => {
    for (const dialed of [CALLER, '4155550101', '(415) 555-0101', 'sip:+14155550101@connect'])
      expect(names(run({}, { systemEndpoint: dialed }).signals), dialed).toEqual(['caller_is_dialed']);
    expect(run({}, { systemEndpoint: OTHER }).signals).toEqual([]);
    expect(run({}, { systemEndpoint: null }).signals).toEqual([]);
    expect(run({}, { systemEndpoint: 14155550101 }).signals).toEqual([]);
  });

  it('no number, no number facts: withheld and unidentified callers', () => {
    for (const identity of [withheld, phoneIdentity('sip:alice@example.com', 'US')])
      expect(callSignals({ caller: identity, systemEndpoint: CALLER }).signals).toEqual([]);
  });
});

describe('callSignals: weights', () => {
  it('given weights replace the defaults; out-of-range or non-integer ones are ignored', () => {
    const report = run(
      { isupOli: '29', pAssertedIdentity: `<sip:${OTHER}@gw>` },
      { weights: { oli_prison: 0, pai_mismatch: 100, oli_payphone: 5 } },
    );
    expect(report.signals.map((s) => [s.name, s.weight])).toEqual([
      ['pai_mismatch', 100],
      ['oli_prison', 0],
    ]);
    expect(report.score).toBe(100);
    for (const bad of [-1, 101, 2.5, Number.NaN, '7' as unknown as number])
      expect(run({ isupOli: '29' }, { weights: { oli_prison: bad } }).score).toBe(20);
  });

  it('every signal has a default weight in 0..100', () => {
    expect(Object.keys(DEFAULT_SIGNAL_WEIGHTS).sort()).toEqual([...SIGNAL_NAMES].sort());
    for (const w of Object.values(DEFAULT_SIGNAL_WEIGHTS))
      expect(w >= 0 && w <= 100 && Number.isInteger(w)).toBe(true);
  });

  it('parseSignalWeights', () => {
    expect(parseSignalWeights('')).toEqual(DEFAULT_SIGNAL_WEIGHTS);
    expect(parseSignalWeights(' pai_mismatch = 40 , voip=0')).toEqual({
      ...DEFAULT_SIGNAL_WEIGHTS,
      pai_mismatch: 40,
      voip: 0,
    });
    for (const bad of [
      'nope=1',
      'voip',
      'voip=101',
      'voip=-1',
      'voip=1,voip=2',
      'voip=1,',
      'verstat_failed=10',
    ])
      expect(() => parseSignalWeights(bad), bad).toThrow(SignalWeightSyntaxError);
  });
});

describe('assertedIdentity: withheld callers keyed by P-Asserted-Identity', () => {
  it('a withheld caller with an asserted number gets a pai: key, class asserted', () => {
    expect(assertedIdentity(withheld, `"Anonymous" <sip:${CALLER}@10.0.0.1;user=phone>`, 'US')).toEqual({
      class: 'asserted',
      key: `pai:${CALLER}`,
      number: CALLER,
      valid: true,
      lineType: caller().lineType,
      country: 'US',
    });
  });

  it('the same number however the carrier writes it gives the same key', () => {
    for (const pai of [
      '<sip:4155550101@gw>',
      '<sip:+14155550101;verstat=No-TN-Validation@gw>',
      'tel:+1-415-555-0101',
      '<sip:+14155550101@gw>, <tel:+14155550101>',
      '"Cullen Jennings" <sip:fluffy@cisco.com>, <tel:+14155550101>',
    ])
      expect(assertedIdentity(withheld, pai, 'US')?.key, pai).toBe(`pai:${CALLER}`);
  });

  it('every withheld spelling of the caller counts as withheld', () => {
    for (const spelling of ['anonymous', 'Restricted', '', '+266696687', 'sip:anonymous@anonymous.invalid'])
      expect(assertedIdentity(phoneIdentity(spelling, 'US'), `<sip:${CALLER}@gw>`, 'US')?.key).toBe(
        `pai:${CALLER}`,
      );
  });

  it('an invalid asserted number is still keyed, by its digits, and says so', () => {
    expect(assertedIdentity(withheld, '<sip:+13339990000@gw>', 'US')).toMatchObject({
      key: 'pai:+13339990000',
      valid: false,
    });
  });

  it.each([
    ['absent', undefined],
    ['null', null],
    ['empty', ''],
    ['not a string', 14155550101],
    ['withheld itself', '<sip:anonymous@anonymous.invalid>'],
    ['a keypad withheld number', '<tel:+7378742833>'],
    ['a name', '<sip:alice@example.com>'],
    ['two numbers that disagree', `<sip:${CALLER}@gw>, <tel:${OTHER}>`],
    ['unbalanced', `<sip:${CALLER}@gw`],
    ['too many values', `<tel:${CALLER}>,<tel:${CALLER}>,<tel:${CALLER}>,<tel:${CALLER}>,<tel:${CALLER}>`],
    ['over the length bound', `<sip:${CALLER}@${'h'.repeat(MAX_HEADER_LENGTH)}>`],
  ])('no key when the header is %s', (_, pai) => {
    expect(assertedIdentity(withheld, pai, 'US')).toBeNull();
  });

  it('never for a caller that is not withheld', () => {
    expect(assertedIdentity(caller(), `<sip:${OTHER}@gw>`, 'US')).toBeNull();
    expect(
      assertedIdentity(phoneIdentity('sip:alice@example.com', 'US'), `<sip:${OTHER}@gw>`, 'US'),
    ).toBeNull();
  });
});

describe('hostile input: bounded, never throws', () => {
  const ALPHABET = [
    ...'0123456789+-.;,:@<>"\\ %=()abcdefSIPsiptel',
    'sip:',
    'tel:',
    '<sip:+1415',
    '@gw>',
    ';user=phone',
    ';verstat=TN-Validation-Failed',
    '"Anonymous"',
    'anonymous',
    '\u0000',
    '\r\n',
    '\u202e',
    '\ud800',
    '٤١٥',
    '%00',
    '%2B',
  ];
  const random = seededRandom(20_260_614);
  const text = (max: number) => {
    let out = '';
    const length = Math.floor(random() * max);
    for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(random() * ALPHABET.length)];
    return out;
  };

  it('2,000 generated header sets: a report, weights within bounds, never a throw', () => {
    for (let i = 0; i < 2000; i++) {
      const headers: TelephonyHeaders = {
        pAssertedIdentity: text(80),
        from: text(80),
        pChargeInfo: text(40),
        isupOli: text(6),
        callingPartyAddress: text(30),
      };
      const report = callSignals({
        caller: caller(),
        systemEndpoint: text(30),
        defaultCountry: 'US',
        headers,
      });
      expect(report.score).toBe(report.signals.reduce((sum, s) => sum + s.weight, 0));
      expect(new Set(names(report.signals)).size).toBe(report.signals.length);
      for (const s of report.signals) expect(SIGNAL_NAMES).toContain(s.name);
      const asserted = assertedIdentity(withheld, headers.pAssertedIdentity, 'US');
      if (asserted) expect(asserted.key).toMatch(/^pai:\+\d{1,20}$/);
    }
  });

  it('values that are not strings are unreadable, not errors', () => {
    for (const value of [42, true, {}, [], ['<tel:+14155550101>'], { toString: () => CALLER }, Symbol('x')]) {
      const report = run({ pAssertedIdentity: value, isupOli: value });
      expect(report.signals).toEqual([]);
      expect(report.unreadable).toEqual(['pAssertedIdentity', 'isupOli']);
    }
  });

  it('long input is refused at once, whatever it holds', () => {
    const long = [
      `<sip:${OTHER}@${'a'.repeat(1_000_000)}>`,
      `${'<'.repeat(500_000)}${'>'.repeat(500_000)}`,
      ','.repeat(1_000_000),
      `"${'\\"'.repeat(500_000)}`,
      `sip:${OTHER}${';x=y'.repeat(250_000)}@gw`,
    ];
    const started = performance.now();
    for (const value of long) {
      const report = run({
        pAssertedIdentity: value,
        from: value,
        pChargeInfo: value,
        callingPartyAddress: value,
      });
      expect(report.signals).toEqual([]);
      expect(report.unreadable).toEqual(['pAssertedIdentity', 'from', 'callingPartyAddress', 'pChargeInfo']);
      expect(assertedIdentity(withheld, value, 'US')).toBeNull();
    }
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('values near the bounds: a URI up to 512 characters is read, a longer one is not', () => {
    // identity.ts reads a URI of up to 512 characters; the header may hold up to 1024 in all.
    const under = `<sip:${OTHER}@gw>;p`.padEnd(512, 'p');
    const over = `${under}p`;
    expect(under.length).toBe(512);
    expect(names(run({ pAssertedIdentity: under }).signals)).toEqual(['pai_mismatch']);
    expect(run({ pAssertedIdentity: over }).unreadable).toEqual(['pAssertedIdentity']);
    const two = `${under}, <tel:${OTHER}>`.padEnd(MAX_HEADER_LENGTH, ' ');
    expect(two.length).toBe(MAX_HEADER_LENGTH);
    expect(names(run({ pAssertedIdentity: two }).signals)).toEqual(['pai_mismatch']);
    expect(run({ pAssertedIdentity: `${two}x` }).unreadable).toEqual(['pAssertedIdentity']);
    const display = `"${'a,'.repeat(200)}" <sip:${OTHER}@gw>`;
    expect(names(run({ pAssertedIdentity: display }).signals)).toEqual(['pai_mismatch']);
    expect(run({ callingPartyAddress: `${'9'.repeat(21)};noa=4` }).unreadable).toEqual([
      'callingPartyAddress',
    ]);
  });

  it('garbage that identity.ts would key by its digits is no number in a header', () => {
    for (const value of [
      '12345',
      '9'.repeat(23),
      `<sip:${'9'.repeat(16)}@gw>`,
      'x1y2z3',
      '123;noa=4',
      '9'.repeat(16),
    ])
      expect(run({ pAssertedIdentity: value, callingPartyAddress: value }), value).toEqual({
        signals: [],
        score: 0,
        unreadable: ['pAssertedIdentity', 'callingPartyAddress'],
      });
  });

  it('control characters and unbalanced quoting are unreadable, not a number', () => {
    for (const value of [
      `<sip:${OTHER}@gw>\u0000`,
      `<sip:${OTHER}\r\n@gw>`,
      `"Bob <sip:${OTHER}@gw>`,
      `<sip:${OTHER}@gw>>`,
      `<<sip:${OTHER}@gw>`,
      `sip:${OTHER}@gw>`,
    ])
      expect(run({ pAssertedIdentity: value }), JSON.stringify(value)).toEqual({
        signals: [],
        score: 0,
        unreadable: ['pAssertedIdentity'],
      });
  });
});
