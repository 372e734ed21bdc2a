import { readFileSync } from 'node:fs';
import { placeholders, renderFlow } from '@flowguard/flow-sim';
import { TABLE_KEYS } from '@flowguard/table';
import {
  CfnParameter,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_connect as connect,
  Duration,
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  type StackProps,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** What a function may touch: each grant is listed by hand, no wildcard actions. */
export type Access = 'screening' | 'flag' | 'validate' | 'secure-input' | 'encrypt-input';

export interface FunctionSpec {
  readonly name: string;
  readonly access: Access;
  readonly memoryMb: number;
}

/** The functions the stack deploys when they exist in packages/functions/src/handlers. */
export const FUNCTION_SPECS: readonly FunctionSpec[] = [
  { name: 'screen-caller', access: 'screening', memoryMb: 512 },
  { name: 'flag-caller', access: 'flag', memoryMb: 256 },
  { name: 'validate-input', access: 'validate', memoryMb: 256 },
  // RSA-4096 decrypt is CPU-bound: more memory buys a faster CPU share.
  { name: 'secure-input', access: 'secure-input', memoryMb: 1024 },
  { name: 'encrypt-input', access: 'encrypt-input', memoryMb: 512 },
];

/** Which placeholder of the flows each function's ARN fills. */
const ARN_PLACEHOLDERS: Readonly<Record<string, string>> = {
  'screen-caller': 'ScreenCallerFunctionArn',
  'flag-caller': 'FlagCallerFunctionArn',
  'validate-input': 'ValidateInputFunctionArn',
  'secure-input': 'SecureInputFunctionArn',
  'encrypt-input': 'EncryptInputFunctionArn',
};

export interface FlowSpec {
  readonly name: string;
  /** The flow JSON as shipped in flows/ (with placeholders). */
  readonly document: unknown;
  readonly type: 'CONTACT_FLOW' | 'AGENT_TRANSFER';
}

export interface FlowguardStackProps extends StackProps {
  /** The functions to deploy (those with a handler). */
  readonly functions: readonly string[];
  /** The code of a function: the bundler's zip in the app, something small in tests. */
  readonly code: (name: string) => lambda.Code;
  readonly flows?: readonly FlowSpec[];
  /** Places the functions in a VPC (AWS guidance for functions reaching private resources). */
  readonly vpc?: ec2.IVpc;
  /** Adds an S3 bucket for long-term log archive, with lifecycle rules to cheaper storage. */
  readonly logArchive?: boolean;
  readonly logRetention?: logs.RetentionDays;
}

/** The operations of the screening store, by function: nothing more is granted. */
const TABLE_ACTIONS: Readonly<Partial<Record<Access, readonly string[]>>> = {
  // record (UpdateItem), allowlist read and fallback read (GetItem), auto-block history
  // (PutItem), rules (Query).
  screening: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
  // block (UpdateItem), its fallback read (GetItem), its history (PutItem).
  flag: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
};

/**
 * flowguard on AWS: the table, customer-managed keys, the secrets, one Lambda per function with
 * least-privilege roles, the Connect integration (invoke permission scoped to the instance,
 * integration associations, flows, the security key for encrypted input) and detective controls.
 */
export class FlowguardStack extends Stack {
  readonly table: dynamodb.Table;
  readonly functions = new Map<string, lambda.Function>();
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: FlowguardStackProps) {
    super(scope, id, props);

    const instanceArn = new CfnParameter(this, 'ConnectInstanceArn', {
      type: 'String',
      allowedPattern: '^arn:aws[a-z-]*:connect:[a-z0-9-]+:\\d{12}:instance/[0-9a-f-]{36}$',
      description: 'ARN of the Amazon Connect instance that invokes the functions',
    });
    const queueArn = new CfnParameter(this, 'QueueArn', {
      type: 'String',
      description: 'Queue the flows transfer callers to',
    });
    const dataKey = new kms.Key(this, 'DataKey', {
      description: 'flowguard: the table and the secrets',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const tokenKey = new kms.Key(this, 'TokenKey', {
      description: 'flowguard: tokens for downstream systems',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: dataKey,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const connectKeys = new secretsmanager.Secret(this, 'ConnectKeysSecret', {
      description: 'flowguard: private keys for Connect-encrypted input ({"keys":[{"keyId","privateKey"}]})',
      encryptionKey: dataKey,
    });
    const fingerprintKey = new secretsmanager.Secret(this, 'FingerprintSecret', {
      description: 'flowguard: HMAC key for fingerprints ({"key": base64})',
      encryptionKey: dataKey,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'key',
        passwordLength: 64,
        excludePunctuation: true,
      },
    });

    this.alarmTopic = new sns.Topic(this, 'SecurityAlarms', { masterKey: dataKey, enforceSSL: true });
    const alarmAction = new cloudwatchActions.SnsAction(this.alarmTopic);

    const environment: Record<string, string> = {
      FLOWGUARD_TABLE_NAME: this.table.tableName,
      FLOWGUARD_CONNECT_KEYS_SECRET_ID: connectKeys.secretArn,
      FLOWGUARD_FINGERPRINT_SECRET_ID: fingerprintKey.secretArn,
      FLOWGUARD_TOKEN_KMS_KEY_ID: tokenKey.keyArn,
      NODE_OPTIONS: '--enable-source-maps',
    };

    for (const spec of FUNCTION_SPECS.filter((s) => props.functions.includes(s.name))) {
      const logGroup = new logs.LogGroup(this, `${spec.name}-logs`, {
        retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const role = new iam.Role(this, `${spec.name}-role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `flowguard ${spec.name}: least privilege`,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
      if (props.vpc) {
        // ENI management for VPC placement: these EC2 actions only work on resource "*".
        role.addToPolicy(
          new iam.PolicyStatement({
            actions: [
              'ec2:CreateNetworkInterface',
              'ec2:DescribeNetworkInterfaces',
              'ec2:DeleteNetworkInterface',
              'ec2:AssignPrivateIpAddresses',
              'ec2:UnassignPrivateIpAddresses',
            ],
            resources: ['*'],
          }),
        );
      }
      const tableActions = TABLE_ACTIONS[spec.access];
      if (tableActions) {
        role.addToPolicy(
          new iam.PolicyStatement({ actions: [...tableActions], resources: [this.table.tableArn] }),
        );
        role.addToPolicy(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: [dataKey.keyArn],
          }),
        );
      }
      if (spec.access === 'secure-input') {
        role.addToPolicy(
          new iam.PolicyStatement({
            actions: ['secretsmanager:GetSecretValue'],
            resources: [connectKeys.secretArn, fingerprintKey.secretArn],
          }),
        );
        role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [dataKey.keyArn] }));
      }
      if (spec.access === 'secure-input' || spec.access === 'encrypt-input') {
        // The Encryption SDK's KMS keyring asks for a data key under the token key: nothing else.
        role.addToPolicy(
          new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [tokenKey.keyArn] }),
        );
      }

      const fn = new lambda.Function(this, spec.name, {
        functionName: `flowguard-${spec.name}`,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        handler: 'index.handler',
        code: props.code(spec.name),
        memorySize: spec.memoryMb,
        // Above the function's own time budget (2-2.5 s), within the flow's 8 s maximum.
        timeout: Duration.seconds(5),
        role,
        logGroup,
        environment,
        ...(props.vpc
          ? { vpc: props.vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }
          : {}),
      });
      fn.addPermission('ConnectInvoke', {
        principal: new iam.ServicePrincipal('connect.amazonaws.com'),
        action: 'lambda:InvokeFunction',
        sourceArn: instanceArn.valueAsString,
        sourceAccount: this.account,
      });
      new connect.CfnIntegrationAssociation(this, `${spec.name}-integration`, {
        instanceId: instanceArn.valueAsString,
        integrationType: 'LAMBDA_FUNCTION',
        integrationArn: fn.functionArn,
      });
      this.functions.set(spec.name, fn);

      for (const [metric, statistic] of [
        [fn.metricErrors({ period: Duration.minutes(5) }), 'Errors'],
        [fn.metricThrottles({ period: Duration.minutes(5) }), 'Throttles'],
      ] as const) {
        new cloudwatch.Alarm(this, `${spec.name}-${statistic}`, {
          alarmDescription: `flowguard ${spec.name}: ${statistic.toLowerCase()} (the flow takes its Error branch)`,
          metric,
          threshold: 1,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }).addAlarmAction(alarmAction);
      }
    }

    if (this.functions.has('screen-caller')) {
      const emf = (metricName: string, outcome: string) =>
        new cloudwatch.Metric({
          namespace: 'Flowguard',
          metricName,
          dimensionsMap: { function: 'screen-caller', outcome },
          statistic: 'Sum',
          period: Duration.minutes(5),
        });
      new cloudwatch.Alarm(this, 'screen-caller-fail-open', {
        alarmDescription:
          'flowguard screen-caller answered without its store (fail mode): callers are not screened',
        metric: emf('Invocations', 'store_unavailable'),
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(alarmAction);
      new cloudwatch.Alarm(this, 'screen-caller-block-spike', {
        alarmDescription:
          'flowguard screen-caller: far more BLOCK answers than usual (an attack, or a bad rule)',
        metric: emf('Block', 'ok'),
        threshold: 100,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(alarmAction);
    }

    // CloudTrail management events for the changes that lead to account takeover: a user's
    // e-mail changed (then their password reset), security profiles created, changed, deleted.
    new events.Rule(this, 'ConnectSecurityChanges', {
      description: 'flowguard: Connect identity and security-profile changes',
      eventPattern: {
        source: ['aws.connect'],
        detailType: ['AWS API Call via CloudTrail'],
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
      targets: [new targets.SnsTopic(this.alarmTopic)],
    });

    const values: Record<string, string> = { QueueArn: queueArn.valueAsString };
    if (this.functions.has('secure-input')) {
      // Encrypted input: the instance's security key and what the flows' InputEncryption names.
      const connectKeyId = new CfnParameter(this, 'ConnectKeyId', {
        type: 'String',
        description: 'Key id Connect gave the uploaded security key (flow InputEncryption)',
      });
      const connectCertificate = new CfnParameter(this, 'ConnectCertificate', {
        type: 'String',
        // Inserted into the flow's JSON as is: line breaks must be written as \n (keys create prints it so).
        description:
          'PEM certificate of the Connect security key, line breaks written as \\n (flowguard keys create prints it so)',
      });
      const connectPublicKey = new CfnParameter(this, 'ConnectPublicKey', {
        type: 'String',
        description: 'PEM public key uploaded to the instance as a flow security key',
      });
      new connect.CfnSecurityKey(this, 'ConnectSecurityKey', {
        instanceId: instanceArn.valueAsString,
        key: connectPublicKey.valueAsString,
      });
      values.ConnectKeyId = connectKeyId.valueAsString;
      values.ConnectCertificate = connectCertificate.valueAsString;
    }
    for (const [name, fn] of this.functions) {
      const placeholder = ARN_PLACEHOLDERS[name];
      if (placeholder) values[placeholder] = fn.functionArn;
    }
    for (const flow of props.flows ?? []) {
      // A flow whose functions are not all deployed is left out rather than deployed broken.
      if (placeholders(flow.document).some((p) => !Object.hasOwn(values, p))) continue;
      new connect.CfnContactFlow(this, `flow-${flow.name}`, {
        instanceArn: instanceArn.valueAsString,
        name: `flowguard ${flow.name}`,
        type: flow.type,
        content: Stack.of(this).toJsonString(renderFlow(flow.document, values)),
      });
    }

    if (props.logArchive) {
      new s3.Bucket(this, 'LogArchive', {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: dataKey,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: [
          {
            transitions: [
              { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
              { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(90) },
            ],
            expiration: Duration.days(2555),
          },
        ],
      });
    }
  }
}

/** The shipped flows from a flows/ folder. */
export function shippedFlows(flowsDir: URL): FlowSpec[] {
  const load = (file: string) => JSON.parse(readFileSync(new URL(file, flowsDir), 'utf8')) as unknown;
  return [
    { name: 'caller-screening', document: load('caller-screening.json'), type: 'CONTACT_FLOW' },
    { name: 'secure-payment', document: load('secure-payment.json'), type: 'CONTACT_FLOW' },
    { name: 'validate-account', document: load('validate-account.json'), type: 'CONTACT_FLOW' },
    { name: 'agent-flag-caller', document: load('agent-flag-caller.json'), type: 'AGENT_TRANSFER' },
  ];
}
