// What forward-contact-records and forward-recordings promise the outside world: their (empty)
// answers, their time budget and the variables they read. Data only, so the function registry, the
// CDK stack and the docs can read it without loading the forwarding code or the AWS SDK.
import { HANDLER_VARIABLES, type VariableSpec } from '@flowguard/contact';

export const FORWARD_CONTACT_RECORDS = 'forward-contact-records';
export const FORWARD_RECORDINGS = 'forward-recordings';

/** Not flow functions: they answer Lambda's Kinesis event source, never a flow. */
export const FORWARD_CONTACT_RECORDS_OUTPUTS = [] as const;
export const FORWARD_RECORDINGS_OUTPUTS = [] as const;

/**
 * The Lambda timeout both should be given. They start no send or copy in the last
 * `FLOWGUARD_FORWARD_RESERVE_MS` of it, so a batch cut short is reported, never timed out.
 */
export const FORWARDING_BUDGET_MS = 60_000;

export const POLICY_VARIABLE = 'FLOWGUARD_FORWARD_POLICY';
export const POLICY_SECRET_VARIABLE = 'FLOWGUARD_FORWARD_POLICY_SECRET_ID';
export const POLICY_PARAMETER_VARIABLE = 'FLOWGUARD_FORWARD_POLICY_PARAMETER';
export const FINGERPRINT_SECRET_VARIABLE = 'FLOWGUARD_FINGERPRINT_SECRET_ID';

const ONE_OF = `exactly one of \`${POLICY_VARIABLE}\`, \`${POLICY_SECRET_VARIABLE}\`, \`${POLICY_PARAMETER_VARIABLE}\``;

/** The wrapper-style variables these functions read too (no budget: see FORWARDING_BUDGET_MS). */
const LOGGING_VARIABLES = HANDLER_VARIABLES.filter((v) =>
  ['FLOWGUARD_LOG_LEVEL', 'FLOWGUARD_METRICS', 'FLOWGUARD_METRICS_NAMESPACE'].includes(v.name),
);

const POLICY_VARIABLES: readonly VariableSpec[] = [
  {
    name: POLICY_VARIABLE,
    values: 'the policy document, JSON (docs/data-minimisation.md)',
    default: `none; ${ONE_OF}`,
    meaning: 'the forwarding policy, validated at init',
  },
  {
    name: POLICY_SECRET_VARIABLE,
    values: 'secret id or ARN',
    default: `none; ${ONE_OF}`,
    meaning: 'a Secrets Manager secret holding the policy document',
  },
  {
    name: POLICY_PARAMETER_VARIABLE,
    values: 'SSM parameter name or ARN (String or SecureString)',
    default: `none; ${ONE_OF}`,
    meaning: 'an SSM parameter holding the policy document, read with decryption',
  },
  {
    name: 'FLOWGUARD_FORWARD_POLICY_TTL_SECONDS',
    values: 'integer 10..3600',
    default: '`300`',
    meaning: 'how long a policy read from Secrets Manager or SSM is used before it is read again',
  },
];

const DEAD_LETTER_VARIABLES: readonly VariableSpec[] = [
  {
    name: 'FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET',
    values: 'S3 bucket name',
    default: '(required)',
    meaning:
      'where records that cannot be forwarded go, with the reason, under `dead-letter/`: as protected as the contact-record stream',
  },
  {
    name: 'FLOWGUARD_FORWARD_DEAD_LETTER_PREFIX',
    values: "S3 key prefix (letters, digits, `! - _ . * ' ( ) /`)",
    default: 'none',
    meaning: 'put before `dead-letter/`',
  },
  {
    name: 'FLOWGUARD_FORWARD_DEAD_LETTER_KMS_KEY_ID',
    values: 'KMS key id, ARN or alias',
    default: "none: the bucket's default encryption",
    meaning: 'dead letters are written with SSE-KMS under this key',
  },
];

const DELIVERY_VARIABLES: readonly VariableSpec[] = [
  {
    name: 'FLOWGUARD_FORWARD_MAX_ATTEMPTS',
    values: 'integer 1..10',
    default: '`4`',
    meaning:
      'tries per entry a destination refused for a passing reason (throttled), with jittered backoff; whole-request retries are the SDK client’s',
  },
  {
    name: 'FLOWGUARD_FORWARD_RESERVE_MS',
    values: 'integer 1000..30000',
    default: '`5000`',
    meaning: "no send or copy starts in the Lambda's last this-many milliseconds; what is left is reported",
  },
];

/** What `readForwardingConfig` reads (forward-contact-records). */
export const FORWARD_CONTACT_RECORDS_VARIABLES: readonly VariableSpec[] = [
  ...LOGGING_VARIABLES,
  ...POLICY_VARIABLES,
  {
    name: FINGERPRINT_SECRET_VARIABLE,
    values: 'secret id or ARN',
    default: 'none; required when a policy hashes attributes',
    meaning:
      'the fingerprint key, in secure-input’s format: `{"key":"<base64 of 32+ bytes>"}` or versioned keys',
    stack: 'fingerprintSecret',
  },
  ...DEAD_LETTER_VARIABLES,
  ...DELIVERY_VARIABLES,
];

/** What `readRecordingsForwardingConfig` reads (forward-recordings): no fingerprint key. */
export const FORWARD_RECORDINGS_VARIABLES: readonly VariableSpec[] = [
  ...LOGGING_VARIABLES,
  ...POLICY_VARIABLES,
  ...DEAD_LETTER_VARIABLES,
  ...DELIVERY_VARIABLES,
];
