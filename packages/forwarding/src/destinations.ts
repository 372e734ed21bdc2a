// The four destinations behind one interface: each takes a chunk of entries within its service's
// limits and says which entries it refused and why. A whole request that fails throws (the SDK
// client has already retried it); entries refused inside a successful request come back here,
// and the caller retries those alone.
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RegionalClients } from './clients.js';
import { asPrefix } from './config.js';
import { ForwardingError } from './errors.js';
import type { Destination, DestinationType } from './policy.js';

/** One minimised record on its way out. */
export interface OutgoingEntry {
  /** Its record's position in the batch. */
  readonly index: number;
  /** The Kinesis partition key: the contact id, so one contact's versions stay in order. */
  readonly partitionKey: string;
  /** The minimised record, JSON. */
  readonly json: string;
  readonly bytes: Buffer;
  /** `LastUpdateTimestamp`, for an event's `Time`. */
  readonly time: Date | undefined;
  /** Where the record came from: the object key of an S3 destination is made of these. */
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** Epoch ms the record reached the source stream (the same on every redelivery). */
  readonly arrivedAt: number;
}

export interface BatchLimits {
  readonly maxEntries: number;
  readonly maxRequestBytes: number;
  readonly maxEntryBytes: number;
}

export interface EntryFailure {
  readonly entry: OutgoingEntry;
  /** The service's error code for the entry (`ProvisionedThroughputExceededException`, ...). */
  readonly code: string;
  /** A passing failure (throttling, an internal error): worth another try. */
  readonly retryable: boolean;
}

export interface DestinationSender {
  readonly type: DestinationType;
  readonly limits: BatchLimits;
  /** What the entry counts for against the limits. */
  entryBytes(entry: OutgoingEntry): number;
  /** Sends one chunk; resolves with the entries refused. Throws when the request fails as a whole. */
  send(entries: readonly OutgoingEntry[], signal?: AbortSignal): Promise<EntryFailure[]>;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * PutRecordBatch: 500 records, 1,000 KiB a record (before base64), 4 MiB a call.
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
 */
export const FIREHOSE_LIMITS: BatchLimits = {
  maxEntries: 500,
  maxRequestBytes: 4 * MiB,
  maxEntryBytes: 1000 * KiB,
};

/**
 * PutRecords: 500 records, 1 MiB a record and 5 MiB a call, partition keys included. Streams can
 * now be set to take records up to 10 MiB; 1 MiB holds on every stream.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
 */
export const KINESIS_LIMITS: BatchLimits = {
  maxEntries: 500,
  maxRequestBytes: 5 * MiB,
  maxEntryBytes: 1 * MiB,
};

/**
 * PutEvents: 10 entries, 256 KiB for all the entries of a call (Time counts 14 bytes, Source,
 * DetailType and Detail their UTF-8 bytes). Event buses take 1 MB events since January 2026;
 * 256 KiB holds on every bus and endpoint.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
export const EVENTBRIDGE_LIMITS: BatchLimits = {
  maxEntries: 10,
  maxRequestBytes: 256 * KiB,
  maxEntryBytes: 256 * KiB,
};

/** One JSON Lines object per policy per batch: no limit a contact-record batch can reach. */
export const S3_LIMITS: BatchLimits = {
  maxEntries: Number.POSITIVE_INFINITY,
  maxRequestBytes: Number.POSITIVE_INFINITY,
  maxEntryBytes: Number.POSITIVE_INFINITY,
};

/**
 * Codes that say the entry itself is at fault, so another try cannot help: the record goes to the
 * dead letters instead of holding the shard. Any other code (throttling, an internal error, a key
 * or permission problem that affects every record) is retried and, failing that, reported.
 */
const REJECTED_CODES: ReadonlySet<string> = new Set([
  'InvalidArgument',
  'InvalidArgumentException',
  'MalformedDetail',
  'ValidationException',
]);

function failure(entry: OutgoingEntry, code: string | undefined): EntryFailure {
  const known = code ?? 'InternalFailure';
  return { entry, code: known, retryable: !REJECTED_CODES.has(known) };
}

/** What a destination ARN names: `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export interface ArnParts {
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

/** The parts of an ARN; `undefined` for a name (the policy schema holds ARNs to their shape). */
export function arnParts(value: string): ArnParts | undefined {
  if (!value.startsWith('arn:')) return undefined;
  const [, , , region, account, ...resource] = value.split(':');
  if (!region || !account || resource.length === 0) return undefined;
  return { region, account, resource: resource.join(':') };
}

/** The function's account from Lambda's `invokedFunctionArn`; `undefined` outside Lambda. */
export function accountOfFunctionArn(arn: string | undefined): string | undefined {
  const account = arn === undefined ? undefined : arnParts(arn)?.account;
  return account && /^[0-9]{12}$/.test(account) ? account : undefined;
}

interface RegionConfigured {
  readonly config: { readonly region: unknown };
}

/** The region a client was made for; `undefined` when it has none. */
async function regionOf(client: RegionConfigured): Promise<string | undefined> {
  try {
    const region = client.config.region;
    const value: unknown = typeof region === 'function' ? await (region as () => unknown)() : region;
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The client for a destination: `own` for a name or an ARN of `own`'s region, else a client of the
 * ARN's region. The SDK sends every request to its client's region, whatever ARN the request
 * carries: a Firehose request (a stream name only) would reach another stream, a Kinesis or
 * EventBridge one the wrong regional endpoint. Chosen on the first send and kept.
 */
function clientFor<C extends RegionConfigured>(
  own: C,
  region: string | undefined,
  inRegion: ((region: string) => C) | undefined,
): () => Promise<C> {
  if (region === undefined) return async () => own;
  let chosen: Promise<C> | undefined;
  const choose = async (): Promise<C> => {
    if ((await regionOf(own)) === region) return own;
    if (!inRegion) {
      throw new ForwardingError('no_client', `no client for the destination's region ${region}`);
    }
    return inRegion(region);
  };
  return () => {
    chosen ??= choose().catch((error: unknown) => {
      chosen = undefined;
      throw error;
    });
    return chosen;
  };
}

/**
 * Firehose: PutRecordBatch takes the stream's name and nothing else (no ARN, no account), so a
 * stream named by ARN is reached through a client of the ARN's region, in the caller's own account.
 * A stream of another account cannot be reached this way; the policy check refuses one
 * (`firehoseAccountIssues`).
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
 */
export function firehoseSender(
  client: FirehoseClient,
  deliveryStream: string,
  inRegion?: (region: string) => FirehoseClient,
): DestinationSender {
  const arn = arnParts(deliveryStream);
  const DeliveryStreamName = arn ? arn.resource.replace(/^deliverystream\//, '') : deliveryStream;
  const target = clientFor(client, arn?.region, inRegion);
  // A newline after each record: Firehose concatenates, and S3 then holds JSON Lines.
  const NEWLINE = 1;
  return {
    type: 'firehose',
    limits: FIREHOSE_LIMITS,
    entryBytes: (entry) => entry.bytes.length + NEWLINE,
    async send(entries, signal) {
      const out = await (await target()).send(
        new PutRecordBatchCommand({
          DeliveryStreamName,
          Records: entries.map((e) => ({ Data: Buffer.concat([e.bytes, Buffer.from('\n')]) })),
        }),
        { abortSignal: signal },
      );
      if (!out.FailedPutCount) return [];
      const responses = out.RequestResponses ?? [];
      return entries.flatMap((entry, i) => {
        const response = responses[i];
        return response?.RecordId && !response.ErrorCode ? [] : [failure(entry, response?.ErrorCode)];
      });
    },
  };
}

/** Kinesis: a stream ARN goes as `StreamARN` (another account's, with its resource policy), through a client of its region. */
export function kinesisSender(
  client: KinesisClient,
  stream: string,
  inRegion?: (region: string) => KinesisClient,
): DestinationSender {
  const arn = arnParts(stream);
  const target = arn ? { StreamARN: stream } : { StreamName: stream };
  const clientOf = clientFor(client, arn?.region, inRegion);
  return {
    type: 'kinesis',
    limits: KINESIS_LIMITS,
    entryBytes: (entry) => entry.bytes.length + Buffer.byteLength(entry.partitionKey, 'utf8'),
    async send(entries, signal) {
      const out = await (await clientOf()).send(
        new PutRecordsCommand({
          ...target,
          Records: entries.map((e) => ({ Data: e.bytes, PartitionKey: e.partitionKey })),
        }),
        { abortSignal: signal },
      );
      if (!out.FailedRecordCount) return [];
      const records = out.Records ?? [];
      return entries.flatMap((entry, i) => {
        const record = records[i];
        return record?.SequenceNumber && !record.ErrorCode ? [] : [failure(entry, record?.ErrorCode)];
      });
    },
  };
}

/** Time counts 14 bytes in EventBridge's entry size. */
const EVENT_TIME_BYTES = 14;

/** EventBridge: a bus ARN goes as `EventBusName` (another account's, with its resource policy), through a client of its region. */
export function eventBridgeSender(
  client: EventBridgeClient,
  target: { readonly eventBus: string; readonly source: string; readonly detailType: string },
  inRegion?: (region: string) => EventBridgeClient,
): DestinationSender {
  const clientOf = clientFor(client, arnParts(target.eventBus)?.region, inRegion);
  const fixed = Buffer.byteLength(target.source, 'utf8') + Buffer.byteLength(target.detailType, 'utf8');
  return {
    type: 'eventbridge',
    limits: EVENTBRIDGE_LIMITS,
    entryBytes: (entry) => fixed + entry.bytes.length + (entry.time ? EVENT_TIME_BYTES : 0),
    async send(entries, signal) {
      const out = await (await clientOf()).send(
        new PutEventsCommand({
          Entries: entries.map((e) => ({
            EventBusName: target.eventBus,
            Source: target.source,
            DetailType: target.detailType,
            Detail: e.json,
            ...(e.time ? { Time: e.time } : {}),
          })),
        }),
        { abortSignal: signal },
      );
      if (!out.FailedEntryCount) return [];
      const results = out.Entries ?? [];
      return entries.flatMap((entry, i) => {
        const result = results[i];
        return result?.EventId && !result.ErrorCode ? [] : [failure(entry, result?.ErrorCode)];
      });
    },
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026/01/15/` from epoch ms, in UTC. */
export function datePath(epochMs: number): string {
  const date = new Date(epochMs);
  return `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}/`;
}

/**
 * The object key for a chunk: `<prefix><yyyy>/<mm>/<dd>/<shardId>-<first sequence>-<last>.jsonl`,
 * the date the first record reached the stream. The same records give the same key, so a
 * redelivered batch overwrites its object instead of adding one.
 */
export function s3ObjectKey(prefix: string, entries: readonly OutgoingEntry[]): string {
  const first = entries[0];
  const last = entries[entries.length - 1];
  if (!first || !last) throw new RangeError('an S3 object needs at least one entry');
  return `${asPrefix(prefix)}${datePath(first.arrivedAt)}${first.shardId}-${first.sequenceNumber}-${last.sequenceNumber}.jsonl`;
}

export function s3Sender(
  client: S3Client,
  target: { readonly bucket: string; readonly prefix?: string; readonly kmsKeyId?: string },
): DestinationSender {
  return {
    type: 's3',
    limits: S3_LIMITS,
    entryBytes: (entry) => entry.bytes.length + 1,
    async send(entries, signal) {
      await client.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: s3ObjectKey(target.prefix ?? '', entries),
          Body: Buffer.concat(entries.flatMap((e) => [e.bytes, Buffer.from('\n')])),
          ContentType: 'application/x-ndjson',
          ...(target.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: target.kmsKeyId } : {}),
        }),
        { abortSignal: signal },
      );
      return [];
    },
  };
}

export interface DestinationClients {
  readonly firehose: FirehoseClient;
  readonly kinesis: KinesisClient;
  readonly eventBridge: EventBridgeClient;
  readonly regional: RegionalClients;
  readonly s3: S3Client;
}

/** The sender for a policy's destination; clients are asked for only when used. */
export function senderFor(destination: Destination, clients: DestinationClients): DestinationSender {
  switch (destination.type) {
    case 'firehose':
      return firehoseSender(clients.firehose, destination.deliveryStream, (region) =>
        clients.regional('firehose', region),
      );
    case 'kinesis':
      return kinesisSender(clients.kinesis, destination.stream, (region) =>
        clients.regional('kinesis', region),
      );
    case 'eventbridge':
      return eventBridgeSender(clients.eventBridge, destination, (region) =>
        clients.regional('eventBridge', region),
      );
    case 's3':
      return s3Sender(clients.s3, destination);
  }
}

/**
 * Splits entries, in order, into chunks within the limits. An entry larger than one entry may be
 * is set aside (`tooLarge`): it goes to the dead letters rather than blocking the shard.
 */
export function chunkEntries(
  entries: readonly OutgoingEntry[],
  sender: Pick<DestinationSender, 'limits' | 'entryBytes'>,
): { chunks: OutgoingEntry[][]; tooLarge: OutgoingEntry[] } {
  const { maxEntries, maxRequestBytes, maxEntryBytes } = sender.limits;
  const chunks: OutgoingEntry[][] = [];
  const tooLarge: OutgoingEntry[] = [];
  let current: OutgoingEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = sender.entryBytes(entry);
    if (size > maxEntryBytes || size > maxRequestBytes) {
      tooLarge.push(entry);
      continue;
    }
    if (current.length === maxEntries || bytes + size > maxRequestBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return { chunks, tooLarge };
}
