import { type Env, envString } from './env.js';
import { ConfigError } from './errors.js';

/**
 * One environment variable a function reads. Each capability declares the variables its
 * configuration reader reads; the function registry (`@flowguard/functions/registry`) gathers
 * them per function, and docs/configuration.md is generated from it. A test runs every reader
 * against a recording environment, so a variable read and not declared (or declared and never
 * read) fails the suite.
 */
export interface VariableSpec {
  /** The name; `<NAME>` marks a family (`FLOWGUARD_LIMITS_<NAME>`). */
  readonly name: string;
  /** What it accepts. */
  readonly values: string;
  /** The value used when it is unset or empty; `(required)` when there is none. */
  readonly default: string;
  readonly meaning: string;
  /**
   * The CDK stack sets it from a resource it creates (the table, a secret, a key, the metrics
   * namespace); the other variables keep their defaults unless an operator sets them.
   */
  readonly stack?:
    | 'table'
    | 'connectKeysSecret'
    | 'fingerprintSecret'
    | 'tokenKey'
    | 'challengeSecret'
    | 'metricsNamespace';
}

/** The wrapper's variables (`readHandlerConfig`): every function reads them. */
export const HANDLER_VARIABLES: readonly VariableSpec[] = [
  {
    name: 'FLOWGUARD_BUDGET_MS',
    values: 'integer 50..8000',
    default: "the function's own (see its row)",
    meaning:
      "time to answer before the fail-mode answer with `error=timeout`; also capped by the Lambda's remaining time less 100 ms",
  },
  {
    name: 'FLOWGUARD_LOG_LEVEL',
    values: '`debug`, `info`, `warn`, `error`, `silent`',
    default: '`info`',
    meaning: 'log threshold',
  },
  {
    name: 'FLOWGUARD_LOG_EVENT',
    values: '`true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`)',
    default: '`false`',
    meaning: 'log the event at debug level, redacted; ignored by functions that handle secrets',
  },
  { name: 'FLOWGUARD_METRICS', values: 'boolean', default: '`true`', meaning: 'write EMF metric lines' },
  {
    name: 'FLOWGUARD_METRICS_NAMESPACE',
    values: 'CloudWatch namespace (letters, digits, `. _ - / # :`)',
    default: '`Flowguard`',
    meaning: 'namespace of the metrics',
    stack: 'metricsNamespace',
  },
];

/**
 * The variable naming the country national-format phone numbers are read in, and its one parser:
 * two letters, any case, that the caller's libphonenumber metadata knows (`isSupported`, from the
 * metadata set the caller bundles). Used by screening, validation and the CLI alike.
 */
export const DEFAULT_COUNTRY_VARIABLE = 'FLOWGUARD_DEFAULT_COUNTRY';

export const DEFAULT_COUNTRY: VariableSpec = {
  name: DEFAULT_COUNTRY_VARIABLE,
  values: 'two-letter country code (`US`, `GB`, any case) that libphonenumber knows',
  default: '`US`',
  meaning: 'country national-format phone numbers are read in',
};

export function readDefaultCountry<C extends string>(env: Env, isSupported: (code: string) => code is C): C {
  const code = envString(DEFAULT_COUNTRY_VARIABLE, {
    env,
    default: 'US',
    pattern: /^[A-Za-z]{2}$/,
    describe: 'a two-letter country code such as US or GB',
  }).toUpperCase();
  if (!isSupported(code)) {
    throw new ConfigError(DEFAULT_COUNTRY_VARIABLE, 'must be a country code libphonenumber knows');
  }
  return code;
}
