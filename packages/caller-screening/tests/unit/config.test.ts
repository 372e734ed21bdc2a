import { ConfigError, type Env } from '@flowguard/contact';
import { describe, expect, it } from 'vitest';
import { limitsFor, readScreeningConfig, usesSignalScore } from '../../src/config.js';
import { DEFAULT_SIGNAL_WEIGHTS } from '../../src/signals.js';

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** Reading `env` fails with a ConfigError that names `variable`. */
function expectConfigError(env: Env, variable: string): ConfigError {
  const error = errorOf(() => readScreeningConfig(env));
  expect(error).toBeInstanceOf(ConfigError);
  expect(error).toMatchObject({ code: 'bad_config', variable });
  expect((error as ConfigError).message).toContain(variable);
  return error as ConfigError;
}

describe('readScreeningConfig', () => {
  describe('defaults', () => {
    it('reads an empty environment', () => {
      const config = readScreeningConfig({});
      expect(config).toEqual({
        defaultCountry: 'US',
        ipAttribute: 'customerIp',
        customerIdAttribute: 'customerId',
        limits: {
          phone: [
            { limit: 5, seconds: 10 * MINUTE },
            { limit: 20, seconds: DAY },
          ],
          asserted: [
            { limit: 3, seconds: 10 * MINUTE },
            { limit: 10, seconds: DAY },
          ],
          ip: [
            { limit: 10, seconds: 10 * MINUTE },
            { limit: 50, seconds: DAY },
          ],
          customer: [
            { limit: 10, seconds: 10 * MINUTE },
            { limit: 50, seconds: DAY },
          ],
          email: [
            { limit: 10, seconds: HOUR },
            { limit: 50, seconds: DAY },
          ],
        },
        policies: new Map(),
        withheldAction: 'allow',
        invalidNumberAction: 'allow',
        unidentifiedAction: 'allow',
        unusableIpAction: 'throttle',
        autoBlockFactor: 3,
        autoBlockSeconds: DAY,
        rulesTtlSeconds: 60,
        blockCacheSeconds: 60,
        failMode: 'open',
        flagSeconds: 30 * DAY,
        storeTimeoutMs: 600,
        storeAttempts: 2,
        signalThrottleScore: 0,
        signalBlockScore: 0,
        signalScoreMonitor: false,
        signalWeights: DEFAULT_SIGNAL_WEIGHTS,
        withheldKeyBy: 'none',
        aggregates: {
          enabled: true,
          thresholds: [],
          offRatio: 0.5,
          holdSeconds: 120,
          repeatCount: 0,
          monitor: false,
          shards: 1,
          flushMs: 1000,
          prefixDigits: 6,
        },
      });
    });

    it('treats empty and blank values of plain variables as unset', () => {
      const config = readScreeningConfig({
        FLOWGUARD_DEFAULT_COUNTRY: '',
        FLOWGUARD_FAIL_MODE: ' ',
        FLOWGUARD_AUTO_BLOCK_FACTOR: '',
      });
      expect(config).toMatchObject({
        defaultCountry: 'US',
        failMode: 'open',
        autoBlockFactor: 3,
      });
    });
  });

  describe('values', () => {
    it('reads every variable', () => {
      const config = readScreeningConfig({
        FLOWGUARD_DEFAULT_COUNTRY: 'gb',
        FLOWGUARD_IP_ATTRIBUTE: 'clientIp',
        FLOWGUARD_CUSTOMER_ID_ATTRIBUTE: 'profileId',
        FLOWGUARD_LIMITS: '3/1m',
        FLOWGUARD_IP_LIMITS: '4/1m',
        FLOWGUARD_CUSTOMER_LIMITS: '6/1m',
        FLOWGUARD_EMAIL_LIMITS: 'none',
        FLOWGUARD_WITHHELD_ACTION: 'Block',
        FLOWGUARD_INVALID_NUMBER_ACTION: 'throttle',
        FLOWGUARD_UNIDENTIFIED_ACTION: 'BLOCK',
        FLOWGUARD_AUTO_BLOCK_FACTOR: '0',
        FLOWGUARD_AUTO_BLOCK_DURATION: '2h',
        FLOWGUARD_RULES_TTL: '300',
        FLOWGUARD_BLOCK_CACHE_SECONDS: '0',
        FLOWGUARD_FAIL_MODE: 'CLOSED',
        FLOWGUARD_FLAG_DURATION: '7d',
        FLOWGUARD_STORE_TIMEOUT_MS: '250',
        FLOWGUARD_STORE_ATTEMPTS: '3',
        FLOWGUARD_UNUSABLE_IP_ACTION: 'Allow',
      });
      expect(config).toMatchObject({
        defaultCountry: 'GB',
        ipAttribute: 'clientIp',
        customerIdAttribute: 'profileId',
        limits: {
          phone: [{ limit: 3, seconds: MINUTE }],
          ip: [{ limit: 4, seconds: MINUTE }],
          customer: [{ limit: 6, seconds: MINUTE }],
          email: [],
        },
        withheldAction: 'block',
        invalidNumberAction: 'throttle',
        unidentifiedAction: 'block',
        unusableIpAction: 'allow',
        autoBlockFactor: 0,
        autoBlockSeconds: 2 * HOUR,
        rulesTtlSeconds: 300,
        blockCacheSeconds: 0,
        failMode: 'closed',
        flagSeconds: 7 * DAY,
        storeTimeoutMs: 250,
        storeAttempts: 3,
      });
    });

    it('accepts the auto-block factor bounds 2 and 1000', () => {
      expect(readScreeningConfig({ FLOWGUARD_AUTO_BLOCK_FACTOR: '2' }).autoBlockFactor).toBe(2);
      expect(readScreeningConfig({ FLOWGUARD_AUTO_BLOCK_FACTOR: '1000' }).autoBlockFactor).toBe(1000);
    });

    it('reads FLOWGUARD_LIMITS=none as no phone limits', () => {
      expect(readScreeningConfig({ FLOWGUARD_LIMITS: 'none' }).limits.phone).toEqual([]);
    });
  });

  describe('named policies', () => {
    it('reads FLOWGUARD_LIMITS_<NAME> under the lower-cased name', () => {
      const config = readScreeningConfig({
        FLOWGUARD_LIMITS_VIP: '50/10m,200/1d',
        FLOWGUARD_LIMITS_After_Hours: '2/1h',
        FLOWGUARD_LIMITS_OPEN: 'none',
      });
      expect([...config.policies.keys()].sort()).toEqual(['after_hours', 'open', 'vip']);
      expect(config.policies.get('vip')).toEqual([
        { limit: 50, seconds: 10 * MINUTE },
        { limit: 200, seconds: DAY },
      ]);
      expect(config.policies.get('after_hours')).toEqual([{ limit: 2, seconds: HOUR }]);
      expect(config.policies.get('open')).toEqual([]);
    });

    it('leaves the default phone limits alone', () => {
      const config = readScreeningConfig({ FLOWGUARD_LIMITS_VIP: '50/10m' });
      expect(config.limits.phone).toEqual([
        { limit: 5, seconds: 10 * MINUTE },
        { limit: 20, seconds: DAY },
      ]);
    });

    it('does not take FLOWGUARD_LIMITS itself or other FLOWGUARD_ variables for policies', () => {
      const config = readScreeningConfig({ FLOWGUARD_LIMITS: '9/1m', FLOWGUARD_IP_LIMITS: '8/1m' });
      expect(config.policies.size).toBe(0);
    });

    it('rejects bad limits naming the policy variable', () => {
      expectConfigError({ FLOWGUARD_LIMITS_VIP: '5/10x' }, 'FLOWGUARD_LIMITS_VIP');
    });

    it.each([
      'FLOWGUARD_LIMITS_',
      'FLOWGUARD_LIMITS_NIGHT-SHIFT',
      'FLOWGUARD_LIMITS_VIP.1',
      `FLOWGUARD_LIMITS_${'A'.repeat(33)}`,
    ])('rejects the policy name of %s', (name) => {
      const error = expectConfigError({ [name]: '5/1m' }, name);
      expect(error.message).toContain('policy names');
    });

    it(`accepts a 32-character policy name`, () => {
      const name = 'a'.repeat(32);
      expect(readScreeningConfig({ [`FLOWGUARD_LIMITS_${name}`]: '5/1m' }).policies.has(name)).toBe(true);
    });
  });

  describe('errors', () => {
    it.each([
      ['FLOWGUARD_LIMITS', '5/10x'],
      ['FLOWGUARD_LIMITS', '0/1m'],
      ['FLOWGUARD_LIMITS', '5/1m,10/60s'],
      ['FLOWGUARD_IP_LIMITS', '5/32d'],
      ['FLOWGUARD_CUSTOMER_LIMITS', 'lots'],
      ['FLOWGUARD_EMAIL_LIMITS', '1/1s,2/2s,3/3s,4/4s,5/5s'],
      ['FLOWGUARD_DEFAULT_COUNTRY', 'XX'],
      ['FLOWGUARD_DEFAULT_COUNTRY', 'USA'],
      ['FLOWGUARD_DEFAULT_COUNTRY', '1'],
      ['FLOWGUARD_AUTO_BLOCK_FACTOR', '1'],
      ['FLOWGUARD_AUTO_BLOCK_FACTOR', '-1'],
      ['FLOWGUARD_AUTO_BLOCK_FACTOR', '1001'],
      ['FLOWGUARD_AUTO_BLOCK_FACTOR', '2.5'],
      ['FLOWGUARD_FAIL_MODE', 'maybe'],
      ['FLOWGUARD_WITHHELD_ACTION', 'deny'],
      ['FLOWGUARD_INVALID_NUMBER_ACTION', 'reject'],
      ['FLOWGUARD_UNIDENTIFIED_ACTION', 'allowed'],
      ['FLOWGUARD_UNUSABLE_IP_ACTION', 'maybe'],
      ['FLOWGUARD_AUTO_BLOCK_DURATION', '1w'],
      ['FLOWGUARD_AUTO_BLOCK_DURATION', '0s'],
      ['FLOWGUARD_FLAG_DURATION', '3651d'],
      ['FLOWGUARD_RULES_TTL', '0'],
      ['FLOWGUARD_RULES_TTL', '3601'],
      ['FLOWGUARD_BLOCK_CACHE_SECONDS', '-1'],
      ['FLOWGUARD_STORE_TIMEOUT_MS', '49'],
      ['FLOWGUARD_STORE_TIMEOUT_MS', '5001'],
      ['FLOWGUARD_STORE_ATTEMPTS', '0'],
      ['FLOWGUARD_STORE_ATTEMPTS', '6'],
      ['FLOWGUARD_ASSERTED_LIMITS', '5/10x'],
      ['FLOWGUARD_SIGNAL_THROTTLE_SCORE', '-1'],
      ['FLOWGUARD_SIGNAL_THROTTLE_SCORE', '1601'],
      ['FLOWGUARD_SIGNAL_BLOCK_SCORE', '50.5'],
      ['FLOWGUARD_SIGNAL_WEIGHTS', 'spoofed=10'],
      ['FLOWGUARD_SIGNAL_WEIGHTS', 'voip=101'],
      ['FLOWGUARD_SIGNAL_WEIGHTS', 'voip=1,voip=2'],
      ['FLOWGUARD_WITHHELD_KEY_BY', 'from'],
    ])('rejects %s=%j naming the variable', (variable, value) => {
      expectConfigError({ [variable]: value }, variable);
    });

    it('says why the limits are wrong', () => {
      const error = expectConfigError({ FLOWGUARD_LIMITS: '5/32d' }, 'FLOWGUARD_LIMITS');
      expect(error.message).toBe('FLOWGUARD_LIMITS: a window must be 1s to 31d');
    });

    it('says that factor 1 is not allowed', () => {
      const error = expectConfigError({ FLOWGUARD_AUTO_BLOCK_FACTOR: '1' }, 'FLOWGUARD_AUTO_BLOCK_FACTOR');
      expect(error.message).toContain('0 (off) or from 2 to 1000');
    });

    it('lists the accepted fail modes', () => {
      const error = expectConfigError({ FLOWGUARD_FAIL_MODE: 'maybe' }, 'FLOWGUARD_FAIL_MODE');
      expect(error.message).toContain('open, closed');
      expect(error.message).not.toContain('maybe');
    });

    it('does not echo a bad country code', () => {
      const error = expectConfigError({ FLOWGUARD_DEFAULT_COUNTRY: 'XX' }, 'FLOWGUARD_DEFAULT_COUNTRY');
      expect(error.message).not.toContain('XX');
    });
  });
});

describe('limitsFor', () => {
  const config = readScreeningConfig({ FLOWGUARD_LIMITS_VIP: '50/10m', FLOWGUARD_LIMITS_OPEN: 'none' });

  it('gives each keyed class its own limits', () => {
    expect(limitsFor(config, 'phone')).toBe(config.limits.phone);
    expect(limitsFor(config, 'ip')).toBe(config.limits.ip);
    expect(limitsFor(config, 'customer')).toBe(config.limits.customer);
    expect(limitsFor(config, 'email')).toBe(config.limits.email);
  });

  it('gives asserted (pai:) callers their own limits, tighter by default, never a policy', () => {
    expect(limitsFor(config, 'asserted')).toBe(config.limits.asserted);
    expect(limitsFor(config, 'asserted', 'vip')).toBe(config.limits.asserted);
    expect(config.limits.asserted).toEqual([
      { limit: 3, seconds: 10 * MINUTE },
      { limit: 10, seconds: DAY },
    ]);
    expect(limitsFor(readScreeningConfig({ FLOWGUARD_ASSERTED_LIMITS: '1/1h' }), 'asserted')).toEqual([
      { limit: 1, seconds: HOUR },
    ]);
  });

  it('gives keyless classes no limits', () => {
    expect(limitsFor(config, 'withheld')).toEqual([]);
    expect(limitsFor(config, 'unidentified')).toEqual([]);
  });

  it('gives phone callers the limits of a named policy', () => {
    expect(limitsFor(config, 'phone', 'vip')).toEqual([{ limit: 50, seconds: 10 * MINUTE }]);
    expect(limitsFor(config, 'phone', 'open')).toEqual([]);
  });

  it('reads the policy default and no policy as the default limits', () => {
    expect(limitsFor(config, 'phone', 'default')).toBe(config.limits.phone);
    expect(limitsFor(config, 'phone', '')).toBe(config.limits.phone);
  });

  it('is null for an unknown policy', () => {
    expect(limitsFor(config, 'phone', 'gold')).toBeNull();
  });

  it('applies policies to phone callers only', () => {
    expect(limitsFor(config, 'ip', 'vip')).toBe(config.limits.ip);
    expect(limitsFor(config, 'email', 'gold')).toBe(config.limits.email);
  });
});

describe('signal settings', () => {
  it('reads the score thresholds, the weights and the withheld key', () => {
    const config = readScreeningConfig({
      FLOWGUARD_SIGNAL_THROTTLE_SCORE: '30',
      FLOWGUARD_SIGNAL_BLOCK_SCORE: '60',
      FLOWGUARD_SIGNAL_WEIGHTS: 'pai_mismatch=40, voip=0',
      FLOWGUARD_WITHHELD_KEY_BY: 'pai',
    });
    expect(config).toMatchObject({ signalThrottleScore: 30, signalBlockScore: 60, withheldKeyBy: 'pai' });
    expect(config.signalWeights).toEqual({ ...DEFAULT_SIGNAL_WEIGHTS, pai_mismatch: 40, voip: 0 });
    expect(usesSignalScore(config)).toBe(true);
  });

  it('uses no score while both thresholds are 0 or empty', () => {
    expect(usesSignalScore(readScreeningConfig({}))).toBe(false);
    expect(
      usesSignalScore(
        readScreeningConfig({ FLOWGUARD_SIGNAL_THROTTLE_SCORE: '', FLOWGUARD_SIGNAL_BLOCK_SCORE: '0' }),
      ),
    ).toBe(false);
    expect(usesSignalScore(readScreeningConfig({ FLOWGUARD_SIGNAL_BLOCK_SCORE: '1' }))).toBe(true);
  });
});

describe('readScreeningConfig with empty limits', () => {
  it('treats an empty limits variable as unset and takes the default; none turns limits off', () => {
    expect(readScreeningConfig({ FLOWGUARD_LIMITS: '' }).limits.phone).toEqual(
      readScreeningConfig({}).limits.phone,
    );
    expect(readScreeningConfig({ FLOWGUARD_LIMITS: 'none' }).limits.phone).toEqual([]);
  });
});
