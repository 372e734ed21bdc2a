// The checks JSON Schema cannot express, called directly.
import { describe, expect, it } from 'vitest';
import {
  abaChecksum,
  ageInYears,
  CHECKS,
  calendarDate,
  cardBrand,
  expiryEnd,
  isWeakPin,
  luhn,
  minorUnits,
  runCheck,
  settings,
  toE164,
} from '../../src/checks.js';
import { NOW, useFixedClock } from './helpers.js';

useFixedClock();

describe('luhn', () => {
  it('accepts published test numbers and rejects a one-digit change', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('378282246310005')).toBe(true);
    expect(luhn('4111111111111121')).toBe(false);
  });

  it('rejects the empty string and non-digits', () => {
    expect(luhn('')).toBe(false);
    expect(luhn('4111a11111111111')).toBe(false);
    expect(luhn('４１１１１１１１１１１１１１１１')).toBe(false);
  });
});

describe('cardBrand', () => {
  it.each([
    ['4111111111111111', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['2720990000000007', 'mastercard'],
    ['378282246310005', 'amex'],
    ['6011111111111117', 'discover'],
    ['6445644564456445', 'discover'],
    ['6500000000000002', 'discover'],
    ['30569309025904', 'diners'],
    ['36227206271667', 'diners'],
    ['3530111333300000', 'jcb'],
    ['6200000000000005', 'unionpay'],
    ['6759649826438453', 'maestro'],
    ['5018000000000009', 'maestro'],
    ['2721000000000000', 'unknown'],
    ['9999999999999995', 'unknown'],
  ])('reads %s as %s', (number, brand) => {
    expect(cardBrand(number)).toBe(brand);
  });
});

describe('card check', () => {
  it('passes an unknown brand of 12 to 19 digits on its Luhn digit alone', () => {
    expect(runCheck('card', '1234567812345670', {})).toBe('');
    expect(runCheck('card', '1234567812345671', {})).toBe('luhn');
  });

  it('answers pattern for anything but a digit string', () => {
    expect(runCheck('card', 4111111111111111, {})).toBe('pattern');
    expect(runCheck('card', '', {})).toBe('pattern');
  });
});

describe('expiryEnd and the expiry check', () => {
  it('is the first moment of the month after expiry, UTC', () => {
    expect(expiryEnd('0326')).toBe(Date.UTC(2026, 3, 1));
    expect(expiryEnd('1226')).toBe(Date.UTC(2027, 0, 1));
    expect(expiryEnd('1326')).toBeNull();
    expect(expiryEnd('03/26')).toBeNull();
  });

  it('expires at midnight UTC after the last day of the month', () => {
    settings.now = () => Date.UTC(2026, 2, 31, 23, 59, 59);
    expect(runCheck('expiry', '0326', {})).toBe('');
    settings.now = () => Date.UTC(2026, 3, 1, 0, 0, 0);
    expect(runCheck('expiry', '0326', {})).toBe('expired');
  });

  it('takes maxYears from its options (default 20)', () => {
    expect(runCheck('expiry', '0330', { maxYears: 2 })).toBe('out_of_range');
    expect(runCheck('expiry', '0330', {})).toBe('');
  });
});

describe('abaChecksum', () => {
  it.each(['011000015', '021000021', '026009593', '111000025', '121000248'])('accepts %s', (number) => {
    expect(abaChecksum(number)).toBe(true);
  });

  it('rejects a changed digit, all zeros, and a wrong length', () => {
    expect(abaChecksum('026009594')).toBe(false);
    expect(abaChecksum('000000000')).toBe(false);
    expect(abaChecksum('02100002')).toBe(false);
    expect(abaChecksum('0210000210')).toBe(false);
  });
});

describe('calendarDate and ageInYears', () => {
  it('reads 8 digits in the given order, and ISO dates in any', () => {
    expect(calendarDate('20000229', 'YMD')).toEqual({ y: 2000, m: 2, d: 29 });
    expect(calendarDate('02292000', 'MDY')).toEqual({ y: 2000, m: 2, d: 29 });
    expect(calendarDate('29022000', 'DMY')).toEqual({ y: 2000, m: 2, d: 29 });
    expect(calendarDate('2000-02-29', 'DMY')).toEqual({ y: 2000, m: 2, d: 29 });
  });

  it('knows the Gregorian leap years', () => {
    expect(calendarDate('2024-02-29')).not.toBeNull();
    expect(calendarDate('2100-02-29')).toBeNull();
    expect(calendarDate('1900-02-29')).toBeNull();
    expect(calendarDate('2001-02-29')).toBeNull();
  });

  it('rejects years before 1000 and impossible days', () => {
    expect(calendarDate('0999-01-01')).toBeNull();
    expect(calendarDate('2000-06-31')).toBeNull();
    expect(calendarDate('2000-00-10')).toBeNull();
  });

  it('counts whole years, turning on the birthday', () => {
    expect(ageInYears({ y: 2010, m: 3, d: 15 }, NOW)).toBe(16);
    expect(ageInYears({ y: 2010, m: 3, d: 16 }, NOW)).toBe(15);
    expect(ageInYears({ y: 2000, m: 2, d: 29 }, Date.UTC(2026, 1, 28))).toBe(25);
    expect(ageInYears({ y: 2000, m: 2, d: 29 }, Date.UTC(2026, 2, 1))).toBe(26);
  });

  it('lets the date check take a future date only when asked', () => {
    expect(runCheck('date', '2030-01-01', {})).toBe('out_of_range');
    expect(runCheck('date', '2030-01-01', { future: true })).toBe('');
  });
});

describe('isWeakPin and the pin check', () => {
  it.each(['0000', '1111', '1234', '4321', '9876', '2580', '1212', '8901', '3210', '999999', '1004'])(
    'finds %s weak',
    (pin) => {
      expect(isWeakPin(pin)).toBe(true);
    },
  );

  it.each(['5821', '7391', '1357', '246813'])('finds %s strong', (pin) => {
    expect(isWeakPin(pin)).toBe(false);
  });

  it('can be told to let weak PINs through', () => {
    expect(runCheck('pin', '1234', { rejectWeak: false })).toBe('');
    expect(runCheck('pin', '1234', {})).toBe('weak_pin');
  });

  it('leaves lengths outside 4..12 to the schema', () => {
    expect(runCheck('pin', '111', {})).toBe('');
    expect(runCheck('pin', '1'.repeat(13), {})).toBe('');
  });
});

describe('toE164 and the phone check', () => {
  it('reads national numbers in the default country', () => {
    expect(toE164('(415) 555-0123')).toBe('+14155550123');
    settings.defaultCountry = 'GB';
    expect(toE164('020 7946 0958')).toBe('+442079460958');
    expect(toE164('(415) 555-0123')).toBeNull();
  });

  it('answers format for anything libphonenumber does not find valid', () => {
    expect(runCheck('phone', '+1 555', {})).toBe('format');
    expect(runCheck('phone', 14155550123, {})).toBe('format');
  });
});

describe('minorUnits and the amount check', () => {
  it('counts exactly, without floating point', () => {
    expect(minorUnits('12.5')).toBe(1250);
    expect(minorUnits('0.29')).toBe(29);
    expect(minorUnits('1.005', 3)).toBe(1005);
    expect(minorUnits('999999999999.99')).toBe(99_999_999_999_999);
  });

  it('refuses more decimals than allowed and anything but digits and one point', () => {
    expect(minorUnits('1.234')).toBeNull();
    expect(minorUnits('-1')).toBeNull();
    expect(minorUnits('1e3')).toBeNull();
    expect(minorUnits('1.')).toBeNull();
  });

  it('judges min and max from its options', () => {
    expect(runCheck('amount', '5.00', { min: '5.00', max: '10' })).toBe('');
    expect(runCheck('amount', '4.99', { min: '5.00', max: '10' })).toBe('out_of_range');
    expect(runCheck('amount', '10.01', { min: '5.00', max: '10' })).toBe('out_of_range');
    expect(runCheck('amount', '1.5', { decimals: 0 })).toBe('format');
  });
});

describe('cvv check', () => {
  it('reads the field its options name', () => {
    expect(runCheck('cvv', { code: '1234', brand: 'amex' }, { field: 'code' })).toBe('');
    expect(runCheck('cvv', { code: '123', brand: 'amex' }, { field: 'code' })).toBe('too_short');
  });

  it('answers type for a non-object and passes when there is no code yet', () => {
    expect(runCheck('cvv', '123', {})).toBe('type');
    expect(runCheck('cvv', {}, {})).toBe('');
  });
});

describe('runCheck', () => {
  it('answers unknown_check for a name it does not have', () => {
    expect(runCheck('iban', 'GB82WEST12345698765432', {})).toBe('unknown_check');
  });

  it('does not take Object.prototype members for checks', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__']) {
      expect(runCheck(name, '4111111111111111', {}), name).toBe('unknown_check');
    }
  });

  it('has the documented checks', () => {
    expect(Object.keys(CHECKS).sort()).toEqual([
      'amount',
      'card',
      'cvv',
      'date',
      'expiry',
      'luhn',
      'phone',
      'pin',
      'routing',
    ]);
  });

  it('never puts the value in what it returns', () => {
    const samples: [string, unknown][] = [
      ['card', '4111111111111112'],
      ['luhn', '4111111111111112'],
      ['routing', '021000022'],
      ['pin', '2580'],
      ['expiry', '0225'],
      ['date', '02292001'],
      ['amount', '1.234'],
      ['phone', '+1 415 555'],
    ];
    for (const [name, value] of samples) {
      const code = runCheck(name, value, {});
      expect(code, name).toMatch(/^[a-z_]+$/);
      expect(code).not.toContain(String(value));
    }
  });
});
