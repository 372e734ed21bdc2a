/**
 * A mocked Connect instance and its account, answering with responses shaped like the "Response
 * Syntax" sections of the AWS API references (Amazon Connect, AWS KMS, Kinesis Data Streams,
 * Firehose, CloudTrail, EventBridge). `cleanInstance()` answers every call with a setting the audit
 * accepts; each test then changes the one answer its case is about.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  ConnectClient,
  DescribeContactFlowCommand,
  DescribeContactFlowModuleCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceCommand,
  DescribeSecurityProfileCommand,
  ListApprovedOriginsCommand,
  ListBotsCommand,
  ListContactFlowModulesCommand,
  ListContactFlowsCommand,
  ListInstanceStorageConfigsCommand,
  ListLambdaFunctionsCommand,
  ListSecurityKeysCommand,
  ListSecurityProfilePermissionsCommand,
  ListSecurityProfilesCommand,
  SearchUsersCommand,
} from '@aws-sdk/client-connect';
import { EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { renderFlow } from '@flowguard/flow-sim';
import { testKeyPem } from '@flowguard/testing/test-keys';
import { mockClient } from 'aws-sdk-client-mock';
import type { AuditClients } from '../../../src/clients.js';
import { WATCHED_CONNECT_CALLS } from '../../../src/watched.js';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const INSTANCE = '9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa';
export const INSTANCE_ARN = `arn:aws:connect:${REGION}:${ACCOUNT}:instance/${INSTANCE}`;
export const NOW = new Date('2027-03-01T12:00:00Z');

export const SCREEN_CALLER_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:flowguard-screen-caller:live`;
export const SECURE_INPUT_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:flowguard-secure-input:live`;
export const BOT_ALIAS_ARN = `arn:aws:lex:${REGION}:${ACCOUNT}:bot-alias/AAAAAAAAAA/TSTALIASID`;
export const KEY_ID = 'b1b4d3c2-8e21-4c6b-a3c0-3f5e8a2d9c10';
export const KMS_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const RECORDINGS_BUCKET = 'amzn-s3-demo-connect-recordings';
export const RECORDINGS_PREFIX = `connect/example/CallRecordings`;
export const CTR_STREAM_ARN = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/connect-ctr`;
export const TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/org-trail`;
export const MODULE_ID = '1bc263e9-09cf-432c-971c-32da62c784af';
/** The challenge module flowguard's screening flow invokes in a surge (deployed by the stack). */
export const CHALLENGE_MODULE_ID = '5f0c9a7e-2b1d-4c3e-9f8a-6d5e4c3b2a10';

const REPO = join(import.meta.dirname, '../../../../..');
/** A test-only certificate (valid 2026-11-22 to 2036-11-19), the kind a flow's encrypted input holds. */
export const CERTIFICATE = testKeyPem(1, 'cert');
const PUBLIC_KEY = testKeyPem(1, 'public');

const flowFile = (name: string) =>
  JSON.parse(readFileSync(join(REPO, 'flows', `${name}.json`), 'utf8')) as unknown;

/** flowguard's own flows, rendered as a deployment would. */
export const SCREENING_FLOW = renderFlow(flowFile('caller-screening'), {
  ScreenCallerFunctionArn: SCREEN_CALLER_ARN,
  QueueArn: `${INSTANCE_ARN}/queue/0f2b1c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d`,
  ChallengeModuleArn: `${INSTANCE_ARN}/flow-module/${CHALLENGE_MODULE_ID}`,
});
export const PAYMENT_FLOW = renderFlow(flowFile('secure-payment'), {
  SecureInputFunctionArn: SECURE_INPUT_ARN,
  QueueArn: `${INSTANCE_ARN}/queue/0f2b1c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d`,
  ConnectKeyId: KEY_ID,
  ConnectCertificate: CERTIFICATE,
});

/** A flow whose only job is to run a module, and the module that talks to a Lex V2 bot. */
export const MENU_FLOW = {
  Version: '2019-10-30',
  StartAction: 'run-menu',
  Actions: [
    {
      Identifier: 'run-menu',
      Type: 'InvokeFlowModule',
      Parameters: { FlowModuleId: `${INSTANCE_ARN}/flow-module/${MODULE_ID}` },
      Transitions: { NextAction: 'bye', Errors: [{ NextAction: 'bye', ErrorType: 'NoMatchingError' }] },
    },
    { Identifier: 'bye', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
  ],
};
export const MENU_MODULE = {
  Version: '2019-10-30',
  StartAction: 'ask',
  Actions: [
    {
      Identifier: 'ask',
      Type: 'ConnectParticipantWithLexBot',
      Parameters: { Text: 'How can we help?', LexV2Bot: { AliasArn: BOT_ALIAS_ARN } },
      Transitions: {
        NextAction: 'done',
        Errors: [
          { NextAction: 'done', ErrorType: 'NoMatchingCondition' },
          { NextAction: 'done', ErrorType: 'NoMatchingError' },
        ],
      },
    },
    { Identifier: 'done', Type: 'EndFlowModuleExecution', Parameters: {}, Transitions: {} },
  ],
};

export const mocks = {
  connect: mockClient(ConnectClient),
  cloudtrail: mockClient(CloudTrailClient),
  eventbridge: mockClient(EventBridgeClient),
  kms: mockClient(KMSClient),
  kinesis: mockClient(KinesisClient),
  firehose: mockClient(FirehoseClient),
};

export function resetMocks(): void {
  for (const mock of Object.values(mocks)) mock.reset();
}

/** Every call of every client fails with `error`. */
export function failEverything(error: Error): void {
  mocks.connect.reset().onAnyCommand().rejects(error);
  mocks.cloudtrail.reset().onAnyCommand().rejects(error);
  mocks.eventbridge.reset().onAnyCommand().rejects(error);
  mocks.kms.reset().onAnyCommand().rejects(error);
  mocks.kinesis.reset().onAnyCommand().rejects(error);
  mocks.firehose.reset().onAnyCommand().rejects(error);
}

export function clients(): AuditClients {
  return {
    connect: new ConnectClient({ region: REGION }),
    cloudtrail: new CloudTrailClient({ region: REGION }),
    eventbridge: new EventBridgeClient({ region: REGION }),
    kms: new KMSClient({ region: REGION }),
    kinesis: new KinesisClient({ region: REGION }),
    firehose: new FirehoseClient({ region: REGION }),
  };
}

export const sdkError = (name: string, status = 400) =>
  Object.assign(new Error(`${name} from the service`), { name, $metadata: { httpStatusCode: status } });

export const profile = (id: string, name: string) => ({
  Id: id,
  Arn: `${INSTANCE_ARN}/security-profile/${id}`,
  Name: name,
  LastModifiedTime: new Date('2026-12-01T00:00:00Z'),
  LastModifiedRegion: REGION,
});

export const user = (id: string, username: string, profileIds: string[]) => ({
  Arn: `${INSTANCE_ARN}/agent/${id}`,
  Id: id,
  Username: username,
  IdentityInfo: { FirstName: username, LastName: 'Example' },
  PhoneConfig: { PhoneType: 'SOFT_PHONE' as const, AutoAccept: false, AfterContactWorkTimeLimit: 0 },
  RoutingProfileId: 'rp-basic',
  SecurityProfileIds: profileIds,
  Tags: {},
});

export const flowSummary = (id: string, name: string, status: 'PUBLISHED' | 'SAVED' = 'PUBLISHED') => ({
  Id: id,
  Arn: `${INSTANCE_ARN}/contact-flow/${id}`,
  Name: name,
  ContactFlowType: 'CONTACT_FLOW' as const,
  ContactFlowState: 'ACTIVE' as const,
  ContactFlowStatus: status,
});

export const describedFlow = (
  id: string,
  name: string,
  content: unknown,
  status: 'PUBLISHED' | 'SAVED' = 'PUBLISHED',
) => ({
  ContactFlow: {
    Arn: `${INSTANCE_ARN}/contact-flow/${id}`,
    Id: id,
    Name: name,
    Type: 'CONTACT_FLOW' as const,
    State: 'ACTIVE' as const,
    Status: status,
    Description: '',
    Content: JSON.stringify(content),
    Tags: {},
  },
});

export const MANAGEMENT_SELECTOR = {
  Name: 'Management events',
  FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }],
};

/** The recordings prefix logged for reads and writes, and management events: an advanced selector pair. */
export const GOOD_SELECTORS = {
  TrailARN: TRAIL_ARN,
  AdvancedEventSelectors: [
    MANAGEMENT_SELECTOR,
    {
      Name: 'Who reads or deletes recordings',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
        { Field: 'resources.ARN', StartsWith: [`arn:aws:s3:::${RECORDINGS_BUCKET}/connect/`] },
      ],
    },
  ],
};

/** The pattern flowguard's stack deploys (packages/infra/src/audit.ts), as ListRules returns it. */
export const WATCH_PATTERN = JSON.stringify({
  source: ['aws.connect'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['connect.amazonaws.com'],
    eventName: [...WATCHED_CONNECT_CALLS],
  },
});

/** Every answer of an instance the audit has nothing to say about. */
export function cleanInstance(): void {
  const { connect, cloudtrail, eventbridge, kms, kinesis, firehose } = mocks;
  connect.on(DescribeInstanceCommand).resolves({
    Instance: {
      Id: INSTANCE,
      Arn: INSTANCE_ARN,
      IdentityManagementType: 'SAML',
      InstanceAlias: 'example',
      CreatedTime: new Date('2026-01-10T09:00:00Z'),
      ServiceRole: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect_example`,
      InstanceStatus: 'ACTIVE',
      InboundCallsEnabled: true,
      OutboundCallsEnabled: true,
      InstanceAccessUrl: 'https://example.my.connect.aws',
    },
  });
  connect
    .on(DescribeInstanceAttributeCommand)
    .resolves({ Attribute: { AttributeType: 'CONTACTFLOW_LOGS', Value: 'true' } });
  connect.on(ListSecurityProfilesCommand).resolves({
    SecurityProfileSummaryList: [profile('p-agent', 'Agent'), profile('p-admin', 'Admin')],
  });
  connect
    .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-agent' })
    .resolves({ Permissions: ['BasicAgentAccess', 'OutboundCallAccess', 'MyContacts.View'] });
  connect.on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-admin' }).resolves({
    Permissions: ['Users.Create', 'Users.Edit', 'Users.EditPermission', 'SecurityProfiles.View'],
  });
  connect.on(DescribeSecurityProfileCommand).resolves({
    SecurityProfile: {
      Id: 'p-agent',
      Arn: `${INSTANCE_ARN}/security-profile/p-agent`,
      SecurityProfileName: 'Agent',
      AllowedAccessControlTags: {},
      TagRestrictedResources: [],
    },
  });
  connect.on(SearchUsersCommand).resolves({
    Users: [user('u1', 'ada', ['p-agent']), user('u2', 'root-admin', ['p-admin'])],
    ApproximateTotalCount: 2,
  });
  connect.on(ListApprovedOriginsCommand).resolves({ Origins: ['https://www.example.com'] });
  connect.on(ListLambdaFunctionsCommand).resolves({ LambdaFunctions: [SCREEN_CALLER_ARN, SECURE_INPUT_ARN] });
  connect
    .on(ListBotsCommand, { LexVersion: 'V2' })
    .resolves({ LexBots: [{ LexV2Bot: { AliasArn: BOT_ALIAS_ARN } }] });
  connect.on(ListBotsCommand, { LexVersion: 'V1' }).resolves({ LexBots: [] });
  connect.on(ListSecurityKeysCommand).resolves({
    SecurityKeys: [
      { AssociationId: KEY_ID, Key: PUBLIC_KEY, CreationTime: new Date('2027-01-15T10:00:00Z') },
    ],
  });
  connect.on(ListInstanceStorageConfigsCommand).resolves({ StorageConfigs: [] });
  connect.on(ListInstanceStorageConfigsCommand, { ResourceType: 'CALL_RECORDINGS' }).resolves({
    StorageConfigs: [
      {
        AssociationId: 'a1',
        StorageType: 'S3',
        S3Config: {
          BucketName: RECORDINGS_BUCKET,
          BucketPrefix: RECORDINGS_PREFIX,
          EncryptionConfig: { EncryptionType: 'KMS', KeyId: KMS_KEY_ARN },
        },
      },
    ],
  });
  connect.on(ListInstanceStorageConfigsCommand, { ResourceType: 'CONTACT_TRACE_RECORDS' }).resolves({
    StorageConfigs: [
      {
        AssociationId: 'a2',
        StorageType: 'KINESIS_STREAM',
        KinesisStreamConfig: { StreamArn: CTR_STREAM_ARN },
      },
    ],
  });
  connect.on(ListContactFlowsCommand).resolves({
    ContactFlowSummaryList: [
      flowSummary('f-screen', 'flowguard caller screening'),
      flowSummary('f-pay', 'flowguard secure payment'),
      flowSummary('f-menu', 'Main menu'),
      flowSummary('f-draft', 'Draft', 'SAVED'),
    ],
  });
  connect
    .on(DescribeContactFlowCommand, { ContactFlowId: 'f-screen' })
    .resolves(describedFlow('f-screen', 'flowguard caller screening', SCREENING_FLOW));
  connect
    .on(DescribeContactFlowCommand, { ContactFlowId: 'f-pay' })
    .resolves(describedFlow('f-pay', 'flowguard secure payment', PAYMENT_FLOW));
  connect
    .on(DescribeContactFlowCommand, { ContactFlowId: 'f-menu' })
    .resolves(describedFlow('f-menu', 'Main menu', MENU_FLOW));
  connect
    .on(DescribeContactFlowCommand, { ContactFlowId: 'f-draft' })
    .resolves(describedFlow('f-draft', 'Draft', SCREENING_FLOW, 'SAVED'));
  connect.on(ListContactFlowModulesCommand).resolves({
    ContactFlowModulesSummaryList: [
      { Id: MODULE_ID, Arn: `${INSTANCE_ARN}/flow-module/${MODULE_ID}`, Name: 'Menu bot', State: 'ACTIVE' },
    ],
  });
  connect.on(DescribeContactFlowModuleCommand).resolves({
    ContactFlowModule: {
      Arn: `${INSTANCE_ARN}/flow-module/${MODULE_ID}`,
      Id: MODULE_ID,
      Name: 'Menu bot',
      Content: JSON.stringify(MENU_MODULE),
      Description: '',
      State: 'ACTIVE',
      Status: 'PUBLISHED',
      Tags: {},
    },
  });
  kms.on(DescribeKeyCommand).resolves({
    KeyMetadata: {
      AWSAccountId: ACCOUNT,
      KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
      Arn: KMS_KEY_ARN,
      CreationDate: new Date('2026-01-10T09:00:00Z'),
      Enabled: true,
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
    },
  });
  kinesis.on(DescribeStreamSummaryCommand).resolves({
    StreamDescriptionSummary: {
      StreamName: 'connect-ctr',
      StreamARN: CTR_STREAM_ARN,
      StreamStatus: 'ACTIVE',
      RetentionPeriodHours: 24,
      StreamCreationTimestamp: new Date('2026-01-10T09:00:00Z'),
      EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
      EncryptionType: 'KMS',
      KeyId: KMS_KEY_ARN,
      OpenShardCount: 1,
    },
  });
  firehose.on(DescribeDeliveryStreamCommand).rejects(sdkError('ResourceNotFoundException'));
  cloudtrail.on(DescribeTrailsCommand).resolves({
    trailList: [
      {
        Name: 'org-trail',
        S3BucketName: 'amzn-s3-demo-trail',
        IncludeGlobalServiceEvents: true,
        IsMultiRegionTrail: true,
        HomeRegion: REGION,
        TrailARN: TRAIL_ARN,
        LogFileValidationEnabled: true,
        HasCustomEventSelectors: true,
        HasInsightSelectors: false,
        IsOrganizationTrail: false,
      },
    ],
  });
  cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: true });
  cloudtrail.on(GetEventSelectorsCommand).resolves(GOOD_SELECTORS);
  eventbridge.on(ListRulesCommand).resolves({
    Rules: [
      {
        Name: 'flowguard-connect-changes',
        Arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/flowguard-connect-changes`,
        EventPattern: WATCH_PATTERN,
        State: 'ENABLED',
        Description: 'watched Connect changes',
        EventBusName: 'default',
      },
    ],
  });
  eventbridge.on(ListTargetsByRuleCommand).resolves({
    Targets: [{ Id: 'alarm-topic', Arn: `arn:aws:sns:${REGION}:${ACCOUNT}:flowguard-alarms` }],
  });
}
