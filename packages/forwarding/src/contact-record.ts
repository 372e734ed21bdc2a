// The contact record Amazon Connect streams to Kinesis, as documented in "Data model for Amazon
// Connect contact records" (https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html).
// AWS adds fields over time and asks consumers to ignore what they do not know: the parser checks
// only the fields forwarding reads, and keeps the rest untouched (they leave only if allow-listed).
import { RecordParseError } from './errors.js';

/** `CustomerEndpoint`, `SystemEndpoint`, `TransferredToEndpoint`. */
export interface ContactRecordEndpoint {
  readonly Address?: string | null;
  readonly Type?: string | null;
}

export interface ContactRecordQueue {
  readonly ARN?: string | null;
  readonly Name?: string | null;
  readonly EnqueueTimestamp?: string | null;
  readonly DequeueTimestamp?: string | null;
  readonly Duration?: number | null;
}

export interface HierarchyGroup {
  readonly ARN?: string | null;
  readonly GroupName?: string | null;
}

export const HIERARCHY_LEVELS = ['Level1', 'Level2', 'Level3', 'Level4', 'Level5'] as const;

export type HierarchyGroups = {
  readonly [Level in (typeof HIERARCHY_LEVELS)[number]]?: HierarchyGroup | null;
};

export interface ContactRecordAgent {
  readonly ARN?: string | null;
  readonly Username?: string | null;
  readonly RoutingProfile?: { readonly ARN?: string | null; readonly Name?: string | null } | null;
  readonly HierarchyGroups?: HierarchyGroups | null;
  readonly ConnectedToAgentTimestamp?: string | null;
  readonly AgentInteractionDuration?: number | null;
  readonly AfterContactWorkStartTimestamp?: string | null;
  readonly AfterContactWorkEndTimestamp?: string | null;
  readonly AfterContactWorkDuration?: number | null;
  readonly CustomerHoldDuration?: number | null;
  readonly LongestHoldDuration?: number | null;
  readonly NumberOfHolds?: number | null;
  readonly [field: string]: unknown;
}

/** The legacy single `Recording`. */
export interface RecordingInfo {
  readonly Location?: string | null;
  readonly Type?: string | null;
  readonly Status?: string | null;
  readonly DeletionReason?: string | null;
}

/** One entry of `Recordings`: a call recording, screen recording or chat transcript. */
export interface RecordingsInfo {
  readonly Location?: string | null;
  readonly MediaStreamType?: string | null;
  readonly ParticipantType?: string | null;
  readonly FragmentStartNumber?: string | null;
  readonly FragmentStopNumber?: string | null;
  readonly StartTimestamp?: string | null;
  readonly StopTimestamp?: string | null;
  readonly Status?: string | null;
  readonly StorageType?: string | null;
  readonly DeletionReason?: string | null;
}

/** A contact record. Fields not named here are kept as they came (`[field: string]: unknown`). */
export interface ContactRecord {
  readonly AWSAccountId?: string | null;
  readonly AWSContactTraceRecordFormatVersion?: string | null;
  readonly Agent?: ContactRecordAgent | null;
  readonly AgentConnectionAttempts?: number | null;
  /** User-defined contact attributes: strings only (checked). */
  readonly Attributes?: Readonly<Record<string, string>> | null;
  readonly Channel?: string | null;
  readonly ConnectedToSystemTimestamp?: string | null;
  readonly ContactId: string;
  readonly CustomerEndpoint?: ContactRecordEndpoint | null;
  readonly DisconnectReason?: string | null;
  readonly DisconnectTimestamp?: string | null;
  readonly InitialContactId?: string | null;
  readonly InitiationMethod?: string | null;
  readonly InitiationTimestamp?: string | null;
  readonly InstanceARN?: string | null;
  readonly LastUpdateTimestamp?: string | null;
  readonly MediaStreams?: readonly { readonly Type?: string | null }[] | null;
  readonly NextContactId?: string | null;
  readonly PreviousContactId?: string | null;
  readonly Queue?: ContactRecordQueue | null;
  readonly Recording?: RecordingInfo | null;
  readonly Recordings?: readonly RecordingsInfo[] | null;
  readonly SystemEndpoint?: ContactRecordEndpoint | null;
  readonly TransferCompletedTimestamp?: string | null;
  readonly TransferredToEndpoint?: ContactRecordEndpoint | null;
  readonly [field: string]: unknown;
}

type Json = Record<string, unknown>;

const MAX_CONTACT_ID = 256;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(object: Json, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function bad(path: string, problem: string): RecordParseError {
  return new RecordParseError('not_a_contact_record', `${path}: ${problem}`);
}

/** A string, null or absent; anything else makes the record unusable for matching. */
function optionalString(object: Json, key: string, path: string): void {
  const value = own(object, key);
  if (value !== undefined && value !== null && typeof value !== 'string') throw bad(path, 'not a string');
}

/** An object, null or absent; the object is returned for further checks. */
function optionalObject(object: Json, key: string, path: string): Json | undefined {
  const value = own(object, key);
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw bad(path, 'not an object');
  return value;
}

function checkAgent(agent: Json): void {
  optionalString(agent, 'ARN', 'Agent.ARN');
  const profile = optionalObject(agent, 'RoutingProfile', 'Agent.RoutingProfile');
  if (profile) {
    optionalString(profile, 'ARN', 'Agent.RoutingProfile.ARN');
    optionalString(profile, 'Name', 'Agent.RoutingProfile.Name');
  }
  const groups = optionalObject(agent, 'HierarchyGroups', 'Agent.HierarchyGroups');
  if (!groups) return;
  for (const level of HIERARCHY_LEVELS) {
    const group = optionalObject(groups, level, `Agent.HierarchyGroups.${level}`);
    if (!group) continue;
    optionalString(group, 'ARN', `Agent.HierarchyGroups.${level}.ARN`);
    optionalString(group, 'GroupName', `Agent.HierarchyGroups.${level}.GroupName`);
  }
}

function checkRecordings(record: Json): void {
  const legacy = optionalObject(record, 'Recording', 'Recording');
  if (legacy) {
    for (const key of ['Location', 'Type', 'Status']) optionalString(legacy, key, `Recording.${key}`);
  }
  const list = own(record, 'Recordings');
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) throw bad('Recordings', 'not an array');
  list.forEach((entry, i) => {
    if (!isObject(entry)) throw bad(`Recordings.${i}`, 'not an object');
    for (const key of ['Location', 'MediaStreamType', 'Status', 'StorageType'])
      optionalString(entry, key, `Recordings.${i}.${key}`);
  });
}

/**
 * Checks that a parsed JSON value is a contact record in the fields forwarding reads (identity,
 * channel, queue, agent, attributes, recordings, timestamps) and returns it as one, unchanged.
 * Problems name the field's path, never its value.
 */
export function asContactRecord(value: unknown): ContactRecord {
  if (!isObject(value)) throw bad('(record)', 'not an object');
  const contactId = own(value, 'ContactId');
  if (typeof contactId !== 'string' || contactId === '') throw bad('ContactId', 'missing');
  if (contactId.length > MAX_CONTACT_ID) throw bad('ContactId', 'too long');
  for (const key of ['Channel', 'LastUpdateTimestamp', 'InitialContactId', 'InstanceARN'])
    optionalString(value, key, key);
  const queue = optionalObject(value, 'Queue', 'Queue');
  if (queue) {
    optionalString(queue, 'ARN', 'Queue.ARN');
    optionalString(queue, 'Name', 'Queue.Name');
  }
  const agent = optionalObject(value, 'Agent', 'Agent');
  if (agent) checkAgent(agent);
  const attributes = optionalObject(value, 'Attributes', 'Attributes');
  if (attributes) {
    // Keys only in the path: a key is chosen by the flow designer, a value may be the caller's.
    for (const key of Object.keys(attributes))
      if (typeof attributes[key] !== 'string') throw bad(`Attributes.${key.slice(0, 128)}`, 'not a string');
  }
  checkRecordings(value);
  return value as unknown as ContactRecord;
}

/**
 * Base64 decoded, or `undefined` when `data` is not base64. Node skips characters outside the
 * alphabet, so a decoded length short of what the text's length promises gives them away: one
 * comparison instead of a pass of a regular expression over every record.
 */
function base64Bytes(data: string): Buffer | undefined {
  if (data.length % 4 !== 0) return undefined;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  const bytes = Buffer.from(data, 'base64');
  return bytes.length === (data.length / 4) * 3 - padding ? bytes : undefined;
}

/** Decodes Kinesis `data` (base64 of UTF-8 JSON) into a contact record. */
export function decodeContactRecord(data: string): ContactRecord {
  const bytes = base64Bytes(data);
  if (!bytes) throw new RecordParseError('bad_base64', 'data');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    // The parse error's message quotes the input: only the reason is kept.
    throw new RecordParseError('not_json', 'data');
  }
  return asContactRecord(parsed);
}

/** The value at a dotted path, reading own properties only (`constructor` is never inherited). */
export function fieldAt(record: unknown, path: readonly string[]): unknown {
  let current: unknown = record;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = own(current, key);
  }
  return current;
}

/** The record's attribute `name`, own properties only. */
export function attributeOf(record: ContactRecord, name: string): string | undefined {
  const attributes = record.Attributes;
  if (!attributes || !Object.hasOwn(attributes, name)) return undefined;
  return attributes[name];
}
