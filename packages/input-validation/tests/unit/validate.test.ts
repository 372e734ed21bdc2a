// validateInput across schemas: coercion, error codes and message keys, masking, and that no
// failure ever carries the value it judged.
import { describe, expect, it } from 'vitest';
import { OUTPUT_KEYS, SCHEMAS, SENSITIVE_KEYS } from '../../src/generated/schemas.js';
import { coerceParameter, hasSchema, schemaNames, validateInput } from '../../src/validate.js';
import { schemaProperties, useFixedClock, VALID } from './helpers.js';

useFixedClock();

describe('validateInput: schemas', () => {
  it('knows every compiled schema, shipped and user', () => {
    expect(schemaNames()).toEqual(
      expect.arrayContaining([
        'account',
        'amount',
        'attributes',
        'card',
        'cvv',
        'digits',
        'dob',
        'expiry',
        'phone',
        'pin',
        'postcode',
        'routing',
        'sortcode',
        'zip',
        'example-member',
      ]),
    );
    expect(schemaNames()).toHaveLength(15);
  });

  it('answers an unknown schema with unknown_schema and the key input_unknown_schema', () => {
    expect(validateInput('bogus', { cardNumber: '4111111111111111' })).toEqual({
      valid: false,
      errorField: 'schema',
      errorCode: 'unknown_schema',
      errorMessageKey: 'input_unknown_schema',
      values: {},
    });
  });

  it('does not take Object.prototype names for schemas', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(hasSchema(name), name).toBe(false);
      expect(validateInput(name, {}).errorCode, name).toBe('unknown_schema');
    }
  });
});

describe('validateInput: parameters', () => {
  it.each(
    schemaProperties().filter(
      (p) => SCHEMAS[p.schema]?.properties.find((q) => q.name === p.property)?.required,
    ),
  )('answers a missing required $schema.$property with required', ({ schema, property }) => {
    const parameters = Object.fromEntries(
      Object.entries(VALID[schema] ?? {}).filter(([k]) => k !== property),
    );
    expect(validateInput(schema, parameters)).toMatchObject({
      valid: false,
      errorField: property,
      errorCode: 'required',
      errorMessageKey: `${schema}_required`,
    });
  });

  it('treats an empty string and null as missing', () => {
    expect(validateInput('card', { cardNumber: '' })).toMatchObject({ errorCode: 'required' });
    expect(validateInput('card', { cardNumber: null })).toMatchObject({ errorCode: 'required' });
  });

  it.each([
    ['spaces', 'card', 'cardNumber', '   '],
    ['a tab and a newline', 'postcode', 'postcode', '\t\n'],
    ['a no-break space', 'amount', 'amount', '\u00a0'],
    ['separators only', 'account', 'accountNumber', ' - / . '],
    ['the terminator only', 'digits', 'digits', ' # '],
    ['blank JSON text', 'attributes', 'attributes', '  '],
  ])('reports %s as required, not as a format error', (_, schema, field, text) => {
    expect(validateInput(schema, { ...VALID[schema], [field]: text })).toMatchObject({
      valid: false,
      errorField: field,
      errorCode: 'required',
      errorMessageKey: `${schema}_required`,
    });
  });

  it('takes whitespace in an optional parameter as not given', () => {
    expect(validateInput('cvv', { cvv: '737', brand: '   ' })).toMatchObject({ valid: true, values: {} });
  });

  it('ignores parameters the schema does not name, and returns only its own', () => {
    const result = validateInput('card', {
      cardNumber: '4111111111111111',
      schema: 'card',
      note: 'hello',
      pin: '1234',
    });
    expect(result).toEqual({
      valid: true,
      errorField: '',
      errorCode: '',
      errorMessageKey: '',
      values: { cardNumber: '************1111' },
    });
  });

  it('reads only own parameters, not inherited ones', () => {
    const parameters = Object.create({ cardNumber: '4111111111111111' }) as Record<string, unknown>;
    expect(validateInput('card', parameters)).toMatchObject({ errorCode: 'required' });
  });

  it.each(schemaProperties().filter((p) => p.type === 'string'))(
    'answers an object or an array for $schema.$property with type',
    ({ schema, property }) => {
      for (const value of [{ digits: '1234' }, ['1234']]) {
        expect(validateInput(schema, { ...VALID[schema], [property]: value })).toMatchObject({
          valid: false,
          errorField: property,
          errorCode: 'type',
          errorMessageKey: `${schema}_type`,
        });
      }
    },
  );

  it('answers a non-finite number with type', () => {
    expect(validateInput('pin', { pin: Number.NaN })).toMatchObject({ errorField: 'pin', errorCode: 'type' });
    expect(validateInput('amount', { amount: Number.POSITIVE_INFINITY })).toMatchObject({
      errorCode: 'type',
    });
  });

  it('turns numbers and booleans into text before validating', () => {
    expect(validateInput('pin', { pin: 5821 }).valid).toBe(true);
    expect(validateInput('digits', { digits: 1234 }).values).toEqual({ digits: '1234' });
    expect(validateInput('digits', { digits: true })).toMatchObject({ errorCode: 'pattern' });
  });

  it.each(schemaProperties())(
    'refuses 70,000 characters for $schema.$property with too_long before any pattern runs',
    ({ schema, property, type }) => {
      const text = type === 'object' ? `{"a":"${'b'.repeat(70_000)}"}` : '1'.repeat(70_000);
      const result = validateInput(schema, { ...VALID[schema], [property]: text });
      expect(result).toMatchObject({ valid: false, errorField: property, errorCode: 'too_long' });
    },
  );

  it.each(['account', 'card', 'cvv', 'digits', 'pin', 'postcode', 'sortcode', 'zip'])(
    'refuses a 10 KB digit string for %s with too_long',
    (schema) => {
      const property = SCHEMAS[schema]?.properties[0]?.name ?? '';
      const result = validateInput(schema, { [property]: '1'.repeat(10_240) });
      expect(result).toMatchObject({ valid: false, errorField: property, errorCode: 'too_long' });
    },
  );

  it('refuses 10 KB of attributes JSON with too_long', () => {
    const big = JSON.stringify({ note: 'x'.repeat(10_240) });
    expect(validateInput('attributes', { attributes: big })).toMatchObject({ errorCode: 'too_long' });
  });
});

describe('validateInput: results', () => {
  it('names the failing parameter and the key <schema>_<code>', () => {
    expect(validateInput('card', { cardNumber: '4111111111111112' })).toEqual({
      valid: false,
      errorField: 'cardNumber',
      errorCode: 'luhn',
      errorMessageKey: 'card_luhn',
      values: {},
    });
    expect(validateInput('routing', { routingNumber: '021000022' }).errorMessageKey).toBe('routing_checksum');
    expect(validateInput('pin', { pin: '0000' }).errorMessageKey).toBe('pin_weak_pin');
    expect(validateInput('expiry', { expiry: '0226' }).errorMessageKey).toBe('expiry_expired');
    expect(validateInput('dob', { dateOfBirth: '02302000' }).errorMessageKey).toBe('dob_not_a_date');
  });

  it('reports only codes from the documented list', () => {
    const documented = new Set([
      'required',
      'too_short',
      'too_long',
      'pattern',
      'format',
      'type',
      'not_allowed',
      'out_of_range',
      'luhn',
      'checksum',
      'expired',
      'not_a_date',
      'weak_pin',
      'bad_key',
      'unexpected',
      'invalid',
    ]);
    const samples: [string, Record<string, unknown>][] = [
      ['card', { cardNumber: '4111111111111112' }],
      ['card', { cardNumber: 'x' }],
      ['cvv', { cvv: '12', brand: 'amex' }],
      ['cvv', { cvv: '123', brand: 'diners-club' }],
      ['amount', { amount: '0' }],
      ['attributes', { attributes: '{' }],
      ['attributes', { attributes: { 'a b': 'c' } }],
      ['phone', { phoneNumber: '12' }],
      ['zip', { zip: '1234' }],
    ];
    for (const [schema, parameters] of samples) {
      const result = validateInput(schema, parameters);
      expect(result.valid).toBe(false);
      expect(documented, `${schema}: ${result.errorCode}`).toContain(result.errorCode);
      expect(result.errorMessageKey).toBe(`${schema}_${result.errorCode}`);
    }
  });

  it('masks a card number to its last four: ************1111', () => {
    expect(validateInput('card', { cardNumber: '4111111111111111' }).values).toEqual({
      cardNumber: '************1111',
    });
  });

  it('masks an account number, keeping two digits up to 8 and four beyond', () => {
    expect(validateInput('account', { accountNumber: '12345' }).values).toEqual({ accountNumber: '***45' });
    expect(validateInput('account', { accountNumber: '98765432' }).values).toEqual({
      accountNumber: '******32',
    });
    expect(validateInput('account', { accountNumber: '987654321012' }).values).toEqual({
      accountNumber: '********1012',
    });
  });

  it('never returns a PIN, in any shape', () => {
    const result = validateInput('pin', { pin: '5821' });
    expect(result.valid).toBe(true);
    expect(result.values).toEqual({});
    const member = validateInput('example-member', { memberNumber: '12345674', memberPin: '5821' });
    expect(member.values).not.toHaveProperty('memberPin');
  });

  it('never returns a CVV, not even masked (its length would tell an Amex card)', () => {
    for (const cvv of ['737', '7373']) {
      const result = validateInput('cvv', { cvv });
      expect(result.valid).toBe(true);
      expect(result.values).not.toHaveProperty('cvv');
      expect(JSON.stringify(result)).not.toContain(cvv);
    }
    expect(SCHEMAS.cvv?.properties.find((p) => p.name === 'cvv')?.output).toBe('none');
    expect(OUTPUT_KEYS).not.toContain('cvv');
  });

  it('declares every sensitive parameter, and returns each masked or not at all', () => {
    expect([...SENSITIVE_KEYS].sort()).toEqual(['accountNumber', 'cardNumber', 'cvv', 'memberPin', 'pin']);
    for (const schema of Object.values(SCHEMAS)) {
      for (const property of schema.properties.filter((p) => p.sensitive)) {
        expect(['masked', 'none'], `${schema.name}.${property.name}`).toContain(property.output);
      }
    }
    expect(OUTPUT_KEYS).not.toContain('pin');
    expect(OUTPUT_KEYS).not.toContain('memberPin');
  });

  it('gives coerceParameter the text the validators see', () => {
    expect(coerceParameter('card', 'cardNumber', '4111 1111-1111 1111#')).toBe('4111111111111111');
    expect(coerceParameter('digits', 'digits', ' 12*# ')).toBe('12*');
    expect(coerceParameter('postcode', 'postcode', ' sw1a 1aa ')).toBe('SW1A 1AA');
    expect(coerceParameter('card', 'nope', '4111')).toBeUndefined();
    expect(coerceParameter('nope', 'cardNumber', '4111')).toBeUndefined();
    expect(coerceParameter('attributes', 'attributes', '{"a":"b"}')).toBeUndefined();
  });
});

describe('validateInput: no value in a failure', () => {
  // Each value is wrong in a way its schema catches; none may come back in any form.
  const failures: [string, string, string][] = [
    ['card', 'cardNumber', '4111111111111112'],
    ['card', 'cardNumber', '41111111111111111119'],
    ['card', 'cardNumber', '4111-1111-1111-111x'],
    ['cvv', 'cvv', '73737'],
    ['cvv', 'cvv', '73a'],
    ['account', 'accountNumber', '987654321098765432'],
    ['account', 'accountNumber', '98765x43'],
    ['routing', 'routingNumber', '021000022'],
    ['sortcode', 'sortCode', '9876543'],
    ['pin', 'pin', '2580'],
    ['pin', 'pin', '58219377'],
    ['dob', 'dateOfBirth', '02292001'],
    ['dob', 'dateOfBirth', '01012030'],
    ['expiry', 'expiry', '0225'],
    ['zip', 'zip', '9410512'],
    ['postcode', 'postcode', '9Q9 9QQ'],
    ['phone', 'phoneNumber', '+1 415 555'],
    ['amount', 'amount', '98765.43'],
    ['digits', 'digits', '98765A'],
    ['example-member', 'memberNumber', '87654329'],
    ['example-member', 'memberPin', '7777'],
  ];

  it.each(failures)('%s.%s: %s is not in the result', (schema, field, value) => {
    const result = validateInput(schema, { ...VALID[schema], [field]: value });
    expect(result.valid).toBe(false);
    expect(result.errorField).toBe(field);
    const text = JSON.stringify(result);
    expect(text).not.toContain(value);
    // Nor any run of its digits long enough to mean something.
    const digits = value.replace(/[^0-9]/g, '');
    for (let i = 0; i + 4 <= digits.length; i++) expect(text).not.toContain(digits.slice(i, i + 4));
  });

  it('keeps attribute values out of a failure', () => {
    const result = validateInput('attributes', { attributes: { 'bad key': 'secret-4111111111111111' } });
    expect(result.valid).toBe(false);
    expect(JSON.stringify(result)).not.toContain('secret');
    expect(JSON.stringify(result)).not.toContain('bad key');
  });

  it('keeps a sensitive value out of a valid result too', () => {
    const values = ['4111111111111111', '378282246310005', '12345678901234567', '5821', '7373'];
    const results = [
      validateInput('card', { cardNumber: values[0] }),
      validateInput('cvv', { cvv: values[4], cardNumber: values[1] }),
      validateInput('account', { accountNumber: values[2] }),
      validateInput('pin', { pin: values[3] }),
    ];
    for (const result of results) expect(result.valid).toBe(true);
    const text = JSON.stringify(results);
    for (const value of values) expect(text).not.toContain(value);
  });
});

describe('validateInput: keyword order', () => {
  // A `check` runs after its property's own length, pattern and enum keywords (`post: true` in
  // src/compiler.ts), so a value that fails both is reported with the schema's code.
  it('reports amount 1.234 as pattern', () => {
    expect(validateInput('amount', { amount: '1.234' })).toMatchObject({ errorCode: 'pattern' });
  });

  it('reports expiry month 13 as pattern', () => {
    expect(validateInput('expiry', { expiry: '1326' })).toMatchObject({ errorCode: 'pattern' });
  });

  it('reports a 7-digit run for pin as too_long', () => {
    expect(validateInput('pin', { pin: '1234567' })).toMatchObject({ errorCode: 'too_long' });
  });

  it('reports letters in sequence for pin as pattern', () => {
    expect(validateInput('pin', { pin: 'abcd' })).toMatchObject({ errorCode: 'pattern' });
    expect(validateInput('pin', { pin: '１２３４' })).toMatchObject({ errorCode: 'pattern' });
  });

  it('reports cvv 737 with brand AMEX as brand not_allowed', () => {
    expect(validateInput('cvv', { cvv: '737', brand: 'AMEX' })).toMatchObject({
      errorField: 'brand',
      errorCode: 'not_allowed',
    });
  });

  it.each([
    ['amount', 'amount', 'format'],
    ['dob', 'dateOfBirth', 'not_a_date'],
    ['expiry', 'expiry', 'format'],
    ['phone', 'phoneNumber', 'format'],
    ['routing', 'routingNumber', 'checksum'],
  ])('reports a 10 KB digit string for %s.%s as too_long (not %s)', (schema, property, code) => {
    const result = validateInput(schema, { [property]: '1'.repeat(10_240) });
    expect(result).toMatchObject({ valid: false, errorField: property, errorCode: 'too_long' });
    expect(code).not.toBe('too_long');
  });

  it.each([
    ['expiry', 'expiry', '０３２７', 'format'],
    ['routing', 'routingNumber', '０２１００００２１', 'checksum'],
    ['dob', 'dateOfBirth', '０７０４１９９０', 'not_a_date'],
  ])('reports fullwidth digits for %s.%s as pattern (not %s)', (schema, property, value, code) => {
    expect(validateInput(schema, { [property]: value })).toMatchObject({
      valid: false,
      errorCode: 'pattern',
    });
    expect(code).not.toBe('pattern');
  });
});
