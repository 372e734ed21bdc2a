import { createHmac } from 'node:crypto';
import { fingerprintKeysOf } from '@flowguard/secure-input';
import { describe, expect, it } from 'vitest';
import {
  asContactRecord,
  attributePurpose,
  type CompiledPolicy,
  compilePolicies,
  fieldTree,
  maskValue,
  minimiseBatch,
  minimiseRecord,
  type Policy,
  validatePolicyDocument,
} from '../../src/index.js';
import { fingerprintSecret, loadContactRecord } from '../support.js';

const keys = fingerprintKeysOf(fingerprintSecret([1, 2], 2));

function compiled(
  policy: Omit<Policy, 'name' | 'match'> & Partial<Pick<Policy, 'name' | 'match'>>,
): CompiledPolicy {
  const document = validatePolicyDocument({
    version: 1,
    policies: [
      {
        name: 'cards',
        match: { attributes: { businessUnit: ['cards'] } },
        destination: { type: 'kinesis', stream: 'out' },
        ...policy,
      },
    ],
  });
  return compilePolicies(document).policies[0] as CompiledPolicy;
}

const voice = () => asContactRecord(loadContactRecord('contact-record-voice'));

describe('minimiseRecord', () => {
  it('lets out the policy, the identity, the dedupe key and the allow-listed fields, nothing else', () => {
    const policy = compiled({
      fields: ['Queue.Name', 'Agent.RoutingProfile.Name', 'InitiationTimestamp', 'Channel'],
    });
    expect(JSON.parse(JSON.stringify(minimiseRecord(voice(), policy)))).toEqual({
      policy: 'cards',
      ContactId: '5ca32fbd-8f92-46af-92a5-6b0f970f0efe',
      LastUpdateTimestamp: '2026-01-15T09:15:42Z',
      dedupeKey: 'cards/5ca32fbd-8f92-46af-92a5-6b0f970f0efe/2026-01-15T09:15:42Z',
      Queue: { Name: 'Cards' },
      Agent: { RoutingProfile: { Name: 'Cards Agents' } },
      InitiationTimestamp: '2026-01-15T09:08:52Z',
      Channel: 'VOICE',
    });
  });

  it('lets a whole object out when its path is listed, and wins over a deeper path', () => {
    const policy = compiled({ fields: ['Queue', 'Queue.Name'] });
    expect(minimiseRecord(voice(), policy).Queue).toEqual(voice().Queue);
  });

  it('applies a path through an array to each element', () => {
    const policy = compiled({
      fields: ['Recordings.Location', 'Recordings.MediaStreamType', 'MediaStreams.Type'],
    });
    const out = JSON.parse(JSON.stringify(minimiseRecord(voice(), policy)));
    expect(out.Recordings).toEqual([
      {
        Location: (voice().Recordings ?? [])[0]?.Location,
        MediaStreamType: 'AUDIO',
      },
    ]);
    expect(out.MediaStreams).toEqual([{ Type: 'AUDIO' }]);
  });

  it('keeps null where the record has null, and leaves out what it does not have', () => {
    const policy = compiled({ fields: ['Queue.Name', 'TransferredToEndpoint.Address', 'NoSuchField.Name'] });
    const record = asContactRecord({ ContactId: 'c1', Queue: null, TransferredToEndpoint: null });
    const out = JSON.parse(JSON.stringify(minimiseRecord(record, policy)));
    expect(out).toEqual({
      policy: 'cards',
      ContactId: 'c1',
      LastUpdateTimestamp: null,
      dedupeKey: 'cards/c1/',
      Queue: null,
      TransferredToEndpoint: null,
    });
  });

  it('does not follow a path into a value that is not an object', () => {
    const policy = compiled({ fields: ['Channel.Name'] });
    expect(minimiseRecord(voice(), policy)).not.toHaveProperty('Channel');
  });

  it('lets out allow-listed attributes as they are, hashed or masked', () => {
    const policy = compiled({ attributes: ['businessUnit'], hash: ['customerId'], mask: ['accountNumber'] });
    const out = minimiseRecord(voice(), policy, keys);
    const attributes = out.Attributes as Record<string, string>;
    expect(Object.keys(attributes).sort()).toEqual(['accountNumber', 'businessUnit', 'customerId']);
    expect(attributes.businessUnit).toBe('cards');
    expect(attributes.accountNumber).toBe('**********1234');
    const expected = createHmac('sha256', keys.current.key)
      .update(attributePurpose('customerId'))
      .update('\0')
      .update('C-000123456')
      .digest('base64url');
    expect(attributes.customerId).toBe(`v2:${expected}`);
  });

  it('fingerprints the same value alike under one key, and differently per attribute and key version', () => {
    const policy = compiled({ hash: ['customerId', 'otherId'] });
    const record = asContactRecord({ ContactId: 'c', Attributes: { customerId: 'C-1', otherId: 'C-1' } });
    const again = asContactRecord({ ContactId: 'd', Attributes: { customerId: 'C-1' } });
    const a = minimiseRecord(record, policy, keys).Attributes as Record<string, string>;
    const b = minimiseRecord(again, policy, keys).Attributes as Record<string, string>;
    expect(a.customerId).toBe(b.customerId);
    expect(a.otherId).not.toBe(a.customerId);
    const old = fingerprintKeysOf({
      ...fingerprintSecret([1]),
      keys: [{ version: 1, key: keys.keys[1]?.key.toString('base64') }],
    });
    const c = minimiseRecord(record, policy, old).Attributes as Record<string, string>;
    expect(c.customerId?.startsWith('v1:')).toBe(true);
    expect(c.customerId?.slice(3)).not.toBe(a.customerId?.slice(3));
  });

  it('refuses to hash without a key', () => {
    expect(() => minimiseRecord(voice(), compiled({ hash: ['customerId'] }))).toThrow('no fingerprint key');
  });

  it('does not let an attribute named __proto__ reach a prototype', () => {
    const policy = compiled({ attributes: ['__proto__'] });
    const record = asContactRecord(JSON.parse('{"ContactId": "c", "Attributes": {"__proto__": "x"}}'));
    const out = minimiseRecord(record, policy);
    expect(JSON.stringify(out.Attributes)).toBe('{"__proto__":"x"}');
    expect(Object.getPrototypeOf(out.Attributes)).toBeNull();
  });

  it('never lets out what the policy does not name', () => {
    const policy = compiled({
      fields: ['Queue.Name', 'Agent.Username'],
      attributes: ['businessUnit'],
      hash: ['customerId'],
    });
    const text = JSON.stringify(minimiseRecord(voice(), policy, keys));
    for (const secret of [
      '1980-02-29',
      '+14155550123',
      '12345678901234',
      'C-000123456',
      'Retail Banking',
      'Chrome',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('maskValue', () => {
  it('keeps the last four characters of values of eight or more, and masks shorter ones whole', () => {
    expect(maskValue('4111111111111111')).toBe('************1111');
    expect(maskValue('12345678')).toBe('****5678');
    expect(maskValue('1234567')).toBe('*******');
    expect(maskValue('')).toBe('');
  });

  it('counts characters, not UTF-16 units', () => {
    expect(maskValue('😀😀😀😀😀😀😀😀')).toBe('****😀😀😀😀');
  });
});

describe('fieldTree', () => {
  it('merges paths and lets a whole field win', () => {
    const tree = fieldTree(['Agent.RoutingProfile.Name', 'Agent.Username', 'Queue', 'Queue.Name']);
    expect(tree.get('Queue')).toBe(true);
    const agent = tree.get('Agent') as Map<string, unknown>;
    expect([...agent.keys()]).toEqual(['RoutingProfile', 'Username']);
  });
});

describe('minimiseBatch', () => {
  it('runs each record through each policy, in batch order, skipping undecoded records', () => {
    const document = validatePolicyDocument({
      version: 1,
      policies: [
        {
          name: 'cards',
          match: { attributes: { businessUnit: ['cards'] } },
          destination: { type: 'kinesis', stream: 'a' },
        },
        {
          name: 'chat',
          match: { channels: ['CHAT'] },
          destination: { type: 'firehose', deliveryStream: 'b' },
        },
        {
          name: 'recordings-only',
          match: { channels: ['VOICE'] },
          recordings: { bucket: 'vendor', kmsKeyId: 'alias/x' },
        },
      ],
    });
    const records = [
      asContactRecord(loadContactRecord('contact-record-voice')),
      undefined,
      asContactRecord(loadContactRecord('contact-record-chat')),
      asContactRecord(loadContactRecord('contact-record-chat-transcript')),
    ];
    const batches = minimiseBatch(records, compilePolicies(document));
    expect(batches.map((b) => [b.policy.name, b.entries.map((e) => e.index), b.filtered])).toEqual([
      ['cards', [0, 3], 1],
      ['chat', [2, 3], 1],
    ]);
    expect(JSON.parse(batches[1]?.entries[0]?.json ?? '{}').policy).toBe('chat');
  });

  it('leaves out what the skip says was delivered before', () => {
    const document = validatePolicyDocument({
      version: 1,
      policies: [
        {
          name: 'all',
          match: { channels: ['VOICE', 'CHAT'] },
          destination: { type: 'kinesis', stream: 'a' },
        },
      ],
    });
    const records = [
      asContactRecord(loadContactRecord('contact-record-voice')),
      asContactRecord(loadContactRecord('contact-record-chat')),
    ];
    const [batch] = minimiseBatch(records, compilePolicies(document), { skip: (_p, index) => index === 0 });
    expect(batch?.entries.map((e) => e.index)).toEqual([1]);
    expect(batch?.skipped).toBe(1);
  });
});
