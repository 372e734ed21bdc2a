import { readHandlerConfig } from '@flowguard/contact';
import { readEncryptInputConfig, readSecureInputConfig, tokenContext } from '@flowguard/secure-input';
import { TABLE_NAME_VARIABLE, tableName } from '@flowguard/table';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TOKEN_CONTEXT_KEYS } from '../../src/flowguard.js';
import { FUNCTION_SPECS, type FunctionName, SETTING_VARIABLES } from '../../src/functions.js';
import { PARAMETER_PATTERNS } from '../../src/stack.js';
import {
  ALL,
  actionsOf,
  Deployment,
  idOf,
  prop,
  type Resource,
  resourcesOf,
  type Statement,
  statementsOf,
  synthStack,
} from './helpers.js';

const { template, json } = synthStack();

const functionId = (name: FunctionName) =>
  idOf(json, 'AWS::Lambda::Function', name.replace('-', '')).toString();
const aliasId = (name: FunctionName) => idOf(json, 'AWS::Lambda::Alias', `${name.replace('-', '')}live`);
const keyOf = (id: string) => json.Resources[id] as Resource;
const keyPolicy = (id: string) => prop<{ Statement: Statement[] }>(keyOf(id), 'KeyPolicy').Statement;
const refId = (value: unknown) => {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return v.Ref ?? v['Fn::GetAtt']?.[0];
};

describe('FlowguardStack functions', () => {
  it('runs every function on Node.js 22, arm64, within the flow limit, logging to an encrypted group', () => {
    const functions = resourcesOf(json, 'AWS::Lambda::Function').map(([, f]) => f.Properties ?? {});

    expect(functions.map((f) => f.FunctionName).sort()).toEqual(ALL.map((n) => `flowguard-${n}`).sort());
    for (const fn of functions) {
      expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
      expect(fn.Timeout).toBeLessThanOrEqual(8);
    }
    template.resourcePropertiesCountIs(
      'AWS::Logs::LogGroup',
      { RetentionInDays: 90, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('LogsKey'), 'Arn'] } },
      ALL.length,
    );
  });

  it('reserves concurrency for every function, so a flood on one cannot starve the others', () => {
    for (const spec of FUNCTION_SPECS) {
      expect(json.Resources[functionId(spec.name)]?.Properties?.ReservedConcurrentExecutions).toBe(
        spec.reservedConcurrency,
      );
    }
  });

  it('gives each function only the variables it reads: the table to screening, secret ids to secure-input', () => {
    const variables = (name: FunctionName) =>
      Object.keys(
        prop<{ Variables: object }>(json.Resources[functionId(name)], 'Environment').Variables,
      ).sort();
    const namespace = SETTING_VARIABLES.metricsNamespace;

    expect(variables('screen-caller')).toEqual([namespace, TABLE_NAME_VARIABLE, 'NODE_OPTIONS'].sort());
    expect(variables('flag-caller')).toEqual([namespace, TABLE_NAME_VARIABLE, 'NODE_OPTIONS'].sort());
    expect(variables('validate-input')).toEqual([namespace, 'NODE_OPTIONS'].sort());
    expect(variables('secure-input')).toEqual(
      [
        'FLOWGUARD_CONNECT_KEYS_SECRET_ID',
        'FLOWGUARD_FINGERPRINT_SECRET_ID',
        'FLOWGUARD_TOKEN_KMS_KEY_ID',
        namespace,
        'NODE_OPTIONS',
      ].sort(),
    );
    expect(variables('encrypt-input')).toEqual(
      ['FLOWGUARD_TOKEN_KMS_KEY_ID', namespace, 'NODE_OPTIONS'].sort(),
    );
  });

  it('names variables the functions actually read', () => {
    expect(tableName({ [SETTING_VARIABLES.table]: 'from-the-stack' })).toBe('from-the-stack');
    expect(readHandlerConfig({ [SETTING_VARIABLES.metricsNamespace]: 'Other' }).metricsNamespace).toBe(
      'Other',
    );
    expect(
      readSecureInputConfig({
        [SETTING_VARIABLES.connectKeysSecret]: 'keys',
        [SETTING_VARIABLES.fingerprintSecret]: 'fingerprint',
        [SETTING_VARIABLES.tokenKey]: 'token',
      }),
    ).toMatchObject({ keysSecretId: 'keys', fingerprintSecretId: 'fingerprint', tokenKeyId: 'token' });
    expect(readEncryptInputConfig({ [SETTING_VARIABLES.tokenKey]: 'token' })).toEqual({
      tokenKeyId: 'token',
    });
  });
});

describe('FlowguardStack permissions', () => {
  const tableKeyId = refId(
    prop<{ KMSMasterKeyId: unknown }>(
      json.Resources[idOf(json, 'AWS::DynamoDB::Table', 'Table')],
      'SSESpecification',
    ).KMSMasterKeyId,
  );

  it('grants screen-caller and flag-caller only the item actions they use, and the table key only through DynamoDB', () => {
    for (const [name, table] of [
      ['screen-caller', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']],
      ['flag-caller', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']],
    ] as const) {
      const statements = statementsOf(json, name);
      const kms = statements.find((s) => actionsOf([s]).some((a) => a.startsWith('kms:')));

      expect(actionsOf(statements)).toEqual(
        [
          ...table,
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:GenerateDataKey',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
        ].sort(),
      );
      expect(refId(kms?.Resource)).toBe(tableKeyId);
      expect(kms?.Condition).toEqual({
        StringEquals: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' },
      });
    }
  });

  it('grants secure-input its two secrets, their key only through Secrets Manager for them, and token data keys only with a token context', () => {
    const statements = statementsOf(json, 'secure-input');
    const secrets = statements.find((s) => s.Action === 'secretsmanager:GetSecretValue');
    const decrypt = statements.find((s) => s.Action === 'kms:Decrypt');
    const tokens = statements.find((s) => s.Action === 'kms:GenerateDataKey');

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
    expect(decrypt?.Condition?.StringEquals).toEqual({
      'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
      'kms:EncryptionContext:SecretARN': secrets?.Resource,
    });
    expect(Object.keys(tokenContext('contact', 'card')).sort()).toEqual([...TOKEN_CONTEXT_KEYS].sort());
    expect(tokens?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [...TOKEN_CONTEXT_KEYS] },
      Null: { 'kms:EncryptionContext:flowguard:contact-id': 'false' },
    });
    expect(refId(tokens?.Resource)).toMatch(/TokenKey/);
    expect(actionsOf(statementsOf(json, 'encrypt-input'))).toEqual(
      ['kms:GenerateDataKey', 'logs:CreateLogStream', 'logs:PutLogEvents'].sort(),
    );
  });

  it('grants validate-input nothing but writing its own logs', () => {
    expect(actionsOf(statementsOf(json, 'validate-input'))).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  it('has no inline policy, no wildcard action, and no wildcard resource without a VPC', () => {
    const policies = resourcesOf(json, 'AWS::IAM::ManagedPolicy');
    const statements = policies.flatMap(
      ([, p]) => prop<{ Statement: Statement[] }>(p, 'PolicyDocument').Statement,
    );

    expect(resourcesOf(json, 'AWS::IAM::Policy')).toEqual([]);
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      for (const action of actionsOf([statement])) expect(action).not.toContain('*');
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    }
  });
});

describe('FlowguardStack Connect integration', () => {
  it('lets only the Connect instance invoke, and only the live alias', () => {
    const permissions = resourcesOf(json, 'AWS::Lambda::Permission').map(([, p]) => p.Properties ?? {});

    expect(permissions).toHaveLength(ALL.length);
    for (const permission of permissions) {
      expect(permission).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'connect.amazonaws.com',
        SourceArn: { Ref: 'ConnectInstanceArn' },
        SourceAccount: '123456789012',
      });
    }
    expect(permissions.map((p) => refId(p.FunctionName)).sort()).toEqual(ALL.map(aliasId).sort());
  });

  it('points each live alias at a published version of its function', () => {
    for (const name of ALL) {
      const alias = json.Resources[aliasId(name)]?.Properties ?? {};
      const version = json.Resources[refId(alias.FunctionVersion) ?? '']?.Properties ?? {};

      expect(alias.Name).toBe('live');
      expect(refId(version.FunctionName)).toBe(functionId(name));
    }
  });

  it('associates each live alias, not the unqualified function, with the instance', () => {
    const associations = resourcesOf(json, 'AWS::Connect::IntegrationAssociation').map(
      ([, a]) => a.Properties ?? {},
    );

    expect(associations.map((a) => refId(a.IntegrationArn)).sort()).toEqual(ALL.map(aliasId).sort());
    for (const association of associations) {
      expect(association).toMatchObject({
        InstanceId: { Ref: 'ConnectInstanceArn' },
        IntegrationType: 'LAMBDA_FUNCTION',
      });
    }
  });

  it('writes the live alias into the flows and the module, never the unqualified function', () => {
    const contents = [
      ...resourcesOf(json, 'AWS::Connect::ContactFlow'),
      ...resourcesOf(json, 'AWS::Connect::ContactFlowModule'),
    ].map(([, f]) => JSON.stringify(f.Properties?.Content));

    // encrypt-input is in no shipped flow.
    for (const name of ALL.filter((n) => n !== 'encrypt-input')) {
      expect(contents.join('')).toContain(`{"Ref":"${aliasId(name)}"}`);
      expect(contents.join('')).not.toContain(`"${functionId(name)}"`);
    }
  });

  it('deploys flows/challenge.json as a flow module, its function filled in, after its association and permission', () => {
    const modules = resourcesOf(json, 'AWS::Connect::ContactFlowModule');
    const [, module] = modules[0] as [string, Resource];
    const content = new Deployment(json, {}).property(modules[0]?.[0] ?? '', 'Content') as string;
    const document = JSON.parse(content) as {
      Version: string;
      Actions: { Type: string; Parameters: Record<string, unknown> }[];
    };
    const association = idOf(json, 'AWS::Connect::IntegrationAssociation', 'challengeintegration');
    const permission = resourcesOf(json, 'AWS::Lambda::Permission').find(
      ([, p]) => refId(p.Properties?.FunctionName) === aliasId('challenge'),
    )?.[0];

    expect(modules).toHaveLength(1);
    expect(resourcesOf(json, 'AWS::Connect::ContactFlow').map(([, f]) => f.Properties?.Name)).not.toContain(
      'flowguard challenge',
    );
    expect(module.Properties).toMatchObject({
      Name: 'flowguard challenge',
      InstanceArn: { Ref: 'ConnectInstanceArn' },
    });
    expect(module.Properties?.Type).toBeUndefined();
    expect(document.Version).toBe('2019-10-30');
    expect(content).not.toContain('${');
    const invokes = document.Actions.filter((a) => a.Type === 'InvokeLambdaFunction');
    expect(invokes.map((a) => a.Parameters.LambdaFunctionARN)).toEqual([
      `<${aliasId('challenge')}>`,
      `<${aliasId('challenge')}>`,
    ]);
    expect(document.Actions.map((a) => a.Type)).toContain('EndFlowModuleExecution');
    expect(module.DependsOn).toEqual(expect.arrayContaining([association, permission]));
  });

  it("fills caller-screening's Invoke module block with the challenge module's ARN, so the module is made first", () => {
    const [moduleId] = resourcesOf(json, 'AWS::Connect::ContactFlowModule')[0] as [string, Resource];
    const flowId = idOf(json, 'AWS::Connect::ContactFlow', 'callerscreening');
    const content = new Deployment(json, { QueueArn: 'arn:queue' }).property(flowId, 'Content') as string;
    const document = JSON.parse(content) as {
      Actions: { Identifier: string; Type: string; Parameters: Record<string, unknown> }[];
    };

    // FlowModuleId takes a module's id or ARN (flow-language reference, InvokeFlowModule): the
    // ARN by GetAtt, which makes CloudFormation create the module before the flow.
    expect(document.Actions.filter((a) => a.Type === 'InvokeFlowModule')).toEqual([
      expect.objectContaining({
        Identifier: 'challenge',
        Parameters: { FlowModuleId: `<${moduleId}.ContactFlowModuleArn>` },
      }),
    ]);
    expect(JSON.stringify(json.Resources[flowId]?.Properties?.Content)).toContain(
      `{"Fn::GetAtt":["${moduleId}","ContactFlowModuleArn"]}`,
    );
    expect(content).not.toContain('${');
  });
});

describe('FlowguardStack data and keys', () => {
  it('keeps the table on demand, encrypted with its own key, recoverable, protected and retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    });
  });

  it('uses one key per purpose: table, secrets, alarm topic, tokens, logs, challenge; all rotated and retained', () => {
    const table = json.Resources[idOf(json, 'AWS::DynamoDB::Table', 'Table')]?.Properties as {
      SSESpecification: { KMSMasterKeyId: unknown };
    };
    const secretsBy = (challenge: boolean) =>
      resourcesOf(json, 'AWS::SecretsManager::Secret')
        .filter(([id]) => id.includes('ChallengeSecret') === challenge)
        .map(([, s]) => refId(s.Properties?.KmsKeyId));
    const secrets = secretsBy(false);
    const challenge = secretsBy(true);
    const topic = resourcesOf(json, 'AWS::SNS::Topic').map(([, t]) => refId(t.Properties?.KmsMasterKeyId));
    const logGroups = resourcesOf(json, 'AWS::Logs::LogGroup').map(([, g]) => refId(g.Properties?.KmsKeyId));
    const tokens = refId(
      prop<{ Variables: Record<string, unknown> }>(json.Resources[functionId('encrypt-input')], 'Environment')
        .Variables.FLOWGUARD_TOKEN_KMS_KEY_ID,
    );
    const purposes = [
      refId(table.SSESpecification.KMSMasterKeyId),
      secrets[0],
      topic[0],
      tokens,
      logGroups[0],
      challenge[0],
    ];

    expect(new Set(secrets).size).toBe(1);
    expect(new Set(logGroups).size).toBe(1);
    expect(challenge).toHaveLength(1);
    expect(new Set(purposes).size).toBe(6);
    template.resourceCountIs('AWS::KMS::Key', 6);
    template.allResources('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: { EnableKeyRotation: true },
    });
  });

  it('grants no service principal a key without a condition naming this account, its resources or its context', () => {
    const statements = resourcesOf(json, 'AWS::KMS::Key').flatMap(([id]) => keyPolicy(id));
    const forServices = statements.filter((s) => JSON.stringify(s.Principal).includes('Service'));

    expect(forServices.length).toBeGreaterThanOrEqual(3);
    for (const statement of forServices) {
      const conditions = JSON.stringify(statement.Condition ?? {});
      expect(conditions).toMatch(/aws:SourceAccount|aws:SourceArn|kms:EncryptionContext/);
      expect(conditions).toContain('123456789012');
    }
  });

  it('encrypts both secrets with the secrets key, the challenge secret with its own, and keeps them when the stack is deleted', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 3);
    for (const [id, secret] of resourcesOf(json, 'AWS::SecretsManager::Secret')) {
      expect(secret).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      const key = JSON.stringify(secret.Properties?.KmsKeyId);
      expect(key).toMatch(id.includes('ChallengeSecret') ? /ChallengeKey/ : /SecretsKey/);
    }
  });
});

describe('FlowguardStack alarm delivery', () => {
  const topicKeyId = idOf(json, 'AWS::KMS::Key', 'TopicKey');
  const alarmArns = /^arn:aws:cloudwatch:us-east-1:123456789012:alarm:flowguard-\*$/;
  const ruleArn = /^arn:aws:events:us-east-1:123456789012:rule\/flowguard-connect-security-changes$/;
  const flatten = (value: unknown) =>
    JSON.stringify(value).replace(
      /\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},"([^"]*)"\]\]\}/g,
      '"arn:aws$1"',
    );
  const sourceArnOf = (statement: Statement | undefined) =>
    JSON.parse(flatten(statement?.Condition?.ArnLike?.['aws:SourceArn'])) as string;

  it('lets CloudWatch alarms and the EventBridge rule use the topic key, for this account’s alarms and rule only', () => {
    const statements = keyPolicy(topicKeyId);
    const service = (name: string) =>
      statements.find((s) => JSON.stringify(s.Principal) === `{"Service":"${name}"}`);

    for (const [name, arn] of [
      ['cloudwatch.amazonaws.com', alarmArns],
      ['events.amazonaws.com', ruleArn],
    ] as const) {
      const statement = service(name);
      expect(actionsOf(statement ? [statement] : [])).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      expect(statement?.Condition?.StringEquals).toEqual({ 'aws:SourceAccount': '123456789012' });
      expect(sourceArnOf(statement)).toMatch(arn);
    }
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [topicKeyId, 'Arn'] },
    });
  });

  it('lets the same alarms and rule, and nothing else, publish to the topic, over TLS only', () => {
    const [, policy] = resourcesOf(json, 'AWS::SNS::TopicPolicy')[0] ?? [];
    const statements = prop<{ Statement: Statement[] }>(policy, 'PolicyDocument').Statement;
    const allows = statements.filter((s) => s.Effect === 'Allow');

    expect(allows.map((s) => JSON.stringify(s.Principal)).sort()).toEqual([
      '{"Service":"cloudwatch.amazonaws.com"}',
      '{"Service":"events.amazonaws.com"}',
    ]);
    for (const statement of allows) {
      expect(statement.Action).toBe('sns:Publish');
      expect(statement.Condition?.StringEquals).toEqual({ 'aws:SourceAccount': '123456789012' });
      expect(sourceArnOf(statement)).toMatch(/alarm:flowguard-\*$|rule\/flowguard-connect-security-changes$/);
    }
    expect(statements.find((s) => s.Effect === 'Deny')?.Condition).toEqual({
      Bool: { 'aws:SecureTransport': 'false' },
    });
  });

  it('names every alarm under the prefix the topic trusts, each sending to the topic', () => {
    for (const [, alarm] of resourcesOf(json, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties?.AlarmName).toMatch(/^flowguard-/);
      expect(alarm.Properties?.AlarmActions).toEqual([
        { Ref: idOf(json, 'AWS::SNS::Topic', 'SecurityAlarms') },
      ]);
    }
  });

  it('subscribes the AlarmEmail address, only when one is given', () => {
    const [id, subscription] = resourcesOf(json, 'AWS::SNS::Subscription')[0] ?? [];

    expect(subscription?.Properties).toMatchObject({ Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' } });
    expect(json.Conditions?.[subscription?.Condition as string]).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmEmail' }, ''] }],
    });
    expect(id).toBeDefined();
    expect(json.Parameters?.AlarmEmail?.Default).toBe('');
  });

  it('names the topic, the table, the keys secret and every live alias in its outputs', () => {
    const outputs = json.Outputs ?? {};

    expect(outputs.AlarmTopicArn?.Value).toEqual({ Ref: idOf(json, 'AWS::SNS::Topic', 'SecurityAlarms') });
    expect(outputs.TableName?.Value).toEqual({ Ref: idOf(json, 'AWS::DynamoDB::Table', 'Table') });
    expect(outputs.ConnectKeysSecretArn?.Value).toEqual({
      Ref: idOf(json, 'AWS::SecretsManager::Secret', 'ConnectKeys'),
    });
    for (const name of ALL) {
      const output = Object.values(outputs).find(
        (o) => JSON.stringify(o.Value) === `{"Ref":"${aliasId(name)}"}`,
      );
      expect(output, name).toBeDefined();
    }
  });
});

describe('FlowguardStack parameters', () => {
  const pattern = (name: keyof typeof PARAMETER_PATTERNS) => new RegExp(PARAMETER_PATTERNS[name]);
  const PEM_BODY =
    'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n';

  it('constrains every parameter with a pattern or a list of values', () => {
    for (const [name, parameter] of Object.entries(json.Parameters ?? {})) {
      if (name === 'BootstrapVersion') continue;
      expect(parameter.AllowedPattern ?? parameter.AllowedValues, name).toBeDefined();
    }
    expect(json.Parameters?.ActiveConnectKey?.AllowedValues).toEqual(['A', 'B']);
  });

  it('accepts real values and refuses what would break a resource or a flow', () => {
    const instance = 'arn:aws:connect:us-east-1:123456789012:instance/0f0e0d0c-0b0a-4909-8807-060504030201';

    expect(pattern('ConnectInstanceArn').test(instance)).toBe(true);
    expect(pattern('QueueArn').test(`${instance}/queue/11111111-2222-4333-8444-555555555555`)).toBe(true);
    expect(pattern('QueueArn').test('arn:aws:connect:us-east-1:123456789012:instance/x"}')).toBe(false);
    expect(pattern('AlarmEmail').test('')).toBe(true);
    expect(pattern('AlarmEmail').test('oncall@example.com')).toBe(true);
    expect(pattern('AlarmEmail').test('not an address')).toBe(false);
    expect(
      pattern('ConnectPublicKey').test(`-----BEGIN PUBLIC KEY-----\n${PEM_BODY}-----END PUBLIC KEY-----\n`),
    ).toBe(true);
    expect(
      pattern('ConnectPublicKey').test(`-----BEGIN PUBLIC KEY-----\\n${PEM_BODY}-----END PUBLIC KEY-----`),
    ).toBe(false);
    expect(
      pattern('ConnectCertificate').test(
        `-----BEGIN CERTIFICATE-----\r\n${PEM_BODY}-----END CERTIFICATE-----`,
      ),
    ).toBe(true);
    expect(
      pattern('ConnectCertificate').test(
        `-----BEGIN CERTIFICATE-----\\n${PEM_BODY}-----END CERTIFICATE-----\\n`,
      ),
    ).toBe(true);
    expect(
      pattern('ConnectCertificate').test(
        `-----BEGIN CERTIFICATE-----\n"}${PEM_BODY}-----END CERTIFICATE-----`,
      ),
    ).toBe(false);
    expect(
      pattern('ConnectCertificate').test(
        `-----BEGIN CERTIFICATE-----\n\\u0022${PEM_BODY}-----END CERTIFICATE-----`,
      ),
    ).toBe(false);
  });

  it('has no ConnectKeyId parameter: the key id is the association the stack creates', () => {
    expect(Object.keys(json.Parameters ?? {})).not.toContain('ConnectKeyId');
    expect(Object.keys(json.Parameters ?? {})).not.toContain('ConnectPublicKey');
  });
});
