import { ConfigError } from '@flowguard/contact';
import { describe, expect, it } from 'vitest';
import { readEncryptInputConfig, readSecureInputConfig } from '../../src/config.js';

const KEYS = { FLOWGUARD_CONNECT_KEYS_SECRET_ID: 'flowguard/connect-keys' };

describe('readSecureInputConfig', () => {
  it('reads the secrets, the token key and the fetch timeout, with their defaults', () => {
    expect(readSecureInputConfig(KEYS)).toEqual({
      keysSecretId: 'flowguard/connect-keys',
      fingerprintSecretId: undefined,
      tokenKeyId: undefined,
      fetchTimeoutMs: 800,
    });
    expect(
      readSecureInputConfig({
        ...KEYS,
        FLOWGUARD_FINGERPRINT_SECRET_ID: 'flowguard/fingerprint',
        FLOWGUARD_TOKEN_KMS_KEY_ID: 'alias/flowguard-tokens',
        FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS: '1500',
      }),
    ).toEqual({
      keysSecretId: 'flowguard/connect-keys',
      fingerprintSecretId: 'flowguard/fingerprint',
      tokenKeyId: 'alias/flowguard-tokens',
      fetchTimeoutMs: 1500,
    });
  });

  it.each([
    [{}, 'FLOWGUARD_CONNECT_KEYS_SECRET_ID'],
    [{ ...KEYS, FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS: '99' }, 'FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS'],
    [{ ...KEYS, FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS: '2001' }, 'FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS'],
    [{ ...KEYS, FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS: 'soon' }, 'FLOWGUARD_SECRETS_FETCH_TIMEOUT_MS'],
  ])('refuses %j naming %s', (env, variable) => {
    expect(() => readSecureInputConfig(env)).toThrow(ConfigError);
    expect(() => readSecureInputConfig(env)).toThrow(variable);
  });

  it('gives encrypt-input its required token key', () => {
    expect(readEncryptInputConfig({ FLOWGUARD_TOKEN_KMS_KEY_ID: 'alias/t' })).toEqual({
      tokenKeyId: 'alias/t',
    });
    expect(() => readEncryptInputConfig({})).toThrow('FLOWGUARD_TOKEN_KMS_KEY_ID');
  });
});
