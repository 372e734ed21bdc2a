import { STREAM_FUNCTIONS, type StreamFunctionName } from '@flowguard/functions/registry';
import { Arn, type Stack, type aws_s3 as s3, Token } from 'aws-cdk-lib';
import type { EndpointService } from './network.js';

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
  /**
   * Where the functions read the policy from (default `inline`):
   * - `inline`: the compacted document in `FLOWGUARD_FORWARD_POLICY` (at most
   *   {@link MAX_INLINE_POLICY_BYTES}: Lambda takes 4 KB of variables in all);
   * - `parameter`: an SSM String parameter the stack creates with the document (standard tier up to
   *   4 KB, advanced up to 8 KB), named in `FLOWGUARD_FORWARD_POLICY_PARAMETER`; the roles may
   *   `ssm:GetParameter` that one parameter.
   * Either way the stack reads the same document at synth for the grants.
   */
  readonly policySource?: PolicySourceKind;
  /**
   * Key prefix of the dead letters in the dead-letter bucket (`FLOWGUARD_FORWARD_DEAD_LETTER_PREFIX`;
   * a `/` is added when missing): they go under `<prefix>dead-letter/`, and the grant covers that
   * and nothing else. Letters, digits and `! - _ . ' ( ) /`; no leading `/`, no empty or `.`/`..`
   * segment, at most 256 characters.
   */
  readonly deadLetterPrefix?: string;
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
  policyParameter: 'FLOWGUARD_FORWARD_POLICY_PARAMETER',
  deadLetterBucket: 'FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET',
  deadLetterPrefix: 'FLOWGUARD_FORWARD_DEAD_LETTER_PREFIX',
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

/** A destination, with the JSON path of the field that names it (`path`, for errors). */
type Destination =
  | { type: 'firehose'; deliveryStream: string; path: string }
  | { type: 'kinesis'; stream: string; path: string }
  | { type: 'eventbridge'; eventBus: string; path: string }
  | { type: 's3'; bucket: string; prefix: string; kmsKeyId?: string; path: string };

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
            path: `${p}/deliveryStream`,
          });
          break;
        case 'kinesis':
          destinations.push({ type: 'kinesis', stream: text_(d.stream, `${p}/stream`), path: `${p}/stream` });
          break;
        case 'eventbridge':
          destinations.push({
            type: 'eventbridge',
            eventBus: text_(d.eventBus, `${p}/eventBus`),
            path: `${p}/eventBus`,
          });
          break;
        case 's3':
          destinations.push({
            type: 's3',
            bucket: text_(d.bucket, `${p}/bucket`),
            prefix: optional(d.prefix, `${p}/prefix`) ?? '',
            kmsKeyId: optional(d.kmsKeyId, `${p}/kmsKeyId`),
            path: `${p}/bucket`,
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

export type PolicySourceKind = 'inline' | 'parameter';

/** Lambda takes 4 KB of environment variables in all: what is left for the policy beside the others. */
export const MAX_INLINE_POLICY_BYTES = 3072;
/** SSM's limits on a parameter's value: 4 KB in the standard tier, 8 KB in the advanced one. */
export const MAX_STANDARD_PARAMETER_BYTES = 4096;
export const MAX_ADVANCED_PARAMETER_BYTES = 8192;

/** The policy compacted (what the function or the parameter gets), and its size in bytes. */
export function compactPolicy(text: string): { text: string; bytes: number } {
  const compact = JSON.stringify(JSON.parse(text));
  return { text: compact, bytes: Buffer.byteLength(compact) };
}

/**
 * Where the compacted policy goes: inline when asked and it fits, else the SSM tier it fits in.
 * Throws naming the limit it is over, and what to do.
 */
export function policyPlacement(
  bytes: number,
  source: PolicySourceKind,
): { kind: 'inline' } | { kind: 'parameter'; tier: 'Standard' | 'Advanced' } {
  if (source === 'inline') {
    if (bytes <= MAX_INLINE_POLICY_BYTES) return { kind: 'inline' };
    throw new Error(
      `contactRecords.policy: ${bytes} bytes compacted, over the ${MAX_INLINE_POLICY_BYTES} that fit in a Lambda environment beside the other variables: store it in an SSM parameter with policySource: 'parameter' (-c forwardPolicySource=parameter)`,
    );
  }
  if (bytes <= MAX_STANDARD_PARAMETER_BYTES) return { kind: 'parameter', tier: 'Standard' };
  if (bytes <= MAX_ADVANCED_PARAMETER_BYTES) return { kind: 'parameter', tier: 'Advanced' };
  throw new Error(
    `contactRecords.policy: ${bytes} bytes compacted, over the ${MAX_ADVANCED_PARAMETER_BYTES} an SSM parameter holds (advanced tier): split the policies, or shorten names and ARNs`,
  );
}

/** What `FLOWGUARD_FORWARD_DEAD_LETTER_PREFIX` may be here: the function's characters, less `*` (it would widen the grant). */
const DEAD_LETTER_PREFIX = /^[A-Za-z0-9!_.'()/-]{1,256}$/;

/**
 * A dead-letter prefix as the function uses it (`a/b` → `a/b/`), or throws naming the rule it breaks.
 * Refused: a leading `/` (S3 keys do not start with one), an empty, `.` or `..` segment, `*` (a
 * wildcard in the IAM grant), anything outside letters, digits and `! - _ . ' ( ) /`.
 */
export function deadLetterPrefixOf(value: string): string {
  const fail = (message: string): never => {
    throw new Error(`contactRecords.deadLetterPrefix: ${message}`);
  };
  if (Token.isUnresolved(value)) fail('must be known at synth (the grant is scoped to it)');
  if (!DEAD_LETTER_PREFIX.test(value)) {
    fail("1 to 256 of letters, digits and ! - _ . ' ( ) / (no * : it would widen the grant)");
  }
  if (value.startsWith('/')) fail('must not start with /');
  const segments = value.replace(/\/$/, '').split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    fail('no empty, . or .. segment (// or a dot segment)');
  }
  return value.endsWith('/') ? value : `${value}/`;
}

/** The region an ARN names (`arn:partition:service:region:...`), when it names one. */
export function arnRegion(value: string): string | undefined {
  if (!value.startsWith('arn:') || Token.isUnresolved(value)) return undefined;
  const region = value.split(':')[3];
  return region ? region : undefined;
}

/** The account an ARN names (`arn:partition:service:region:account:...`), when it names one. */
export function arnAccount(value: string): string | undefined {
  if (!value.startsWith('arn:') || Token.isUnresolved(value)) return undefined;
  const account = value.split(':')[4];
  return account ? account : undefined;
}

/**
 * The Firehose streams the policy names by ARN, with the account each names, by JSON path. A
 * Firehose stream must be in the function's account: PutRecordBatch takes a stream name, which
 * reaches the caller's own account only, and the function assumes no role. (Kinesis streams and
 * event buses are called by ARN and may be in other accounts, with a resource policy.)
 */
export function firehoseAccounts(grants: PolicyGrants): { path: string; account: string }[] {
  return grants.destinations.flatMap((d) => {
    const account = d.type === 'firehose' ? arnAccount(d.deliveryStream) : undefined;
    return account ? [{ path: d.path, account }] : [];
  });
}

/** The destinations the policy names by an ARN with a region (S3 bucket ARNs carry none), by JSON path. */
export function namedRegions(grants: PolicyGrants): { path: string; region: string }[] {
  return grants.destinations.flatMap((d) => {
    const value =
      d.type === 'firehose'
        ? d.deliveryStream
        : d.type === 'kinesis'
          ? d.stream
          : d.type === 'eventbridge'
            ? d.eventBus
            : undefined;
    const region = value === undefined ? undefined : arnRegion(value);
    return region ? [{ path: d.path, region }] : [];
  });
}

/**
 * The AWS APIs the stream functions call themselves, hence the endpoints they need in a VPC: S3
 * (dead letters, an S3 destination, the recordings copy), each destination type the policy names,
 * Secrets Manager when a policy hashes (the fingerprint key), SSM when the policy is a parameter.
 * Not Kinesis for the source stream (Lambda's event source mapping reads it, outside the
 * function's network), not SQS (the mapping sends failed batches), not KMS (S3 and Secrets Manager
 * call it), not Logs (Lambda ships the function's output; metrics are log lines).
 */
export function streamEndpointServices(grants: PolicyGrants, source: PolicySourceKind): Set<EndpointService> {
  const services = new Set<EndpointService>(['s3']);
  const byType = { firehose: 'firehose', kinesis: 'kinesis', eventbridge: 'events', s3: 's3' } as const;
  for (const d of grants.destinations) services.add(byType[d.type]);
  if (grants.hashes) services.add('secretsmanager');
  if (source === 'parameter') services.add('ssm');
  return services;
}
