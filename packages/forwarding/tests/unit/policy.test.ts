import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { policyValidatorSource, VALIDATOR_FILE } from '../../scripts/policy-validator.js';
import {
  type Policy,
  type PolicyDocument,
  PolicyError,
  parsePolicyDocument,
  validatePolicyDocument,
} from '../../src/index.js';

const CARDS_QUEUE =
  'arn:aws:connect:us-east-1:123456789012:instance/aaaaaaaa-bbbb-cccc-dddd-111111111111/queue/30000000-0000-4000-8000-000000000001';

/** Every property the schema defines, set: the type and the schema must agree (see the drift test). */
const FULL_POLICY: Required<Policy> = {
  name: 'cards-analytics',
  description: 'Cards contacts for the analytics vendor',
  match: {
    queues: [CARDS_QUEUE, 'Cards'],
    routingProfiles: ['Cards Agents'],
    channels: ['VOICE', 'CHAT'],
    hierarchyGroups: ['Cards'],
    attributes: { businessUnit: ['cards'] },
  },
  fields: ['ContactId', 'Queue.Name', 'Agent.RoutingProfile.Name', 'InitiationTimestamp'],
  attributes: ['businessUnit'],
  hash: ['customerId'],
  mask: ['accountNumber'],
  destination: { type: 'firehose', deliveryStream: 'cards-analytics' },
  recordings: {
    bucket: 'vendor-recordings',
    prefix: 'cards/',
    kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-4000-8000-000000000001',
    mediaStreamTypes: ['AUDIO', 'CHAT'],
  },
};

const doc = (...policies: unknown[]) => ({ version: 1, policies });

function issuesOf(value: unknown): string[] {
  try {
    validatePolicyDocument(value);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('the document validated');
}

describe('validatePolicyDocument', () => {
  it('accepts a document using every property', () => {
    const document = doc(FULL_POLICY);
    expect(validatePolicyDocument(document)).toBe(document);
  });

  it('accepts each destination type with its own properties', () => {
    const destinations = [
      { type: 'firehose', deliveryStream: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/cards' },
      { type: 'kinesis', stream: 'arn:aws:kinesis:us-east-1:123456789012:stream/cards' },
      { type: 'kinesis', stream: 'cards' },
      {
        type: 'eventbridge',
        eventBus: 'analytics',
        source: 'flowguard.forwarding',
        detailType: 'ContactRecord',
      },
      { type: 's3', bucket: 'vendor-drop', prefix: 'contact-records/', kmsKeyId: 'alias/vendor' },
    ];
    for (const destination of destinations) {
      expect(() =>
        validatePolicyDocument(doc({ name: 'p', match: { channels: ['VOICE'] }, destination })),
      ).not.toThrow();
    }
  });

  it('names the path and the allowed values of a bad destination type', () => {
    const bad = doc({ name: 'p', match: { channels: ['VOICE'] }, destination: { type: 'sqs', queue: 'x' } });
    expect(issuesOf(bad)).toEqual([
      '/policies/0/destination/type: must be one of firehose, kinesis, eventbridge, s3',
    ]);
  });

  it('names a property a destination type does not have, and one it needs', () => {
    const bad = doc({
      name: 'p',
      match: { channels: ['VOICE'] },
      destination: { type: 'firehose', stream: 'x' },
    });
    expect(issuesOf(bad)).toEqual([
      "/policies/0/destination: needs the property 'deliveryStream'",
      "/policies/0/destination: has no property 'stream'",
    ]);
  });

  it('refuses EventBridge sources AWS keeps for itself', () => {
    const bad = doc({
      name: 'p',
      match: { channels: ['VOICE'] },
      destination: { type: 'eventbridge', eventBus: 'default', source: 'aws.connect', detailType: 'x' },
    });
    expect(issuesOf(bad)).toEqual([
      expect.stringMatching(/^\/policies\/0\/destination\/source: must match pattern/),
    ]);
  });

  it('keeps policy names to what a metric dimension and a tag can hold', () => {
    for (const name of ['cards', 'cards-analytics', 'bu-cards2', 'cards-42']) {
      expect(() => validatePolicyDocument(doc({ ...FULL_POLICY, name }))).not.toThrow();
    }
    for (const name of ['Cards', '4cards', 'cards_x', 'card-4-u', '', 'x'.repeat(65)]) {
      expect(issuesOf(doc({ ...FULL_POLICY, name }))[0]).toMatch(/^\/policies\/0\/name: must match pattern/);
    }
  });

  it('needs a version 1 document with at least one policy', () => {
    expect(issuesOf({ version: 2, policies: [FULL_POLICY] })).toEqual(['/version: must be 1']);
    expect(issuesOf({ version: 1, policies: [] })).toEqual(['/policies: must NOT have fewer than 1 items']);
    expect(issuesOf({ policies: [FULL_POLICY] })).toEqual([": needs the property 'version'"]);
    expect(issuesOf([])).toEqual([': must be object']);
  });

  it('needs a match with at least one condition', () => {
    expect(issuesOf(doc({ ...FULL_POLICY, match: {} }))).toEqual(['/policies/0/match: must not be empty']);
    expect(issuesOf(doc({ ...FULL_POLICY, match: { queue: ['Cards'] } }))).toEqual([
      "/policies/0/match: has no property 'queue'",
    ]);
  });

  it('checks attribute names in match, attributes, hash and mask', () => {
    const bad = doc({
      ...FULL_POLICY,
      match: { attributes: { 'business unit': ['cards'] } },
      hash: ['customer.id'],
    });
    expect(issuesOf(bad)).toEqual([
      expect.stringMatching(/^\/policies\/0\/match\/attributes: must match pattern/),
      "/policies/0/match/attributes: property name 'business unit' is not allowed",
      expect.stringMatching(/^\/policies\/0\/hash\/0: must match pattern/),
    ]);
  });

  it('refuses attributes as fields: they go out only through attributes, hash and mask', () => {
    const bad = doc({ ...FULL_POLICY, fields: ['ContactId', 'Attributes.customerId', 'Attributes'] });
    expect(issuesOf(bad)).toEqual([
      "/policies/0/fields/1: attributes go out only through 'attributes', 'hash' and 'mask'",
      "/policies/0/fields/2: attributes go out only through 'attributes', 'hash' and 'mask'",
    ]);
  });

  it('refuses an attribute in two forms', () => {
    const bad = doc({
      ...FULL_POLICY,
      attributes: ['customerId'],
      hash: ['customerId'],
      mask: ['customerId'],
    });
    expect(issuesOf(bad)).toEqual([
      "/policies/0/hash/0: also in 'attributes': an attribute goes out in one form",
      "/policies/0/mask/0: also in 'attributes': an attribute goes out in one form",
    ]);
  });

  it('refuses two policies of one name, and a policy with nowhere to send', () => {
    const { destination, recordings, ...bare } = FULL_POLICY;
    expect(issuesOf(doc(FULL_POLICY, FULL_POLICY))).toEqual([
      '/policies/1/name: also the name of /policies/0',
    ]);
    expect(issuesOf(doc(bare))).toEqual(["/policies/0: needs a 'destination', 'recordings' or both"]);
    expect(destination && recordings).toBeTruthy();
  });

  it('needs a KMS key for recordings', () => {
    const { kmsKeyId, ...recordings } = FULL_POLICY.recordings;
    expect(issuesOf(doc({ ...FULL_POLICY, recordings }))).toEqual([
      "/policies/0/recordings: needs the property 'kmsKeyId'",
    ]);
    expect(kmsKeyId).toBeTruthy();
  });

  it('never quotes a value from the document', () => {
    const secret = 'C-000123456-SECRET';
    const bad = doc(
      { ...FULL_POLICY, name: secret, match: { attributes: { customerId: [secret, secret] } } },
      { name: 'x', match: { channels: [secret] }, destination: { type: secret } },
    );
    let message = '';
    try {
      validatePolicyDocument(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('/policies/0/name');
    expect(message).toContain('/policies/0/match/attributes/customerId');
    expect(message).not.toContain(secret);
  });

  it('lists at most twenty problems', () => {
    const many = doc(...Array.from({ length: 30 }, (_, i) => ({ name: `BAD${i}`, match: {} })));
    expect(issuesOf(many)).toHaveLength(20);
  });
});

describe('parsePolicyDocument', () => {
  it('parses and validates JSON text, naming its source', () => {
    expect(parsePolicyDocument(JSON.stringify(doc(FULL_POLICY))).policies[0]?.name).toBe('cards-analytics');
    expect(() => parsePolicyDocument('{"version": 1, "policies": [', 'parameter /fg/policy')).toThrow(
      'parameter /fg/policy: invalid policy: /: is not JSON',
    );
  });
});

describe('the schema and its generated validator', () => {
  const schema = JSON.parse(
    readFileSync(fileURLToPath(new URL('../../schema/policy.schema.json', import.meta.url)), 'utf8'),
  ) as { definitions: Record<string, { properties?: Record<string, unknown> }> };

  it('src/generated/policy-validator.ts is what the schema compiles to', () => {
    expect(readFileSync(VALIDATOR_FILE, 'utf8')).toBe(policyValidatorSource());
  });

  it('defines the same policy, match and recordings properties as the TypeScript types', () => {
    const keys = (name: string) => Object.keys(schema.definitions[name]?.properties ?? {}).sort();
    expect(keys('policy')).toEqual(Object.keys(FULL_POLICY).sort());
    expect(keys('match')).toEqual(Object.keys(FULL_POLICY.match).sort());
    expect(keys('recordings')).toEqual(Object.keys(FULL_POLICY.recordings).sort());
    const document: PolicyDocument = { version: 1, policies: [FULL_POLICY] };
    expect(Object.keys(document).sort()).toEqual(
      Object.keys(schema).includes('properties') ? ['policies', 'version'] : [],
    );
  });
});
