import { WATCHED_EVENTS } from '@flowguard/audit/watched';
import { describe, expect, it } from 'vitest';
import { WATCHED_CONNECT_CALLS } from '../../src/audit.js';
import { idOf, prop, resourcesOf, type Statement, synthStack } from './helpers.js';

const { json } = synthStack();
const [, rule] = resourcesOf(json, 'AWS::Events::Rule')[0] ?? [];
const target = prop<Record<string, unknown>[]>(rule, 'Targets')[0] ?? {};
const transformer = target.InputTransformer as {
  InputPathsMap: Record<string, string>;
  InputTemplate: string;
};

/** What EventBridge sends for `event`: the template with each path's value put in. */
function transform(event: Record<string, unknown>): Record<string, unknown> {
  const valueAt = (path: string) =>
    path
      .replace(/^\$\./, '')
      .split('.')
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], event);
  const text = transformer.InputTemplate.replace(/<([\w-]+)>/g, (_m, name: string) => {
    const path = transformer.InputPathsMap[name] ?? '';
    return JSON.stringify(valueAt(path) ?? null);
  });
  return JSON.parse(text) as Record<string, unknown>;
}

describe('Connect change notices', () => {
  it('watches identity, security-profile, key, storage, function, flow and origin changes', () => {
    const watched = prop<{ detail: { eventName: string[] } }>(rule, 'EventPattern').detail.eventName;

    expect(rule?.Properties?.EventPattern).toMatchObject({
      source: ['aws.connect'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['connect.amazonaws.com'] },
    });
    expect(watched).toEqual(
      expect.arrayContaining([
        'UpdateUserIdentityInfo',
        'UpdateUserSecurityProfiles',
        'CreateUser',
        'AssociateSecurityKey',
        'DisassociateSecurityKey',
        'UpdateInstanceStorageConfig',
        'AssociateLambdaFunction',
        'AssociateApprovedOrigin',
        'UpdateContactFlowContent',
        'CreateSecurityProfile',
        'UpdateSecurityProfile',
        'DeleteSecurityProfile',
      ]),
    );
    expect(watched).toEqual([...WATCHED_CONNECT_CALLS]);
    // What `flowguard audit` requires of an instance's rules (change-alerts), the stack's rule has.
    expect(watched).toEqual(expect.arrayContaining([...WATCHED_EVENTS]));
  });

  it('sends the alarm topic who, what, which instance and user, and when: never the request itself', () => {
    const event = {
      account: '123456789012',
      region: 'us-east-1',
      detail: {
        eventName: 'UpdateUserIdentityInfo',
        eventTime: '2026-12-01T10:00:00Z',
        sourceIPAddress: '198.51.100.7',
        userIdentity: { arn: 'arn:aws:sts::123456789012:assumed-role/admin/alex' },
        requestParameters: {
          InstanceId: '0f0e0d0c-0b0a-4909-8807-060504030201',
          UserId: 'a1b2c3d4-0000-4000-8000-000000000001',
          IdentityInfo: { Email: 'attacker@example.net', FirstName: 'Mallory', LastName: 'Example' },
        },
      },
    };

    const message = transform(event);

    expect(target.Arn).toEqual({ Ref: idOf(json, 'AWS::SNS::Topic', 'SecurityAlarms') });
    expect(message).toMatchObject({
      api: 'UpdateUserIdentityInfo',
      who: 'arn:aws:sts::123456789012:assumed-role/admin/alex',
      instanceId: '0f0e0d0c-0b0a-4909-8807-060504030201',
      userId: 'a1b2c3d4-0000-4000-8000-000000000001',
      when: '2026-12-01T10:00:00Z',
    });
    expect(JSON.stringify(message)).not.toMatch(/attacker@example\.net|Mallory|Email|FirstName/);
    expect(
      Object.values(transformer.InputPathsMap)
        .filter((p) => p.includes('requestParameters'))
        .sort(),
    ).toEqual(['$.detail.requestParameters.InstanceId', '$.detail.requestParameters.UserId']);
  });

  it('creates no trail unless asked', () => {
    expect(resourcesOf(json, 'AWS::CloudTrail::Trail')).toEqual([]);
  });
});

describe('the optional trail', () => {
  const { json: withTrail } = synthStack({ createTrail: true });
  const [, trail] = resourcesOf(withTrail, 'AWS::CloudTrail::Trail')[0] ?? [];
  const bucketId = prop<{ Ref: string }>(trail, 'S3BucketName').Ref;
  const policy = resourcesOf(withTrail, 'AWS::S3::BucketPolicy').find(
    ([, p]) => JSON.stringify(p.Properties?.Bucket) === `{"Ref":"${bucketId}"}`,
  )?.[1];
  const statements = prop<{ Statement: Statement[] }>(policy, 'PolicyDocument').Statement;

  it('records every region with log file validation, encrypted under its own key', () => {
    expect(trail?.Properties).toMatchObject({
      IsLogging: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      KMSKeyId: { 'Fn::GetAtt': [expect.stringMatching(/TrailKey/), 'Arn'] },
    });
    expect(trail?.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/TrailBucketPolicy/)]));
  });

  it('keeps the log files in a bucket that refuses plain HTTP and every delete', () => {
    const deny = (action: string) =>
      statements.find((s) => s.Effect === 'Deny' && JSON.stringify(s.Action).includes(action));

    expect(deny('s3:DeleteObject')?.Principal).toEqual({ AWS: '*' });
    expect(deny('s3:DeleteObjectVersion')).toBeDefined();
    expect(deny('s3:*')?.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    expect(withTrail.Resources[bucketId]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { VersioningConfiguration: { Status: 'Enabled' } },
    });
  });

  it('lets CloudTrail write only for this trail', () => {
    for (const statement of statements.filter((s) => JSON.stringify(s.Principal).includes('cloudtrail'))) {
      expect(JSON.stringify(statement.Condition)).toContain(':trail/flowguard-trail');
    }
  });
});
