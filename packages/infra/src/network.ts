import {
  aws_ec2 as ec2,
  aws_iam as iam,
  type aws_kms as kms,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { logicalId } from './nag.js';
import { roleWithPolicy } from './policies.js';

/** An AWS API a function in the VPC calls, hence an endpoint it needs without a NAT. */
export type EndpointService =
  | 'dynamodb'
  | 's3'
  | 'secretsmanager'
  | 'kms'
  | 'logs'
  | 'monitoring'
  | 'firehose'
  | 'kinesis'
  | 'events'
  | 'ssm';

/** What the flow functions have always been given in a VPC (docs/deploy.md, "VPC mode"). */
export const FLOW_ENDPOINT_SERVICES: readonly EndpointService[] = [
  'dynamodb',
  'secretsmanager',
  'kms',
  'logs',
  'monitoring',
];

/** Gateway endpoints: a route in the subnets' route tables, no network interface, no charge. */
const GATEWAYS: Partial<Record<EndpointService, [string, ec2.GatewayVpcEndpointAwsService]>> = {
  dynamodb: ['DynamoDbEndpoint', ec2.GatewayVpcEndpointAwsService.DYNAMODB],
  s3: ['S3Endpoint', ec2.GatewayVpcEndpointAwsService.S3],
};

const INTERFACES: Partial<Record<EndpointService, [string, ec2.InterfaceVpcEndpointAwsService]>> = {
  secretsmanager: ['SecretsManagerEndpoint', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
  kms: ['KmsEndpoint', ec2.InterfaceVpcEndpointAwsService.KMS],
  logs: ['LogsEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  monitoring: ['MonitoringEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING],
  firehose: ['FirehoseEndpoint', ec2.InterfaceVpcEndpointAwsService.KINESIS_FIREHOSE],
  kinesis: ['KinesisEndpoint', ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS],
  events: ['EventBridgeEndpoint', ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE],
  ssm: ['SsmEndpoint', ec2.InterfaceVpcEndpointAwsService.SSM],
};

/**
 * The private endpoints functions in a VPC need to reach what they call without a NAT, one per
 * service in `services` and no other: gateway endpoints for DynamoDB and S3, interface endpoints
 * (private DNS on) for the rest. The interface endpoints accept HTTPS from the functions' security
 * group only. An endpoint reaches its service in the VPC's region, for resources of any account
 * the roles and resource policies allow (the endpoint policy is the default, full access).
 */
export function addServiceEndpoints(
  scope: Construct,
  options: {
    vpc: ec2.IVpc;
    subnets: ec2.SubnetSelection;
    clients: ec2.ISecurityGroup;
    services: ReadonlySet<EndpointService>;
  },
): void {
  const { vpc, subnets, clients, services } = options;
  for (const [name, [id, service]] of Object.entries(GATEWAYS)) {
    if (services.has(name as EndpointService)) {
      new ec2.GatewayVpcEndpoint(scope, id, { vpc, service, subnets: [subnets] });
    }
  }
  const interfaces = Object.entries(INTERFACES).filter(([name]) => services.has(name as EndpointService));
  if (interfaces.length === 0) return;
  const endpoints = new ec2.SecurityGroup(scope, 'EndpointsSecurityGroup', {
    vpc,
    description: 'flowguard: VPC interface endpoints, HTTPS from the functions only',
    allowAllOutbound: false,
  });
  endpoints.addIngressRule(clients, ec2.Port.tcp(443), 'HTTPS from the flowguard functions');
  for (const [, [id, service]] of interfaces) {
    new ec2.InterfaceVpcEndpoint(scope, id, {
      vpc,
      service,
      subnets,
      privateDnsEnabled: true,
      securityGroups: [endpoints],
      open: false,
    });
  }
}

/**
 * A VPC for the functions alone: two AZs of isolated subnets (no NAT, no internet route; the
 * endpoints above are the only way out) and flow logs to an encrypted log group.
 */
export function functionsVpc(
  scope: Construct,
  options: { logsKey: kms.IKey; retention: logs.RetentionDays },
): ec2.Vpc {
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'functions', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
  });
  Validations.of(vpc).acknowledge({
    id: 'NIST.800.53.R5-VPCDefaultSecurityGroupClosed',
    reason:
      'Nothing is placed in the default security group: the functions and the endpoints have groups of their own; closing it would take a custom-resource Lambda in the stack',
  });
  const flowLogs = new logs.LogGroup(scope, 'VpcFlowLogs', {
    encryptionKey: options.logsKey,
    retention: options.retention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const { role, policy } = roleWithPolicy(scope, 'VpcFlowLogRole', {
    assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
    }),
    description: 'flowguard: VPC flow logs write to their log group',
  });
  policy.addStatements(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [flowLogs.logGroupArn],
    }),
  );
  Validations.of(policy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId(flowLogs)}.Arn>:*]`,
    reason:
      'VPC flow logs name their log streams by network interface: the grant covers the streams of this one log group',
  });
  // The L1 resource: the L2 would add an inline policy to the role on top of its managed one.
  new ec2.CfnFlowLog(scope, 'VpcFlowLog', {
    resourceId: vpc.vpcId,
    resourceType: 'VPC',
    trafficType: 'ALL',
    logDestinationType: 'cloud-watch-logs',
    logGroupName: flowLogs.logGroupName,
    deliverLogsPermissionArn: role.roleArn,
  });
  return vpc;
}
