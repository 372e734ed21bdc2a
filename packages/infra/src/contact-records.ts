import { STREAM_FUNCTIONS, type StreamFunctionName } from '@flowguard/functions/registry';
import { Arn, type Stack, type aws_s3 as s3, Token } from 'aws-cdk-lib';

/**
 * The contact-record stream's functions (docs/data-minimisation.md): forward-contact-records and
 * forward-recordings on Connect's contact-record Kinesis stream, each through its own event source
 * mapping, granted exactly the destinations the policy document names.
 */
export interface ContactRecordsProps {
  /** ARN of the Kinesis data stream Connect writes contact records to. */
  readonly streamArn: string;
  /** The KMS key of that stream, when it is encrypted with a customer-managed key (kms:Decrypt, via Kinesis). */
  readonly streamKeyArn?: string;
  /**
   * The policy document, JSON: set as `FLOWGUARD_FORWARD_POLICY` and read at synth for the grants.
   * The stack checks only what the grants need; the function validates the whole document at init
   * (the deploy's smoke test fails on a bad one).
   */
  readonly policy: string;
  /** Where dead letters go (default: an encrypted, versioned, access-logged bucket the construct creates). */
  readonly deadLetterBucket?: s3.IBucket;
  /** ARN of the bucket Connect stores recordings and transcripts in (required when a policy copies recordings). */
  readonly recordingsBucketArn?: string;
  /** Key prefix of the recordings in that bucket (e.g. `connect/<instance alias>/`; default: the whole bucket). */
  readonly recordingsPrefix?: string;
  /** The KMS key Connect encrypts the recordings with (kms:Decrypt for the copy source). */
  readonly recordingsKeyArn?: string;
}

/**
 * The variables the stack sets on the stream functions, by the names @flowguard/forwarding's
 * contract gives them (POLICY_VARIABLE, ...). The registry holds the contract's lists;
 * `streamVariable` refuses a name the function does not read.
 */
export const STREAM_VARIABLES = {
  policy: 'FLOWGUARD_FORWARD_POLICY',
  deadLetterBucket: 'FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET',
  deadLetterKey: 'FLOWGUARD_FORWARD_DEAD_LETTER_KMS_KEY_ID',
} as const;

export function streamVariable(fn: StreamFunctionName, key: keyof typeof STREAM_VARIABLES): string {
  const name = STREAM_VARIABLES[key];
  const definition = STREAM_FUNCTIONS.find((f) => f.name === fn);
  if (!definition?.variables.some((v) => v.name === name)) throw new Error(`${fn} reads no ${name}`);
  return name;
}

/** Lambda's event source mapping, as docs/data-minimisation.md ("Running them") asks. */
export const EVENT_SOURCE = {
  startingPosition: 'TRIM_HORIZON',
  /** Firehose takes 500 records a call: one full batch is at most one call per policy. */
  batchSize: 500,
  maximumBatchingWindowInSeconds: 5,
  /** Bounded: about an hour of 60 s attempts before the batch's position goes to the on-failure queue. */
  maximumRetryAttempts: 50,
  /** The functions report the first record they could not handle; bisecting adds nothing. */
  bisectBatchOnFunctionError: false,
  /** One batch per shard at a time: records of a shard are forwarded in order. */
  parallelizationFactor: 1,
} as const;

/** What the policy document asks of the stack: the destinations each function writes to. */
export interface PolicyGrants {
  /** forward-contact-records: one entry per destination. */
  readonly destinations: readonly Destination[];
  /** forward-recordings: one entry per recordings target. */
  readonly recordings: readonly { bucket: string; prefix: string; kmsKeyId: string }[];
  /** A policy hashes attributes: forward-contact-records reads the fingerprint key. */
  readonly hashes: boolean;
}

type Destination =
  | { type: 'firehose'; deliveryStream: string }
  | { type: 'kinesis'; stream: string }
  | { type: 'eventbridge'; eventBus: string }
  | { type: 's3'; bucket: string; prefix: string; kmsKeyId?: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads from the policy document what the grants follow from. Data only: the full check (the
 * schema and its rules, @flowguard/forwarding's `parsePolicyDocument`) runs at the function's init,
 * since importing it here would load the forwarding package and the AWS SDK into every synth.
 * Errors name a JSON path, never a value.
 */
export function policyGrants(text: string): PolicyGrants {
  const fail: (path: string, message: string) => never = (path, message) => {
    throw new Error(`contactRecords.policy: ${path}: ${message}`);
  };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return fail('', 'is not JSON');
  }
  if (!isObject(document) || document.version !== 1) return fail('/version', 'must be 1');
  const policies = document.policies;
  if (!Array.isArray(policies) || policies.length === 0) return fail('/policies', 'must be a non-empty list');
  const destinations: Destination[] = [];
  const recordings: PolicyGrants['recordings'][number][] = [];
  let hashes = false;
  const text_ = (value: unknown, path: string): string =>
    typeof value === 'string' && value !== '' ? value : fail(path, 'must be a non-empty string');
  const optional = (value: unknown, path: string): string | undefined =>
    value === undefined ? undefined : text_(value, path);
  for (const [i, policy] of (policies as unknown[]).entries()) {
    const at = `/policies/${i}`;
    if (!isObject(policy)) fail(at, 'must be an object');
    if (Array.isArray(policy.hash) && policy.hash.length > 0) hashes = true;
    const d = policy.destination;
    if (d !== undefined) {
      if (!isObject(d)) fail(`${at}/destination`, 'must be an object');
      const p = `${at}/destination`;
      switch (d.type) {
        case 'firehose':
          destinations.push({
            type: 'firehose',
            deliveryStream: text_(d.deliveryStream, `${p}/deliveryStream`),
          });
          break;
        case 'kinesis':
          destinations.push({ type: 'kinesis', stream: text_(d.stream, `${p}/stream`) });
          break;
        case 'eventbridge':
          destinations.push({ type: 'eventbridge', eventBus: text_(d.eventBus, `${p}/eventBus`) });
          break;
        case 's3':
          destinations.push({
            type: 's3',
            bucket: text_(d.bucket, `${p}/bucket`),
            prefix: optional(d.prefix, `${p}/prefix`) ?? '',
            kmsKeyId: optional(d.kmsKeyId, `${p}/kmsKeyId`),
          });
          break;
        default:
          fail(`${p}/type`, 'must be one of firehose, kinesis, eventbridge, s3');
      }
    }
    const r = policy.recordings;
    if (r !== undefined) {
      if (!isObject(r)) fail(`${at}/recordings`, 'must be an object');
      recordings.push({
        bucket: text_(r.bucket, `${at}/recordings/bucket`),
        prefix: optional(r.prefix, `${at}/recordings/prefix`) ?? '',
        kmsKeyId: text_(r.kmsKeyId, `${at}/recordings/kmsKeyId`),
      });
    }
    if (d === undefined && r === undefined) fail(at, 'needs a destination or recordings');
  }
  return { destinations, recordings, hashes };
}

/** A name or an ARN (as the policy allows) as the ARN of a resource in this stack's account and region. */
export function resourceArn(stack: Stack, value: string, service: 'firehose' | 'kinesis' | 'events'): string {
  if (value.startsWith('arn:')) return value;
  const resource = { firehose: 'deliverystream', kinesis: 'stream', events: 'event-bus' }[service];
  return Arn.format({ service, resource, resourceName: value }, stack);
}

/** A KMS key id or ARN as an ARN; an alias cannot be scoped to one key and is refused. */
export function keyArn(stack: Stack, value: string, path: string): string {
  if (Token.isUnresolved(value) || value.startsWith('arn:')) {
    if (/:alias\//.test(value)) throw new Error(`${path}: give the key's id or ARN, not an alias`);
    return value;
  }
  if (value.startsWith('alias/')) throw new Error(`${path}: give the key's id or ARN, not an alias`);
  return Arn.format({ service: 'kms', resource: 'key', resourceName: value }, stack);
}

/** The objects under a prefix of a bucket (a bucket name, or an S3 bucket ARN). */
export function objectsArn(stack: Stack, bucket: string, prefix: string): string {
  const bucketArn = bucket.startsWith('arn:') ? bucket : `arn:${stack.partition}:s3:::${bucket}`;
  return `${bucketArn}/${prefix}*`;
}
