import { App, aws_ec2 as ec2, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { Flowguard, type FlowguardProps } from '../../src/flowguard.js';
import { flowguardChecks } from '../../src/nag.js';
import { Deployment, ENV, flows, idOf, inlineCode, resourcesOf, type TemplateJson } from './helpers.js';

const INSTANCE = 'arn:aws:connect:us-east-1:123456789012:instance/0f0e0d0c-0b0a-4909-8807-060504030201';
const QUEUE = `${INSTANCE}/queue/11111111-2222-4333-8444-555555555555`;
const CERTIFICATE =
  '-----BEGIN CERTIFICATE-----\nMIIC1zCCAbOgAwIBAgIUJ0\nvq3Q+/m4Z1mV1c=\n-----END CERTIFICATE-----\n';
const PUBLIC_KEY = '-----BEGIN PUBLIC KEY-----\nMIIB1jANBgkqhkiG9w0BAQEF\n-----END PUBLIC KEY-----\n';

/** A team's own app: their stack, the construct in it, the checks on. */
function ownApp(props: Partial<FlowguardProps>, withVpc = false): TemplateJson {
  const app = new App();
  flowguardChecks(app);
  const stack = new Stack(app, 'ContactCentre', { env: ENV });
  // An existing VPC, as a team passes theirs without a lookup.
  const vpc = withVpc
    ? ec2.Vpc.fromVpcAttributes(stack, 'Network', {
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        vpcCidrBlock: '10.20.0.0/16',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        privateSubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
        privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60001', 'rtb-0a1b2c3d4e5f60002'],
      })
    : undefined;
  new Flowguard(stack, 'Flowguard', {
    instanceArn: INSTANCE,
    code: inlineCode,
    flows,
    flowValues: { QueueArn: QUEUE },
    ...(vpc ? { vpc } : {}),
    ...props,
  });
  app.synth();
  return Template.fromStack(stack).toJSON() as TemplateJson;
}

describe('the Flowguard construct in a team’s own app', () => {
  it('uses a key registered outside the stack: its id and certificate go into the flows as given', () => {
    const json = ownApp({ connectKeys: { kind: 'external', keyId: 'key-0001', certificate: CERTIFICATE } });
    const flow = idOf(json, 'AWS::Connect::ContactFlow', 'securepayment');
    const content = new Deployment(json, {}).property(flow, 'Content') as string;

    expect(resourcesOf(json, 'AWS::Connect::SecurityKey')).toEqual([]);
    expect(JSON.parse(content).Actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Parameters: expect.objectContaining({
            InputEncryption: { EncryptionKeyId: 'key-0001', Key: CERTIFICATE },
          }),
        }),
      ]),
    );
  });

  it('creates a key given as a value without a condition, and makes the flow wait for it', () => {
    const json = ownApp({
      connectKeys: {
        kind: 'managed',
        slotA: { publicKey: PUBLIC_KEY, certificate: CERTIFICATE },
        active: 'A',
      },
    });
    const [keyId, key] = resourcesOf(json, 'AWS::Connect::SecurityKey')[0] ?? [];
    const flow = json.Resources[idOf(json, 'AWS::Connect::ContactFlow', 'securepayment')];

    expect(resourcesOf(json, 'AWS::Connect::SecurityKey')).toHaveLength(1);
    expect(key?.Condition).toBeUndefined();
    expect(flow?.DependsOn).toContain(keyId);
    expect(JSON.stringify(flow?.Properties?.Content)).toContain(
      `{"Fn::GetAtt":["${keyId}","AssociationId"]}`,
    );
  });

  it('leaves out the flows needing a key when none is handled, and deploys only the functions asked for', () => {
    const json = ownApp({ functions: ['screen-caller', 'secure-input'] });
    const names = resourcesOf(json, 'AWS::Connect::ContactFlow').map(([, f]) => f.Properties?.Name);

    expect(names).toEqual(['flowguard caller-screening']);
    expect(resourcesOf(json, 'AWS::Connect::ContactFlowModule')).toEqual([]);
    expect(
      resourcesOf(json, 'AWS::Lambda::Function')
        .map(([, f]) => f.Properties?.FunctionName)
        .sort(),
    ).toEqual(['flowguard-screen-caller', 'flowguard-secure-input']);
  });

  it('leaves out the challenge module, with a note, when challenge is not deployed; deploys it alone with it', () => {
    const app = new App();
    flowguardChecks(app);
    const stack = new Stack(app, 'ContactCentre', { env: ENV });
    new Flowguard(stack, 'Flowguard', {
      instanceArn: INSTANCE,
      code: inlineCode,
      flows,
      flowValues: { QueueArn: QUEUE },
      functions: ['screen-caller'],
    });
    app.synth();
    const notes = Annotations.fromStack(stack)
      .findInfo('*', Match.stringLikeRegexp('challenge'))
      .map((m) => m.entry.data);
    const alone = ownApp({ functions: ['challenge'] });

    expect(
      resourcesOf(Template.fromStack(stack).toJSON() as TemplateJson, 'AWS::Connect::ContactFlowModule'),
    ).toEqual([]);
    expect(notes).toEqual(['flow module challenge left out: no value for ChallengeFunctionArn']);
    // caller-screening still deploys: its CHALLENGE branch goes where the module's Error branch goes.
    const screening = Template.fromStack(stack).toJSON() as TemplateJson;
    const content = new Deployment(screening, {}).property(
      idOf(screening, 'AWS::Connect::ContactFlow', 'callerscreening'),
      'Content',
    ) as string;
    const document = JSON.parse(content) as {
      Metadata: { ActionMetadata: Record<string, unknown> };
      Actions: { Identifier: string; Type: string; Transitions: { Conditions?: unknown[] } }[];
    };
    expect(document.Actions.map((a) => a.Type)).not.toContain('InvokeFlowModule');
    expect(document.Metadata.ActionMetadata.challenge).toBeUndefined();
    expect(document.Actions.find((a) => a.Identifier === 'route')?.Transitions.Conditions).toContainEqual({
      NextAction: 'challenge-unavailable',
      Condition: { Operator: 'Equals', Operands: ['CHALLENGE'] },
    });
    expect(
      Annotations.fromStack(stack)
        .findInfo('*', Match.stringLikeRegexp('caller-screening'))
        .map((m) => m.entry.data),
    ).toEqual([
      'flow caller-screening deployed without its Invoke module blocks for ChallengeModuleArn (that module is not deployed): they take their Error branch',
    ]);
    expect(resourcesOf(alone, 'AWS::Connect::ContactFlowModule').map(([, m]) => m.Properties?.Name)).toEqual([
      'flowguard challenge',
    ]);
    expect(resourcesOf(alone, 'AWS::Connect::ContactFlow')).toEqual([]);
  });

  it('subscribes an alarm address given as a value, without a condition; none when absent', () => {
    const withEmail = ownApp({ alarmEmail: 'oncall@example.com' });
    const without = ownApp({});

    expect(resourcesOf(withEmail, 'AWS::SNS::Subscription')).toEqual([
      [
        expect.any(String),
        expect.objectContaining({ Properties: expect.objectContaining({ Endpoint: 'oncall@example.com' }) }),
      ],
    ]);
    expect(resourcesOf(withEmail, 'AWS::SNS::Subscription')[0]?.[1].Condition).toBeUndefined();
    expect(resourcesOf(without, 'AWS::SNS::Subscription')).toEqual([]);
  });

  it('takes reserved concurrency, extra configuration and a name prefix from its props', () => {
    const json = ownApp({
      functions: ['screen-caller'],
      reservedConcurrency: { 'screen-caller': 300 },
      environment: { 'screen-caller': { FLOWGUARD_LIMITS: '3/10m' } },
      namePrefix: 'cc1-',
    });
    const [, fn] = resourcesOf(json, 'AWS::Lambda::Function')[0] ?? [];

    expect(fn?.Properties).toMatchObject({
      FunctionName: 'cc1-screen-caller',
      ReservedConcurrentExecutions: 300,
      Environment: { Variables: expect.objectContaining({ FLOWGUARD_LIMITS: '3/10m' }) },
    });
    for (const [, alarm] of resourcesOf(json, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties?.AlarmName).toMatch(/^cc1-/);
    }
  });

  it('runs in the team’s VPC and subnets, adding endpoints unless told the VPC has them', () => {
    const withEndpoints = ownApp({ functions: ['screen-caller'] }, true);
    const without = ownApp({ functions: ['screen-caller'], vpcEndpoints: false }, true);
    const [, fn] = resourcesOf(without, 'AWS::Lambda::Function')[0] ?? [];
    const config = fn?.Properties?.VpcConfig as { SubnetIds: string[] };

    expect(resourcesOf(withEndpoints, 'AWS::EC2::VPCEndpoint')).toHaveLength(5);
    expect(resourcesOf(without, 'AWS::EC2::VPCEndpoint')).toEqual([]);
    expect(config.SubnetIds).toEqual(['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002']);
    expect(resourcesOf(withEndpoints, 'AWS::EC2::VPCEndpoint').map(([, e]) => e.Properties?.VpcId)).toEqual(
      Array(5).fill('vpc-0a1b2c3d4e5f60718'),
    );
  });
});
