import { App, aws_ec2 as ec2, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { flowguardApp } from '../../src/app.js';
import {
  deadLetterPrefixOf,
  MAX_INLINE_POLICY_BYTES,
  policyPlacement,
  STREAM_VARIABLES,
} from '../../src/contact-records.js';
import { Flowguard, type FlowguardProps } from '../../src/flowguard.js';
import { STREAM_FUNCTION_NAMES } from '../../src/functions.js';
import {
  ALL,
  ENV,
  FLOWS_DIR,
  idOf,
  inlineCode,
  POLICY,
  prop,
  RECORDINGS_BUCKET_ARN,
  resourcesOf,
  STREAM_ARN,
  statementsOf,
  type TemplateJson,
} from './helpers.js';

const INSTANCE = 'arn:aws:connect:us-east-1:123456789012:instance/00000000-0000-0000-0000-000000000000';

/** One policy a destination. */
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

/** A valid-looking document of about `bytes` bytes compacted: `n` Firehose policies with long field lists. */
function largePolicy(minBytes: number): string {
  const policies: object[] = [];
  let text = '';
  for (let i = 0; Buffer.byteLength(text) < minBytes; i++) {
    policies.push({
      name: `analytics-${String.fromCharCode(97 + (i % 26))}${i % 10}`,
      match: { queues: [`Queue ${i}`] },
      fields: ['Channel', 'Queue.Name', 'Agent.RoutingProfile.Name', 'InitiationTimestamp'],
      destination: { type: 'firehose', deliveryStream: 'cards-analytics' },
    });
    text = JSON.stringify({ version: 1, policies });
  }
  return text;
}

/** The Flowguard construct alone (no cdk-nag, no flows): fast, for what these tests look at. */
function build(
  props: Partial<FlowguardProps> & Pick<FlowguardProps, 'contactRecords'>,
  options: { env?: typeof ENV | undefined; vpc?: (stack: Stack) => ec2.IVpc } = { env: ENV },
): { json: TemplateJson; flowguard: Flowguard } {
  const app = new App();
  const stack = new Stack(app, 'S', options.env ? { env: options.env } : {});
  const flowguard = new Flowguard(stack, 'Flowguard', {
    instanceArn: INSTANCE,
    functions: [],
    code: inlineCode,
    ...props,
    contactRecords: props.contactRecords && {
      recordingsBucketArn: RECORDINGS_BUCKET_ARN,
      ...props.contactRecords,
    },
    ...(options.vpc ? { vpc: options.vpc(stack) } : {}),
  });
  return { json: Template.fromStack(stack).toJSON() as TemplateJson, flowguard };
}

const variables = (json: TemplateJson, name: string) =>
  prop<{ Variables: Record<string, unknown> }>(
    json.Resources[idOf(json, 'AWS::Lambda::Function', name.replace(/-/g, ''))],
    'Environment',
  ).Variables;

/** Endpoint services by their last name part (`dynamodb`, `s3`, `kinesis-streams`, ...), sorted. */
function endpointServices(json: TemplateJson): string[] {
  return resourcesOf(json, 'AWS::EC2::VPCEndpoint')
    .map(([, e]) => {
      const name = JSON.stringify(e.Properties?.ServiceName);
      return /\.([a-z0-9-]+)"(\]\]\})?$/.exec(name)?.[1] ?? name;
    })
    .sort();
}

const ssmStatements = (json: TemplateJson, name: string) =>
  statementsOf(json, name as never).filter((s) =>
    (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith('ssm:')),
  );

describe('the policy in an SSM parameter', () => {
  const policy = largePolicy(MAX_INLINE_POLICY_BYTES + 200);
  const compacted = JSON.stringify(JSON.parse(policy));
  const { json } = build({
    contactRecords: { streamArn: STREAM_ARN, policy, policySource: 'parameter' },
  });
  const [[parameterId, parameter] = []] = resourcesOf(json, 'AWS::SSM::Parameter');

  it('stores the compacted document in one String parameter, in the tier it fits', () => {
    expect(Buffer.byteLength(compacted)).toBeGreaterThan(MAX_INLINE_POLICY_BYTES);
    expect(resourcesOf(json, 'AWS::SSM::Parameter')).toHaveLength(1);
    expect(parameter?.Properties).toMatchObject({
      Name: 'flowguard-forward-policy',
      Type: 'String',
      Tier: 'Standard',
      Value: compacted,
    });
  });

  it('names it in FLOWGUARD_FORWARD_POLICY_PARAMETER, and sets no inline policy', () => {
    for (const name of STREAM_FUNCTION_NAMES) {
      const env = variables(json, name);
      expect(env[STREAM_VARIABLES.policyParameter], name).toEqual({ Ref: parameterId });
      expect(env).not.toHaveProperty(STREAM_VARIABLES.policy);
      expect(env).not.toHaveProperty('FLOWGUARD_FORWARD_POLICY_SECRET_ID');
    }
  });

  it('lets each role ssm:GetParameter on that parameter, and no other SSM action or resource', () => {
    const arn = {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1:123456789012:parameter/', { Ref: parameterId }],
      ],
    };
    for (const name of STREAM_FUNCTION_NAMES) {
      expect(ssmStatements(json, name), name).toEqual([
        { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: arn },
      ]);
    }
  });

  it('creates no parameter and grants no SSM inline (the default)', () => {
    const inline = build({ contactRecords: { streamArn: STREAM_ARN, policy: POLICY } }).json;
    expect(resourcesOf(inline, 'AWS::SSM::Parameter')).toEqual([]);
    for (const name of STREAM_FUNCTION_NAMES) {
      expect(variables(inline, name)[STREAM_VARIABLES.policy]).toBe(POLICY);
      expect(variables(inline, name)).not.toHaveProperty(STREAM_VARIABLES.policyParameter);
      expect(ssmStatements(inline, name)).toEqual([]);
    }
  });

  it('picks the tier by size, and refuses what fits neither inline nor in a parameter', () => {
    expect(policyPlacement(MAX_INLINE_POLICY_BYTES, 'inline')).toEqual({ kind: 'inline' });
    expect(() => policyPlacement(MAX_INLINE_POLICY_BYTES + 1, 'inline')).toThrow(
      /over the 3072 that fit in a Lambda environment.*-c forwardPolicySource=parameter/,
    );
    expect(policyPlacement(4096, 'parameter')).toEqual({ kind: 'parameter', tier: 'Standard' });
    expect(policyPlacement(4097, 'parameter')).toEqual({ kind: 'parameter', tier: 'Advanced' });
    expect(policyPlacement(8192, 'parameter')).toEqual({ kind: 'parameter', tier: 'Advanced' });
    expect(() => policyPlacement(8193, 'parameter')).toThrow(
      'contactRecords.policy: 8193 bytes compacted, over the 8192 an SSM parameter holds',
    );
    const advanced = build({
      contactRecords: { streamArn: STREAM_ARN, policy: largePolicy(5000), policySource: 'parameter' },
    }).json;
    expect(resourcesOf(advanced, 'AWS::SSM::Parameter')[0]?.[1].Properties?.Tier).toBe('Advanced');
    expect(() =>
      build({
        contactRecords: { streamArn: STREAM_ARN, policy: largePolicy(8300), policySource: 'parameter' },
      }),
    ).toThrow(/over the 8192 an SSM parameter holds/);
  });
});

describe('the dead-letter prefix', () => {
  it('sets FLOWGUARD_FORWARD_DEAD_LETTER_PREFIX and scopes s3:PutObject on the dead letters to it', () => {
    const { json } = build({
      contactRecords: { streamArn: STREAM_ARN, policy: POLICY, deadLetterPrefix: 'flowguard/forwarding' },
      functions: [],
    });
    const bucket = idOf(json, 'AWS::S3::Bucket', 'DeadLetters');
    for (const name of STREAM_FUNCTION_NAMES) {
      expect(variables(json, name)[STREAM_VARIABLES.deadLetterPrefix]).toBe('flowguard/forwarding/');
      const puts = statementsOf(json, name as never).filter((s) => s.Action === 's3:PutObject');
      const deadLetters = puts.filter((s) => JSON.stringify(s.Resource).includes(bucket));
      expect(deadLetters.map((s) => s.Resource)).toEqual([
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/flowguard/forwarding/dead-letter/*']] },
      ]);
    }
  });

  it('sets no prefix variable without one, and keeps the grant on dead-letter/*', () => {
    const { json } = build({ contactRecords: { streamArn: STREAM_ARN, policy: POLICY } });
    expect(variables(json, 'forward-recordings')).not.toHaveProperty(STREAM_VARIABLES.deadLetterPrefix);
    expect(JSON.stringify(statementsOf(json, 'forward-recordings' as never))).toContain('"/dead-letter/*"');
  });

  it('refuses at synth what S3 or the grant would get wrong', () => {
    expect(deadLetterPrefixOf('a/b/')).toBe('a/b/');
    expect(deadLetterPrefixOf("ok-_.!'()")).toBe("ok-_.!'()/");
    for (const [bad, message] of [
      ['/leading', 'must not start with /'],
      ['a//b', 'no empty, . or .. segment'],
      ['a/../b', 'no empty, . or .. segment'],
      ['wild*', 'no * : it would widen the grant'],
      ['spaces here', 'letters, digits'],
      ['', 'letters, digits'],
      ['x'.repeat(257), 'letters, digits'],
    ] as const) {
      expect(() => deadLetterPrefixOf(bad), bad).toThrow(`contactRecords.deadLetterPrefix: `);
      expect(() => deadLetterPrefixOf(bad), bad).toThrow(message);
    }
    expect(() =>
      build({ contactRecords: { streamArn: STREAM_ARN, policy: POLICY, deadLetterPrefix: '/x' } }),
    ).toThrow('contactRecords.deadLetterPrefix: must not start with /');
  });
});

describe('the stream functions in a VPC', () => {
  const everyDestination = policyOf(
    { type: 'firehose', deliveryStream: 'cards' },
    { type: 'kinesis', stream: 'arn:aws:kinesis:us-east-1:111122223333:stream/out' },
    { type: 'eventbridge', eventBus: 'crm', source: 'a', detailType: 'b' },
  );

  it('runs them in the VPC with the flow functions, with every endpoint either calls', () => {
    const { json } = build({
      functions: ALL,
      vpc: 'create',
      contactRecords: { streamArn: STREAM_ARN, policy: POLICY, policySource: 'parameter' },
    });
    for (const [, fn] of resourcesOf(json, 'AWS::Lambda::Function')) {
      expect(fn.Properties?.VpcConfig, String(fn.Properties?.FunctionName)).toBeDefined();
    }
    // The flow functions' five, S3 (dead letters, recordings), Firehose (the policy), SSM (the policy's parameter).
    expect(endpointServices(json)).toEqual(
      ['dynamodb', 'kinesis-firehose', 'kms', 'logs', 'monitoring', 's3', 'secretsmanager', 'ssm'].sort(),
    );
    const wildcard = statementsOf(json, 'forward-contact-records' as never).filter((s) => s.Resource === '*');
    expect(wildcard.flatMap((s) => s.Action)).toEqual([
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ]);
  });

  it('creates for them alone only what they call: S3, the destinations’ services, Secrets Manager only when a policy hashes', () => {
    const only = (policy: string, source: 'inline' | 'parameter' = 'inline') =>
      endpointServices(
        build({ vpc: 'create', contactRecords: { streamArn: STREAM_ARN, policy, policySource: source } })
          .json,
      );

    expect(only(everyDestination)).toEqual(['events', 'kinesis-firehose', 'kinesis-streams', 's3']);
    expect(only(policyOf({ type: 's3', bucket: 'drop' }))).toEqual(['s3']);
    expect(only(policyOf({ type: 's3', bucket: 'drop' }), 'parameter')).toEqual(['s3', 'ssm']);
    expect(only(POLICY)).toEqual(['kinesis-firehose', 's3', 'secretsmanager']);
  });

  it('creates no endpoint with vpcEndpoints: false, and still places the functions in the VPC', () => {
    const { json } = build({
      vpc: 'create',
      vpcEndpoints: false,
      contactRecords: { streamArn: STREAM_ARN, policy: everyDestination },
    });
    expect(resourcesOf(json, 'AWS::EC2::VPCEndpoint')).toEqual([]);
    expect(resourcesOf(json, 'AWS::EC2::SecurityGroup')).toHaveLength(1); // the functions' own
    for (const [, fn] of resourcesOf(json, 'AWS::Lambda::Function'))
      expect(fn.Properties?.VpcConfig).toBeDefined();
  });

  it('refuses at synth a destination in another region when the subnets have no route out, naming its JSON path', () => {
    const foreign = policyOf(
      { type: 'firehose', deliveryStream: 'cards' },
      { type: 'kinesis', stream: 'arn:aws:kinesis:eu-west-1:111122223333:stream/out' },
    );
    expect(() =>
      build({ vpc: 'create', contactRecords: { streamArn: STREAM_ARN, policy: foreign } }),
    ).toThrow(
      'contactRecords.policy: /policies/1/destination/stream: names region eu-west-1, but the stream functions run in subnets of a VPC in us-east-1 with no route out',
    );
    // Outside a VPC, and in subnets with a NAT route, the public endpoint of eu-west-1 is reachable.
    expect(() => build({ contactRecords: { streamArn: STREAM_ARN, policy: foreign } })).not.toThrow();
    const withNat = (stack: Stack) =>
      ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-1',
        availabilityZones: ['us-east-1a'],
        privateSubnetIds: ['subnet-private'],
        privateSubnetRouteTableIds: ['rtb-private'],
        isolatedSubnetIds: ['subnet-isolated'],
        isolatedSubnetRouteTableIds: ['rtb-isolated'],
      });
    expect(() =>
      build(
        {
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          contactRecords: { streamArn: STREAM_ARN, policy: foreign },
        },
        { env: ENV, vpc: withNat },
      ),
    ).not.toThrow();
    expect(() =>
      build({ contactRecords: { streamArn: STREAM_ARN, policy: foreign } }, { env: ENV, vpc: withNat }),
    ).toThrow('/policies/1/destination/stream: names region eu-west-1');
  });

  it('refuses at deploy, by a template rule, a region other than the one the policy names when the stack’s region is not known at synth', () => {
    const policy = policyOf({
      type: 'eventbridge',
      eventBus: 'arn:aws:events:eu-west-1:111122223333:event-bus/crm',
      source: 'a',
      detailType: 'b',
    });
    const { json } = build(
      { vpc: 'create', contactRecords: { streamArn: STREAM_ARN, policy } },
      { env: undefined },
    );
    const ours = (rules: TemplateJson['Rules']) =>
      Object.entries(rules ?? {}).filter(([id]) => id.includes('DestinationsInStackRegion'));
    const assertions = ours(json.Rules).flatMap(
      ([, r]) => (r as { Assertions: { Assert: unknown; AssertDescription: string }[] }).Assertions,
    );
    expect(assertions).toEqual([
      {
        Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
        AssertDescription: expect.stringContaining('/policies/0/destination/eventBus names region eu-west-1'),
      },
    ]);
    const same = policyOf({ type: 'firehose', deliveryStream: 'cards' });
    expect(
      ours(
        build({ vpc: 'create', contactRecords: { streamArn: STREAM_ARN, policy: same } }, { env: undefined })
          .json.Rules,
      ),
    ).toEqual([]);
  });
});

describe('the contact-record context flags', () => {
  it('reads -c forwardPolicySource and -c deadLetterPrefix, and refuses an unknown source', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'flowguard-policy-'));
    try {
      const forwardPolicyFile = join(dir, 'policy.json');
      writeFileSync(forwardPolicyFile, POLICY);
      const context = {
        contactRecordStreamArn: STREAM_ARN,
        forwardPolicyFile,
        recordingsBucketArn: RECORDINGS_BUCKET_ARN,
      };
      const app = new App({
        context: { ...context, forwardPolicySource: 'parameter', deadLetterPrefix: 'fg' },
      });
      const stack = flowguardApp(app, { functions: [], code: inlineCode, flowsDir: FLOWS_DIR });
      const json = Template.fromStack(stack).toJSON() as TemplateJson;
      expect(resourcesOf(json, 'AWS::SSM::Parameter')).toHaveLength(1);
      expect(variables(json, 'forward-contact-records')[STREAM_VARIABLES.deadLetterPrefix]).toBe('fg/');

      const wrong = new App({ context: { ...context, forwardPolicySource: 'secret' } });
      expect(() => flowguardApp(wrong, { functions: [], code: inlineCode, flowsDir: FLOWS_DIR })).toThrow(
        '-c forwardPolicySource takes inline (the default) or parameter',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
