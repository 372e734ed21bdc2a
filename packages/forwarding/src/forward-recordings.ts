// forward-recordings: on the contact-record stream, the recordings and transcripts of contacts a
// policy matches are copied to the policy's bucket, server-side (CopyObject: nothing passes through
// the function), under the policy's KMS key, tagged with the contact id and the policy. The
// destination key follows from the source key, and a copy whose destination already holds the
// same source ETag is skipped, so a redelivered record copies nothing twice.
//
// Why the record stream and not the recordings bucket's object-created events: an object event
// carries a bucket and key, not the queue or attributes a policy matches on; each would cost a
// Connect DescribeContact call (throttled per account) to learn them. The contact record already
// holds both the match fields and every recording's location.
import {
  CopyObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { errorAttributes } from '@flowguard/contact';
import { BatchMetrics } from './batch-metrics.js';
import { type ClientFactories, FORWARDING_CLIENT_OPTIONS } from './clients.js';
import type { CompiledPolicy } from './compile.js';
import { asPrefix } from './config.js';
import type { ContactRecord } from './contact-record.js';
import { FORWARD_RECORDINGS } from './contract.js';
import { backoffMs, runInOrder, type Task } from './delivery.js';
import type { RecordingsTarget } from './policy.js';
import {
  batchResponse,
  type DecodedRecord,
  deadLetterTask,
  decodeBatch,
  type ForwardingDeps,
  finish,
  type InvocationClock,
  invocationClock,
  type KinesisBatchHandler,
  policiesOrThrow,
  type Runtime,
  retryOptions,
  runtimeOf,
  undecodedTasks,
} from './runtime.js';

/** S3 for the copies and the dead letters, and the policy's homes: no destination client is bundled. */
const CLIENTS: ClientFactories = {
  s3: () => new S3Client(FORWARDING_CLIENT_OPTIONS),
  ssm: () => new SSMClient(FORWARDING_CLIENT_OPTIONS),
  secretsManager: () => new SecretsManagerClient(FORWARDING_CLIENT_OPTIONS),
};

/** One recording or transcript a record names, in S3. */
export interface RecordingLocation {
  readonly bucket: string;
  readonly key: string;
  /** `AUDIO`, `VIDEO`, `CHAT`, or the legacy `Recording.Type`. */
  readonly kind: string | undefined;
  /** The field it came from (`Recordings.0.Location`), for a dead letter's detail. */
  readonly field: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** CopyObject copies objects up to 5 GiB; larger ones would need a multipart copy. */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;
/** Metadata on each copy: the source ETag it was made from. */
export const SOURCE_ETAG_METADATA = 'source-etag';

/** `bucket/key` (Connect's form), or `s3://bucket/key`; `undefined` when it is neither. */
export function parseLocation(location: string): { bucket: string; key: string } | undefined {
  const path = location.startsWith('s3://') ? location.slice(5) : location;
  const slash = path.indexOf('/');
  if (slash < 0) return undefined;
  const bucket = path.slice(0, slash);
  const key = path.slice(slash + 1);
  return BUCKET.test(bucket) && key !== '' ? { bucket, key } : undefined;
}

/**
 * The recordings and transcripts of a record a target takes: every `Recordings` entry stored in
 * S3 and not deleted, and the legacy `Recording` when it names another object; filtered by the
 * target's media stream types. Locations that do not parse come back apart (`bad`).
 */
export function recordingLocations(
  record: ContactRecord,
  target: RecordingsTarget,
): { readonly locations: RecordingLocation[]; readonly bad: string[] } {
  const kinds = target.mediaStreamTypes ? new Set(target.mediaStreamTypes) : undefined;
  const seen = new Set<string>();
  const locations: RecordingLocation[] = [];
  const bad: string[] = [];
  const take = (location: unknown, kind: unknown, status: unknown, field: string) => {
    if (typeof location !== 'string' || location === '' || status === 'DELETED') return;
    const kindName = typeof kind === 'string' ? kind : undefined;
    if (kinds && (kindName === undefined || !kinds.has(kindName))) return;
    if (seen.has(location)) return;
    seen.add(location);
    const parsed = parseLocation(location);
    if (parsed) locations.push({ ...parsed, kind: kindName, field });
    else bad.push(field);
  };
  (record.Recordings ?? []).forEach((entry, i) => {
    if (entry.StorageType && entry.StorageType !== 'S3') return;
    take(entry.Location, entry.MediaStreamType, entry.Status, `Recordings.${i}.Location`);
  });
  const legacy = record.Recording;
  if (legacy) take(legacy.Location, legacy.Type, legacy.Status, 'Recording.Location');
  return { locations, bad };
}

/** Where a recording goes: the policy's prefix, then the source key (unique in its bucket). */
export function destinationKey(target: RecordingsTarget, source: RecordingLocation): string {
  return `${asPrefix(target.prefix)}${source.key}`;
}

/** `bucket/key` for CopySource, each key segment URL-encoded. */
export function copySource(source: { bucket: string; key: string }): string {
  return `${source.bucket}/${source.key.split('/').map(encodeURIComponent).join('/')}`;
}

/** `contactId=<id>&policy=<name>`, URL-encoded as S3's Tagging header wants. */
export function copyTagging(contactId: string, policy: string): string {
  return `contactId=${encodeURIComponent(contactId)}&policy=${encodeURIComponent(policy)}`;
}

const unquote = (etag: string | undefined) => (etag ?? '').replaceAll('"', '');

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return name === 'NotFound' || name === 'NoSuchKey' || statusOf(error) === 404;
}

async function headOrUndefined(
  s3: S3Client,
  bucket: string,
  key: string,
  signal: AbortSignal | undefined,
): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  } catch (error) {
    // Without s3:ListBucket, S3 answers 403 for an object that is not there.
    if (isNotFound(error) || statusOf(error) === 403) return undefined;
    throw error;
  }
}

interface CopyJob {
  readonly index: number;
  readonly policy: CompiledPolicy;
  readonly target: RecordingsTarget;
  readonly record: ContactRecord;
  readonly source: RecordingLocation;
}

type CopyOutcome = 'copied' | 'already' | 'not_found' | 'too_large';

/** Head the source, head the destination, copy; again when the source changed in between. */
async function copyRecording(
  runtime: Runtime,
  clock: InvocationClock,
  job: CopyJob,
  signal: AbortSignal | undefined,
): Promise<CopyOutcome> {
  const s3 = runtime.clients.s3;
  const key = destinationKey(job.target, job.source);
  const retry = retryOptions(runtime, clock);
  for (let attempt = 1; ; attempt++) {
    const again = attempt < retry.maxAttempts && clock.inTime();
    const head = await headOrUndefined(s3, job.source.bucket, job.source.key, signal);
    if (!head) {
      // Connect may list a recording a moment before it is written.
      if (!again) return 'not_found';
      await runtime.sleep(backoffMs(attempt, retry), signal);
      continue;
    }
    if ((head.ContentLength ?? 0) > MAX_COPY_BYTES) return 'too_large';
    const etag = unquote(head.ETag);
    const existing = await headOrUndefined(s3, job.target.bucket, key, signal);
    if (existing && existing.Metadata?.[SOURCE_ETAG_METADATA] === etag) return 'already';
    try {
      await s3.send(
        new CopyObjectCommand({
          Bucket: job.target.bucket,
          Key: key,
          CopySource: copySource(job.source),
          CopySourceIfMatch: head.ETag,
          MetadataDirective: 'REPLACE',
          Metadata: { [SOURCE_ETAG_METADATA]: etag },
          ...(head.ContentType ? { ContentType: head.ContentType } : {}),
          TaggingDirective: 'REPLACE',
          Tagging: copyTagging(job.record.ContactId, job.policy.name),
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: job.target.kmsKeyId,
        }),
        { abortSignal: signal },
      );
      return 'copied';
    } catch (error) {
      // 412: the source changed between the head and the copy; copy the new one.
      if (statusOf(error) !== 412 || !again) throw error;
    }
  }
}

function copyTask(
  runtime: Runtime,
  metrics: BatchMetrics,
  clock: InvocationClock,
  decoded: readonly DecodedRecord[],
  job: CopyJob,
): Task {
  const name = job.policy.name;
  const letter = (reason: 'recording_not_found' | 'too_large', detail: string) =>
    deadLetterTask(runtime, metrics, job.index, {
      reason,
      detail,
      policy: name,
      record: (decoded[job.index] as DecodedRecord).source,
    });
  return {
    first: job.index,
    async run(signal) {
      let outcome: CopyOutcome;
      try {
        outcome = await copyRecording(runtime, clock, job, signal);
      } catch (error) {
        metrics.addFor(name, 'Failed');
        runtime.logger.warn('recording not copied', { policy: name, ...errorAttributes(error) });
        return [job.index];
      }
      if (outcome === 'copied') metrics.addFor(name, 'RecordingsCopied');
      if (outcome === 'already') metrics.addFor(name, 'RecordingsAlreadyCopied');
      if (outcome === 'not_found') return letter('recording_not_found', job.source.field).run(signal);
      if (outcome === 'too_large')
        return letter('too_large', `${job.source.field}: over ${MAX_COPY_BYTES} bytes`).run(signal);
      return [];
    },
  };
}

/**
 * The forward-recordings logic as a Kinesis handler on the contact-record stream (with
 * `ReportBatchItemFailures`). The handler file is `forwardRecordings({ config:
 * readRecordingsForwardingConfig() })`.
 */
export function forwardRecordings(deps: ForwardingDeps): KinesisBatchHandler {
  const runtime = runtimeOf(FORWARD_RECORDINGS, deps, false, CLIENTS);
  return async (event, context) => {
    const clock = invocationClock(runtime, context);
    try {
      const policies = (await policiesOrThrow(runtime, clock)).policies.filter((p) => p.recordings);
      const decoded = decodeBatch(event);
      const metrics = new BatchMetrics();
      metrics.add('RecordsIn', decoded.length);
      const tasks = undecodedTasks(runtime, metrics, decoded);
      const parsed = decoded.filter((d) => d.record).length;
      for (const policy of policies) metrics.addFor(policy.name, 'RecordsIn', parsed);
      decoded.forEach(({ record, source }, index) => {
        if (!record) return;
        for (const policy of policies) {
          const target = policy.recordings as RecordingsTarget;
          if (!policy.matches(record)) {
            metrics.addFor(policy.name, 'Filtered');
            continue;
          }
          const { locations, bad } = recordingLocations(record, target);
          for (const field of bad) {
            tasks.push(
              deadLetterTask(runtime, metrics, index, {
                reason: 'bad_location',
                detail: field,
                policy: policy.name,
                record: source,
              }),
            );
          }
          for (const location of locations) {
            tasks.push(
              copyTask(runtime, metrics, clock, decoded, { index, policy, target, record, source: location }),
            );
          }
        }
      });
      const stopAt = await runInOrder(tasks, {
        concurrency: runtime.concurrency,
        canStart: clock.inTime,
        signal: clock.signal,
        onError: (error) => runtime.logger.error('task failed', errorAttributes(error)),
      });
      finish(runtime, metrics, decoded, stopAt, context);
      return batchResponse(decoded, stopAt);
    } finally {
      clock.done();
    }
  };
}
