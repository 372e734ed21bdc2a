import { ConfigError, type Env } from '@flowguard/contact';
import { describe, expect, it } from 'vitest';
import {
  FORWARD_CONTACT_RECORDS_VARIABLES,
  FORWARD_RECORDINGS_VARIABLES,
  readForwardingConfig,
  readRecordingsForwardingConfig,
} from '../../src/index.js';

const POLICY = JSON.stringify({
  version: 1,
  policies: [
    {
      name: 'cards',
      match: { queues: ['Cards'] },
      hash: ['customerId'],
      destination: { type: 'kinesis', stream: 'cards' },
    },
  ],
});

const BASE = {
  FLOWGUARD_FORWARD_POLICY: POLICY,
  FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET: 'dead-letters',
  FLOWGUARD_FINGERPRINT_SECRET_ID: 'flowguard/fingerprint',
};

function errorOf(read: () => unknown): ConfigError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('no error');
}

/** An environment that records every name read. */
function recording(env: Record<string, string>): { env: Env; read: Set<string> } {
  const read = new Set<string>();
  const proxy = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  return { env: proxy, read };
}

describe('readForwardingConfig', () => {
  it('reads the policy, the dead letters and the defaults', () => {
    const config = readForwardingConfig({ ...BASE, FLOWGUARD_FORWARD_DEAD_LETTER_PREFIX: 'forwarding' });
    expect(config.policy.kind).toBe('inline');
    expect(config.deadLetter).toEqual({ bucket: 'dead-letters', prefix: 'forwarding/', kmsKeyId: undefined });
    expect(config).toMatchObject({
      policyTtlMs: 300_000,
      maxAttempts: 4,
      reserveMs: 5000,
      logLevel: 'info',
      metrics: true,
      metricsNamespace: 'Flowguard',
      fingerprintSecretId: 'flowguard/fingerprint',
    });
  });

  it('takes the policy from exactly one of the three variables', () => {
    const { FLOWGUARD_FORWARD_POLICY: _, ...rest } = BASE;
    expect(readForwardingConfig({ ...rest, FLOWGUARD_FORWARD_POLICY_SECRET_ID: 'fg/policy' }).policy).toEqual(
      {
        kind: 'secret',
        secretId: 'fg/policy',
      },
    );
    expect(
      readForwardingConfig({ ...rest, FLOWGUARD_FORWARD_POLICY_PARAMETER: '/fg/policy' }).policy,
    ).toEqual({
      kind: 'parameter',
      name: '/fg/policy',
    });
    expect(errorOf(() => readForwardingConfig(rest)).message).toBe(
      'FLOWGUARD_FORWARD_POLICY: exactly one of FLOWGUARD_FORWARD_POLICY, FLOWGUARD_FORWARD_POLICY_SECRET_ID, FLOWGUARD_FORWARD_POLICY_PARAMETER must be set: none is set',
    );
    expect(
      errorOf(() => readForwardingConfig({ ...BASE, FLOWGUARD_FORWARD_POLICY_PARAMETER: '/fg/policy' }))
        .message,
    ).toMatch(/FLOWGUARD_FORWARD_POLICY and FLOWGUARD_FORWARD_POLICY_PARAMETER are both set$/);
  });

  it('validates an inline policy at init, naming the variable and the JSON path', () => {
    const bad = JSON.stringify({
      version: 1,
      policies: [{ name: 'cards', match: { queues: ['Cards'] }, destination: { type: 'sqs' } }],
    });
    const error = errorOf(() => readForwardingConfig({ ...BASE, FLOWGUARD_FORWARD_POLICY: bad }));
    expect(error.variable).toBe('FLOWGUARD_FORWARD_POLICY');
    expect(error.message).toBe(
      'FLOWGUARD_FORWARD_POLICY: invalid policy: /policies/0/destination/type: must be one of firehose, kinesis, eventbridge, s3',
    );
  });

  it('needs the fingerprint secret when a policy hashes', () => {
    const { FLOWGUARD_FINGERPRINT_SECRET_ID: _, ...rest } = BASE;
    expect(errorOf(() => readForwardingConfig(rest)).message).toBe(
      'FLOWGUARD_FINGERPRINT_SECRET_ID: is required: /policies/0/hash hashes attributes',
    );
    expect(() => readRecordingsForwardingConfig(rest)).not.toThrow();
  });

  it('refuses bad values, naming the variable and never the value', () => {
    const cases: [string, string][] = [
      ['FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET', 'Not_A_Bucket'],
      ['FLOWGUARD_FORWARD_DEAD_LETTER_PREFIX', 'a b'],
      ['FLOWGUARD_FORWARD_DEAD_LETTER_KMS_KEY_ID', 'key with spaces'],
      ['FLOWGUARD_FORWARD_MAX_ATTEMPTS', '11'],
      ['FLOWGUARD_FORWARD_RESERVE_MS', '999'],
      ['FLOWGUARD_FORWARD_POLICY_TTL_SECONDS', '5'],
      ['FLOWGUARD_LOG_LEVEL', 'loud'],
    ];
    for (const [name, value] of cases) {
      const error = errorOf(() => readForwardingConfig({ ...BASE, [name]: value }));
      expect(error.variable).toBe(name);
      expect(error.message).not.toContain(value);
    }
    expect(errorOf(() => readForwardingConfig({ FLOWGUARD_FORWARD_POLICY: POLICY })).variable).toBe(
      'FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET',
    );
  });
});

describe('the contract', () => {
  it('declares exactly the variables each reader reads', () => {
    const records = recording({ ...BASE });
    readForwardingConfig(records.env);
    expect([...records.read].sort()).toEqual(FORWARD_CONTACT_RECORDS_VARIABLES.map((v) => v.name).sort());

    const recordings = recording({ ...BASE });
    readRecordingsForwardingConfig(recordings.env);
    expect([...recordings.read].sort()).toEqual(FORWARD_RECORDINGS_VARIABLES.map((v) => v.name).sort());
    expect(recordings.read.has('FLOWGUARD_FINGERPRINT_SECRET_ID')).toBe(false);
  });
});
