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

/**
 * The private endpoints a function in a VPC needs to reach what it calls without a NAT: a gateway
 * endpoint for DynamoDB, interface endpoints for Secrets Manager and KMS, and for CloudWatch Logs
 * and Monitoring (the CLI and any agent in the VPC reach them the same way). The interface
 * endpoints accept HTTPS from the functions' security group only.
 */
export function addServiceEndpoints(
  scope: Construct,
  options: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection; clients: ec2.ISecurityGroup },
): void {
  const { vpc, subnets, clients } = options;
  new ec2.GatewayVpcEndpoint(scope, 'DynamoDbEndpoint', {
    vpc,
    service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
    subnets: [subnets],
  });
  const endpoints = new ec2.SecurityGroup(scope, 'EndpointsSecurityGroup', {
    vpc,
    description: 'flowguard: VPC interface endpoints, HTTPS from the functions only',
    allowAllOutbound: false,
  });
  endpoints.addIngressRule(clients, ec2.Port.tcp(443), 'HTTPS from the flowguard functions');
  const interfaces = {
    SecretsManagerEndpoint: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    KmsEndpoint: ec2.InterfaceVpcEndpointAwsService.KMS,
    LogsEndpoint: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    MonitoringEndpoint: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  };
  for (const [id, service] of Object.entries(interfaces)) {
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
