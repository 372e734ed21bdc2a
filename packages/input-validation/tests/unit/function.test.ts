// validate-input through flowHandler, as the Lambda runs it: flat answers a flow can branch on,
// fail-mode answers for bad events and parameters, and logs that never hold a secret.
import { ConfigError, flowHandler, type HandlerConfig, type LogLevel } from '@flowguard/contact';
import { voiceEvent } from '@flowguard/testing';
import { describe, expect, it } from 'vitest';
import { VALIDATE_INPUT_OUTPUTS, VALIDATE_INPUT_SENSITIVE_OUTPUTS } from '../../src/contract.js';
import { readValidationConfig, validateInputFunction } from '../../src/function.js';
import { OUTPUT_KEYS, SENSITIVE_KEYS } from '../../src/generated/schemas.js';
import { useFixedClock, VALID } from './helpers.js';

useFixedClock();

const CALLER = '+14155550123';

function handler(
  options: { logLevel?: LogLevel; logEvent?: boolean; lines?: string[]; country?: string } = {},
) {
  const config: Partial<HandlerConfig> = {
    logLevel: options.logLevel ?? 'silent',
    logEvent: options.logEvent ?? false,
    metrics: false,
  };
  const fn = validateInputFunction(
    readValidationConfig({ FLOWGUARD_DEFAULT_COUNTRY: options.country ?? 'US' }),
  );
  return flowHandler(fn, { env: {}, config, logSink: (line) => options.lines?.push(line) });
}

const call = (parameters: Record<string, unknown>, contactId?: string) =>
  voiceEvent(CALLER, { parameters, ...(contactId ? { contactId } : {}) });

describe('validate-input', () => {
  it('answers a valid card with valid=true, the number masked and error empty', async () => {
    const response = await handler()(call({ schema: 'card', cardNumber: '4111 1111 1111 1111' }));

    expect(response).toEqual({
      valid: 'true',
      errorField: '',
      errorCode: '',
      errorMessageKey: '',
      cardNumber: '************1111',
      error: '',
    });
  });

  it('answers an invalid card with valid=false, the field, the code and the message key', async () => {
    const response = await handler()(call({ schema: 'card', cardNumber: '4111111111111112' }));

    expect(response).toEqual({
      valid: 'false',
      errorField: 'cardNumber',
      errorCode: 'luhn',
      errorMessageKey: 'card_luhn',
      error: '',
    });
  });

  it('answers a missing value with required', async () => {
    const response = await handler()(call({ schema: 'pin' }));

    expect(response).toMatchObject({ valid: 'false', errorField: 'pin', errorCode: 'required', error: '' });
  });

  it('answers an unknown schema with error=unknown_schema', async () => {
    const response = await handler()(call({ schema: 'iban', iban: 'GB82WEST12345698765432' }));

    expect(response).toEqual({
      valid: 'false',
      errorField: '',
      errorCode: 'unknown_schema',
      errorMessageKey: 'input_unknown_schema',
      error: 'unknown_schema',
    });
  });

  it('answers a missing schema parameter with error=missing_parameter', async () => {
    for (const parameters of [{ cardNumber: '4111111111111111' }, { schema: '' }, { schema: null }]) {
      const response = await handler()(call(parameters));
      expect(response).toMatchObject({
        valid: 'false',
        errorCode: 'missing_parameter',
        errorMessageKey: 'input_missing_parameter',
        error: 'missing_parameter',
      });
    }
  });

  it('answers an unusable schema parameter with error=bad_parameter', async () => {
    for (const schema of [{ name: 'card' }, 'c'.repeat(65)]) {
      const response = await handler()(call({ schema, cardNumber: '4111111111111111' }));
      expect(response).toMatchObject({ valid: 'false', error: 'bad_parameter' });
    }
  });

  it.each([
    ['null', null],
    ['a string', 'event'],
    ['no Details', { Name: 'ContactFlowEvent' }],
    ['a numeric ContactId', { Details: { ContactData: { ContactId: 7 } } }],
    ['Parameters as an array', { Details: { ContactData: { ContactId: 'c-1' }, Parameters: ['card'] } }],
  ])('answers %s with valid=false and error=bad_event', async (_, event) => {
    const response = await handler()(event);

    expect(response).toEqual({
      valid: 'false',
      errorField: '',
      errorCode: 'bad_event',
      errorMessageKey: 'input_bad_event',
      error: 'bad_event',
    });
  });

  it.each(Object.entries(VALID))(
    'answers the sample %s parameters with valid=true',
    async (schema, parameters) => {
      const response = await handler()(call({ schema, ...parameters }));

      expect(response).toMatchObject({ valid: 'true', errorCode: '', error: '' });
    },
  );

  it('returns normalised values: ISO date, minor units, E.164', async () => {
    const h = handler();

    expect(await h(call({ schema: 'dob', dateOfBirth: '02292000' }))).toMatchObject({
      dateOfBirth: '2000-02-29',
    });
    expect(await h(call({ schema: 'amount', amount: '12.5' }))).toMatchObject({ amount: '1250' });
    expect(await h(call({ schema: 'phone', phoneNumber: '(415) 555-0123' }))).toMatchObject({
      phoneNumber: '+14155550123',
    });
  });

  it('reads national phone numbers in FLOWGUARD_DEFAULT_COUNTRY', async () => {
    const response = await handler({ country: 'GB' })(
      call({ schema: 'phone', phoneNumber: '020 7946 0958' }),
    );

    expect(response).toMatchObject({ valid: 'true', phoneNumber: '+442079460958' });
  });

  it('never answers with a PIN', async () => {
    const response = await handler()(call({ schema: 'pin', pin: '5821' }));

    expect(response).toEqual({
      valid: 'true',
      errorField: '',
      errorCode: '',
      errorMessageKey: '',
      error: '',
    });
  });

  it('declares every key it can answer with', () => {
    expect(VALIDATE_INPUT_OUTPUTS).toEqual(
      expect.arrayContaining(['valid', 'errorField', 'errorCode', 'errorMessageKey']),
    );
    expect(VALIDATE_INPUT_OUTPUTS).toEqual(expect.arrayContaining([...OUTPUT_KEYS]));
    for (const key of VALIDATE_INPUT_OUTPUTS) expect(key).toMatch(/^[A-Za-z0-9_]{1,64}$/);
    expect(validateInputFunction().sensitiveKeys).toEqual([
      ...SENSITIVE_KEYS,
      ...VALIDATE_INPUT_SENSITIVE_OUTPUTS,
    ]);
  });
});

describe('validate-input logs', () => {
  const SECRETS = {
    card: '4111111111111111',
    badCard: '4111111111111112',
    amex: '378282246310005',
    cvv: '7391',
    pin: '5821',
    weakPin: '2580',
    account: '98765432101234',
  };

  it('never log a card number, CVV, PIN or account number, even at debug with the event logged', async () => {
    const lines: string[] = [];
    const h = handler({ logLevel: 'debug', logEvent: true, lines });
    const id = 'contact-log-test';

    const responses = [
      await h(call({ schema: 'card', cardNumber: SECRETS.card }, id)),
      await h(call({ schema: 'card', cardNumber: SECRETS.badCard }, id)),
      await h(
        call({ schema: 'card', cardNumber: `${SECRETS.card.slice(0, 4)} ${SECRETS.card.slice(4)}` }, id),
      ),
      await h(call({ schema: 'cvv', cvv: SECRETS.cvv, cardNumber: SECRETS.amex }, id)),
      await h(call({ schema: 'cvv', cvv: Number(SECRETS.cvv), brand: 'visa' }, id)),
      await h(call({ schema: 'pin', pin: SECRETS.pin }, id)),
      await h(call({ schema: 'pin', pin: SECRETS.weakPin }, id)),
      await h(call({ schema: 'account', accountNumber: SECRETS.account }, id)),
      await h(call({ schema: 'bogus', cardNumber: SECRETS.card, pin: SECRETS.pin }, id)),
    ];

    // The calls did what they should, and were logged (parameters redacted, not dropped).
    expect(responses.map((r) => r.valid)).toEqual([
      'true',
      'false',
      'true',
      'true',
      'false',
      'true',
      'false',
      'true',
      'false',
    ]);
    expect(lines.some((line) => line.includes('"message":"event"'))).toBe(true);
    expect(lines.some((line) => line.includes('"message":"parameters"') && line.includes('[REDACTED]'))).toBe(
      true,
    );
    expect(lines.filter((line) => line.includes('"message":"invocation"'))).toHaveLength(responses.length);

    for (const line of lines) {
      // The timestamp is the one field made of digits that could contain a secret by chance.
      const { timestamp: _timestamp, ...entry } = JSON.parse(line) as Record<string, unknown>;
      const text = JSON.stringify(entry);
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(text.includes(secret), `${name} in ${text}`).toBe(false);
      }
    }
  });

  it('never log a date of birth, neither as typed nor as answered, at the default level or at debug', async () => {
    for (const logLevel of ['info', 'debug'] as const) {
      const lines: string[] = [];
      const h = handler({ logLevel, logEvent: logLevel === 'debug', lines });

      const response = await h(call({ schema: 'dob', dateOfBirth: '07041990' }, 'contact-dob-log'));

      expect(response).toMatchObject({ valid: 'true', dateOfBirth: '1990-07-04' });
      expect(lines.some((line) => line.includes('"message":"invocation"'))).toBe(true);
      for (const line of lines) {
        expect(line).not.toContain('1990-07-04');
        expect(line).not.toContain('07041990');
      }
    }
  });
});

describe('readValidationConfig', () => {
  it('defaults to US and upper-cases the country', () => {
    expect(readValidationConfig({})).toEqual({ defaultCountry: 'US' });
    expect(readValidationConfig({ FLOWGUARD_DEFAULT_COUNTRY: 'gb' })).toEqual({ defaultCountry: 'GB' });
  });

  it('refuses a country libphonenumber does not know, or not two letters', () => {
    expect(() => readValidationConfig({ FLOWGUARD_DEFAULT_COUNTRY: 'XX' })).toThrow(ConfigError);
    expect(() => readValidationConfig({ FLOWGUARD_DEFAULT_COUNTRY: 'USA' })).toThrow(ConfigError);
  });
});
