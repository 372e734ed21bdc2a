// Records that cannot be forwarded as they are go to S3 with the reason and the record exactly as
// it came (base64), one object per record (and policy), at a key made from the record's position
// in the stream: a redelivery overwrites, never adds. The bucket holds raw contact records, so it
// must be as protected as the stream itself (same account, SSE-KMS, no wider read access).
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { DeadLetterConfig } from './config.js';
import { datePath } from './destinations.js';

/** Why a record was set aside. */
export type DeadLetterReason =
  | 'bad_base64'
  | 'not_json'
  | 'not_a_contact_record'
  | 'too_large'
  | 'rejected'
  | 'recording_not_found'
  | 'bad_location';

export interface DeadLetter {
  readonly reason: DeadLetterReason;
  /** A field path, an error code or a limit: never a value. */
  readonly detail: string;
  /** The policy it was set aside for; none when the record itself is unusable. */
  readonly policy?: string;
  readonly record: KinesisStreamRecord;
}

/** `shardId-000000000000:49590338271490256608559692538361571095921575989136588898` → the shard. */
export function shardIdOf(record: KinesisStreamRecord): string {
  const id = record.eventID ?? '';
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(0, colon) : 'shard';
}

export function arrivalMs(record: KinesisStreamRecord): number {
  const seconds = record.kinesis.approximateArrivalTimestamp;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0;
}

const SAFE = /[^A-Za-z0-9._-]/g;

export class DeadLetterWriter {
  constructor(
    private readonly client: S3Client,
    private readonly config: DeadLetterConfig,
    private readonly functionName: string,
  ) {}

  /** `<prefix>dead-letter/<yyyy>/<mm>/<dd>/<shardId>/<sequence number>[-<policy>].json` */
  keyOf(letter: DeadLetter): string {
    const { record } = letter;
    const sequence = record.kinesis.sequenceNumber.replace(SAFE, '_');
    const policy = letter.policy ? `-${letter.policy}` : '';
    return `${this.config.prefix}dead-letter/${datePath(arrivalMs(record))}${shardIdOf(record).replace(SAFE, '_')}/${sequence}${policy}.json`;
  }

  async write(letter: DeadLetter, signal?: AbortSignal): Promise<string> {
    const { record } = letter;
    const key = this.keyOf(letter);
    const body = {
      reason: letter.reason,
      detail: letter.detail,
      policy: letter.policy ?? null,
      function: this.functionName,
      eventSourceARN: record.eventSourceARN,
      eventID: record.eventID,
      sequenceNumber: record.kinesis.sequenceNumber,
      partitionKey: record.kinesis.partitionKey,
      approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
      data: record.kinesis.data,
    };
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.config.bucket,
        Key: key,
        Body: JSON.stringify(body),
        ContentType: 'application/json',
        ...(this.config.kmsKeyId
          ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.config.kmsKeyId }
          : {}),
      }),
      { abortSignal: signal },
    );
    return key;
  }
}
