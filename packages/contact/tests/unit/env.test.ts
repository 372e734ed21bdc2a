import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_BUDGET_MS,
  envBool,
  envEnum,
  envInt,
  envList,
  envString,
  readHandlerConfig,
} from '../../src/index.js';

/** Runs `read` and returns the ConfigError it throws, failing the test if it does not. */
function configError(read: () => unknown): ConfigError {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const SECRET = 'SECRETVALUE';

describe('envString', () => {
  it('reads a trimmed value', () => {
    expect(envString('FG_NAME', { env: { FG_NAME: '  screen-caller ' } })).toBe('screen-caller');
  });

  it('uses the default when the variable is unset, empty or blank', () => {
    for (const env of [{}, { FG_NAME: '' }, { FG_NAME: '   ' }]) {
      expect(envString('FG_NAME', { env, default: 'fallback' })).toBe('fallback');
    }
  });

  it('refuses a missing required variable, naming it and what it accepts', () => {
    const error = configError(() => envString('FG_NAME', { env: {}, describe: 'a function name' }));

    expect(error.code).toBe('bad_config');
    expect(error.variable).toBe('FG_NAME');
    expect(error.message).toContain('FG_NAME');
    expect(error.message).toContain('a function name');
  });

  it('refuses a value that fails the pattern without echoing it', () => {
    const env = { FG_NAME: SECRET };

    const error = configError(() =>
      envString('FG_NAME', { env, pattern: /^[a-z-]+$/, describe: 'lower-case letters and dashes' }),
    );

    expect(error.message).toContain('FG_NAME');
    expect(error.message).toContain('lower-case letters and dashes');
    expect(error.message).not.toContain(SECRET);
  });

  it('reads process.env when no env is given', () => {
    const name = `FG_TEST_${process.pid}`;
    process.env[name] = 'from-process';
    try {
      expect(envString(name)).toBe('from-process');
    } finally {
      Reflect.deleteProperty(process.env, name);
    }
  });
});

describe('envEnum', () => {
  const LEVELS = ['debug', 'info', 'warn'] as const;

  it('matches case-insensitively and returns the value as listed', () => {
    expect(envEnum('FG_LEVEL', LEVELS, { env: { FG_LEVEL: 'WARN' } })).toBe('warn');
    expect(envEnum('FG_LEVEL', LEVELS, { env: { FG_LEVEL: ' Debug ' } })).toBe('debug');
  });

  it('uses the default when unset', () => {
    expect(envEnum('FG_LEVEL', LEVELS, { env: {}, default: 'info' })).toBe('info');
  });

  it('refuses a missing required variable, listing the accepted values', () => {
    const error = configError(() => envEnum('FG_LEVEL', LEVELS, { env: {} }));

    expect(error.message).toContain('FG_LEVEL');
    expect(error.message).toContain('debug, info, warn');
  });

  it('refuses an unknown value, listing the accepted ones and not the value', () => {
    const error = configError(() => envEnum('FG_LEVEL', LEVELS, { env: { FG_LEVEL: SECRET } }));

    expect(error.code).toBe('bad_config');
    expect(error.message).toContain('FG_LEVEL');
    expect(error.message).toContain('debug, info, warn');
    expect(error.message).not.toContain(SECRET);
  });
});

describe('envInt', () => {
  it('reads a base-10 integer', () => {
    expect(envInt('FG_N', { env: { FG_N: '2500' } })).toBe(2500);
    expect(envInt('FG_N', { env: { FG_N: '-3' } })).toBe(-3);
    expect(envInt('FG_N', { env: { FG_N: ' 007 ' } })).toBe(7);
  });

  it('uses the default when unset', () => {
    expect(envInt('FG_N', { env: {}, default: 50 })).toBe(50);
  });

  it('accepts the bounds themselves', () => {
    expect(envInt('FG_N', { env: { FG_N: '50' }, min: 50, max: 8000 })).toBe(50);
    expect(envInt('FG_N', { env: { FG_N: '8000' }, min: 50, max: 8000 })).toBe(8000);
  });

  it.each(['49', '8001', '-1'])('refuses %s outside [50, 8000], naming the range', (value) => {
    const error = configError(() => envInt('FG_N', { env: { FG_N: value }, min: 50, max: 8000 }));

    expect(error.message).toContain('FG_N');
    expect(error.message).toContain('an integer from 50 to 8000');
  });

  it.each(['1.5', '1e3', '0x10', '+5', 'ten', '12abc', '99999999999999999'])(
    'refuses the non-integer %j',
    (value) => {
      const error = configError(() => envInt('FG_N', { env: { FG_N: value } }));

      expect(error.variable).toBe('FG_N');
    },
  );

  it('never echoes the bad value', () => {
    const error = configError(() => envInt('FG_N', { env: { FG_N: SECRET } }));

    expect(error.message).not.toContain(SECRET);
  });

  it('refuses a missing required variable, naming the range', () => {
    const error = configError(() => envInt('FG_N', { env: {}, min: 1, max: 8 }));

    expect(error.message).toContain('FG_N');
    expect(error.message).toContain('an integer from 1 to 8');
  });
});

describe('envBool', () => {
  it.each(['true', 'TRUE', '1', 'yes', 'Yes', 'on', 'ON'])('reads %j as true', (value) => {
    expect(envBool('FG_FLAG', { env: { FG_FLAG: value } })).toBe(true);
  });

  it.each(['false', 'False', '0', 'no', 'off', 'OFF'])('reads %j as false', (value) => {
    expect(envBool('FG_FLAG', { env: { FG_FLAG: value } })).toBe(false);
  });

  it('uses the default when unset', () => {
    expect(envBool('FG_FLAG', { env: {}, default: true })).toBe(true);
    expect(envBool('FG_FLAG', { env: { FG_FLAG: '' }, default: false })).toBe(false);
  });

  it('refuses anything else, naming the variable and not the value', () => {
    const error = configError(() => envBool('FG_FLAG', { env: { FG_FLAG: SECRET } }));

    expect(error.message).toContain('FG_FLAG');
    expect(error.message).toContain('true or false');
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses a missing required variable', () => {
    const error = configError(() => envBool('FG_FLAG', { env: {} }));

    expect(error.message).toContain('FG_FLAG');
    expect(error.message).toContain('is required');
  });
});

describe('envList', () => {
  it('splits on commas, trims items and drops empty ones', () => {
    const list = envList('FG_LIST', { env: { FG_LIST: ' a, b ,,c, ' } });

    expect(list).toEqual(['a', 'b', 'c']);
  });

  it('uses the default when unset', () => {
    expect(envList('FG_LIST', { env: {}, default: ['x'] })).toEqual(['x']);
  });

  it('refuses a missing required variable', () => {
    const error = configError(() => envList('FG_LIST', { env: {} }));

    expect(error.message).toContain('FG_LIST');
    expect(error.message).toContain('comma-separated list');
  });
});

describe('readHandlerConfig', () => {
  it('gives defaults for an empty environment', () => {
    const config = readHandlerConfig({});

    expect(config).toEqual({
      logLevel: 'info',
      budgetMs: DEFAULT_BUDGET_MS,
      logEvent: false,
      metrics: true,
      metricsNamespace: 'Flowguard',
    });
  });

  it('reads every FLOWGUARD_ variable', () => {
    const env = {
      FLOWGUARD_LOG_LEVEL: 'DEBUG',
      FLOWGUARD_BUDGET_MS: '1200',
      FLOWGUARD_LOG_EVENT: 'yes',
      FLOWGUARD_METRICS: 'off',
      FLOWGUARD_METRICS_NAMESPACE: 'Acme/Flowguard',
    };

    const config = readHandlerConfig(env);

    expect(config).toEqual({
      logLevel: 'debug',
      budgetMs: 1200,
      logEvent: true,
      metrics: false,
      metricsNamespace: 'Acme/Flowguard',
    });
  });

  it('uses the function budget when FLOWGUARD_BUDGET_MS is unset', () => {
    expect(readHandlerConfig({}, 900).budgetMs).toBe(900);
  });

  it('refuses a budget over the 8 s Connect maximum', () => {
    const error = configError(() => readHandlerConfig({ FLOWGUARD_BUDGET_MS: '9000' }));

    expect(error.variable).toBe('FLOWGUARD_BUDGET_MS');
  });

  it('refuses a namespace with illegal characters without echoing it', () => {
    const error = configError(() => readHandlerConfig({ FLOWGUARD_METRICS_NAMESPACE: `${SECRET} !` }));

    expect(error.variable).toBe('FLOWGUARD_METRICS_NAMESPACE');
    expect(error.message).not.toContain(SECRET);
  });
});
