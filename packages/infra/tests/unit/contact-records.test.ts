import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EVENT_SOURCE, policyGrants, STREAM_VARIABLES } from '../../src/contact-records.js';
import { Flowguard } from '../../src/flowguard.js';
import { SETTING_VARIABLES, STREAM_FUNCTION_SPECS } from '../../src/functions.js';
import {
  actionsOf,
  ENV,
  idOf,
  inlineCode,
  POLICY,
  prop,
  RECORDINGS_BUCKET_ARN,
  RECORDINGS_KEY,
  type Resource,
  resourcesOf,
  STREAM_ARN,
  type Statement,
  statementsOf,
  synthStack,
  type TemplateJson,
} from './helpers.js';

const FIREHOSE_ARN = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/cards-analytics';

const { template, json } = synthStack({
  contactRecords: {
    streamArn: STREAM_ARN,
    policy: POLICY,
    recordingsBucketArn: RECORDINGS_BUCKET_ARN,
    recordingsPrefix: 'connect/acme/',
  },
});

const fnId = (name: string) => idOf(json, 'AWS::Lambda::Function', name.replace(/-/g, ''));
const fnProps = (name: string) => json.Resources[fnId(name)]?.Properties ?? {};
const idOfKind = (j: TemplateJson, type: string, fragment: string) => idOf(j, type, fragment);
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });

/** A role's grants as `action -> resources` (each resource JSON-stringified), conditions alongside. */
function grants(statements: readonly Statement[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const s of statements) {
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    for (const action of Array.isArray(s.Action) ? s.Action : [s.Action]) {
      map.set(action, [...(map.get(action) ?? []), ...resources.map((r) => JSON.stringify(r))].sort());
    }
  }
  return map;
}

describe('the contact-record stream functions', () => {
  const queueId = idOfKind(json, 'AWS::SQS::Queue', 'FailedBatches');
  const deadLettersId = idOfKind(json, 'AWS::S3::Bucket', 'DeadLetters');
  const forwardingKeyId = idOfKind(json, 'AWS::KMS::Key', 'ForwardingKey');

  it('runs both on Node.js 22 behind a live alias, with the budget as timeout and reserved concurrency', () => {
    for (const spec of STREAM_FUNCTION_SPECS) {
      expect(fnProps(spec.name)).toMatchObject({
        FunctionName: `flowguard-${spec.name}`,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Timeout: 60,
        MemorySize: spec.memoryMb,
        ReservedConcurrentExecutions: spec.reservedConcurrency,
      });
      idOf(json, 'AWS::Lambda::Alias', `${spec.name.replace(/-/g, '')}live`);
    }
  });

  it('maps each to the stream: TRIM_HORIZON, ReportBatchItemFailures, bounded retries, on-failure queue, in order', () => {
    const mappings = resourcesOf(json, 'AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties ?? {});

    expect(mappings).toHaveLength(2);
    for (const name of STREAM_FUNCTION_SPECS.map((s) => s.name)) {
      const aliasId = idOf(json, 'AWS::Lambda::Alias', `${name.replace(/-/g, '')}live`);
      const mapping = mappings.find(
        (m) => JSON.stringify(m.FunctionName) === JSON.stringify({ Ref: aliasId }),
      );
      expect(mapping).toEqual({
        FunctionName: { Ref: aliasId },
        EventSourceArn: STREAM_ARN,
        StartingPosition: 'TRIM_HORIZON',
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: EVENT_SOURCE.batchSize,
        MaximumBatchingWindowInSeconds: EVENT_SOURCE.maximumBatchingWindowInSeconds,
        MaximumRetryAttempts: EVENT_SOURCE.maximumRetryAttempts,
        BisectBatchOnFunctionError: false,
        ParallelizationFactor: 1,
        DestinationConfig: { OnFailure: { Destination: getAtt(queueId) } },
      });
    }
    expect(EVENT_SOURCE.maximumRetryAttempts).toBeGreaterThan(0);
  });

  it('keeps dead letters and failed batches encrypted under their own key, the bucket TLS-only, versioned, logged, private', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: getAtt(forwardingKeyId) });
    const bucket = json.Resources[deadLettersId] as Resource;
    expect(prop(bucket, 'BucketEncryption')).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: getAtt(forwardingKeyId) },
        },
      ],
    });
    expect(prop(bucket, 'VersioningConfiguration')).toEqual({ Status: 'Enabled' });
    expect(prop(bucket, 'PublicAccessBlockConfiguration')).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(prop<object>(bucket, 'LoggingConfiguration')).toHaveProperty('DestinationBucketName');
    expect(prop<{ Rules: unknown[] }>(bucket, 'LifecycleConfiguration').Rules).toHaveLength(1);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: deadLettersId },
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Principal: { AWS: '*' },
          },
        ],
      },
    });
  });

  it('hands each the policy, the dead-letter bucket and key, the namespace; the fingerprint secret to the one that hashes', () => {
    const variables = (name: string) =>
      prop<{ Variables: Record<string, unknown> }>(json.Resources[fnId(name)], 'Environment').Variables;
    const common = {
      NODE_OPTIONS: '--enable-source-maps',
      [SETTING_VARIABLES.metricsNamespace]: 'Flowguard',
      [STREAM_VARIABLES.policy]: POLICY,
      [STREAM_VARIABLES.deadLetterBucket]: { Ref: deadLettersId },
      [STREAM_VARIABLES.deadLetterKey]: getAtt(forwardingKeyId),
    };

    expect(variables('forward-contact-records')).toEqual({
      ...common,
      [SETTING_VARIABLES.fingerprintSecret]: {
        Ref: idOf(json, 'AWS::SecretsManager::Secret', 'FingerprintSecret'),
      },
    });
    expect(variables('forward-recordings')).toEqual(common);
  });

  it('grants forward-contact-records the stream, its queue and dead letters, the fingerprint key and the one Firehose stream', () => {
    const statements = statementsOf(json, 'forward-contact-records' as never);
    const secretId = idOf(json, 'AWS::SecretsManager::Secret', 'FingerprintSecret');
    const secretsKeyId = idOf(json, 'AWS::KMS::Key', 'SecretsKey');
    const logGroupId = idOf(json, 'AWS::Logs::LogGroup', 'forwardcontactrecords');

    expect(Object.fromEntries(grants(statements))).toEqual({
      'logs:CreateLogStream': [JSON.stringify(getAtt(logGroupId))],
      'logs:PutLogEvents': [JSON.stringify(getAtt(logGroupId))],
      ...streamRead,
      'sqs:SendMessage': [JSON.stringify(getAtt(queueId))],
      'kms:GenerateDataKey': [
        JSON.stringify(getAtt(forwardingKeyId)),
        JSON.stringify(getAtt(forwardingKeyId)),
      ],
      'kms:Decrypt': [JSON.stringify(getAtt(forwardingKeyId)), JSON.stringify(getAtt(secretsKeyId))].sort(),
      's3:PutObject': [JSON.stringify(join(getAtt(deadLettersId), '/dead-letter/*'))],
      'secretsmanager:GetSecretValue': [JSON.stringify({ Ref: secretId })],
      'firehose:PutRecordBatch': [
        JSON.stringify(
          join(
            'arn:',
            { Ref: 'AWS::Partition' },
            ':firehose:us-east-1:123456789012:deliverystream/cards-analytics',
          ),
        ),
      ],
    });
    expect(actionsOf(statements).every((a) => !a.includes('*'))).toBe(true);
  });

  it('grants forward-recordings the stream, its queue and dead letters, the copy source prefix and the destination prefix and key', () => {
    const statements = statementsOf(json, 'forward-recordings' as never);
    const logGroupId = idOf(json, 'AWS::Logs::LogGroup', 'forwardrecordings');
    const destination = JSON.stringify(
      join('arn:', { Ref: 'AWS::Partition' }, ':s3:::complaints-archive/connect/*'),
    );

    expect(Object.fromEntries(grants(statements))).toEqual({
      'logs:CreateLogStream': [JSON.stringify(getAtt(logGroupId))],
      'logs:PutLogEvents': [JSON.stringify(getAtt(logGroupId))],
      ...streamRead,
      'sqs:SendMessage': [JSON.stringify(getAtt(queueId))],
      'kms:GenerateDataKey': [
        JSON.stringify(getAtt(forwardingKeyId)),
        JSON.stringify(getAtt(forwardingKeyId)),
        JSON.stringify(RECORDINGS_KEY),
      ].sort(),
      'kms:Decrypt': [JSON.stringify(getAtt(forwardingKeyId)), JSON.stringify(RECORDINGS_KEY)].sort(),
      's3:PutObject': [JSON.stringify(join(getAtt(deadLettersId), '/dead-letter/*')), destination].sort(),
      's3:PutObjectTagging': [destination],
      's3:GetObject': [destination, JSON.stringify(`${RECORDINGS_BUCKET_ARN}/connect/acme/*`)].sort(),
      's3:ListBucket': [JSON.stringify(join('arn:', { Ref: 'AWS::Partition' }, ':s3:::complaints-archive'))],
    });
    expect(actionsOf(statements).every((a) => !a.includes('*'))).toBe(true);
  });

  it('alarms on failed and dead-lettered records, errors, iterator age and skipped batches', () => {
    const names = resourcesOf(json, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties?.AlarmName);
    for (const name of ['forward-contact-records', 'forward-recordings']) {
      for (const what of ['failed', 'dead-lettered', 'dead-lettered-by-policy', 'errors', 'iterator-age']) {
        expect(names).toContain(`flowguard-${name}-${what}`);
      }
    }
    expect(names).toContain('flowguard-forwarding-failed-batches');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'flowguard-forward-contact-records-iterator-age',
      MetricName: 'IteratorAge',
      Namespace: 'AWS/Lambda',
      Statistic: 'Maximum',
      Threshold: 300_000,
      EvaluationPeriods: 3,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'flowguard-forward-recordings-dead-lettered',
      MetricName: 'DeadLettered',
      Namespace: 'Flowguard',
      Dimensions: [{ Name: 'function', Value: 'forward-recordings' }],
    });
    const failed = resourcesOf(json, 'AWS::CloudWatch::Alarm').find(
      ([, r]) => r.Properties?.AlarmName === 'flowguard-forward-contact-records-failed',
    );
    expect(JSON.stringify(failed?.[1].Properties?.Metrics)).toContain(
      `SELECT SUM(Failed) FROM SCHEMA(\\"Flowguard\\", \\"function\\", \\"policy\\") WHERE \\"function\\" = 'forward-contact-records'`,
    );
  });
});

const streamRead = Object.fromEntries(
  [
    'kinesis:DescribeStream',
    'kinesis:DescribeStreamSummary',
    'kinesis:GetRecords',
    'kinesis:GetShardIterator',
    'kinesis:ListShards',
  ].map((a) => [a, [JSON.stringify(STREAM_ARN)]]),
);

describe('the policy document at synth', () => {
  it('grants each destination type its one put action on the named resource, and nothing for the others', () => {
    const cases = [
      {
        destination: { type: 'firehose', deliveryStream: FIREHOSE_ARN },
        action: 'firehose:PutRecordBatch',
        arn: FIREHOSE_ARN,
      },
      {
        destination: { type: 'kinesis', stream: 'arn:aws:kinesis:eu-west-1:111122223333:stream/out' },
        action: 'kinesis:PutRecords',
        arn: 'arn:aws:kinesis:eu-west-1:111122223333:stream/out',
      },
      {
        destination: {
          type: 'eventbridge',
          eventBus: 'arn:aws:events:us-east-1:123456789012:event-bus/crm',
          source: 'a',
          detailType: 'b',
        },
        action: 'events:PutEvents',
        arn: 'arn:aws:events:us-east-1:123456789012:event-bus/crm',
      },
      {
        destination: { type: 's3', bucket: 'drop', prefix: 'in/' },
        action: 's3:PutObject',
        arn: 'arn:aws:s3:::drop/in/*',
      },
    ];
    const putActions = ['firehose:PutRecordBatch', 'kinesis:PutRecords', 'events:PutEvents'];
    const app = new App();
    cases.forEach(({ destination }, i) => {
      const stack = new Stack(app, `Case${i}`, { env: ENV });
      new Flowguard(stack, 'Flowguard', {
        instanceArn: 'arn:aws:connect:us-east-1:123456789012:instance/00000000-0000-0000-0000-000000000000',
        functions: [],
        code: inlineCode,
        contactRecords: {
          streamArn: STREAM_ARN,
          policy: JSON.stringify({
            version: 1,
            policies: [{ name: 'p', match: { queues: ['Cards'] }, fields: ['Channel'], destination }],
          }),
        },
      });
    });
    cases.forEach(({ action, arn }, i) => {
      const caseJson = Template.fromStack(app.node.findChild(`Case${i}`) as Stack).toJSON() as TemplateJson;
      const granted = grants(statementsOf(caseJson, 'forward-contact-records' as never));
      const resolved = (granted.get(action) ?? []).map((r) =>
        r.replace(/\{"Ref":"AWS::Partition"\}/g, '"aws"'),
      );
      expect(resolved.some((r) => r.includes(arn.replace('arn:aws:s3', '')))).toBe(true);
      for (const other of putActions.filter((a) => a !== action))
        expect(granted.has(other), other).toBe(false);
      if (action !== 's3:PutObject') expect(granted.get('s3:PutObject')).toHaveLength(1); // dead letters only
    });
  });

  it('reads what the grants need and names a JSON path, never a value, when it is missing', () => {
    expect(policyGrants(POLICY)).toEqual({
      destinations: [
        {
          type: 'firehose',
          deliveryStream: 'cards-analytics',
          path: '/policies/0/destination/deliveryStream',
        },
      ],
      recordings: [{ bucket: 'complaints-archive', prefix: 'connect/', kmsKeyId: RECORDINGS_KEY }],
      hashes: true,
    });
    expect(() =>
      policyGrants('{"version":1,"policies":[{"name":"p","destination":{"type":"ftp"}}]}'),
    ).toThrow(
      'contactRecords.policy: /policies/0/destination/type: must be one of firehose, kinesis, eventbridge, s3',
    );
    expect(() => policyGrants('secret-looking{')).toThrow(/: is not JSON$/);
  });
});

describe('without contactRecords', () => {
  it('creates neither function, mapping, queue, dead-letter bucket nor their alarms', () => {
    const app = new App();
    const stack = new Stack(app, 'Plain', { env: ENV });
    new Flowguard(stack, 'Flowguard', {
      instanceArn: 'arn:aws:connect:us-east-1:123456789012:instance/00000000-0000-0000-0000-000000000000',
      functions: ['validate-input'],
      code: inlineCode,
    });
    const plain = Template.fromStack(stack).toJSON() as TemplateJson;
    const text = JSON.stringify(plain);

    expect(resourcesOf(plain, 'AWS::Lambda::EventSourceMapping')).toEqual([]);
    expect(resourcesOf(plain, 'AWS::SQS::Queue')).toEqual([]);
    expect(resourcesOf(plain, 'AWS::S3::Bucket')).toEqual([]);
    expect(text).not.toContain('forward-');
    expect(text).not.toContain('ForwardingKey');
  });
});

describe('a Firehose stream of another account', () => {
  const INSTANCE = 'arn:aws:connect:us-east-1:123456789012:instance/00000000-0000-0000-0000-000000000000';
  const policyOf = (...destinations: object[]) =>
    JSON.stringify({
      version: 1,
      policies: destinations.map((destination, i) => ({
        name: `p${i}`,
        match: { queues: ['Cards'] },
        fields: ['Channel'],
        destination,
      })),
    });
  /** `null`: an environment-agnostic stack. */
  const build = (policy: string, env: typeof ENV | null = ENV) => {
    const app = new App();
    const stack = new Stack(app, 'S', env ? { env } : {});
    new Flowguard(stack, 'Flowguard', {
      instanceArn: INSTANCE,
      functions: [],
      code: inlineCode,
      contactRecords: { streamArn: STREAM_ARN, policy },
    });
    return Template.fromStack(stack).toJSON() as TemplateJson;
  };
  const firehose = (deliveryStream: string) => ({ type: 'firehose', deliveryStream });
  const ours = (j: TemplateJson) =>
    Object.entries(j.Rules ?? {})
      .filter(([id]) => id.includes('FirehoseInStackAccount'))
      .flatMap(([, r]) => (r as { Assertions: unknown[] }).Assertions);

  it('is refused at synth, naming its JSON path, when the stack’s account is known', () => {
    const policy = policyOf(
      firehose('cards'),
      firehose('arn:aws:firehose:us-east-1:111122223333:deliverystream/cards-analytics'),
    );
    expect(() => build(policy)).toThrow(
      "contactRecords.policy: /policies/1/destination/deliveryStream: names a Firehose stream of account 111122223333, but it must be in the stack's account 123456789012: PutRecordBatch takes a stream name",
    );
  });

  it('lets through one of the stack’s account in another region (the function writes there), and Kinesis and EventBridge of other accounts', () => {
    const policy = policyOf(
      firehose('arn:aws:firehose:eu-west-1:123456789012:deliverystream/cards-analytics'),
      { type: 'kinesis', stream: 'arn:aws:kinesis:eu-west-1:111122223333:stream/out' },
      {
        type: 'eventbridge',
        eventBus: 'arn:aws:events:us-east-1:111122223333:event-bus/crm',
        source: 'a',
        detailType: 'b',
      },
    );
    const j = build(policy);
    const granted = grants(statementsOf(j, 'forward-contact-records' as never));
    expect(granted.get('firehose:PutRecordBatch')).toEqual([
      JSON.stringify('arn:aws:firehose:eu-west-1:123456789012:deliverystream/cards-analytics'),
    ]);
    expect(ours(j)).toEqual([]);
  });

  it('is refused at deploy by a template rule when the stack’s account is not known at synth; two accounts fail the synth', () => {
    const one = policyOf(firehose('arn:aws:firehose:us-east-1:111122223333:deliverystream/cards'));
    expect(ours(build(one, null))).toEqual([
      {
        Assert: { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, '111122223333'] },
        AssertDescription: expect.stringContaining(
          'contactRecords.policy: /policies/0/destination/deliveryStream names a Firehose stream of account 111122223333',
        ),
      },
    ]);
    const two = policyOf(
      firehose('arn:aws:firehose:us-east-1:111122223333:deliverystream/cards'),
      firehose('arn:aws:firehose:us-east-1:444455556666:deliverystream/cards'),
    );
    expect(() => build(two, null)).toThrow(
      "contactRecords.policy: /policies/1/destination/deliveryStream: names a Firehose stream of account 444455556666, but it must be in the stack's account (also named by /policies/0/destination/deliveryStream: 111122223333)",
    );
    expect(ours(build(policyOf(firehose('cards')), null))).toEqual([]);
  });
});
