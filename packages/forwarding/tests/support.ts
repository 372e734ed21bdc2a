// Test helpers: fixtures, Kinesis events as Lambda delivers them, configuration, sinks.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { type ForwardingConfig, readForwardingConfig } from '../src/index.js';

export const FIXTURES = [
  'contact-record-voice',
  'contact-record-chat',
  'contact-record-chat-transcript',
] as const;
export type Fixture = (typeof FIXTURES)[number];

const folder = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A fresh copy of a fixture contact record (parsed anew each call). */
export function loadContactRecord(name: Fixture): Record<string, unknown> & { ContactId: string } {
  return JSON.parse(readFileSync(`${folder}${name}.json`, 'utf8')) as Record<string, unknown> & {
    ContactId: string;
  };
}

/**
 * Contact records as published by others (tests/fixtures/published/, provenance in
 * tests/fixtures/README.md): real records as Connect emits them, nulls and all.
 */
export const PUBLISHED = ['voicebase-quickstart-voice'] as const;
export type Published = (typeof PUBLISHED)[number];

/** A fresh copy of a published contact record, exactly as published (parsed anew each call). */
export function loadPublishedRecord(name: Published): Record<string, unknown> & { ContactId: string } {
  return JSON.parse(readFileSync(`${folder}published/${name}.json`, 'utf8')) as Record<string, unknown> & {
    ContactId: string;
  };
}

/** A voice record like the documented sample, with its own contact id and fields changed. */
export function voiceRecord(
  overrides: Record<string, unknown> = {},
): Record<string, unknown> & { ContactId: string } {
  return { ...loadContactRecord('contact-record-voice'), ...overrides } as Record<string, unknown> & {
    ContactId: string;
  };
}

export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/connect-contact-records';
export const SHARD = 'shardId-000000000000';
/** 2026-01-15T09:16:00Z, in seconds, as Lambda gives `approximateArrivalTimestamp`. */
export const ARRIVAL = Date.UTC(2026, 0, 15, 9, 16, 0) / 1000;

/** A sequence number like Kinesis's (56 digits), increasing with `n`. */
export function sequenceNumber(n: number): string {
  return `4963${String(n).padStart(52, '0')}`;
}

/** One record as Lambda delivers it: `data` is base64 of the JSON (or of the raw string given). */
export function kinesisRecord(
  content: unknown,
  n: number,
  options: { shardId?: string; streamArn?: string } = {},
): KinesisStreamRecord {
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  const contactId = (content as { ContactId?: unknown })?.ContactId;
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: typeof contactId === 'string' ? contactId : 'unknown',
      sequenceNumber: sequenceNumber(n),
      data: Buffer.from(text, 'utf8').toString('base64'),
      approximateArrivalTimestamp: ARRIVAL + n / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${options.shardId ?? SHARD}:${sequenceNumber(n)}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/forward-contact-records',
    awsRegion: 'us-east-1',
    eventSourceARN: options.streamArn ?? STREAM_ARN,
  };
}

/** A batch of records numbered from `from` (sequence numbers increasing in shard order). */
export function kinesisEvent(contents: readonly unknown[], from = 1): KinesisStreamEvent {
  return { Records: contents.map((content, i) => kinesisRecord(content, from + i)) };
}

/** The records of `event` from the one with `sequence` on: what Lambda delivers after a failure. */
export function redeliveryFrom(event: KinesisStreamEvent, sequence: string): KinesisStreamEvent {
  const at = event.Records.findIndex((r) => r.kinesis.sequenceNumber === sequence);
  if (at < 0) throw new Error(`no record ${sequence} in the batch`);
  return { Records: event.Records.slice(at) };
}

export const DEAD_LETTER_BUCKET = 'flowguard-dead-letters';

/** A configuration from the environment the stack would give, with the policy inline. */
export function configFor(policy: unknown, env: Record<string, string> = {}): ForwardingConfig {
  return readForwardingConfig({
    FLOWGUARD_FORWARD_POLICY: JSON.stringify(policy),
    FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET: DEAD_LETTER_BUCKET,
    FLOWGUARD_FINGERPRINT_SECRET_ID: 'flowguard/fingerprint',
    FLOWGUARD_LOG_LEVEL: 'debug',
    ...env,
  });
}

/** A fingerprint secret in secure-input's versioned format. */
export function fingerprintSecret(versions: readonly number[] = [1], current = versions[0] ?? 1) {
  return {
    current,
    keys: versions.map((version) => ({ version, key: randomBytes(32).toString('base64') })),
  };
}

/** Collects log or EMF lines. */
export function lineSink(): {
  lines: string[];
  sink: (line: string) => void;
  parsed(): Record<string, unknown>[];
} {
  const lines: string[] = [];
  return {
    lines,
    sink: (line) => lines.push(line),
    parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** No waiting in tests: backoff is asserted by the calls, not by the clock. */
export const noSleep = async (): Promise<void> => undefined;

/** Counts requests a client sends, by operation (`PutRecords`, `CopyObject`, ...). */
export function countOperations(client: {
  middlewareStack: { add(middleware: unknown, options: unknown): void };
}): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
        counts.set(operation, (counts.get(operation) ?? 0) + 1);
        return next(args);
      },
    { step: 'initialize', name: 'forwardingTestCounter' },
  );
  return counts;
}
