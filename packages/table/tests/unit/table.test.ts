import { describe, expect, it } from 'vitest';
import {
  createTableRequest,
  TABLE_KEYS,
  TableNameError,
  tableName,
  timeToLiveRequest,
} from '../../src/index.js';

describe('tableName', () => {
  it('defaults to flowguard when FLOWGUARD_TABLE_NAME is unset or blank', () => {
    expect(tableName({})).toBe('flowguard');
    expect(tableName({ FLOWGUARD_TABLE_NAME: '  ' })).toBe('flowguard');
  });

  it('reads FLOWGUARD_TABLE_NAME', () => {
    expect(tableName({ FLOWGUARD_TABLE_NAME: 'fg-prod.v2' })).toBe('fg-prod.v2');
  });

  it.each(['ab', 'has space', 'x'.repeat(256), 'tab\tle'])('refuses %j, naming the variable', (name) => {
    expect(() => tableName({ FLOWGUARD_TABLE_NAME: name })).toThrow(TableNameError);
    expect(() => tableName({ FLOWGUARD_TABLE_NAME: name })).toThrow(/FLOWGUARD_TABLE_NAME/);
  });
});

describe('createTableRequest', () => {
  it('keys the table by pk (hash) and sk (range), both strings, on demand', () => {
    const request = createTableRequest('flowguard');

    expect(request.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(request.AttributeDefinitions).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
    expect(request.BillingMode).toBe('PAY_PER_REQUEST');
  });
});

describe('timeToLiveRequest', () => {
  it('enables TTL on expiresAt', () => {
    expect(timeToLiveRequest('flowguard').TimeToLiveSpecification).toEqual({
      AttributeName: TABLE_KEYS.ttlAttribute,
      Enabled: true,
    });
    expect(TABLE_KEYS.ttlAttribute).toBe('expiresAt');
  });
});
