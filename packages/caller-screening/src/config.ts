import {
  ConfigError,
  type Env,
  envBool,
  envEnum,
  envInt,
  envString,
  readDefaultCountry,
} from '@flowguard/contact';
import { type CountryCode, isSupportedCountry } from 'libphonenumber-js/max';
import {
  type AggregateConfig,
  parseSurgeThresholds,
  SurgeSyntaxError,
  type SurgeThreshold,
} from './aggregates.js';
import { EDGE_SIGNING_SECRET_VARIABLE } from './contract.js';
import type { CallerClass } from './identity.js';
import { LimitSyntaxError, parseDuration, parseLimits, type Window } from './limits.js';
import { parseSignalWeights, SignalWeightSyntaxError, type SignalWeights } from './signals.js';

export type ClassAction = 'allow' | 'throttle' | 'block';
export type FailMode = 'open' | 'closed';

export interface ScreeningConfig {
  readonly defaultCountry: CountryCode;
  readonly ipAttribute: string;
  readonly customerIdAttribute: string;
  /** Limits by caller class, for the default policy. */
  readonly limits: Readonly<Record<'phone' | 'asserted' | 'ip' | 'customer' | 'email', readonly Window[]>>;
  /** Named policies (`FLOWGUARD_LIMITS_<NAME>`): phone limits chosen by the flow's `policy` parameter. */
  readonly policies: ReadonlyMap<string, readonly Window[]>;
  readonly withheldAction: ClassAction;
  readonly invalidNumberAction: ClassAction;
  readonly unidentifiedAction: ClassAction;
  /** For a caller whose IP attribute is present but unusable (default throttle). */
  readonly unusableIpAction: ClassAction;
  /** A caller reaching `limit × factor` contacts in a window is blocked; 0 turns this off. */
  readonly autoBlockFactor: number;
  readonly autoBlockSeconds: number;
  readonly rulesTtlSeconds: number;
  /** How long a warm instance trusts what it knows of a block (0: never). */
  readonly blockCacheSeconds: number;
  readonly failMode: FailMode;
  readonly flagSeconds: number;
  readonly storeTimeoutMs: number;
  readonly storeAttempts: number;
  /** A caller whose signal score reaches this is throttled (`reason=signals`); 0 turns this off. */
  readonly signalThrottleScore: number;
  /** A caller whose signal score reaches this is blocked (`reason=signals`); 0 turns this off. */
  readonly signalBlockScore: number;
  /** The score thresholds are monitor-only: their decision is reported, never enforced. */
  readonly signalScoreMonitor: boolean;
  readonly signalWeights: SignalWeights;
  /**
   * `pai`: a withheld caller whose `P-Asserted-Identity` names one number is keyed `pai:<E.164>`,
   * class `asserted`, and counted with its own limits; `none` (default): withheld callers are not keyed.
   */
  readonly withheldKeyBy: WithheldKeyBy;
  /** Aggregate velocity and surge mode (aggregates.ts). */
  readonly aggregates: AggregateConfig;
}

export const WITHHELD_KEY_BY = ['none', 'pai'] as const;
export type WithheldKeyBy = (typeof WITHHELD_KEY_BY)[number];

/** The highest score thresholds may name: every signal at its highest weight. */
export const MAX_SIGNAL_SCORE = 1600;

export const ACTIONS = ['allow', 'throttle', 'block'] as const;
const POLICY_PREFIX = 'FLOWGUARD_LIMITS_';

function limitsFrom(env: Env, name: string, fallback: string): Window[] {
  try {
    // Empty counts as unset (templates pass '' for unset parameters); `none` turns limits off.
    return parseLimits(env[name]?.trim() || fallback);
  } catch (error) {
    throw new ConfigError(name, error instanceof LimitSyntaxError ? error.message : 'invalid limits');
  }
}

function durationFrom(env: Env, name: string, fallback: string): number {
  try {
    return parseDuration(env[name]?.trim() || fallback);
  } catch (error) {
    throw new ConfigError(name, error instanceof LimitSyntaxError ? error.message : 'invalid duration');
  }
}

function weightsFrom(env: Env, name: string): SignalWeights {
  try {
    return parseSignalWeights(env[name] ?? '');
  } catch (error) {
    throw new ConfigError(name, error instanceof SignalWeightSyntaxError ? error.message : 'invalid weights');
  }
}

function thresholdsFrom(env: Env, name: string): SurgeThreshold[] {
  try {
    return parseSurgeThresholds(env[name] ?? '');
  } catch (error) {
    throw new ConfigError(name, error instanceof SurgeSyntaxError ? error.message : 'invalid thresholds');
  }
}

function surgeRepeatFrom(env: Env): number {
  const value = envInt('FLOWGUARD_SURGE_REPEAT', { env, min: 0, max: 1000, default: 0 });
  if (value === 1) throw new ConfigError('FLOWGUARD_SURGE_REPEAT', 'must be 0 (off) or from 2 to 1000');
  return value;
}

/** The aggregate and surge settings (docs/screening.md, "Aggregate velocity and surge mode"). */
export function readAggregateConfig(env: Env = process.env): AggregateConfig {
  const holdSeconds = durationFrom(env, 'FLOWGUARD_SURGE_HOLD', '2m');
  if (holdSeconds < 10 || holdSeconds > 86_400)
    throw new ConfigError('FLOWGUARD_SURGE_HOLD', 'must be from 10s to 1d');
  return {
    enabled: envEnum('FLOWGUARD_AGGREGATES', ['on', 'off'] as const, { env, default: 'on' }) === 'on',
    thresholds: thresholdsFrom(env, 'FLOWGUARD_SURGE_THRESHOLDS'),
    offRatio: envInt('FLOWGUARD_SURGE_OFF_PERCENT', { env, min: 1, max: 100, default: 50 }) / 100,
    holdSeconds,
    repeatCount: surgeRepeatFrom(env),
    monitor: envBool('FLOWGUARD_SURGE_MONITOR', { env, default: false }),
    shards: envInt('FLOWGUARD_AGGREGATE_SHARDS', { env, min: 1, max: 16, default: 1 }),
    flushMs: envInt('FLOWGUARD_AGGREGATE_FLUSH_MS', { env, min: 200, max: 10_000, default: 1000 }),
    prefixDigits: envInt('FLOWGUARD_PREFIX_DIGITS', { env, min: 1, max: 14, default: 6 }),
  };
}

/** Whether screen-caller must work out a call's signals for the score thresholds. */
export function usesSignalScore(config: Pick<ScreeningConfig, 'signalThrottleScore' | 'signalBlockScore'>) {
  return config.signalThrottleScore > 0 || config.signalBlockScore > 0;
}

/** Reads the screening configuration once, at init; a bad variable fails naming itself. */
export function readScreeningConfig(env: Env = process.env): ScreeningConfig {
  const country = readDefaultCountry(env, isSupportedCountry);
  const policies = new Map<string, Window[]>();
  for (const name of Object.keys(env)) {
    if (!name.startsWith(POLICY_PREFIX)) continue;
    const policy = name.slice(POLICY_PREFIX.length).toLowerCase();
    if (!/^[a-z0-9_]{1,32}$/.test(policy)) {
      throw new ConfigError(name, 'policy names are 1 to 32 letters, digits or _');
    }
    policies.set(policy, limitsFrom(env, name, ''));
  }
  const autoBlockFactor = envInt('FLOWGUARD_AUTO_BLOCK_FACTOR', { env, min: 0, max: 1000, default: 3 });
  if (autoBlockFactor === 1) {
    throw new ConfigError('FLOWGUARD_AUTO_BLOCK_FACTOR', 'must be 0 (off) or from 2 to 1000');
  }
  return {
    defaultCountry: country,
    ipAttribute: envString('FLOWGUARD_IP_ATTRIBUTE', { env, default: 'customerIp' }),
    customerIdAttribute: envString('FLOWGUARD_CUSTOMER_ID_ATTRIBUTE', { env, default: 'customerId' }),
    limits: {
      phone: limitsFrom(env, 'FLOWGUARD_LIMITS', '5/10m,20/1d'),
      asserted: limitsFrom(env, 'FLOWGUARD_ASSERTED_LIMITS', '3/10m,10/1d'),
      ip: limitsFrom(env, 'FLOWGUARD_IP_LIMITS', '10/10m,50/1d'),
      customer: limitsFrom(env, 'FLOWGUARD_CUSTOMER_LIMITS', '10/10m,50/1d'),
      email: limitsFrom(env, 'FLOWGUARD_EMAIL_LIMITS', '10/1h,50/1d'),
    },
    policies,
    withheldAction: envEnum('FLOWGUARD_WITHHELD_ACTION', ACTIONS, { env, default: 'allow' }),
    invalidNumberAction: envEnum('FLOWGUARD_INVALID_NUMBER_ACTION', ACTIONS, { env, default: 'allow' }),
    unidentifiedAction: envEnum('FLOWGUARD_UNIDENTIFIED_ACTION', ACTIONS, { env, default: 'allow' }),
    unusableIpAction: envEnum('FLOWGUARD_UNUSABLE_IP_ACTION', ACTIONS, { env, default: 'throttle' }),
    autoBlockFactor,
    autoBlockSeconds: durationFrom(env, 'FLOWGUARD_AUTO_BLOCK_DURATION', '1d'),
    rulesTtlSeconds: envInt('FLOWGUARD_RULES_TTL', { env, min: 1, max: 3600, default: 60 }),
    blockCacheSeconds: envInt('FLOWGUARD_BLOCK_CACHE_SECONDS', { env, min: 0, max: 3600, default: 60 }),
    failMode: envEnum('FLOWGUARD_FAIL_MODE', ['open', 'closed'] as const, { env, default: 'open' }),
    flagSeconds: durationFrom(env, 'FLOWGUARD_FLAG_DURATION', '30d'),
    storeTimeoutMs: envInt('FLOWGUARD_STORE_TIMEOUT_MS', { env, min: 50, max: 5000, default: 600 }),
    storeAttempts: envInt('FLOWGUARD_STORE_ATTEMPTS', { env, min: 1, max: 5, default: 2 }),
    signalThrottleScore: envInt('FLOWGUARD_SIGNAL_THROTTLE_SCORE', {
      env,
      min: 0,
      max: MAX_SIGNAL_SCORE,
      default: 0,
    }),
    signalBlockScore: envInt('FLOWGUARD_SIGNAL_BLOCK_SCORE', {
      env,
      min: 0,
      max: MAX_SIGNAL_SCORE,
      default: 0,
    }),
    signalScoreMonitor: envBool('FLOWGUARD_SIGNAL_SCORE_MONITOR', { env, default: false }),
    signalWeights: weightsFrom(env, 'FLOWGUARD_SIGNAL_WEIGHTS'),
    withheldKeyBy: envEnum('FLOWGUARD_WITHHELD_KEY_BY', WITHHELD_KEY_BY, { env, default: 'none' }),
    aggregates: readAggregateConfig(env),
  };
}

/** The limits that apply to a class of caller under a policy (`undefined` policy: default). */
export function limitsFor(
  config: ScreeningConfig,
  cls: CallerClass,
  policy?: string,
): readonly Window[] | null {
  if (cls === 'phone' && policy && policy !== 'default') return config.policies.get(policy) ?? null;
  switch (cls) {
    case 'phone':
    case 'asserted':
    case 'ip':
    case 'customer':
    case 'email':
      return config.limits[cls];
    default:
      return [];
  }
}

/** What screen-caller reads to trust start-contact's signed identities (SIGNED_IDENTITY_VARIABLES). */
export interface SignedIdentityConfig {
  /** Unset: `trustSignedIdentity` answers `error=not_configured`. */
  readonly secretId: string | undefined;
  readonly maxAgeSeconds: number;
}

export function readSignedIdentityConfig(env: Env = process.env): SignedIdentityConfig {
  const secretId = envString(EDGE_SIGNING_SECRET_VARIABLE, { env, default: '' });
  return {
    secretId: secretId === '' ? undefined : secretId,
    maxAgeSeconds: envInt('FLOWGUARD_SIGNED_IDENTITY_MAX_AGE_SECONDS', {
      env,
      min: 10,
      max: 900,
      default: 120,
    }),
  };
}
