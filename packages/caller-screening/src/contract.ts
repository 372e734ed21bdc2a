// What screen-caller and flag-caller promise the outside world: their answers, their budgets and
// the variables they read. No imports beyond types and data, so the function registry, the CDK
// stack and the docs can read it without loading the screening code.
import { DEFAULT_COUNTRY, type VariableSpec } from '@flowguard/contact';
import { DEFAULT_TABLE_NAME, TABLE_NAME_VARIABLE } from '@flowguard/table';

export const SCREEN_CALLER_OUTPUTS = [
  'decision',
  'reason',
  'callerType',
  'lineType',
  'callerCountry',
  'retryAfterSeconds',
  'blockedUntil',
  'rule',
  'signals',
  'monitoredDecision',
  'monitoredRule',
] as const;

export const FLAG_CALLER_OUTPUTS = ['flagged', 'blockedUntil', 'callerType'] as const;

/** Both functions answer within 2 s: the store's timeouts and retries fit inside it. */
export const SCREENING_BUDGET_MS = 2000;

const ACTION = '`allow`, `throttle`, `block`';
const LIMITS = 'limits `count/window,...` (`5/10m,20/1d`) or `none`';

/** What `tableName()` reads: the table of rules, limits and blocks. */
export const TABLE_VARIABLE: VariableSpec = {
  name: TABLE_NAME_VARIABLE,
  values: '3..255 of letters, digits, `_`, `-`, `.`',
  default: `\`${DEFAULT_TABLE_NAME}\``,
  meaning: 'the DynamoDB table',
  stack: 'table',
};

/** What `readScreeningConfig` reads (docs/screening.md explains each). */
export const SCREENING_VARIABLES: readonly VariableSpec[] = [
  DEFAULT_COUNTRY,
  { name: 'FLOWGUARD_LIMITS', values: LIMITS, default: '`5/10m,20/1d`', meaning: 'limits for phone callers' },
  {
    name: 'FLOWGUARD_LIMITS_<NAME>',
    values: `${LIMITS}; NAME is 1..32 letters, digits or \`_\``,
    default: 'none',
    meaning: "a named policy for phone callers, chosen by the flow's `policy` parameter",
  },
  {
    name: 'FLOWGUARD_ASSERTED_LIMITS',
    values: LIMITS,
    default: '`3/10m,10/1d`',
    meaning:
      'limits for `pai:` callers (withheld, keyed by `P-Asserted-Identity`; see `FLOWGUARD_WITHHELD_KEY_BY`)',
  },
  {
    name: 'FLOWGUARD_IP_LIMITS',
    values: LIMITS,
    default: '`10/10m,50/1d`',
    meaning: 'limits for `ip:` callers (chat, web)',
  },
  {
    name: 'FLOWGUARD_CUSTOMER_LIMITS',
    values: LIMITS,
    default: '`10/10m,50/1d`',
    meaning: 'limits for `cust:` callers',
  },
  {
    name: 'FLOWGUARD_EMAIL_LIMITS',
    values: LIMITS,
    default: '`10/1h,50/1d`',
    meaning: 'limits for e-mail senders',
  },
  {
    name: 'FLOWGUARD_IP_ATTRIBUTE',
    values: 'contact attribute name',
    default: '`customerIp`',
    meaning: "the attribute holding the customer's IP (chat, web calling)",
  },
  {
    name: 'FLOWGUARD_CUSTOMER_ID_ATTRIBUTE',
    values: 'contact attribute name',
    default: '`customerId`',
    meaning: 'the attribute holding a customer id',
  },
  { name: 'FLOWGUARD_WITHHELD_ACTION', values: ACTION, default: '`allow`', meaning: 'for withheld callers' },
  {
    name: 'FLOWGUARD_WITHHELD_KEY_BY',
    values: '`none`, `pai`',
    default: '`none`',
    meaning:
      '`pai`: a withheld caller whose `P-Asserted-Identity` parameter names one number is counted as `pai:<E.164>` (class `asserted`)',
  },
  {
    name: 'FLOWGUARD_AGGREGATES',
    values: '`on`, `off`',
    default: '`on`',
    meaning:
      'count voice contacts in aggregates (all, withheld, unidentified, invalid, per dialled number, prefix, country, line type): one shared write per instance per flush interval; `off` turns off surge mode too',
  },
  {
    name: 'FLOWGUARD_SURGE_THRESHOLDS',
    values:
      '`<dimension>:<count>/<10s|1m>`, comma-separated; dimensions `all`, `withheld`, `unidentified`, `invalid` (10s or 1m), `dialled`, `prefix`, `country`, `line` (1m, each value on its own)',
    default: 'none: only a manual surge (`flowguard surge on`)',
    meaning:
      'a scope whose calls in the window reach the count goes into surge: callers in it without a recent verified contact are answered `CHALLENGE`',
  },
  {
    name: 'FLOWGUARD_SURGE_OFF_PERCENT',
    values: 'integer 1..100',
    default: '`50`',
    meaning: "a surge ends once its scope's rate stays below this share of its threshold for the hold time",
  },
  {
    name: 'FLOWGUARD_SURGE_HOLD',
    values: 'duration, `10s`..`1d`',
    default: '`2m`',
    meaning: 'how long the rate must stay below the lower threshold before a surge ends',
  },
  {
    name: 'FLOWGUARD_SURGE_REPEAT',
    values: '`0` (off) or an integer 2..1000',
    default: '`0`',
    meaning:
      'during a surge, an unverified caller whose count in its shortest window reaches this is answered `BLOCK` (`reason=surge_repeat`), as a caller over its limits always is; a person who called twice before the surge is blocked at `3`: set it with care',
  },
  {
    name: 'FLOWGUARD_SURGE_MONITOR',
    values: '`true`, `false`',
    default: '`false`',
    meaning: 'surge decisions are reported (`monitoredDecision`, metric `WouldChallenge`), never enforced',
  },
  {
    name: 'FLOWGUARD_AGGREGATE_SHARDS',
    values: 'integer 1..16',
    default: '`1`',
    meaning:
      'aggregate items the flushes spread over: one per 250 concurrent instances keeps each under 250 writes/s',
  },
  {
    name: 'FLOWGUARD_AGGREGATE_FLUSH_MS',
    values: 'integer 200..10000',
    default: '`1000`',
    meaning: 'how often an instance adds its counts to the aggregate item and reads the surge state',
  },
  {
    name: 'FLOWGUARD_PREFIX_DIGITS',
    values: 'integer 1..14',
    default: '`6`',
    meaning: 'E.164 digits (after `+`) that make a calling prefix for the `prefix` aggregate',
  },
  {
    name: 'FLOWGUARD_SIGNAL_THROTTLE_SCORE',
    values: '`0` (off) or an integer 1..1600',
    default: '`0`',
    meaning: 'a caller whose spoofing-signal score reaches it gets `THROTTLE`, `reason=signals`',
  },
  {
    name: 'FLOWGUARD_SIGNAL_BLOCK_SCORE',
    values: '`0` (off) or an integer 1..1600',
    default: '`0`',
    meaning: 'a caller whose spoofing-signal score reaches it gets `BLOCK`, `reason=signals`',
  },
  {
    name: 'FLOWGUARD_SIGNAL_SCORE_MONITOR',
    values: '`true`, `false`',
    default: '`false`',
    meaning:
      'the score thresholds are monitor-only: their decision is reported (`monitoredDecision`, `monitoredRule`) and counted (`WouldBlock`, `WouldThrottle`), never enforced',
  },
  {
    name: 'FLOWGUARD_SIGNAL_WEIGHTS',
    values: '`<signal>=<0..100>,...` (`pai_mismatch=40,voip=0`)',
    default: 'the defaults in docs/screening.md',
    meaning: 'weights of the spoofing signals; names left out keep their default',
  },
  {
    name: 'FLOWGUARD_INVALID_NUMBER_ACTION',
    values: ACTION,
    default: '`allow`',
    meaning: 'for numbers libphonenumber calls invalid',
  },
  {
    name: 'FLOWGUARD_UNIDENTIFIED_ACTION',
    values: ACTION,
    default: '`allow`',
    meaning: "for contacts with no usable identity; the flow's `unidentified` parameter overrides it",
  },
  {
    name: 'FLOWGUARD_UNUSABLE_IP_ACTION',
    values: ACTION,
    default: '`throttle`',
    meaning: 'for an IP attribute that is there but unusable',
  },
  {
    name: 'FLOWGUARD_AUTO_BLOCK_FACTOR',
    values: '`0` (off) or an integer 2..1000',
    default: '`3`',
    meaning: 'a caller reaching `limit × factor` in a window is blocked',
  },
  {
    name: 'FLOWGUARD_AUTO_BLOCK_DURATION',
    values: 'duration (`30m`, `1d`)',
    default: '`1d`',
    meaning: 'how long an automatic block lasts',
  },
  {
    name: 'FLOWGUARD_RULES_TTL',
    values: 'integer 1..3600 (seconds)',
    default: '`60`',
    meaning: 'how long an instance keeps the rules before reading them again',
  },
  {
    name: 'FLOWGUARD_BLOCK_CACHE_SECONDS',
    values: 'integer 0..3600',
    default: '`60`',
    meaning: 'how long a warm instance trusts what it knows of a block; `0` turns the cache off',
  },
  {
    name: 'FLOWGUARD_FAIL_MODE',
    values: '`open`, `closed`',
    default: '`open`',
    meaning: 'the answer when the store cannot decide: in-memory limits (`open`) or `BLOCK` (`closed`)',
  },
  {
    name: 'FLOWGUARD_FLAG_DURATION',
    values: 'duration (`30d`)',
    default: '`30d`',
    meaning: "flag-caller's block length when the flow gives none",
  },
  {
    name: 'FLOWGUARD_STORE_TIMEOUT_MS',
    values: 'integer 50..5000',
    default: '`600`',
    meaning: 'DynamoDB request timeout',
  },
  {
    name: 'FLOWGUARD_STORE_ATTEMPTS',
    values: 'integer 1..5',
    default: '`2`',
    meaning: 'DynamoDB attempts per request',
  },
];

/** The Secrets Manager secret whose value (at least 32 bytes) signs the edge's identities. */
export const EDGE_SIGNING_SECRET_VARIABLE = 'FLOWGUARD_EDGE_SIGNING_SECRET_ID';

/**
 * What screen-caller reads besides {@link SCREENING_VARIABLES} to trust start-contact's signed
 * identities (`trustSignedIdentity`, docs/screening.md "Screening at the edge").
 */
export const SIGNED_IDENTITY_VARIABLES: readonly VariableSpec[] = [
  {
    name: EDGE_SIGNING_SECRET_VARIABLE,
    values: 'secret id or ARN',
    default: 'none: `trustSignedIdentity` answers `error=not_configured`',
    meaning:
      'the key start-contact signs the identities it screened with (AWSCURRENT; AWSPREVIOUS is also accepted during a rotation)',
  },
  {
    name: 'FLOWGUARD_SIGNED_IDENTITY_MAX_AGE_SECONDS',
    values: '10..900',
    default: '120',
    meaning: "how long after start-contact screened it a contact's flow may present the signed identity",
  },
];

/** What `challenge` answers (docs/screening.md, "The IVR challenge"). */
export const CHALLENGE_OUTPUTS = [
  'passed',
  'reason',
  'digits',
  'digitsSpoken',
  'challengeToken',
  'verifiedUntil',
] as const;

/**
 * Answers a flow has no reason to keep: the digits are a one-time secret until the caller has
 * pressed them (the flow speaks them; it must not copy them into contact attributes).
 */
export const CHALLENGE_SENSITIVE_OUTPUTS = ['digits', 'digitsSpoken'] as const;

/** `challenge` answers within 2 s: at most two store requests, each inside the store's timeouts. */
export const CHALLENGE_BUDGET_MS = 2000;

/** The Secrets Manager secret whose value (at least 32 bytes) keys the challenge tokens. */
export const CHALLENGE_SECRET_VARIABLE = 'FLOWGUARD_CHALLENGE_SECRET_ID';

/** What `readChallengeConfig` reads, besides the screening variables (identity, table, store). */
export const CHALLENGE_VARIABLES: readonly VariableSpec[] = [
  {
    name: CHALLENGE_SECRET_VARIABLE,
    values: 'secret id or ARN',
    stack: 'challengeSecret',
    default: 'none: every call answers `error=not_configured`, `passed=false`',
    meaning:
      'the HMAC key of the challenge tokens, base64 of 32 bytes or more (AWSCURRENT issues; AWSPREVIOUS is also accepted on verify during a rotation)',
  },
  {
    name: 'FLOWGUARD_CHALLENGE_TTL_SECONDS',
    values: 'integer 10..600',
    default: '`60`',
    meaning: 'how long after `issue` the caller may answer a challenge',
  },
  {
    name: 'FLOWGUARD_VERIFIED_SECONDS',
    values: 'integer 0..2592000',
    default: '`86400`',
    meaning:
      "how long a passed challenge marks the caller verified (`verifiedUntil` on the caller's item); `0` marks nothing",
  },
  {
    name: 'FLOWGUARD_CHALLENGE_FAIL_MODE',
    values: '`open`, `closed`',
    default: '`open`',
    meaning:
      'when the key or the store cannot be reached: `open` still checks the digits where it can (the key is there) and passes a right answer unclaimed, `closed` answers `passed=false`',
  },
];
