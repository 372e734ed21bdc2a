// Contact records published by others (tests/fixtures/published/, provenance in
// tests/fixtures/README.md) through the real parse, match, minimise and recording-location path:
// records as Connect emits them, with `null` wherever a value is absent.
import { describe, expect, it } from 'vitest';
import { fieldAt } from '../../src/contact-record.js';
import { copySource } from '../../src/forward-recordings.js';
import {
  asContactRecord,
  compilePolicies,
  decodeContactRecord,
  minimiseBatch,
  type RecordingsTarget,
  recordingLocations,
  validatePolicyDocument,
} from '../../src/index.js';
import { loadPublishedRecord, PUBLISHED, type Published } from '../support.js';

interface Facts {
  readonly queue: { readonly name: string; readonly arn: string };
  /** A queue of the same instance the record did not go through. */
  readonly otherQueueArn: string;
  readonly routingProfile: string;
  /** Hierarchy group names set in the record, and the levels Connect left null. */
  readonly groups: readonly string[];
  readonly nullLevels: readonly string[];
  readonly channel: string;
  readonly attribute: readonly [string, string];
  /** What forward-recordings copies: bucket, key, kind, and the CopySource it sends. */
  readonly recordings: readonly {
    readonly bucket: string;
    readonly key: string;
    readonly kind: string;
    readonly copySource: string;
  }[];
}

const FACTS: Record<Published, Facts> = {
  'voicebase-quickstart-voice': {
    queue: {
      name: 'default_queue',
      arn: 'arn:aws:connect:us-east-1:999080565678:instance/38f09398-0db8-4368-a844-6cedc0c18362/queue/9b01dc14-db95-45ab-acbd-2ad4b37d7b79',
    },
    otherQueueArn:
      'arn:aws:connect:us-east-1:999080565678:instance/38f09398-0db8-4368-a844-6cedc0c18362/queue/00000000-db95-45ab-acbd-2ad4b37d7b79',
    routingProfile: 'default_routing',
    groups: ['HierarchyGroup1', 'HierarchyGroup2'],
    nullLevels: ['Level3', 'Level4', 'Level5'],
    channel: 'VOICE',
    attribute: ['voicebase_enabled', '1'],
    recordings: [
      {
        bucket: 'awsconnect-bucket',
        key: 'connect/my-connect-instance/CallRecordings/2019/01/02/3aec0dc9-2817-4b95-8b72-492c8f972493_20190102T00:07_UTC.wav',
        kind: 'AUDIO',
        copySource:
          'awsconnect-bucket/connect/my-connect-instance/CallRecordings/2019/01/02/3aec0dc9-2817-4b95-8b72-492c8f972493_20190102T00%3A07_UTC.wav',
      },
    ],
  },
};

/** The record as Kinesis carries it: the published JSON, base64, through the real decoder. */
const decoded = (name: Published) =>
  decodeContactRecord(Buffer.from(JSON.stringify(loadPublishedRecord(name)), 'utf8').toString('base64'));

const compiled = (policies: unknown[]) => compilePolicies(validatePolicyDocument({ version: 1, policies }));

const DESTINATION = { type: 'kinesis', stream: 'vendor' };

/** Runs one policy over the record; the minimised record it sends, or `undefined` when filtered. */
function forwarded(name: Published, policy: Record<string, unknown>): Record<string, unknown> | undefined {
  const [batch] = minimiseBatch(
    [decoded(name)],
    compiled([{ name: 'p', destination: DESTINATION, ...policy }]),
  );
  const entry = batch?.entries[0];
  return entry ? (JSON.parse(entry.json) as Record<string, unknown>) : undefined;
}

const TARGET: RecordingsTarget = { bucket: 'vendor-recordings', prefix: 'published', kmsKeyId: 'alias/k' };

/** Every path to an object property, at any depth (array entries included, by index). */
function propertyPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => propertyPaths(item, [...path, i]));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, sub]) => [
    [...path, key],
    ...propertyPaths(sub, [...path, key]),
  ]);
}

function setAt(record: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let node = record as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
}

describe.each(PUBLISHED.map((name) => [name, FACTS[name]] as const))('published record %s', (name, facts) => {
  it('parses as Connect emitted it, nulls included, and unchanged', () => {
    const record = decoded(name);
    expect(record).toEqual(loadPublishedRecord(name));
    for (const level of facts.nullLevels)
      expect(fieldAt(record, ['Agent', 'HierarchyGroups', level])).toBeNull();
  });

  it('matches a policy keyed on its queue, by name and by ARN; not one keyed on another queue', () => {
    expect(forwarded(name, { match: { queues: [facts.queue.name] } })).toBeDefined();
    expect(forwarded(name, { match: { queues: [facts.queue.arn] } })).toBeDefined();
    expect(forwarded(name, { match: { queues: [facts.otherQueueArn, 'BasicQueue'] } })).toBeUndefined();
  });

  it('matches its routing profile, its hierarchy groups (null levels passed over), its channel, its attribute', () => {
    expect(forwarded(name, { match: { routingProfiles: [facts.routingProfile] } })).toBeDefined();
    expect(forwarded(name, { match: { routingProfiles: ['Basic Routing Profile'] } })).toBeUndefined();
    for (const group of facts.groups)
      expect(forwarded(name, { match: { hierarchyGroups: [group] } })).toBeDefined();
    expect(forwarded(name, { match: { hierarchyGroups: ['Team North'] } })).toBeUndefined();
    expect(forwarded(name, { match: { channels: [facts.channel] } })).toBeDefined();
    expect(forwarded(name, { match: { channels: ['CHAT', 'TASK'] } })).toBeUndefined();
    const [attribute, value] = facts.attribute;
    expect(forwarded(name, { match: { attributes: { [attribute]: [value] } } })).toBeDefined();
    expect(forwarded(name, { match: { attributes: { [attribute]: [`${value}x`] } } })).toBeUndefined();
    expect(
      forwarded(name, { match: { queues: [facts.queue.name], channels: [facts.channel] } }),
    ).toBeDefined();
  });

  it('lets out exactly the allow-listed fields: a null stays null, an absent field stays absent', () => {
    const raw = loadPublishedRecord(name);
    const [attribute, value] = facts.attribute;
    const fields = [
      'Queue.Name',
      'Queue.ARN',
      'Agent.RoutingProfile.Name',
      'Agent.HierarchyGroups.Level1.GroupName',
      ...facts.nullLevels.map((level) => `Agent.HierarchyGroups.${level}.GroupName`),
      'Channel',
      'InitiationTimestamp',
      'InitialContactId',
      'PreviousContactId',
      'TransferredToEndpoint',
      'Recordings.Location',
      'Recordings.ParticipantType',
      'NotAContactRecordField',
    ];
    const out = forwarded(name, { match: { channels: [facts.channel] }, fields, attributes: [attribute] });
    const at = (path: string) => fieldAt(raw, path.split('.'));
    const level1 = fieldAt(raw, ['Agent', 'HierarchyGroups', 'Level1', 'GroupName']);
    const recordings = (raw.Recordings as Record<string, unknown>[]).map((r) => ({
      Location: r.Location,
      ParticipantType: r.ParticipantType,
    }));
    const top = (key: string) => (Object.hasOwn(raw, key) ? { [key]: raw[key] } : {});
    expect(out).toEqual({
      policy: 'p',
      ContactId: raw.ContactId,
      LastUpdateTimestamp: raw.LastUpdateTimestamp,
      dedupeKey: `p/${raw.ContactId}/${raw.LastUpdateTimestamp}`,
      Queue: { Name: at('Queue.Name'), ARN: at('Queue.ARN') },
      Agent: {
        RoutingProfile: { Name: facts.routingProfile },
        HierarchyGroups: {
          Level1: { GroupName: level1 },
          ...Object.fromEntries(facts.nullLevels.map((level) => [level, null])),
        },
      },
      Channel: facts.channel,
      ...top('InitiationTimestamp'),
      ...top('InitialContactId'),
      ...top('PreviousContactId'),
      ...top('TransferredToEndpoint'),
      Recordings: recordings,
      Attributes: { [attribute]: value },
    });
    // Nothing else of the record is in what goes out (the account id is, inside the queue's ARN).
    const text = JSON.stringify(out);
    const agent = raw.Agent as Record<string, unknown>;
    const endpoint = (key: string) => (raw[key] as { Address?: string } | null)?.Address;
    for (const secret of [
      agent.Username,
      agent.ARN,
      endpoint('CustomerEndpoint'),
      endpoint('SystemEndpoint'),
    ])
      if (typeof secret === 'string') expect(text).not.toContain(secret);
    for (const other of Object.keys(raw.Attributes as object).filter((key) => key !== attribute))
      expect(text).not.toContain(other);
  });

  it('gives forward-recordings each recording once, with a CopySource S3 reads back as its key', () => {
    const { locations, bad } = recordingLocations(decoded(name), TARGET);
    expect(bad).toEqual([]);
    expect(locations.map(({ bucket, key, kind }) => ({ bucket, key, kind }))).toEqual(
      facts.recordings.map(({ bucket, key, kind }) => ({ bucket, key, kind })),
    );
    expect(locations.map(copySource)).toEqual(facts.recordings.map((r) => r.copySource));
    for (const location of locations) {
      const source = copySource(location);
      const key = source.slice(location.bucket.length + 1);
      expect(decodeURIComponent(key)).toBe(location.key);
    }
    const kinds = new Set(facts.recordings.map((r) => r.kind));
    const others = ['AUDIO', 'VIDEO', 'CHAT'].filter((kind) => !kinds.has(kind));
    expect(recordingLocations(decoded(name), { ...TARGET, mediaStreamTypes: others }).locations).toEqual([]);
  });

  it('parses, matches and minimises whichever field Connect leaves null (each in turn)', () => {
    const raw = loadPublishedRecord(name);
    // Attribute values are strings in the data model: a null one is refused (see contact-record.ts).
    const paths = propertyPaths(raw).filter(
      (path) => path[0] !== 'ContactId' && !(path[0] === 'Attributes' && path.length > 1),
    );
    expect(paths.length).toBeGreaterThan(50);
    const policies = compiled([
      {
        name: 'everything',
        match: { queues: [facts.queue.name] },
        fields: ['Queue', 'Agent', 'Recording', 'Recordings', 'Channel', 'CustomerEndpoint'],
        attributes: [facts.attribute[0]],
        mask: ['testAttribute1'],
        destination: DESTINATION,
        recordings: TARGET,
      },
    ]);
    const [policy] = policies.policies;
    for (const path of paths) {
      const record = loadPublishedRecord(name);
      setAt(record, path, null);
      const parsed = asContactRecord(record);
      const [batch] = minimiseBatch([parsed], policies);
      // The policy matches on the queue's name: only a null queue or queue name stops it.
      const matched = path.join('.') === 'Queue' || path.join('.') === 'Queue.Name' ? 0 : 1;
      expect({ path: path.join('.'), sent: batch?.entries.length }).toEqual({
        path: path.join('.'),
        sent: matched,
      });
      if (policy) expect(() => recordingLocations(parsed, TARGET)).not.toThrow();
    }
  });
});
