import { GetEventSelectorsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import {
  DescribeContactFlowCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceCommand,
  ListApprovedOriginsCommand,
  ListBotsCommand,
  ListContactFlowsCommand,
  ListInstanceStorageConfigsCommand,
  ListLambdaFunctionsCommand,
  ListSecurityKeysCommand,
} from '@aws-sdk/client-connect';
import { ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AuditOptions, auditInstance } from '../../src/audit.js';
import {
  ACCOUNT,
  BOT_ALIAS_ARN,
  CTR_STREAM_ARN,
  cleanInstance,
  clients,
  describedFlow,
  flowSummary,
  INSTANCE,
  INSTANCE_ARN,
  KEY_ID,
  KMS_KEY_ARN,
  MANAGEMENT_SELECTOR,
  MENU_FLOW,
  mocks,
  NOW,
  RECORDINGS_BUCKET,
  RECORDINGS_PREFIX,
  REGION,
  resetMocks,
  SCREEN_CALLER_ARN,
  SCREENING_FLOW,
  SECURE_INPUT_ARN,
  TRAIL_ARN,
  WATCH_PATTERN,
} from './support/instance.js';

async function findings(rule: string, options: Partial<AuditOptions> = {}) {
  const report = await auditInstance({
    instanceId: INSTANCE,
    region: REGION,
    clients: clients(),
    now: NOW,
    ...options,
  });
  expect(report.findings.filter((f) => f.id === 'not-checked')).toEqual([]);
  return report.findings.filter((finding) => finding.id === rule);
}

beforeEach(() => {
  resetMocks();
  cleanInstance();
});

describe('approved-origins (ListApprovedOrigins)', () => {
  it('accepts exact https origins', async () => {
    expect(await findings('approved-origins')).toEqual([]);
  });

  it('rates a wildcard and plain http high', async () => {
    mocks.connect.on(ListApprovedOriginsCommand).resolves({
      Origins: ['https://www.example.com', 'https://*.example.com', 'http://intranet.example.com'],
    });

    expect(await findings('approved-origins')).toMatchObject([
      { severity: 'high', title: 'approved origin https://*.example.com uses a wildcard' },
      { severity: 'high', title: 'approved origin http://intranet.example.com uses plain http://' },
    ]);
  });
});

describe('Lambda functions (ListLambdaFunctions, published flows and modules)', () => {
  const STALE = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:old-ivr-lookup`;

  it('accepts functions the published flows invoke', async () => {
    expect(await findings('unused-lambda-function')).toEqual([]);
    expect(await findings('unassociated-lambda-function')).toEqual([]);
  });

  it('reports an associated function no published flow invokes (medium)', async () => {
    mocks.connect
      .on(ListLambdaFunctionsCommand)
      .resolves({ LambdaFunctions: [SCREEN_CALLER_ARN, SECURE_INPUT_ARN, STALE] });

    expect(await findings('unused-lambda-function')).toMatchObject([
      { severity: 'medium', subjects: [STALE] },
    ]);
  });

  it('counts only published flows: a function only a saved draft invokes is unused', async () => {
    mocks.connect.on(ListContactFlowsCommand).resolves({
      ContactFlowSummaryList: [
        flowSummary('f-screen', 'flowguard caller screening', 'SAVED'),
        flowSummary('f-pay', 'flowguard secure payment'),
        flowSummary('f-menu', 'Main menu'),
      ],
    });
    mocks.connect
      .on(DescribeContactFlowCommand, { ContactFlowId: 'f-screen' })
      .resolves(describedFlow('f-screen', 'flowguard caller screening', SCREENING_FLOW, 'SAVED'));

    expect(await findings('unused-lambda-function')).toMatchObject([{ subjects: [SCREEN_CALLER_ARN] }]);
  });

  it('reads a published flow with unpublished changes by its published content', async () => {
    mocks.connect.on(ListContactFlowsCommand).resolves({
      ContactFlowSummaryList: [
        flowSummary('f-screen', 'flowguard caller screening', 'SAVED'),
        flowSummary('f-pay', 'flowguard secure payment'),
        flowSummary('f-menu', 'Main menu'),
      ],
    });

    expect(await findings('unused-lambda-function')).toEqual([]);
  });

  it('rates it low when a flow names its function by attribute', async () => {
    mocks.connect
      .on(ListLambdaFunctionsCommand)
      .resolves({ LambdaFunctions: [SCREEN_CALLER_ARN, SECURE_INPUT_ARN, STALE] });
    const dynamic = structuredClone(MENU_FLOW);
    dynamic.Actions.unshift({
      Identifier: 'lookup',
      Type: 'InvokeLambdaFunction',
      Parameters: { LambdaFunctionARN: '$.Attributes.lookupFunction' } as never,
      Transitions: { NextAction: 'run-menu', Errors: [{ NextAction: 'bye', ErrorType: 'NoMatchingError' }] },
    });
    dynamic.StartAction = 'lookup';
    mocks.connect
      .on(DescribeContactFlowCommand, { ContactFlowId: 'f-menu' })
      .resolves(describedFlow('f-menu', 'Main menu', dynamic));

    const [finding] = await findings('unused-lambda-function');

    expect(finding).toMatchObject({ severity: 'low', subjects: [STALE] });
    expect(finding?.title).toContain('flow Main menu names a target by attribute');
  });

  it('reports a published flow invoking a function that is not associated', async () => {
    mocks.connect.on(ListLambdaFunctionsCommand).resolves({ LambdaFunctions: [SCREEN_CALLER_ARN] });

    expect(await findings('unassociated-lambda-function')).toMatchObject([
      { severity: 'medium', subjects: ['flowguard secure payment', SECURE_INPUT_ARN] },
    ]);
  });
});

describe('Lex bots (ListBots V1 and V2, reached through InvokeFlowModule)', () => {
  const OTHER = `arn:aws:lex:${REGION}:${ACCOUNT}:bot-alias/BBBBBBBBBB/TSTALIASID`;

  it('accepts a bot a module uses when a published flow invokes the module', async () => {
    expect(await findings('unused-lex-bot')).toEqual([]);
    expect(await findings('unassociated-lex-bot')).toEqual([]);
  });

  it('reports associated bots nothing uses, V2 by alias and V1 by name', async () => {
    mocks.connect.on(ListBotsCommand, { LexVersion: 'V2' }).resolves({
      LexBots: [{ LexV2Bot: { AliasArn: BOT_ALIAS_ARN } }, { LexV2Bot: { AliasArn: OTHER } }],
    });
    mocks.connect
      .on(ListBotsCommand, { LexVersion: 'V1' })
      .resolves({ LexBots: [{ LexBot: { Name: 'OrderFlowers', LexRegion: REGION } }] });

    expect((await findings('unused-lex-bot')).map((f) => f.subjects)).toEqual([
      [OTHER],
      [`OrderFlowers (Lex V1, ${REGION})`],
    ]);
  });

  it('reports the module bot as unused once no published flow invokes the module', async () => {
    mocks.connect.on(ListContactFlowsCommand).resolves({
      ContactFlowSummaryList: [
        flowSummary('f-screen', 'flowguard caller screening'),
        flowSummary('f-pay', 'flowguard secure payment'),
      ],
    });

    expect(await findings('unused-lex-bot')).toMatchObject([
      { severity: 'medium', subjects: [BOT_ALIAS_ARN] },
    ]);
  });

  it('reports a module using a bot that is not associated', async () => {
    mocks.connect.on(ListBotsCommand, { LexVersion: 'V2' }).resolves({ LexBots: [] });

    expect(await findings('unassociated-lex-bot')).toMatchObject([
      { severity: 'medium', subjects: ['Menu bot', BOT_ALIAS_ARN] },
    ]);
  });
});

describe('security keys (ListSecurityKeys) and the certificates the flows use', () => {
  const twoKeys = (newestDaysAgo: number) => ({
    SecurityKeys: [
      { AssociationId: KEY_ID, Key: 'PEM', CreationTime: new Date('2027-01-15T10:00:00Z') },
      {
        AssociationId: 'c7a0f3e1-5b2d-4e8f-9a6c-1d2e3f4a5b6c',
        Key: 'PEM',
        CreationTime: new Date(NOW.getTime() - newestDaysAgo * 86_400_000),
      },
    ],
  });

  it('accepts one key, and two during a rotation inside the window', async () => {
    expect(await findings('security-key-rotation')).toEqual([]);
    mocks.connect.on(ListSecurityKeysCommand).resolves(twoKeys(2));
    expect(await findings('security-key-rotation')).toEqual([]);
  });

  it('reports two keys past the rotation window, naming the one no flow uses', async () => {
    mocks.connect.on(ListSecurityKeysCommand).resolves(twoKeys(20));

    const [finding] = await findings('security-key-rotation');

    expect(finding).toMatchObject({ severity: 'medium' });
    expect(finding?.title).toBe(
      '2 security keys active, the newer added 20 days ago (window 7); no published flow uses c7a0f3e1-5b2d-4e8f-9a6c-1d2e3f4a5b6c',
    );
  });

  it('accepts a flow certificate far from expiry', async () => {
    expect(await findings('flow-certificate-expiry')).toEqual([]);
  });

  it('reports a flow certificate about to expire (medium) and expired (high)', async () => {
    expect(
      await findings('flow-certificate-expiry', { now: new Date('2036-11-01T00:00:00Z') }),
    ).toMatchObject([
      { severity: 'medium', title: expect.stringContaining('expires 2036-11-19 (in 18 days)') },
    ]);
    expect(
      await findings('flow-certificate-expiry', { now: new Date('2037-01-01T00:00:00Z') }),
    ).toMatchObject([
      {
        severity: 'high',
        title:
          'flow flowguard secure payment, block collect-card: the encryption certificate expired 2036-11-19',
      },
    ]);
  });

  it('reports a flow encrypting under a key id the instance does not list', async () => {
    mocks.connect.on(ListSecurityKeysCommand).resolves({
      SecurityKeys: [
        {
          AssociationId: 'c7a0f3e1-5b2d-4e8f-9a6c-1d2e3f4a5b6c',
          Key: 'PEM',
          CreationTime: new Date('2027-01-15T10:00:00Z'),
        },
      ],
    });

    expect(await findings('flow-encryption-key')).toMatchObject([
      { severity: 'medium', subjects: ['flowguard secure payment'] },
    ]);
  });
});

describe('identity-management (DescribeInstance)', () => {
  it('accepts SAML', async () => {
    expect(await findings('identity-management')).toEqual([]);
  });

  it('rates CONNECT_MANAGED medium, recommending SAML with MFA', async () => {
    mocks.connect.on(DescribeInstanceCommand).resolves({
      Instance: {
        Id: INSTANCE,
        Arn: INSTANCE_ARN,
        IdentityManagementType: 'CONNECT_MANAGED',
        InstanceStatus: 'ACTIVE',
      },
    });

    const [finding] = await findings('identity-management');

    expect(finding).toMatchObject({ severity: 'medium' });
    expect(finding?.fix).toContain('SAML 2.0 single sign-on with MFA');
  });
});

describe('storage-encryption (ListInstanceStorageConfigs, DescribeKey, DescribeStreamSummary, DescribeDeliveryStream)', () => {
  it('accepts customer-managed keys on the recordings bucket and the contact-record stream', async () => {
    expect(await findings('storage-encryption')).toEqual([]);
  });

  it('reports a bucket without a KMS key, an AWS managed key, an unencrypted stream', async () => {
    mocks.connect.on(ListInstanceStorageConfigsCommand, { ResourceType: 'CHAT_TRANSCRIPTS' }).resolves({
      StorageConfigs: [
        {
          AssociationId: 'a3',
          StorageType: 'S3',
          S3Config: { BucketName: 'amzn-s3-demo-chats', BucketPrefix: 'chats' },
        },
      ],
    });
    mocks.connect.on(ListInstanceStorageConfigsCommand, { ResourceType: 'SCREEN_RECORDINGS' }).resolves({
      StorageConfigs: [
        {
          AssociationId: 'a4',
          StorageType: 'S3',
          S3Config: {
            BucketName: 'amzn-s3-demo-screens',
            BucketPrefix: 'screens',
            EncryptionConfig: {
              EncryptionType: 'KMS',
              KeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/aws/connect`,
            },
          },
        },
      ],
    });
    mocks.kinesis.on(DescribeStreamSummaryCommand).resolves({
      StreamDescriptionSummary: {
        StreamName: 'connect-ctr',
        StreamARN: CTR_STREAM_ARN,
        StreamStatus: 'ACTIVE',
        RetentionPeriodHours: 24,
        StreamCreationTimestamp: new Date('2026-01-10T09:00:00Z'),
        EnhancedMonitoring: [],
        EncryptionType: 'NONE',
        OpenShardCount: 1,
      },
    });

    expect((await findings('storage-encryption')).map((f) => f.title)).toEqual([
      'chat transcripts (S3 amzn-s3-demo-chats) is not encrypted with a KMS key',
      `screen recordings (S3 amzn-s3-demo-screens) is encrypted with an AWS managed key (arn:aws:kms:${REGION}:${ACCOUNT}:alias/aws/connect)`,
      `contact trace records (KINESIS_STREAM ${CTR_STREAM_ARN}) is not encrypted with a KMS key`,
    ]);
  });

  it('asks KMS who manages a key given by ARN, and reads Firehose encryption', async () => {
    const FIREHOSE = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/connect-ctr`;
    mocks.kms
      .on(DescribeKeyCommand)
      .resolves({ KeyMetadata: { KeyId: 'k', Arn: KMS_KEY_ARN, KeyManager: 'AWS' } });
    mocks.connect.on(ListInstanceStorageConfigsCommand, { ResourceType: 'CONTACT_TRACE_RECORDS' }).resolves({
      StorageConfigs: [
        {
          AssociationId: 'a5',
          StorageType: 'KINESIS_FIREHOSE',
          KinesisFirehoseConfig: { FirehoseArn: FIREHOSE },
        },
      ],
    });
    mocks.firehose.on(DescribeDeliveryStreamCommand).resolves({
      DeliveryStreamDescription: {
        DeliveryStreamName: 'connect-ctr',
        DeliveryStreamARN: FIREHOSE,
        DeliveryStreamStatus: 'ACTIVE',
        DeliveryStreamEncryptionConfiguration: { KeyType: 'AWS_OWNED_CMK', Status: 'ENABLED' },
        DeliveryStreamType: 'DirectPut',
        VersionId: '1',
        Destinations: [],
        HasMoreDestinations: false,
      },
    });

    expect((await findings('storage-encryption')).map((f) => f.subjects)).toEqual([
      [RECORDINGS_BUCKET],
      [FIREHOSE],
    ]);
  });
});

describe('contact-flow-logs (DescribeInstanceAttribute CONTACTFLOW_LOGS)', () => {
  it('accepts flow logs on', async () => {
    expect(await findings('contact-flow-logs')).toEqual([]);
  });

  it('rates flow logs off medium', async () => {
    mocks.connect
      .on(DescribeInstanceAttributeCommand)
      .resolves({ Attribute: { AttributeType: 'CONTACTFLOW_LOGS', Value: 'false' } });

    expect(await findings('contact-flow-logs')).toMatchObject([{ severity: 'medium' }]);
  });
});

describe('CloudTrail (DescribeTrails, GetTrailStatus, GetEventSelectors)', () => {
  const PREFIX = `arn:aws:s3:::${RECORDINGS_BUCKET}/${RECORDINGS_PREFIX}/`;
  const dataSelector = (...fields: { Field: string; Equals?: string[]; StartsWith?: string[] }[]) => ({
    TrailARN: TRAIL_ARN,
    AdvancedEventSelectors: [
      MANAGEMENT_SELECTOR,
      {
        Name: 'recordings',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          ...fields,
        ],
      },
    ],
  });

  it('accepts advanced selectors logging management events and the recordings prefix', async () => {
    expect(await findings('cloudtrail-management-events')).toEqual([]);
    expect(await findings('recordings-access-trail')).toEqual([]);
  });

  it('accepts basic selectors with the bucket as a data resource (the documented example shape)', async () => {
    mocks.cloudtrail.on(GetEventSelectorsCommand).resolves({
      TrailARN: TRAIL_ARN,
      EventSelectors: [
        {
          ReadWriteType: 'All',
          IncludeManagementEvents: true,
          DataResources: [{ Type: 'AWS::S3::Object', Values: [`arn:aws:s3:::${RECORDINGS_BUCKET}/`] }],
          ExcludeManagementEventSources: [],
        },
      ],
    });

    expect(await findings('cloudtrail-management-events')).toEqual([]);
    expect(await findings('recordings-access-trail')).toEqual([]);
  });

  it('rates a trail that is not logging as no trail at all', async () => {
    mocks.cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: false });

    expect(await findings('cloudtrail-management-events')).toMatchObject([{ severity: 'high' }]);
    expect(await findings('recordings-access-trail')).toMatchObject([{ severity: 'high' }]);
  });

  it('rates missing GetObject data events high, with the note that the download permission is not a control', async () => {
    mocks.cloudtrail.on(GetEventSelectorsCommand).resolves({
      TrailARN: TRAIL_ARN,
      EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [] }],
    });

    const [finding] = await findings('recordings-access-trail');

    expect(finding).toMatchObject({ severity: 'high', subjects: [RECORDINGS_BUCKET] });
    expect(finding?.title).toBe(
      `no logging trail records GetObject (who listened or downloaded) and DeleteObject (who deleted) for the call recordings under ${PREFIX}`,
    );
    expect(finding?.why).toContain('the download permission is not a control');
  });

  it('does not count writes-only or another bucket as covering reads', async () => {
    mocks.cloudtrail
      .on(GetEventSelectorsCommand)
      .resolves(
        dataSelector(
          { Field: 'readOnly', Equals: ['false'] },
          { Field: 'resources.ARN', StartsWith: [PREFIX] },
        ),
      );
    expect(await findings('recordings-access-trail')).toMatchObject([
      { severity: 'high', title: expect.stringContaining('GetObject') },
    ]);

    mocks.cloudtrail
      .on(GetEventSelectorsCommand)
      .resolves(dataSelector({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::amzn-s3-demo-other/'] }));
    expect(await findings('recordings-access-trail')).toMatchObject([{ severity: 'high' }]);
  });

  it('rates reads logged but deletes not as medium', async () => {
    mocks.cloudtrail
      .on(GetEventSelectorsCommand)
      .resolves(
        dataSelector(
          { Field: 'readOnly', Equals: ['true'] },
          { Field: 'resources.ARN', StartsWith: [PREFIX] },
        ),
      );

    expect(await findings('recordings-access-trail')).toMatchObject([
      { severity: 'medium', title: expect.stringContaining('DeleteObject (who deleted)') },
    ]);
  });

  it('rates read-only management events as missing', async () => {
    mocks.cloudtrail.on(GetEventSelectorsCommand).resolves({
      TrailARN: TRAIL_ARN,
      EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true, DataResources: [] }],
    });

    expect(await findings('cloudtrail-management-events')).toMatchObject([{ severity: 'high' }]);
  });
});

describe('change-alerts (EventBridge ListRules, ListTargetsByRule)', () => {
  const rule = (EventPattern: string, State: 'ENABLED' | 'DISABLED' = 'ENABLED') => ({
    Rules: [
      {
        Name: 'connect-changes',
        Arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/connect-changes`,
        EventPattern,
        State,
        EventBusName: 'default',
      },
    ],
  });

  it('accepts an enabled rule with a target that matches every watched event', async () => {
    expect(await findings('change-alerts')).toEqual([]);
  });

  it('accepts a pattern matching by prefix and $or, parsed rather than searched', async () => {
    mocks.eventbridge.on(ListRulesCommand).resolves(
      rule(
        JSON.stringify({
          source: ['aws.connect'],
          detail: {
            $or: [
              { eventName: [{ prefix: 'Update' }] },
              {
                eventName: [
                  'CreateUser',
                  'AssociateSecurityKey',
                  'AssociateApprovedOrigin',
                  'AssociateLambdaFunction',
                ],
              },
            ],
            errorCode: [{ exists: false }],
          },
        }),
      ),
    );

    expect(await findings('change-alerts')).toEqual([]);
  });

  it('does not count a rule that is disabled, or has no target', async () => {
    mocks.eventbridge.on(ListRulesCommand).resolves(rule(WATCH_PATTERN, 'DISABLED'));
    expect(await findings('change-alerts')).toMatchObject([
      { severity: 'medium', subjects: expect.arrayContaining(['UpdateUserIdentityInfo']) },
    ]);

    mocks.eventbridge.on(ListRulesCommand).resolves(rule(WATCH_PATTERN));
    mocks.eventbridge.on(ListTargetsByRuleCommand).resolves({ Targets: [] });
    expect(await findings('change-alerts')).toMatchObject([
      { subjects: expect.arrayContaining(['CreateUser']) },
    ]);
  });

  it('does not count a pattern that only mentions the event name (anything-but, another source)', async () => {
    mocks.eventbridge.on(ListRulesCommand).resolves(
      rule(
        JSON.stringify({
          source: ['aws.connect'],
          detail: { eventName: [{ 'anything-but': 'UpdateUserIdentityInfo' }] },
        }),
      ),
    );
    expect((await findings('change-alerts'))[0]?.subjects).toEqual(['UpdateUserIdentityInfo']);

    mocks.eventbridge
      .on(ListRulesCommand)
      .resolves(
        rule(JSON.stringify({ source: ['aws.s3'], detail: { eventName: ['UpdateUserIdentityInfo'] } })),
      );
    expect((await findings('change-alerts'))[0]?.subjects).toHaveLength(8);
  });
});
