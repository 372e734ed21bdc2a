import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { flowguardApp } from '../../src/app.js';
import {
  ALL,
  actionsOf,
  FLOWS_DIR,
  inlineCode,
  resourcesOf,
  statementsOf,
  synthStack,
  type TemplateJson,
} from './helpers.js';

/** The app as `pnpm synth -c <context>` builds it. */
function appTemplate(context: Record<string, string>): TemplateJson {
  const app = new App({ context });
  const stack = flowguardApp(app, { functions: ALL, code: inlineCode, flowsDir: FLOWS_DIR });
  app.synth();
  return Template.fromStack(stack).toJSON() as TemplateJson;
}

describe('VPC mode from the app’s context', () => {
  const json = appTemplate({ createVpc: 'true' });
  const endpoints = resourcesOf(json, 'AWS::EC2::VPCEndpoint').map(([, e]) => e.Properties ?? {});
  const service = (name: string) =>
    endpoints.find((e) => JSON.stringify(e.ServiceName).includes(`.${name}"`));

  it('creates a VPC of isolated subnets, no NAT, with flow logs', () => {
    expect(resourcesOf(json, 'AWS::EC2::VPC')).toHaveLength(1);
    expect(resourcesOf(json, 'AWS::EC2::NatGateway')).toEqual([]);
    expect(resourcesOf(json, 'AWS::EC2::InternetGateway')).toEqual([]);
    expect(resourcesOf(json, 'AWS::EC2::Subnet')).toHaveLength(2);
    expect(resourcesOf(json, 'AWS::EC2::FlowLog')[0]?.[1].Properties).toMatchObject({
      ResourceType: 'VPC',
      TrafficType: 'ALL',
    });
  });

  it('reaches DynamoDB through a gateway endpoint and the other services through private interface endpoints', () => {
    expect(service('dynamodb')).toMatchObject({ VpcEndpointType: 'Gateway' });
    for (const name of ['secretsmanager', 'kms', 'logs', 'monitoring']) {
      expect(service(name), name).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    }
    expect(endpoints).toHaveLength(5);
  });

  it('opens the interface endpoints to the functions’ security group only, on 443', () => {
    const ingress = resourcesOf(json, 'AWS::EC2::SecurityGroupIngress').map(([, i]) => i.Properties ?? {});
    const groups = resourcesOf(json, 'AWS::EC2::SecurityGroup').map(
      ([id, g]) => [id, g.Properties ?? {}] as const,
    );
    const functionsGroup = groups.find(([, g]) =>
      String(g.GroupDescription).startsWith('flowguard functions'),
    )?.[0];

    expect(ingress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: { 'Fn::GetAtt': [functionsGroup, 'GroupId'] },
      }),
    ]);
    for (const [, group] of groups) expect(group.SecurityGroupIngress ?? []).toEqual([]);
  });

  it('places every function in the VPC’s subnets with the functions’ group', () => {
    for (const [, fn] of resourcesOf(json, 'AWS::Lambda::Function')) {
      const config = fn.Properties?.VpcConfig as { SubnetIds: unknown[]; SecurityGroupIds: unknown[] };
      expect(config.SubnetIds).toHaveLength(2);
      expect(config.SecurityGroupIds).toHaveLength(1);
    }
  });

  it('uses a wildcard resource only for the network-interface actions Lambda needs in a VPC', () => {
    const wildcard = statementsOf(json, 'validate-input').filter((s) => s.Resource === '*');

    expect(wildcard).toHaveLength(1);
    expect(actionsOf(wildcard).every((a) => /^ec2:\w*(NetworkInterface|PrivateIpAddresses)/.test(a))).toBe(
      true,
    );
  });

  it('creates no VPC without the flag', () => {
    const plain = synthStack().json;

    expect(resourcesOf(plain, 'AWS::EC2::VPC')).toEqual([]);
    expect(resourcesOf(plain, 'AWS::EC2::VPCEndpoint')).toEqual([]);
    for (const [, fn] of resourcesOf(plain, 'AWS::Lambda::Function'))
      expect(fn.Properties?.VpcConfig).toBeUndefined();
  });
});

describe('the other context flags', () => {
  it('turns on the log archive and the trail from -c logArchive=true -c createTrail=true', () => {
    const json = appTemplate({ logArchive: 'true', createTrail: 'true' });

    expect(resourcesOf(json, 'AWS::KinesisFirehose::DeliveryStream')).toHaveLength(1);
    expect(resourcesOf(json, 'AWS::CloudTrail::Trail')).toHaveLength(1);
  });
});
