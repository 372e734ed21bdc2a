import { describe, expect, it } from 'vitest';
import {
  booleanParameter,
  type Contact,
  ParameterError,
  parseContactEvent,
  stringParameter,
} from '../../src/index.js';

/** A parsed voice contact carrying `parameters` as the flow's function input parameters. */
function contactWith(parameters: Record<string, unknown>): Contact {
  return parseContactEvent(
    structuredClone({
      Name: 'ContactFlowEvent',
      Details: {
        ContactData: {
          ContactId: '5ca32fbd-8f92-46af-92a5-6b0f970f0efe',
          InitialContactId: '5ca32fbd-8f92-46af-92a5-6b0f970f0efe',
          Channel: 'VOICE',
          InitiationMethod: 'INBOUND',
          CustomerEndpoint: { Address: '+14155550123', Type: 'TELEPHONE_NUMBER' },
          SystemEndpoint: { Address: '+18005550100', Type: 'TELEPHONE_NUMBER' },
          Attributes: {},
        },
        Parameters: parameters,
      },
    }),
  );
}

/** Runs `read` and returns the ParameterError it throws, failing the test if it does not. */
function parameterError(read: () => unknown): ParameterError {
  try {
    read();
  } catch (error) {
    if (error instanceof ParameterError) return error;
    throw error;
  }
  throw new Error('expected a ParameterError');
}

describe('stringParameter', () => {
  it('reads a string parameter', () => {
    const contact = contactWith({ policy: 'strict' });

    expect(stringParameter(contact, 'policy')).toBe('strict');
  });

  it('stringifies numbers and booleans sent by newer flows', () => {
    const contact = contactWith({ retries: 3, ratio: 0.5, negative: -7, yes: true, no: false });

    expect(stringParameter(contact, 'retries')).toBe('3');
    expect(stringParameter(contact, 'ratio')).toBe('0.5');
    expect(stringParameter(contact, 'negative')).toBe('-7');
    expect(stringParameter(contact, 'yes')).toBe('true');
    expect(stringParameter(contact, 'no')).toBe('false');
  });

  it.each([
    ['an object', { nested: 'x' }],
    ['an array', ['a', 'b']],
  ])('refuses %s with bad_parameter, naming the parameter', (_, value) => {
    const contact = contactWith({ payload: value });

    const error = parameterError(() => stringParameter(contact, 'payload'));

    expect(error.code).toBe('bad_parameter');
    expect(error.parameter).toBe('payload');
    expect(error.message).toContain('payload');
  });

  it('refuses a non-finite number', () => {
    const contact = { parameters: { ratio: Number.POSITIVE_INFINITY } };

    const error = parameterError(() => stringParameter(contact, 'ratio'));

    expect(error.code).toBe('bad_parameter');
  });

  it('gives undefined for a missing, null or empty optional parameter', () => {
    const contact = contactWith({ empty: '', none: null });

    expect(stringParameter(contact, 'absent')).toBeUndefined();
    expect(stringParameter(contact, 'empty')).toBeUndefined();
    expect(stringParameter(contact, 'none')).toBeUndefined();
  });

  it.each(['absent', 'empty', 'none'])('refuses a %s required parameter with missing_parameter', (name) => {
    const contact = contactWith({ empty: '', none: null });

    const error = parameterError(() => stringParameter(contact, name, { required: true }));

    expect(error.code).toBe('missing_parameter');
    expect(error.parameter).toBe(name);
  });

  it('does not read inherited properties as parameters', () => {
    const parsed = contactWith({});
    const plain = { parameters: { policy: 'strict' } };

    expect(stringParameter(parsed, 'toString')).toBeUndefined();
    expect(stringParameter(plain, 'toString')).toBeUndefined();
    expect(stringParameter(plain, 'constructor')).toBeUndefined();
  });

  it('enforces maxLength, 4096 by default, without quoting the value', () => {
    const contact = contactWith({ short: 'abcd', long: 'y'.repeat(4097), edge: 'z'.repeat(4096) });

    expect(stringParameter(contact, 'short', { maxLength: 4 })).toBe('abcd');
    expect(stringParameter(contact, 'edge')).toHaveLength(4096);
    const tooLong = parameterError(() => stringParameter(contact, 'short', { maxLength: 3 }));
    const overDefault = parameterError(() => stringParameter(contact, 'long'));

    expect(tooLong.code).toBe('bad_parameter');
    expect(tooLong.message).not.toContain('abcd');
    expect(overDefault.code).toBe('bad_parameter');
  });

  it('reads a 100 KB parameter when maxLength allows it', () => {
    const big = 'q'.repeat(100 * 1024);
    const contact = contactWith({ payload: big });

    expect(stringParameter(contact, 'payload', { maxLength: 200 * 1024 })).toBe(big);
  });
});

describe('booleanParameter', () => {
  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['yes', true],
    ['1', true],
    [true, true],
    [1, true],
    ['false', false],
    ['False', false],
    ['no', false],
    ['0', false],
    [false, false],
    [0, false],
  ])('reads %j as %s', (value, expected) => {
    const contact = contactWith({ flag: value });

    expect(booleanParameter(contact, 'flag', !expected)).toBe(expected);
  });

  it('gives the fallback when the parameter is missing, null or empty', () => {
    const contact = contactWith({ empty: '', none: null });

    expect(booleanParameter(contact, 'absent', true)).toBe(true);
    expect(booleanParameter(contact, 'empty', false)).toBe(false);
    expect(booleanParameter(contact, 'none', true)).toBe(true);
  });

  it.each(['maybe', 'truthy', '2', 'x'.repeat(100)])('refuses %j with bad_parameter', (value) => {
    const contact = contactWith({ flag: value });

    const error = parameterError(() => booleanParameter(contact, 'flag', false));

    expect(error.code).toBe('bad_parameter');
    expect(error.parameter).toBe('flag');
  });

  it('refuses an object', () => {
    const contact = contactWith({ flag: { value: true } });

    const error = parameterError(() => booleanParameter(contact, 'flag', false));

    expect(error.code).toBe('bad_parameter');
  });
});
