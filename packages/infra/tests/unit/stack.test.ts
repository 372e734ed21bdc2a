import { App, aws_ec2 as ec2, aws_lambda as lambda, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FlowguardStack, shippedFlows } from '../../src/index.js';

const ENV = { account: '123456789012', region: 'us-east-1' };
const ALL = ['screen-caller', 'flag-caller', 'validate-input', 'secure-input', 'encrypt-input'];
const flows = shippedFlows(new URL('../../../../flows/', import.meta.url));

function synth(options: { functions?: string[]; vpc?: boolean; logArchive?: boolean } = {}) {
  const app = new App();
  let vpc: ec2.IVpc | undefined;
  if (options.vpc) vpc = new ec2.Vpc(new Stack(app, 'Network', { env: ENV }), 'Vpc', { maxAzs: 2 });
  const stack = new FlowguardStack(app, 'Flowguard', {
    env: ENV,
    functions: options.functions ?? ALL,
    code: () => lambda.Code.fromInline('export const handler = async () => ({});'),
    flows,
    vpc,
    logArchive: options.logArchive,
  });
  return Template.fromStack(stack);
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** The statements of the policy attached to a function's role, by function name. */
function statementsOf(template: Template, name: string): Statement[] {
  const roles = template.findResources('AWS::IAM::Role', {
    Properties: { Description: `flowguard ${name}: least privilege` },
  });
  const roleId = Object.keys(roles)[0];
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

describe('FlowguardStack', () => {
  const template = synth();

  it('runs every function on Node.js 22, arm64, within the flow limit, with a log retention', () => {
    const functions = template.findResources('AWS::Lambda::Function');

    expect(
      Object.values(functions)
        .map((f) => f.Properties.FunctionName)
        .sort(),
    ).toEqual(ALL.map((n) => `flowguard-${n}`).sort());
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
      expect(fn.Properties.Timeout).toBeLessThanOrEqual(8);
    }
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 90 }, ALL.length);
  });

  it('grants screen-caller and flag-caller only the item actions they use on the table', () => {
    expect(actionsOf(statementsOf(template, 'screen-caller'))).toEqual(
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ].sort(),
    );
    expect(actionsOf(statementsOf(template, 'flag-caller'))).toEqual(
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ].sort(),
    );
  });

  it('grants secure-input GetSecretValue on its two secrets and only GenerateDataKey on the token key', () => {
    const statements = statementsOf(template, 'secure-input');
    const secrets = statements.find((s) => s.Action === 'secretsmanager:GetSecretValue');

    expect(actionsOf(statements)).toEqual(
      [
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
      ].sort(),
    );
    expect(secrets?.Resource).toHaveLength(2);
  });

  it('grants validate-input nothing but writing its own logs', () => {
    expect(actionsOf(statementsOf(template, 'validate-input'))).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  it('has no wildcard action anywhere, and no wildcard resource without a VPC', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);

    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      for (const action of Array.isArray(statement.Action) ? statement.Action : [statement.Action])
        expect(action).not.toContain('*');
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    }
  });

  it('uses a wildcard resource only for the EC2 network-interface actions that require one, in a VPC', () => {
    const statements = statementsOf(synth({ vpc: true, functions: ['validate-input'] }), 'validate-input');
    const wildcard = statements.filter((s) => s.Resource === '*');

    expect(wildcard).toHaveLength(1);
    expect(
      actionsOf(wildcard).every(
        (a) => (a.startsWith('ec2:') && a.includes('NetworkInterface')) || a.includes('PrivateIpAddresses'),
      ),
    ).toBe(true);
  });

  it('lets only the Connect instance invoke the functions', () => {
    template.resourceCountIs('AWS::Lambda::Permission', ALL.length);
    template.allResourcesProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'connect.amazonaws.com',
      SourceArn: { Ref: 'ConnectInstanceArn' },
      SourceAccount: '123456789012',
    });
  });

  it('associates every function with the instance', () => {
    template.resourceCountIs('AWS::Connect::IntegrationAssociation', ALL.length);
    template.allResourcesProperties('AWS::Connect::IntegrationAssociation', {
      InstanceId: { Ref: 'ConnectInstanceArn' },
      IntegrationType: 'LAMBDA_FUNCTION',
    });
  });

  it('keeps the table on demand, encrypted with its own key, recoverable and protected', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      DeletionProtectionEnabled: true,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('encrypts both secrets with the customer-managed key', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.allResourcesProperties('AWS::SecretsManager::Secret', { KmsKeyId: Match.anyValue() });
  });

  it('alarms on errors, throttles, fail-open answers and a spike in blocks', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const metrics = alarms.map((a) => `${a.Properties.Namespace}/${a.Properties.MetricName}`);

    expect(metrics.filter((m) => m === 'AWS/Lambda/Errors')).toHaveLength(ALL.length);
    expect(metrics.filter((m) => m === 'AWS/Lambda/Throttles')).toHaveLength(ALL.length);
    expect(metrics).toEqual(expect.arrayContaining(['Flowguard/Invocations', 'Flowguard/Block']));
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
  });

  it('sends identity and security-profile changes from CloudTrail to the alarm topic', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.connect'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['connect.amazonaws.com'],
          eventName: [
            'UpdateUserIdentityInfo',
            'CreateSecurityProfile',
            'UpdateSecurityProfile',
            'DeleteSecurityProfile',
          ],
        },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.anyValue() } })],
    });
  });

  it('deploys every shipped flow with the functions’ ARNs and no placeholder left', () => {
    const contactFlows = Object.values(template.findResources('AWS::Connect::ContactFlow'));
    const contents = contactFlows.map((f) => JSON.stringify(f.Properties.Content));

    expect(contactFlows.map((f) => f.Properties.Name).sort()).toEqual([
      'flowguard agent-flag-caller',
      'flowguard caller-screening',
      'flowguard secure-payment',
      'flowguard validate-account',
    ]);
    for (const content of contents) expect(content).not.toMatch(/\$\{[A-Za-z]+\}/);
    expect(contents.join('')).toContain('Fn::GetAtt');
    template.hasResourceProperties('AWS::Connect::SecurityKey', { Key: { Ref: 'ConnectPublicKey' } });
  });

  it('leaves out a flow whose function is not deployed', () => {
    const partial = synth({ functions: ['screen-caller', 'flag-caller', 'validate-input'] });
    const names = Object.values(partial.findResources('AWS::Connect::ContactFlow')).map(
      (f) => f.Properties.Name,
    );

    expect(names).not.toContain('flowguard secure-payment');
    expect(names).toContain('flowguard caller-screening');
    partial.resourceCountIs('AWS::Connect::SecurityKey', 0);
  });

  it('adds an encrypted, private log archive with lifecycle rules when asked', () => {
    const withArchive = synth({ logArchive: true });

    withArchive.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Transitions: Match.arrayWith([Match.objectLike({ StorageClass: 'GLACIER' })]) }),
        ],
      },
    });
    template.resourceCountIs('AWS::S3::Bucket', 0);
  });
});
