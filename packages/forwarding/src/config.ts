import {
  ConfigError,
  type Env,
  envBool,
  envEnum,
  envInt,
  envString,
  type LogLevel,
} from '@flowguard/contact';
import {
  FINGERPRINT_SECRET_VARIABLE,
  POLICY_PARAMETER_VARIABLE,
  POLICY_SECRET_VARIABLE,
  POLICY_VARIABLE,
} from './contract.js';
import { describeIssues, PolicyError } from './errors.js';
import { type PolicyDocument, parsePolicyDocument } from './policy.js';

/** Where the policy document comes from: the environment (read once), a secret or an SSM parameter. */
export type PolicyLocation =
  | { readonly kind: 'inline'; readonly document: PolicyDocument }
  | { readonly kind: 'secret'; readonly secretId: string }
  | { readonly kind: 'parameter'; readonly name: string };

export interface DeadLetterConfig {
  readonly bucket: string;
  /** Empty or ending in `/`. */
  readonly prefix: string;
  readonly kmsKeyId: string | undefined;
}

export interface ForwardingConfig {
  readonly policy: PolicyLocation;
  readonly policyTtlMs: number;
  /** forward-contact-records only: the fingerprint key secret, for policies that hash. */
  readonly fingerprintSecretId: string | undefined;
  readonly deadLetter: DeadLetterConfig;
  readonly maxAttempts: number;
  readonly reserveMs: number;
  readonly logLevel: LogLevel;
  readonly metrics: boolean;
  readonly metricsNamespace: string;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9!_.*'()/-]{0,512}$/;
const KMS_KEY = /^[A-Za-z0-9:/_+=,.@-]{1,2048}$/;

/** `forwarding` → `forwarding/`; empty stays empty. */
export function asPrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

function policyLocation(env: Env): PolicyLocation {
  const inline = envString(POLICY_VARIABLE, { env, default: '' });
  const secretId = envString(POLICY_SECRET_VARIABLE, { env, default: '' });
  const parameter = envString(POLICY_PARAMETER_VARIABLE, { env, default: '' });
  const set = [
    inline && POLICY_VARIABLE,
    secretId && POLICY_SECRET_VARIABLE,
    parameter && POLICY_PARAMETER_VARIABLE,
  ];
  const given = set.filter(Boolean);
  if (given.length !== 1) {
    const problem = given.length === 0 ? 'none is set' : `${given.join(' and ')} are both set`;
    throw new ConfigError(
      POLICY_VARIABLE,
      `exactly one of ${POLICY_VARIABLE}, ${POLICY_SECRET_VARIABLE}, ${POLICY_PARAMETER_VARIABLE} must be set: ${problem}`,
    );
  }
  if (secretId) return { kind: 'secret', secretId };
  if (parameter) return { kind: 'parameter', name: parameter };
  try {
    return { kind: 'inline', document: parsePolicyDocument(inline, POLICY_VARIABLE) };
  } catch (error) {
    if (error instanceof PolicyError) {
      throw new ConfigError(POLICY_VARIABLE, `invalid policy: ${describeIssues(error.issues)}`);
    }
    throw error;
  }
}

function deadLetter(env: Env): DeadLetterConfig {
  const kmsKeyId = envString('FLOWGUARD_FORWARD_DEAD_LETTER_KMS_KEY_ID', {
    env,
    default: '',
    pattern: KMS_KEY,
    describe: 'a KMS key id, ARN or alias',
  });
  return {
    bucket: envString('FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET', {
      env,
      pattern: BUCKET,
      describe: 'an S3 bucket name',
    }),
    prefix: asPrefix(
      envString('FLOWGUARD_FORWARD_DEAD_LETTER_PREFIX', {
        env,
        default: '',
        pattern: PREFIX,
        describe: "an S3 key prefix of letters, digits and ! - _ . * ' ( ) /",
      }),
    ),
    kmsKeyId: kmsKeyId || undefined,
  };
}

/**
 * Which policy needs the fingerprint key and has none: a policy that hashes attributes, when
 * `FLOWGUARD_FINGERPRINT_SECRET_ID` is not set. `undefined` when all is well.
 */
export function missingFingerprintKey(document: PolicyDocument, fingerprintSecretId: string | undefined) {
  if (fingerprintSecretId) return undefined;
  const index = document.policies.findIndex((p) => (p.hash?.length ?? 0) > 0 && p.destination);
  return index < 0
    ? undefined
    : { path: `/policies/${index}/hash`, message: `needs ${FINGERPRINT_SECRET_VARIABLE}` };
}

function common(env: Env): Omit<ForwardingConfig, 'fingerprintSecretId'> {
  return {
    policy: policyLocation(env),
    policyTtlMs:
      envInt('FLOWGUARD_FORWARD_POLICY_TTL_SECONDS', { env, min: 10, max: 3600, default: 300 }) * 1000,
    deadLetter: deadLetter(env),
    maxAttempts: envInt('FLOWGUARD_FORWARD_MAX_ATTEMPTS', { env, min: 1, max: 10, default: 4 }),
    reserveMs: envInt('FLOWGUARD_FORWARD_RESERVE_MS', { env, min: 1000, max: 30_000, default: 5000 }),
    logLevel: envEnum('FLOWGUARD_LOG_LEVEL', LOG_LEVELS, { env, default: 'info' }),
    metrics: envBool('FLOWGUARD_METRICS', { env, default: true }),
    metricsNamespace: envString('FLOWGUARD_METRICS_NAMESPACE', {
      env,
      default: 'Flowguard',
      pattern: /^[A-Za-z0-9_./#:-]{1,255}$/,
      describe: 'a CloudWatch namespace (letters, digits, . _ - / # :)',
    }),
  };
}

/**
 * forward-contact-records' configuration, read once at init. A bad or missing variable, or an
 * inline policy that does not validate, fails naming the variable (and the policy's JSON path).
 */
export function readForwardingConfig(env: Env = process.env): ForwardingConfig {
  const config = common(env);
  const secret = envString(FINGERPRINT_SECRET_VARIABLE, { env, default: '' });
  const fingerprintSecretId = secret || undefined;
  if (config.policy.kind === 'inline') {
    const missing = missingFingerprintKey(config.policy.document, fingerprintSecretId);
    if (missing)
      throw new ConfigError(FINGERPRINT_SECRET_VARIABLE, `is required: ${missing.path} hashes attributes`);
  }
  return { ...config, fingerprintSecretId };
}

/** forward-recordings' configuration: the same, without the fingerprint key (it hashes nothing). */
export function readRecordingsForwardingConfig(env: Env = process.env): ForwardingConfig {
  return { ...common(env), fingerprintSecretId: undefined };
}
