// Each shipped schema, valid and invalid, through validateInput: the path validate-input takes.
// Test data is published test data (card networks' test numbers, real ABA routing numbers,
// Ofcom drama numbers, Royal Mail example postcodes).
import { describe, expect, it } from 'vitest';
import { settings } from '../../src/checks.js';
import { type ValidationResult, validateInput } from '../../src/validate.js';
import { useFixedClock, VALID } from './helpers.js';

function expectValid(result: ValidationResult, values: Record<string, string>): void {
  expect(result).toEqual({ valid: true, errorField: '', errorCode: '', errorMessageKey: '', values });
}

function expectFailure(schema: string, result: ValidationResult, field: string, code: string): void {
  expect(result).toEqual({
    valid: false,
    errorField: field,
    errorCode: code,
    errorMessageKey: `${schema}_${code}`,
    values: {},
  });
}

const card = (cardNumber: unknown) => validateInput('card', { cardNumber });

describe('card schema', () => {
  it.each([
    ['Visa', '4111111111111111'],
    ['Visa', '4012888888881881'],
    ['Visa (13 digits)', '4222222222222'],
    ['Mastercard', '5555555555554444'],
    ['Mastercard', '5105105105105100'],
    ['Mastercard (2-series)', '2223003122003222'],
    ['American Express', '378282246310005'],
    ['American Express', '371449635398431'],
    ['Discover', '6011111111111117'],
    ['Discover', '6011000990139424'],
    ['Diners Club (14 digits)', '30569309025904'],
    ['Diners Club (14 digits)', '38520000023237'],
    ['JCB', '3530111333300000'],
    ['JCB', '3566002020360505'],
    ['UnionPay', '6200000000000005'],
  ])('accepts the %s test number %s and returns it masked to its last four', (_, number) => {
    expectValid(card(number), { cardNumber: `${'*'.repeat(number.length - 4)}${number.slice(-4)}` });
  });

  it('accepts separators and the # terminator: 4111 1111-1111 1111#', () => {
    expectValid(card('4111 1111-1111 1111'), { cardNumber: '************1111' });
    expectValid(card('4111111111111111#'), { cardNumber: '************1111' });
    expectValid(card(' 4111.1111.1111.1111 '), { cardNumber: '************1111' });
  });

  it('rejects a one-digit change with luhn', () => {
    expectFailure('card', card('4111111111111112'), 'cardNumber', 'luhn');
    expectFailure('card', card('5555555555554445'), 'cardNumber', 'luhn');
    expectFailure('card', card('378282246310006'), 'cardNumber', 'luhn');
  });

  it('judges length at the schema bounds 12..19 (min-1, min, max, max+1)', () => {
    // Maestro (50…) takes 12 to 19 digits; Visa takes 13, 16 or 19.
    expectFailure('card', card('50123456787'), 'cardNumber', 'too_short');
    expectValid(card('501234567896'), { cardNumber: '********7896' });
    expectValid(card('4111111111111111110'), { cardNumber: '***************1110' });
    expectValid(card('5012345678901234564'), { cardNumber: '***************4564' });
    expectFailure('card', card('41111111111111111110'), 'cardNumber', 'too_long');
  });

  it("judges length by the brand's own lengths", () => {
    // Amex is 15 digits only; a 12-digit Visa-prefixed number is shorter than Visa's 13.
    expectFailure('card', card('3782822463100051'), 'cardNumber', 'too_long');
    expectFailure('card', card('411111111116'), 'cardNumber', 'too_short');
    // A length between Visa's 13, 16 and 19 is reported as too_short.
    expectFailure('card', card('41111111111111'), 'cardNumber', 'too_short');
  });

  it('rejects letters and non-ASCII digits with pattern', () => {
    expectFailure('card', card('4111abcd11111111'), 'cardNumber', 'pattern');
    expectFailure('card', card('４１１１１１１１１１１１１１１１'), 'cardNumber', 'pattern');
    expectFailure('card', card('٤١١١١١١١١١١١١١١١'), 'cardNumber', 'pattern');
  });

  it('takes a card number sent as a JSON number', () => {
    expectValid(card(4111111111111111), { cardNumber: '************1111' });
  });
});

describe('expiry schema', () => {
  useFixedClock();
  const expiry = (value: unknown) => validateInput('expiry', { expiry: value });

  it('accepts this month (a card is valid through its expiry month)', () => {
    expectValid(expiry('0326'), { expiry: '0326' });
  });

  it('rejects last month with expired', () => {
    expectFailure('expiry', expiry('0226'), 'expiry', 'expired');
  });

  it('accepts MM/YY and returns MMYY', () => {
    expectValid(expiry('03/26'), { expiry: '0326' });
    expectValid(expiry('12/28'), { expiry: '1228' });
  });

  it('rejects a month that does not exist with pattern or format', () => {
    // Which of the two depends on keyword order (see the keyword-order tests in validate.test.ts).
    for (const text of ['1326', '0026']) {
      const result = expiry(text);
      expect(result).toMatchObject({ valid: false, errorField: 'expiry', values: {} });
      expect(['pattern', 'format']).toContain(result.errorCode);
      expect(result.errorMessageKey).toBe(`expiry_${result.errorCode}`);
    }
  });

  it('rejects a date more than 20 years ahead with out_of_range', () => {
    expectValid(expiry('1245'), { expiry: '1245' });
    expectFailure('expiry', expiry('1247'), 'expiry', 'out_of_range');
  });

  it('rejects non-digits', () => {
    expect(expiry('ab/cd')).toMatchObject({ valid: false, errorField: 'expiry' });
    expect(expiry('12/2')).toMatchObject({ valid: false, errorField: 'expiry' });
  });

  it('checks length (min-1, min = max, max+1)', () => {
    expect(expiry('032')).toMatchObject({ valid: false, errorField: 'expiry' });
    expectValid(expiry('0327'), { expiry: '0327' });
    expect(expiry('03267')).toMatchObject({ valid: false, errorField: 'expiry' });
  });

  it('moves with the clock: the same card is expired a month later', () => {
    settings.now = () => Date.UTC(2026, 3, 1, 0, 0, 0);
    expectFailure('expiry', expiry('0326'), 'expiry', 'expired');
  });
});

describe('cvv schema', () => {
  const cvv = (parameters: Record<string, unknown>) => validateInput('cvv', parameters);

  it('returns no CVV at all by default, not even masked (a mask tells its length, so the brand)', () => {
    expect(cvv({ cvv: '737' }).values).toEqual({});
    expect(cvv({ cvv: '7373', brand: 'amex' }).values).toEqual({ brand: 'amex' });
  });

  it('takes 3 digits when no brand is known, and 4 (an Amex code may be entered unprompted)', () => {
    expectValid(cvv({ cvv: '737' }), {});
    expectValid(cvv({ cvv: '7373' }), {});
  });

  it('wants 4 digits for Amex, by brand or by card number', () => {
    expectValid(cvv({ cvv: '7373', brand: 'amex' }), { brand: 'amex' });
    expectValid(cvv({ cvv: '7373', cardNumber: '378282246310005' }), {});
    expectFailure('cvv', cvv({ cvv: '737', brand: 'amex' }), 'cvv', 'too_short');
    expectFailure('cvv', cvv({ cvv: '737', cardNumber: '371449635398431' }), 'cvv', 'too_short');
  });

  it('wants 3 digits for every other brand, by brand or by card number', () => {
    expectValid(cvv({ cvv: '737', brand: 'visa' }), { brand: 'visa' });
    expectValid(cvv({ cvv: '737', cardNumber: '5555555555554444' }), {});
    expectFailure('cvv', cvv({ cvv: '7373', brand: 'visa' }), 'cvv', 'too_long');
    expectFailure('cvv', cvv({ cvv: '7373', cardNumber: '4111111111111111' }), 'cvv', 'too_long');
  });

  it('checks length (min-1, min, max, max+1)', () => {
    expectFailure('cvv', cvv({ cvv: '73' }), 'cvv', 'too_short');
    expectValid(cvv({ cvv: '737' }), {});
    expectValid(cvv({ cvv: '7373' }), {});
    expectFailure('cvv', cvv({ cvv: '73737' }), 'cvv', 'too_long');
  });

  it('rejects non-digits with pattern and an unknown brand with not_allowed', () => {
    expectFailure('cvv', cvv({ cvv: '7a7' }), 'cvv', 'pattern');
    expectFailure('cvv', cvv({ cvv: '７３７' }), 'cvv', 'pattern');
    expectFailure('cvv', cvv({ cvv: '737', brand: 'bankcard' }), 'brand', 'not_allowed');
  });

  it('never returns the card number it was given to judge the brand', () => {
    const result = cvv({ cvv: '7373', cardNumber: '378282246310005' });
    expect(result.values).not.toHaveProperty('cardNumber');
    expect(JSON.stringify(result)).not.toContain('378282246310005');
  });
});

describe('account schema', () => {
  const account = (accountNumber: unknown) => validateInput('account', { accountNumber });

  it('accepts 4 to 17 digits (min-1, min, max, max+1), masked', () => {
    expectFailure('account', account('123'), 'accountNumber', 'too_short');
    expectValid(account('1234'), { accountNumber: '****' });
    expectValid(account('12345678901234567'), { accountNumber: '*************4567' });
    expectFailure('account', account('123456789012345678'), 'accountNumber', 'too_long');
  });

  it('drops separators before counting', () => {
    expectValid(account('1234-5678 9012'), { accountNumber: '********9012' });
  });

  it('rejects letters and non-ASCII digits with pattern', () => {
    expectFailure('account', account('1234567x'), 'accountNumber', 'pattern');
    expectFailure('account', account('１２３４５６７８'), 'accountNumber', 'pattern');
  });
});

describe('routing schema', () => {
  const routing = (routingNumber: unknown) => validateInput('routing', { routingNumber });

  it.each([
    ['Federal Reserve Bank of Boston', '011000015'],
    ['JPMorgan Chase', '021000021'],
    ['Bank of America', '026009593'],
    ['Federal Reserve Bank of Dallas', '111000025'],
    ['Wells Fargo', '121000248'],
  ])('accepts %s (%s)', (_, number) => {
    expectValid(routing(number), { routingNumber: number });
  });

  it('rejects a one-digit change and a transposition with checksum', () => {
    expectFailure('routing', routing('011000016'), 'routingNumber', 'checksum');
    expectFailure('routing', routing('021000012'), 'routingNumber', 'checksum');
  });

  it('rejects all zeros, which passes the arithmetic', () => {
    expectFailure('routing', routing('000000000'), 'routingNumber', 'checksum');
  });

  it('rejects 8 and 10 digits', () => {
    expect(routing('02100002')).toMatchObject({ valid: false, errorField: 'routingNumber' });
    expect(routing('0210000210')).toMatchObject({ valid: false, errorField: 'routingNumber' });
  });

  it('loses the leading zero of a routing number sent as a JSON number', () => {
    expect(routing(11000015)).toMatchObject({ valid: false, errorField: 'routingNumber' });
    expectValid(routing(111000025), { routingNumber: '111000025' });
  });
});

describe('sortcode schema', () => {
  const sortcode = (sortCode: unknown) => validateInput('sortcode', { sortCode });

  it('accepts 6 digits with or without dashes or spaces', () => {
    expectValid(sortcode('12-34-56'), { sortCode: '123456' });
    expectValid(sortcode('123456'), { sortCode: '123456' });
    expectValid(sortcode('12 34 56'), { sortCode: '123456' });
  });

  it('rejects 5 and 7 digits and letters', () => {
    expectFailure('sortcode', sortcode('12-34-5'), 'sortCode', 'too_short');
    expectFailure('sortcode', sortcode('12-34-567'), 'sortCode', 'too_long');
    expectFailure('sortcode', sortcode('ab-cd-ef'), 'sortCode', 'pattern');
    expectFailure('sortcode', sortcode('١٢٣٤٥٦'), 'sortCode', 'pattern');
  });
});

describe('pin schema', () => {
  const pin = (value: unknown) => validateInput('pin', { pin: value });

  it.each(['0000', '1111', '1234', '4321', '9876', '2580', '1212', '123456', '0852'])(
    'rejects the weak PIN %s with weak_pin',
    (weak) => {
      expectFailure('pin', pin(weak), 'pin', 'weak_pin');
    },
  );

  it('accepts a strong PIN and never returns it', () => {
    const result = pin('5821');
    expectValid(result, {});
    expect(JSON.stringify(result)).not.toContain('5821');
  });

  it('accepts 4 to 6 digits (min-1, min, max, max+1)', () => {
    expectFailure('pin', pin('582'), 'pin', 'too_short');
    expectValid(pin('5821'), {});
    expectValid(pin('582193'), {});
    expectFailure('pin', pin('5821937'), 'pin', 'too_long');
  });

  it('takes a PIN sent as a JSON number (5821)', () => {
    expectValid(pin(5821), {});
  });

  it('rejects non-ASCII digits with pattern', () => {
    expectFailure('pin', pin('５８２１'), 'pin', 'pattern');
    expectFailure('pin', pin('٥٨٢١'), 'pin', 'pattern');
  });
});

describe('dob schema', () => {
  useFixedClock();
  const dob = (dateOfBirth: unknown) => validateInput('dob', { dateOfBirth });

  it('accepts MMDDYYYY as keyed in and returns ISO 8601', () => {
    expectValid(dob('07041990'), { dateOfBirth: '1990-07-04' });
  });

  it('accepts YYYY-MM-DD as is', () => {
    expectValid(dob('1990-07-04'), { dateOfBirth: '1990-07-04' });
  });

  it('knows leap days: 29 Feb 2000 yes, 2001 and 1900 no', () => {
    expectValid(dob('02292000'), { dateOfBirth: '2000-02-29' });
    expectFailure('dob', dob('02292001'), 'dateOfBirth', 'not_a_date');
    expectFailure('dob', dob('02291900'), 'dateOfBirth', 'not_a_date');
  });

  it('rejects month 13, day 0 and 31 April with not_a_date', () => {
    expectFailure('dob', dob('13012000'), 'dateOfBirth', 'not_a_date');
    expectFailure('dob', dob('01002000'), 'dateOfBirth', 'not_a_date');
    expectFailure('dob', dob('04312000'), 'dateOfBirth', 'not_a_date');
  });

  it('takes age 16 from the 16th birthday on', () => {
    expectValid(dob('03152010'), { dateOfBirth: '2010-03-15' });
    expectFailure('dob', dob('03162010'), 'dateOfBirth', 'out_of_range');
  });

  it('takes age 120 until the 121st birthday', () => {
    expectValid(dob('03161905'), { dateOfBirth: '1905-03-16' });
    expectFailure('dob', dob('03151905'), 'dateOfBirth', 'out_of_range');
  });

  it('rejects a birth date in the future with out_of_range', () => {
    expectFailure('dob', dob('01012030'), 'dateOfBirth', 'out_of_range');
  });

  it('checks length (7, 8, 10 and 11 characters)', () => {
    expect(dob('0704199')).toMatchObject({ valid: false, errorField: 'dateOfBirth' });
    expectValid(dob('07041990'), { dateOfBirth: '1990-07-04' });
    expectValid(dob('1990-07-04'), { dateOfBirth: '1990-07-04' });
    expect(dob('1990-07-041')).toMatchObject({ valid: false, errorField: 'dateOfBirth' });
  });
});

describe('zip schema', () => {
  const zip = (value: unknown) => validateInput('zip', { zip: value });

  it('accepts 5 digits and ZIP+4 (dash dropped)', () => {
    expectValid(zip('94105'), { zip: '94105' });
    expectValid(zip('94105-1234'), { zip: '941051234' });
    expectValid(zip(94105), { zip: '94105' });
  });

  it('rejects 4, 6 and 10 digits and letters', () => {
    expectFailure('zip', zip('9410'), 'zip', 'too_short');
    expectFailure('zip', zip('941051'), 'zip', 'pattern');
    expectFailure('zip', zip('94105-12345'), 'zip', 'too_long');
    expectFailure('zip', zip('9410A'), 'zip', 'pattern');
    expectFailure('zip', zip('９４１０５'), 'zip', 'pattern');
  });
});

describe('postcode schema', () => {
  const postcode = (value: unknown) => validateInput('postcode', { postcode: value });

  it.each(['SW1A 1AA', 'EC1A 1BB', 'W1A 0AX', 'M1 1AE', 'B33 8TH', 'CR2 6XH', 'DN55 1PT'])(
    'accepts the Royal Mail example %s',
    (code) => {
      expectValid(postcode(code), { postcode: code });
    },
  );

  it('upper-cases and trims: " sw1a1aa " → SW1A1AA', () => {
    expectValid(postcode(' sw1a1aa '), { postcode: 'SW1A1AA' });
  });

  it('checks length (4, 5, 8 and 9 characters)', () => {
    expectFailure('postcode', postcode('M11A'), 'postcode', 'too_short');
    expectValid(postcode('M11AE'), { postcode: 'M11AE' });
    expectValid(postcode('SW1A 1AA'), { postcode: 'SW1A 1AA' });
    expectFailure('postcode', postcode('SW1A  1AA'), 'postcode', 'too_long');
  });

  it('rejects digits-only and a wrong shape with pattern', () => {
    expectFailure('postcode', postcode('12345'), 'postcode', 'pattern');
    expectFailure('postcode', postcode('SW1A 1A1'), 'postcode', 'pattern');
  });
});

describe('phone schema', () => {
  useFixedClock();
  const phone = (phoneNumber: unknown) => validateInput('phone', { phoneNumber });

  it('turns a US national number into E.164', () => {
    expectValid(phone('(415) 555-0123'), { phoneNumber: '+14155550123' });
    expectValid(phone('415.555.0123'), { phoneNumber: '+14155550123' });
  });

  it('keeps an international number in E.164', () => {
    expectValid(phone('+44 20 7946 0958'), { phoneNumber: '+442079460958' });
  });

  it('reads a national number in the default country (GB)', () => {
    expectFailure('phone', phone('020 7946 0958'), 'phoneNumber', 'format');
    settings.defaultCountry = 'GB';
    expectValid(phone('020 7946 0958'), { phoneNumber: '+442079460958' });
  });

  it('rejects too few digits with format, and letters', () => {
    expectFailure('phone', phone('+1 555'), 'phoneNumber', 'format');
    expectFailure('phone', phone('+1 415 555 01234'), 'phoneNumber', 'format');
    expect(phone('415-CALL-NOW')).toMatchObject({ valid: false, errorField: 'phoneNumber' });
  });
});

describe('amount schema', () => {
  const amount = (value: unknown) => validateInput('amount', { amount: value });

  it('returns minor units: 12.5 → 1250, 12.50 → 1250, 12 → 1200', () => {
    expectValid(amount('12.5'), { amount: '1250' });
    expectValid(amount('12.50'), { amount: '1250' });
    expectValid(amount('12'), { amount: '1200' });
    expectValid(amount(12.5), { amount: '1250' });
  });

  it('accepts the bounds 0.01 and 10000.00', () => {
    expectValid(amount('0.01'), { amount: '1' });
    expectValid(amount('10000.00'), { amount: '1000000' });
  });

  it('rejects 0.00 and 10000.01 with out_of_range', () => {
    expectFailure('amount', amount('0.00'), 'amount', 'out_of_range');
    expectFailure('amount', amount('10000.01'), 'amount', 'out_of_range');
  });

  it('rejects three decimals, a sign, a comma and an exponent', () => {
    for (const text of ['1.234', '-1', '1,000', '1e3', '.5']) {
      expect(amount(text), text).toMatchObject({ valid: false, errorField: 'amount' });
    }
  });
});

describe('digits schema', () => {
  const digits = (value: unknown) => validateInput('digits', { digits: value });

  it('drops a trailing # and keeps * and inner #', () => {
    expectValid(digits('1234#'), { digits: '1234' });
    expectValid(digits('12*34'), { digits: '12*34' });
    expectValid(digits('*9#1'), { digits: '*9#1' });
  });

  it('accepts 1 to 32 keys (0, 1, 32, 33)', () => {
    expectFailure('digits', digits('#'), 'digits', 'required');
    expectValid(digits('7'), { digits: '7' });
    expectValid(digits('1'.repeat(32)), { digits: '1'.repeat(32) });
    expectFailure('digits', digits('1'.repeat(33)), 'digits', 'too_long');
  });

  it('rejects keys a phone does not have with pattern', () => {
    expectFailure('digits', digits('12A4'), 'digits', 'pattern');
    expectFailure('digits', digits('１２３'), 'digits', 'pattern');
  });
});

describe('attributes schema', () => {
  const attributes = (value: unknown) => validateInput('attributes', { attributes: value });

  it('accepts an object and the same object as JSON text, and returns nothing', () => {
    expectValid(attributes({ tier: 'gold', last_intent: 'billing' }), {});
    expectValid(attributes('{"tier":"gold","last-intent":"billing"}'), {});
  });

  it('rejects text that is not JSON with format', () => {
    expectFailure('attributes', attributes('{tier: gold'), 'attributes', 'format');
  });

  it('rejects JSON that is not an object with type', () => {
    expectFailure('attributes', attributes('["gold"]'), 'attributes', 'type');
    expectFailure('attributes', attributes('null'), 'attributes', 'type');
    expectFailure('attributes', attributes({ tier: 3 }), 'attributes', 'type');
  });

  it('rejects a key with a space, an empty key and a non-ASCII key', () => {
    expectFailure('attributes', attributes({ 'last intent': 'billing' }), 'attributes', 'pattern');
    expectFailure('attributes', attributes({ '': 'x' }), 'attributes', 'pattern');
    expectFailure('attributes', attributes({ tïer: 'gold' }), 'attributes', 'pattern');
  });

  it('takes 32 keys and refuses 33 with too_long', () => {
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key${i}`, 'v']));
    expectValid(attributes(keys(32)), {});
    expectFailure('attributes', attributes(keys(33)), 'attributes', 'too_long');
  });

  it('takes a value of 1024 characters and refuses 1025 with too_long', () => {
    expectValid(attributes({ note: 'x'.repeat(1024) }), {});
    expectFailure('attributes', attributes({ note: 'x'.repeat(1025) }), 'attributes', 'too_long');
  });

  it('takes a key of 128 characters and refuses 129 with too_long', () => {
    expectValid(attributes({ ['k'.repeat(128)]: 'v' }), {});
    expectFailure('attributes', attributes({ ['k'.repeat(129)]: 'v' }), 'attributes', 'too_long');
  });
});

describe('example-member user schema', () => {
  it('accepts a Luhn-valid member number with a strong PIN, returning the number only', () => {
    expectValid(validateInput('example-member', VALID['example-member'] ?? {}), {
      memberNumber: '12345674',
    });
  });

  it('rejects a bad check digit with luhn and a weak PIN with weak_pin', () => {
    expectFailure(
      'example-member',
      validateInput('example-member', { memberNumber: '12345675', memberPin: '5821' }),
      'memberNumber',
      'luhn',
    );
    expectFailure(
      'example-member',
      validateInput('example-member', { memberNumber: '12345674', memberPin: '1111' }),
      'memberPin',
      'weak_pin',
    );
  });
});

describe('every schema', () => {
  useFixedClock();

  it.each(Object.entries(VALID))('accepts its sample parameters (%s)', (schema, parameters) => {
    expect(validateInput(schema, parameters)).toMatchObject({ valid: true, errorCode: '' });
  });
});
