import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { edgeFromContext } from '../../src/app.js';
import { EDGE_DEFAULTS, type EdgeProps, START_CONTACT_ACTIONS } from '../../src/edge.js';
import { EDGE_OUTCOMES } from '../../src/metrics.js';
import {
  Deployment,
  idOf,
  prop,
  type Resource,
  resourcesOf,
  roleStatements,
  type Statement,
  statementsOf,
  synthStack,
  type TemplateJson,
} from './helpers.js';

const INSTANCE = 'arn:aws:connect:us-east-1:123456789012:instance/0f0e0d0c-0b0a-4909-8807-060504030201';
const QUEUE = `${INSTANCE}/queue/11111111-2222-4333-8444-555555555555`;
const SUPPORT = '11111111-2222-4333-8444-555555555555';
const SALES = '66666666-7777-4888-9999-000000000000';
const EDGE: EdgeProps = {
  flows: { support: SUPPORT, sales: SALES },
  allowedOrigins: ['https://www.example.com', 'https://shop.example.com'],
};

const synth = (edge?: EdgeProps) => synthStack(edge ? { edge } : {}).json;
const deployment = (json: TemplateJson) =>
  new Deployment(json, { ConnectInstanceArn: INSTANCE, QueueArn: QUEUE });

/** A role's statements with every intrinsic evaluated as deployed. */
const evaluated = (json: TemplateJson, statements: readonly Statement[]) =>
  deployment(json).value(statements) as Statement[];
const startContactStatements = (json: TemplateJson) =>
  evaluated(json, roleStatements(json, 'flowguard start-contact: least privilege'));

const only = (json: TemplateJson, type: string): [string, Resource] => {
  const found = resourcesOf(json, type);
  if (found.length !== 1) throw new Error(`${found.length} ${type}`);
  return found[0] as [string, Resource];
};
const startContactFunction = (json: TemplateJson) =>
  resourcesOf(json, 'AWS::Lambda::Function').find(
    ([, r]) => r.Properties?.FunctionName === 'flowguard-start-contact',
  );
const variablesOf = (json: TemplateJson, resource: Resource | undefined) =>
  deployment(json).value(
    prop<{ Variables: Record<string, unknown> }>(resource, 'Environment').Variables,
  ) as Record<string, string>;

describe('start-contact in the stack (edge)', () => {
  const json = synth(EDGE);
  const d = deployment(json);

  it('is built like the others: Node 22 on arm64, the registry’s memory and concurrency, a live alias, its own encrypted log group', () => {
    const fn = startContactFunction(json);
    expect(fn).toBeDefined();
    const [id, resource] = fn as [string, Resource];
    expect(prop(resource, 'Runtime')).toBe('nodejs22.x');
    expect(prop(resource, 'Architectures')).toEqual(['arm64']);
    expect(prop(resource, 'MemorySize')).toBe(512);
    expect(prop(resource, 'ReservedConcurrentExecutions')).toBe(50);
    expect(prop(resource, 'Timeout')).toBe(3);
    expect(resource.Properties?.VpcConfig).toBeUndefined();
    const alias = resourcesOf(json, 'AWS::Lambda::Alias').find(([aliasId]) =>
      aliasId.includes('startcontactlive'),
    );
    expect(prop(alias?.[1], 'Name')).toBe('live');
    expect(JSON.stringify(prop(alias?.[1], 'FunctionName'))).toContain(id);
    const logGroup = d.value(prop(resource, 'LoggingConfig')) as { LogGroup: string };
    const groupId = logGroup.LogGroup.replace(/^<|>$/g, '');
    expect(json.Resources[groupId]?.Properties?.KmsKeyId).toBeDefined();
  });

  it('is configured by the contract’s variables: instance id, flows, origins, signing secret, table', () => {
    const variables = variablesOf(json, startContactFunction(json)?.[1]);
    expect(variables).toMatchObject({
      FLOWGUARD_CONNECT_INSTANCE_ID: '0f0e0d0c-0b0a-4909-8807-060504030201',
      FLOWGUARD_EDGE_FLOWS: `support=${SUPPORT},sales=${SALES}`,
      FLOWGUARD_EDGE_ALLOWED_ORIGINS: 'https://www.example.com,https://shop.example.com',
      FLOWGUARD_EDGE_SIGNING_SECRET_ID: `<${idOf(json, 'AWS::SecretsManager::Secret', 'SigningSecret')}>`,
      FLOWGUARD_TABLE_NAME: `<${idOf(json, 'AWS::DynamoDB::Table', 'Table')}>`,
      FLOWGUARD_METRICS_NAMESPACE: 'Flowguard',
    });
    expect(Object.keys(variables).filter((k) => k.startsWith('FLOWGUARD_EDGE_JWT'))).toEqual([]);
  });

  it('may start contacts on exactly the configured flows, use the table as screen-caller does, and read the signing secret: nothing else', () => {
    const table = idOf(json, 'AWS::DynamoDB::Table', 'Table');
    const tableKey = idOf(json, 'AWS::KMS::Key', 'TableKey');
    const secret = idOf(json, 'AWS::SecretsManager::Secret', 'SigningSecret');
    const signingKey = idOf(json, 'AWS::KMS::Key', 'SigningKey');
    const logGroup = idOf(json, 'AWS::Logs::LogGroup', 'startcontactlogs');
    expect(startContactStatements(json)).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: `<${logGroup}.Arn>`,
      },
      {
        Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        Effect: 'Allow',
        Resource: `<${table}.Arn>`,
      },
      {
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'],
        Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' } },
        Effect: 'Allow',
        Resource: `<${tableKey}.Arn>`,
      },
      {
        Action: [...START_CONTACT_ACTIONS],
        Effect: 'Allow',
        Resource: [`${INSTANCE}/contact-flow/${SUPPORT}`, `${INSTANCE}/contact-flow/${SALES}`],
      },
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: `<${secret}>` },
      {
        Action: 'kms:Decrypt',
        Condition: {
          StringEquals: {
            'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
            'kms:EncryptionContext:SecretARN': `<${secret}>`,
          },
        },
        Effect: 'Allow',
        Resource: `<${signingKey}.Arn>`,
      },
    ]);
    // The table's grant is screen-caller's own.
    const screen = evaluated(json, statementsOf(json, 'screen-caller'));
    expect(screen.find((s) => JSON.stringify(s.Action).includes('dynamodb'))).toEqual(
      startContactStatements(json).find((s) => JSON.stringify(s.Action).includes('dynamodb')),
    );
  });

  it('reads the JWT secret and decrypts it under its key when tokens are HMAC-signed', () => {
    const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:website-jwt-AbCdEf';
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    const withJwt = synth({
      ...EDGE,
      tokens: { secretArn, secretKeyArn: keyArn, issuer: 'https://id.example.com', audience: ['web'] },
    });
    const statements = startContactStatements(withJwt);
    expect(statements).toContainEqual({
      Action: 'secretsmanager:GetSecretValue',
      Effect: 'Allow',
      Resource: secretArn,
    });
    expect(statements).toContainEqual({
      Action: 'kms:Decrypt',
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
      Effect: 'Allow',
      Resource: keyArn,
    });
    expect(variablesOf(withJwt, startContactFunction(withJwt)?.[1])).toMatchObject({
      FLOWGUARD_EDGE_JWT_SECRET_ID: secretArn,
      FLOWGUARD_EDGE_JWT_ISSUER: 'https://id.example.com',
      FLOWGUARD_EDGE_JWT_AUDIENCE: 'web',
    });
  });

  it('creates the signing secret under its own key: 64 base64 characters, kept on deletion', () => {
    const secret = json.Resources[idOf(json, 'AWS::SecretsManager::Secret', 'SigningSecret')] as Resource;
    expect(prop(secret, 'GenerateSecretString')).toEqual({
      ExcludePunctuation: true,
      IncludeSpace: false,
      PasswordLength: 64,
    });
    expect(prop(secret, 'KmsKeyId')).toEqual({
      'Fn::GetAtt': [idOf(json, 'AWS::KMS::Key', 'SigningKey'), 'Arn'],
    });
    expect(secret.DeletionPolicy).toBe('Retain');
    // Used by nothing else: the key of the signing secret is its own.
    const keyId = idOf(json, 'AWS::KMS::Key', 'SigningKey');
    const users = Object.entries(json.Resources).filter(
      ([, r]) =>
        r.Type !== 'AWS::IAM::ManagedPolicy' && JSON.stringify(r.Properties ?? {}).includes(`"${keyId}"`),
    );
    expect(users.map(([, r]) => r.Type)).toEqual(['AWS::SecretsManager::Secret']);
  });

  it('routes POST and OPTIONS /start of an HTTP API (payload 2.0) to the live alias, leaving CORS to the function', () => {
    const [apiId, api] = only(json, 'AWS::ApiGatewayV2::Api');
    expect(prop(api, 'ProtocolType')).toBe('HTTP');
    expect(api.Properties?.CorsConfiguration).toBeUndefined();
    const routes = resourcesOf(json, 'AWS::ApiGatewayV2::Route').map(([, r]) => prop<string>(r, 'RouteKey'));
    expect(routes.sort()).toEqual(['OPTIONS /start', 'POST /start']);
    for (const [, route] of resourcesOf(json, 'AWS::ApiGatewayV2::Route')) {
      expect(route.Properties?.AuthorizationType ?? 'NONE').toBe('NONE');
    }
    const [, integration] = only(json, 'AWS::ApiGatewayV2::Integration');
    expect(prop(integration, 'PayloadFormatVersion')).toBe('2.0');
    expect(prop(integration, 'IntegrationType')).toBe('AWS_PROXY');
    const alias = idOf(json, 'AWS::Lambda::Alias', 'startcontactlive');
    expect(prop(integration, 'IntegrationUri')).toEqual({ Ref: alias });
    // API Gateway may invoke the alias for this API's /start only.
    const permissions = resourcesOf(json, 'AWS::Lambda::Permission').filter(
      ([, p]) => JSON.stringify(p.Properties?.FunctionName) === JSON.stringify({ Ref: alias }),
    );
    expect(permissions.length).toBeGreaterThan(0);
    for (const [, permission] of permissions) {
      expect(prop(permission, 'Principal')).toBe('apigateway.amazonaws.com');
      expect(d.value(prop(permission, 'SourceArn'))).toBe(
        `arn:aws:execute-api:us-east-1:123456789012:<${apiId}>/*/*/start`,
      );
    }
  });

  it('throttles the $default stage and logs access to an encrypted group without bodies, headers or addresses', () => {
    const [, stage] = only(json, 'AWS::ApiGatewayV2::Stage');
    expect(prop(stage, 'StageName')).toBe('$default');
    expect(prop(stage, 'AutoDeploy')).toBe(true);
    expect(prop(stage, 'DefaultRouteSettings')).toEqual({
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: EDGE_DEFAULTS.burstLimit,
    });
    const settings = prop<{ DestinationArn: unknown; Format: string }>(stage, 'AccessLogSettings');
    const groupId = (d.value(settings.DestinationArn) as string).replace(/^<|\.Arn>$/g, '');
    expect(json.Resources[groupId]?.Type).toBe('AWS::Logs::LogGroup');
    expect(json.Resources[groupId]?.Properties?.KmsKeyId).toBeDefined();
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(format.status).toBe('$context.status');
    const values = Object.values(format).join(' ');
    expect(values).not.toMatch(/header|body|authorization|identity|sourceIp|userAgent/i);

    const custom = synth({ ...EDGE, rateLimit: 5, burstLimit: 10 });
    expect(prop(only(custom, 'AWS::ApiGatewayV2::Stage')[1], 'DefaultRouteSettings')).toEqual({
      ThrottlingRateLimit: 5,
      ThrottlingBurstLimit: 10,
    });
  });

  it('gives screen-caller the signing secret, read only, only with edge', () => {
    const secret = idOf(json, 'AWS::SecretsManager::Secret', 'SigningSecret');
    const signingKey = idOf(json, 'AWS::KMS::Key', 'SigningKey');
    const screen = evaluated(json, statementsOf(json, 'screen-caller'));
    expect(
      screen.filter((s) => JSON.stringify(s).includes(secret) || JSON.stringify(s).includes(signingKey)),
    ).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: `<${secret}>` },
      {
        Action: 'kms:Decrypt',
        Condition: {
          StringEquals: {
            'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
            'kms:EncryptionContext:SecretARN': `<${secret}>`,
          },
        },
        Effect: 'Allow',
        Resource: `<${signingKey}.Arn>`,
      },
    ]);
    const screenFunction = resourcesOf(json, 'AWS::Lambda::Function').find(
      ([, r]) => r.Properties?.FunctionName === 'flowguard-screen-caller',
    );
    expect(variablesOf(json, screenFunction?.[1]).FLOWGUARD_EDGE_SIGNING_SECRET_ID).toBe(`<${secret}>`);
    // flag-caller, say, gets nothing of it.
    expect(JSON.stringify(statementsOf(json, 'flag-caller'))).not.toContain(secret);

    const without = synth();
    expect(actionsOfAll(statementsOf(without, 'screen-caller'))).not.toContain(
      'secretsmanager:GetSecretValue',
    );
    const plainScreen = resourcesOf(without, 'AWS::Lambda::Function').find(
      ([, r]) => r.Properties?.FunctionName === 'flowguard-screen-caller',
    );
    expect(variablesOf(without, plainScreen?.[1]).FLOWGUARD_EDGE_SIGNING_SECRET_ID).toBeUndefined();
    expect(
      resourcesOf(without, 'AWS::SecretsManager::Secret').filter(([id]) => id.includes('Signing')),
    ).toEqual([]);
    expect(startContactFunction(without)).toBeUndefined();
    expect(without.Outputs?.StartContactUrl).toBeUndefined();
  });

  it('outputs the endpoint a website POSTs to', () => {
    const apiId = only(json, 'AWS::ApiGatewayV2::Api')[0];
    expect(d.value(json.Outputs?.StartContactUrl?.Value)).toBe(`<${apiId}.ApiEndpoint>/start`);
  });

  it('alarms on errors, throttles and p99 of the alias, on the share of 502/503 answers and on a spike of 429/403', () => {
    const alarms = Object.fromEntries(
      resourcesOf(json, 'AWS::CloudWatch::Alarm').map(([, r]) => [prop<string>(r, 'AlarmName'), r]),
    );
    const names = Object.keys(alarms).filter((n) => n.startsWith('flowguard-start-contact-'));
    expect(names.sort()).toEqual(
      [
        'flowguard-start-contact-5xx',
        'flowguard-start-contact-errors',
        'flowguard-start-contact-latency-p99',
        'flowguard-start-contact-refused-spike',
        'flowguard-start-contact-throttles',
      ].sort(),
    );
    expect(prop(alarms['flowguard-start-contact-latency-p99'], 'Threshold')).toBe(2000);
    type Query = {
      Id: string;
      Expression?: string;
      MetricStat?: {
        Metric: { MetricName: string; Namespace: string; Dimensions: { Name: string; Value: unknown }[] };
      };
    };
    const outcomesOf = (alarm: Resource | undefined) =>
      prop<Query[]>(alarm, 'Metrics')
        .filter((m) => m.MetricStat?.Metric.MetricName === 'Requests')
        .map((m) => {
          const dims = Object.fromEntries(
            (m.MetricStat?.Metric.Dimensions ?? []).map((x) => [x.Name, x.Value]),
          );
          expect(m.MetricStat?.Metric.Namespace).toBe('Flowguard');
          expect(dims.function).toBe('start-contact');
          return dims.outcome;
        });
    const fiveXx = alarms['flowguard-start-contact-5xx'];
    expect(outcomesOf(fiveXx).sort()).toEqual([...EDGE_OUTCOMES.unavailable].sort());
    expect(outcomesOf(fiveXx)).toEqual(
      expect.arrayContaining(['internal', 'connect_error', 'store_unavailable', 'timeout']),
    );
    const expression = prop<Query[]>(fiveXx, 'Metrics').find((m) => m.Expression)?.Expression;
    expect(expression).toMatch(/^100 \* \(FILL\(failed0, 0\)( \+ FILL\(failed\d, 0\))+\) \/ calls$/);
    expect(prop(fiveXx, 'Threshold')).toBe(5);
    const refused = alarms['flowguard-start-contact-refused-spike'];
    expect(outcomesOf(refused).sort()).toEqual(['blocked', 'origin_refused', 'throttled']);
    expect(prop(refused, 'Threshold')).toBe(100);
  });
});

const actionsOfAll = (statements: readonly Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('the other front doors', () => {
  it('puts a REGIONAL web ACL (rate per IP, known bad inputs) on a REST API stage with waf', () => {
    const json = synth({ ...EDGE, waf: true, wafRateLimit: 200 });
    expect(resourcesOf(json, 'AWS::ApiGatewayV2::Api')).toEqual([]);
    const [restId, rest] = only(json, 'AWS::ApiGateway::RestApi');
    expect(prop(rest, 'EndpointConfiguration')).toEqual({ Types: ['REGIONAL'] });
    const methods = resourcesOf(json, 'AWS::ApiGateway::Method').map(([, m]) =>
      prop<string>(m, 'HttpMethod'),
    );
    expect(methods.sort()).toEqual(['OPTIONS', 'POST']);
    for (const [, m] of resourcesOf(json, 'AWS::ApiGateway::Method')) {
      expect(prop<{ Type: string }>(m, 'Integration').Type).toBe('AWS_PROXY');
    }
    const [stageId, stage] = only(json, 'AWS::ApiGateway::Stage');
    expect(
      prop<{ ThrottlingRateLimit: number; ThrottlingBurstLimit: number }[]>(stage, 'MethodSettings')[0],
    ).toMatchObject({
      HttpMethod: '*',
      ResourcePath: '/*',
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: EDGE_DEFAULTS.burstLimit,
      DataTraceEnabled: false,
    });
    const format = JSON.parse(prop<{ Format: string }>(stage, 'AccessLogSetting').Format) as Record<
      string,
      string
    >;
    expect(Object.values(format).join(' ')).not.toMatch(
      /header|body|authorization|identity|sourceIp|userAgent/i,
    );

    const [aclId, acl] = only(json, 'AWS::WAFv2::WebACL');
    expect(prop(acl, 'Scope')).toBe('REGIONAL');
    type Rule = {
      Name: string;
      Statement: Record<string, Record<string, unknown>>;
      Action?: unknown;
      OverrideAction?: unknown;
    };
    const rules = prop<Rule[]>(acl, 'Rules');
    expect(rules.find((r) => r.Name === 'rate-per-ip')).toMatchObject({
      Action: { Block: {} },
      Statement: { RateBasedStatement: { Limit: 200, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
    });
    expect(rules.find((r) => r.Name === 'known-bad-inputs')).toMatchObject({
      OverrideAction: { None: {} },
      Statement: {
        ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' },
      },
    });
    const [, association] = only(json, 'AWS::WAFv2::WebACLAssociation');
    const d = deployment(json);
    expect(d.value(prop(association, 'ResourceArn'))).toBe(
      `arn:aws:apigateway:us-east-1::/restapis/<${restId}>/stages/<${stageId}>`,
    );
    expect(d.value(prop(association, 'WebACLArn'))).toBe(`<${aclId}.Arn>`);
    const [, logging] = only(json, 'AWS::WAFv2::LoggingConfiguration');
    expect(prop(logging, 'RedactedFields')).toEqual([{ SingleHeader: { Name: 'authorization' } }]);
    expect(d.value(prop(logging, 'LogDestinationConfigs'))).toEqual([
      'arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-flowguard-start-contact',
    ]);
    const output = JSON.stringify(json.Outputs?.StartContactUrl?.Value);
    expect(output).toContain(restId);
    expect(output).toContain(stageId);
    expect(output).toMatch(/\/start"\]\]\}$/);
  });

  it('refuses waf on an HTTP API or a Function URL, naming the AWS reference', () => {
    expect(() => synth({ ...EDGE, waf: true, frontDoor: 'http-api' })).toThrow(
      /cannot be associated with an API Gateway HTTP API.*how-aws-waf-works-resources/,
    );
    expect(() => synth({ ...EDGE, waf: true, frontDoor: 'function-url' })).toThrow(/a Lambda Function URL/);
  });

  it('serves a Function URL with auth type NONE and no CORS of its own on the live alias', () => {
    const json = synth({ ...EDGE, frontDoor: 'function-url' });
    expect(resourcesOf(json, 'AWS::ApiGatewayV2::Api')).toEqual([]);
    const [urlId, url] = only(json, 'AWS::Lambda::Url');
    expect(prop(url, 'AuthType')).toBe('NONE');
    expect(url.Properties?.Cors).toBeUndefined();
    expect(prop(url, 'Qualifier')).toBe('live');
    expect(deployment(json).value(json.Outputs?.StartContactUrl?.Value)).toBe(`<${urlId}.FunctionUrl>`);
  });

  it('refuses flows, origins and variables start-contact would not accept', () => {
    expect(() => synth({ ...EDGE, flows: {} })).toThrow(/edge.flows: name at least one flow/);
    expect(() => synth({ ...EDGE, flows: { 'a b': SUPPORT } })).toThrow(/not a flow name/);
    expect(() => synth({ ...EDGE, flows: { support: 'not-a-uuid' } })).toThrow(/not a contact flow id/);
    expect(() => synth({ ...EDGE, allowedOrigins: ['https://www.example.com/'] })).toThrow(/not an origin/);
    expect(() => synth({ ...EDGE, allowedOrigins: ['http://www.example.com'] })).toThrow(/not an origin/);
    expect(() => synth({ ...EDGE, environment: { FLOWGUARD_EDGE_TYPO: 'x' } })).toThrow(
      /reads no variable FLOWGUARD_EDGE_TYPO/,
    );
  });
});

describe('the edge context flags', () => {
  const context = (values: Record<string, string>) => edgeFromContext(new App({ context: values }));

  it('builds the prop from -c edge=true and its values', () => {
    expect(context({})).toBeUndefined();
    expect(
      context({
        edge: 'true',
        edgeFlows: `support=${SUPPORT}, sales=${SALES}`,
        edgeAllowedOrigins: 'https://www.example.com',
        edgeFrontDoor: 'function-url',
        edgeRateLimit: '20',
        edgeJwksUrl: 'https://id.example.com/.well-known/jwks.json',
        edgeJwtIssuer: 'https://id.example.com',
        edgeJwtAudience: 'web,app',
      }),
    ).toEqual({
      flows: { support: SUPPORT, sales: SALES },
      allowedOrigins: ['https://www.example.com'],
      attributes: undefined,
      frontDoor: 'function-url',
      rateLimit: 20,
      burstLimit: undefined,
      waf: false,
      wafRateLimit: undefined,
      tokens: {
        jwksUrl: 'https://id.example.com/.well-known/jwks.json',
        issuer: 'https://id.example.com',
        audience: ['web', 'app'],
        required: false,
      },
    });
    expect(
      context({
        edge: 'true',
        edgeWaf: 'true',
        edgeFlows: `a=${SUPPORT}`,
        edgeAllowedOrigins: 'https://a.example',
      })?.waf,
    ).toBe(true);
  });

  it('refuses edge values without edge, and edge without flows, a bad front door or half a token setup', () => {
    expect(() => context({ edgeFlows: `a=${SUPPORT}` })).toThrow(/without -c edge=true/);
    expect(() => context({ edge: 'true' })).toThrow(/needs -c edgeFlows/);
    expect(() => context({ edge: 'true', edgeFlows: 'support' })).toThrow(/write name=contactFlowId/);
    const base = { edge: 'true', edgeFlows: `a=${SUPPORT}`, edgeAllowedOrigins: 'https://a.example' };
    expect(() => context({ ...base, edgeFrontDoor: 'cloudfront' })).toThrow(/edgeFrontDoor takes/);
    expect(() => context({ ...base, edgeJwksUrl: 'https://id.example/jwks' })).toThrow(/edgeJwtIssuer/);
    expect(() => context({ ...base, edgeRateLimit: '0' })).toThrow(/positive integer/);
  });
});

describe('the web-chat flow', () => {
  const flowNames = (json: TemplateJson) =>
    resourcesOf(json, 'AWS::Connect::ContactFlow').map(([, f]) => f.Properties?.Name);

  it('is deployed with start-contact, its screen-caller block trusting the signed identity', () => {
    const json = synth(EDGE);
    expect(flowNames(json)).toContain('flowguard web-chat');
    const [, flow] = resourcesOf(json, 'AWS::Connect::ContactFlow').find(
      ([, f]) => f.Properties?.Name === 'flowguard web-chat',
    ) as [string, Resource];
    expect(JSON.stringify(deployment(json).value(prop(flow, 'Content')))).toContain(
      '\\"trustSignedIdentity\\":\\"true\\"',
    );
  });

  it('is left out without start-contact: nothing would sign the identities it trusts', () => {
    const json = synth();
    expect(flowNames(json)).toContain('flowguard caller-screening');
    expect(flowNames(json)).not.toContain('flowguard web-chat');
  });
});
