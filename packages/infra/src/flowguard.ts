import { placeholders } from '@flowguard/flow-sim';
import { TABLE_KEYS } from '@flowguard/table';
import {
  Annotations,
  CfnCondition,
  CfnRule,
  aws_connect as connect,
  Duration,
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  Fn,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  SecretValue,
  Stack,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_sqs as sqs,
  aws_ssm as ssm,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FlowguardAlarms } from './alarms.js';
import { AuditTrail, connectChangesRule } from './audit.js';
import { type ActiveConnectKey, type ConnectKeyHandling, ConnectKeys } from './connect-keys.js';
import {
  type ContactRecordsProps,
  compactPolicy,
  deadLetterPrefixOf,
  EVENT_SOURCE,
  firehoseAccounts,
  keyArn,
  namedRegions,
  objectsArn,
  type PolicyGrants,
  policyGrants,
  policyPlacement,
  resourceArn,
  streamEndpointServices,
  streamVariable,
} from './contact-records.js';
import { type EdgeProps, FlowguardEdge } from './edge.js';
import { type FlowSpec, flowContent, invocationLimits, modulePlaceholder, withoutModules } from './flows.js';
import {
  type Access,
  type DeployableFunctionName,
  FUNCTION_SPECS,
  type FunctionName,
  type FunctionSpec,
  LIVE_ALIAS,
  SETTING_VARIABLES,
  type Setting,
  STREAM_FUNCTION_SPECS,
  type StreamFunctionName,
} from './functions.js';
import { LogArchive } from './log-archive.js';
import { DEFAULT_METRICS_NAMESPACE } from './metrics.js';
import { logicalId } from './nag.js';
import {
  addServiceEndpoints,
  type EndpointService,
  FLOW_ENDPOINT_SERVICES,
  functionsVpc,
} from './network.js';
import { roleWithPolicy } from './policies.js';
import { type SurgeProps, screenCallerEnvironment } from './surge.js';

export interface FlowguardProps {
  /** ARN of the Amazon Connect instance allowed to invoke the functions (a parameter's value is fine). */
  readonly instanceArn: string;
  /** The functions to deploy (default: all five). */
  readonly functions?: readonly FunctionName[];
  /** The code of a function: the bundler's zip, or anything Lambda accepts. */
  readonly code: (name: DeployableFunctionName) => lambda.Code;
  /**
   * Deploys forward-contact-records and forward-recordings on Connect's contact-record stream,
   * each with an event source mapping and the grants its policy document names
   * (docs/data-minimisation.md). Without it neither exists.
   */
  readonly contactRecords?: ContactRecordsProps;
  /** Flows to create, their placeholders filled with the aliases' ARNs, the key and `flowValues`. */
  readonly flows?: readonly FlowSpec[];
  /** Values for the flows' other placeholders, e.g. `QueueArn`. */
  readonly flowValues?: Readonly<Record<string, string>>;
  /**
   * The instance's security key for encrypted input: two slots the construct owns (`managed`), or
   * a key registered elsewhere (`external`). Without it, flows with encrypted input are left out.
   */
  readonly connectKeys?: ConnectKeyHandling;
  /** An e-mail address subscribed to the alarm topic; empty or absent for none (a parameter's value is fine). */
  readonly alarmEmail?: string;
  /** Runs the functions in a VPC: yours, or `'create'` for one of isolated subnets with endpoints. */
  readonly vpc?: ec2.IVpc | 'create';
  /** Subnets of `vpc` for the functions (default: its isolated subnets, else its private ones). */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Creates the endpoints the deployed functions call in `vpc` (default true): for the flow
   * functions DynamoDB, Secrets Manager, KMS, Logs and Monitoring; for the stream functions S3 and
   * those their policy needs (Firehose, Kinesis, EventBridge, Secrets Manager, SSM).
   */
  readonly vpcEndpoints?: boolean;
  /** Archives every function log line to S3 through Firehose. */
  readonly logArchive?: boolean;
  /** Creates a multi-region CloudTrail trail (for an account that has none). */
  readonly createTrail?: boolean;
  readonly logRetention?: logs.RetentionDays;
  /** Reserved concurrency by function, replacing the defaults in FUNCTION_SPECS. */
  readonly reservedConcurrency?: Partial<Record<DeployableFunctionName, number>>;
  /** Extra configuration by function (e.g. `FLOWGUARD_LIMITS`, `FLOWGUARD_FAIL_MODE`). */
  readonly environment?: Partial<Record<DeployableFunctionName, Readonly<Record<string, string>>>>;
  /**
   * screen-caller's surge mode: thresholds, monitor-only, aggregate shards (`-c surgeThresholds=...`).
   * These and any aggregate variable in `environment` are checked at synth: a bad one fails it.
   */
  readonly surge?: SurgeProps;
  /** Invoke block time limit (s) for a function no given flow invokes (default 3, Connect's default). */
  readonly flowTimeLimitSeconds?: number;
  /** Prefix of function, alarm, rule and trail names (default `flowguard-`). */
  readonly namePrefix?: string;
  /** EMF namespace the functions write and the alarms read (default `Flowguard`). */
  readonly metricsNamespace?: string;
  /**
   * Deploys start-contact behind an HTTP front door, with the signing secret screen-caller then
   * also reads (docs/deploy.md, "start-contact"). Without it neither exists.
   */
  readonly edge?: EdgeProps;
}

/** The operations of the screening store, by function: nothing more is granted. */
const TABLE_ACTIONS: Readonly<Partial<Record<Access, readonly string[]>>> = {
  // record (UpdateItem), allowlist read and fallback read (GetItem), auto-block history
  // (PutItem), rules (Query). The aggregate items (`pk=aggregate#<shard>`) are items of the same
  // table: a flush and a surge's start or end are UpdateItem, a flush with nothing to write GetItem.
  screening: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
  // block (UpdateItem), its fallback read (GetItem), its history (PutItem).
  flag: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
  // the nonce claim and the caller's verifiedUntil (UpdateItem each).
  challenge: ['dynamodb:UpdateItem'],
};

/** Keys of the encryption context every token carries (`tokenContext` in @flowguard/secure-input). */
export const TOKEN_CONTEXT_KEYS = ['flowguard:contact-id', 'flowguard:purpose'] as const;

const usesTable = (spec: FunctionSpec) => TABLE_ACTIONS[spec.access] !== undefined;

type Network = { vpc: ec2.IVpc; vpcSubnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] };

/** What both stream functions are made with. */
interface StreamContext {
  readonly records: ContactRecordsProps;
  readonly grants: PolicyGrants;
  readonly deadLetters: s3.IBucket;
  /** `''`, or a validated prefix ending in `/`. */
  readonly deadLetterPrefix: string;
  readonly queue: sqs.Queue;
  /** The compacted document (inline), or the parameter holding it. */
  readonly policy: string | ssm.StringParameter;
  readonly network?: Network;
}

/** What every function shares: its log group's key and retention, the values the stack hands it. */
interface FunctionContext {
  readonly props: FlowguardProps;
  readonly logsKey: kms.IKey;
  readonly retention: logs.RetentionDays;
  readonly settings: Readonly<Record<Setting, string | undefined>>;
}

/**
 * flowguard on AWS, for any CDK app: the table, one KMS key per purpose, the secrets, one Lambda
 * per function behind a `live` alias with a least-privilege role, the Connect integration (invoke
 * permission scoped to the instance, integration associations, security keys, flows), alarms to an
 * encrypted topic, and a CloudTrail rule over Connect's security-relevant calls.
 */
export class Flowguard extends Construct {
  readonly table?: dynamodb.Table;
  readonly alarmTopic: sns.Topic;
  readonly functions = new Map<FunctionName, lambda.Function>();
  readonly aliases = new Map<FunctionName, lambda.Alias>();
  readonly connectKeysSecret?: secretsmanager.Secret;
  readonly fingerprintSecret?: secretsmanager.Secret;
  /** The challenge's HMAC key, with the `challenge` function. */
  readonly challengeSecret?: secretsmanager.Secret;
  readonly tokenKey?: kms.Key;
  readonly vpc?: ec2.IVpc;
  /** The functions' security group, in VPC mode: allow it into whatever else they must reach. */
  readonly functionsSecurityGroup?: ec2.SecurityGroup;
  readonly logArchive?: LogArchive;
  readonly trail?: AuditTrail;
  readonly alarms: FlowguardAlarms;
  /** The instance's security keys, when the construct owns them. */
  readonly connectKeys?: ConnectKeys;
  readonly flows = new Map<string, connect.CfnContactFlow>();
  /** The flow modules (`type: 'MODULE'` specs), e.g. `challenge`: flows invoke them by their ARN or id. */
  readonly modules = new Map<string, connect.CfnContactFlowModule>();
  /** forward-contact-records and forward-recordings, with the `contactRecords` prop. */
  readonly streamFunctions = new Map<StreamFunctionName, lambda.Function>();
  readonly streamAliases = new Map<StreamFunctionName, lambda.Alias>();
  /** Where the stream functions write records they cannot forward (given, or created). */
  readonly deadLetterBucket?: s3.IBucket;
  /** The stream event source mappings' on-failure destination: batches that ran out of retries. */
  readonly failedBatchQueue?: sqs.Queue;
  /** The policy document, with `policySource: 'parameter'`. */
  readonly policyParameter?: ssm.StringParameter;
  /** start-contact, its front door and the signing secret, with the `edge` prop. */
  readonly edge?: FlowguardEdge;

  private readonly stack: Stack;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: FlowguardProps) {
    super(scope, id);
    this.stack = Stack.of(this);
    this.prefix = props.namePrefix ?? 'flowguard-';
    const namespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    const retention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const wanted = new Set<FunctionName>(props.functions ?? FUNCTION_SPECS.map((s) => s.name));
    const specs = FUNCTION_SPECS.filter((s) => wanted.has(s.name));
    const ruleName = `${this.prefix}connect-security-changes`;

    const logsKey = this.logsKey();
    if (specs.some(usesTable) || props.edge) this.table = this.screeningTable();
    const grants = props.contactRecords ? policyGrants(props.contactRecords.policy) : undefined;
    if (grants) this.refuseFirehoseOfOtherAccounts(grants);
    const secureInput = specs.some((s) => s.access === 'secure-input');
    if (secureInput || grants?.hashes) {
      const secretsKey = this.purposeKey(
        'SecretsKey',
        'flowguard: the Connect private keys and the fingerprint key',
      );
      if (secureInput) {
        this.connectKeysSecret = this.secret('ConnectKeysSecret', secretsKey, {
          description:
            'flowguard: private keys for Connect-encrypted input ({"keys":[{"keyId","privateKey"}]})',
          // Not a secret: the empty shape an operator fills with the keys.
          secretStringValue: SecretValue.unsafePlainText('{"keys":[]}'),
        });
      }
      this.fingerprintSecret = this.secret('FingerprintSecret', secretsKey, {
        description:
          'flowguard: HMAC keys for fingerprints ({"key": base64} = version 1, or {"current": n, "keys": [{"version", "key"}]})',
        generateSecretString: {
          secretStringTemplate: '{}',
          generateStringKey: 'key',
          passwordLength: 64,
          excludePunctuation: true,
        },
      });
    }
    if (specs.some((s) => s.access === 'secure-input' || s.access === 'encrypt-input')) {
      this.tokenKey = this.purposeKey('TokenKey', 'flowguard: tokens for downstream systems');
    }
    if (specs.some((s) => s.access === 'challenge')) this.challengeSecret = this.challengeKeySecret();
    this.alarmTopic = this.topic(ruleName, props.alarmEmail);

    if (props.vpc) {
      this.vpc = props.vpc === 'create' ? functionsVpc(this, { logsKey, retention }) : props.vpc;
    }
    let network: Network | undefined;
    if (this.vpc) {
      const vpcSubnets = props.vpcSubnets ?? defaultSubnets(this.vpc);
      if (props.contactRecords && grants) {
        this.refuseUnreachableRegions(grants, props.vpc === 'create' || isolated(this.vpc, vpcSubnets));
      }
      this.functionsSecurityGroup = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', {
        vpc: this.vpc,
        description: 'flowguard functions: no inbound; out to the VPC endpoints and the DynamoDB gateway',
        allowAllOutbound: true,
      });
      network = { vpc: this.vpc, vpcSubnets, securityGroups: [this.functionsSecurityGroup] };
      if (props.vpcEndpoints !== false) {
        const services = new Set<EndpointService>(specs.length > 0 ? FLOW_ENDPOINT_SERVICES : []);
        if (props.contactRecords && grants) {
          const source = props.contactRecords.policySource ?? 'inline';
          for (const service of streamEndpointServices(grants, source)) services.add(service);
        }
        addServiceEndpoints(this, {
          vpc: this.vpc,
          subnets: vpcSubnets,
          clients: this.functionsSecurityGroup,
          services,
        });
      }
    }

    const ownDeadLetters = props.contactRecords !== undefined && !props.contactRecords.deadLetterBucket;
    const accessLogs =
      props.logArchive || props.createTrail || ownDeadLetters ? this.accessLogsBucket() : undefined;
    if (props.logArchive && accessLogs) this.logArchive = new LogArchive(this, 'LogArchive', { accessLogs });

    const settings: Record<Setting, string | undefined> = {
      table: this.table?.tableName,
      connectKeysSecret: this.connectKeysSecret?.secretArn,
      fingerprintSecret: this.fingerprintSecret?.secretArn,
      tokenKey: this.tokenKey?.keyArn,
      challengeSecret: this.challengeSecret?.secretArn,
      metricsNamespace: namespace,
    };
    const context: FunctionContext = { props, logsKey, retention, settings };
    const integrations = new Map<FunctionName, connect.CfnIntegrationAssociation>();
    const permissions = new Map<FunctionName, lambda.CfnPermission>();
    const policies = new Map<FunctionName, iam.ManagedPolicy>();
    for (const spec of specs) {
      const { fn, alias } = this.deployFunction(spec, context, {
        // Above the function's own time budget (2-2.5 s), within the flow's 8 s maximum.
        timeout: Duration.seconds(5),
        environment:
          spec.name === 'screen-caller'
            ? screenCallerEnvironment(props.surge, props.environment?.[spec.name])
            : props.environment?.[spec.name],
        reservedConcurrency: props.reservedConcurrency?.[spec.name],
        network,
        role: (logGroup) => {
          const made = this.functionRole(spec, logGroup, network !== undefined);
          policies.set(spec.name, made.policy);
          return made.role;
        },
      });
      const permission = new lambda.CfnPermission(this, `${spec.name}-connect-invoke`, {
        functionName: alias.functionArn,
        action: 'lambda:InvokeFunction',
        principal: 'connect.amazonaws.com',
        sourceArn: props.instanceArn,
        sourceAccount: this.stack.account,
      });
      const association = new connect.CfnIntegrationAssociation(this, `${spec.name}-integration`, {
        instanceId: props.instanceArn,
        integrationType: 'LAMBDA_FUNCTION',
        integrationArn: alias.functionArn,
      });
      association.node.addDependency(permission);
      this.functions.set(spec.name, fn);
      this.aliases.set(spec.name, alias);
      integrations.set(spec.name, association);
      permissions.set(spec.name, permission);
    }

    if (wanted.has('secure-input') && props.connectKeys) {
      this.connectKeys = new ConnectKeys(this, 'ConnectKeys', {
        instanceArn: props.instanceArn,
        handling: props.connectKeys,
      });
    }

    if (props.contactRecords && grants) {
      const forwardingKey = this.purposeKey(
        'ForwardingKey',
        'flowguard: forwarding dead letters and the failed-batch queue',
      );
      const deadLetters =
        props.contactRecords.deadLetterBucket ?? this.deadLetterBucketOf(forwardingKey, accessLogs);
      this.deadLetterBucket = deadLetters;
      this.failedBatchQueue = this.failedBatchesQueue(forwardingKey);
      const policy = compactPolicy(props.contactRecords.policy);
      const placement = policyPlacement(policy.bytes, props.contactRecords.policySource ?? 'inline');
      if (placement.kind === 'parameter') {
        this.policyParameter = new ssm.StringParameter(this, 'ForwardPolicy', {
          parameterName: `${this.prefix}forward-policy`,
          description:
            'flowguard: the forwarding policy of forward-contact-records and forward-recordings (set by the stack: edit the policy file and deploy)',
          stringValue: policy.text,
          tier: placement.tier === 'Advanced' ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
        });
      }
      const stream: StreamContext = {
        records: props.contactRecords,
        grants,
        deadLetters,
        deadLetterPrefix:
          props.contactRecords.deadLetterPrefix === undefined
            ? ''
            : deadLetterPrefixOf(props.contactRecords.deadLetterPrefix),
        queue: this.failedBatchQueue,
        policy: this.policyParameter ?? policy.text,
        network,
      };
      for (const spec of STREAM_FUNCTION_SPECS) this.streamFunction(spec, context, stream);
    }

    if (props.edge && this.table) {
      const screenCaller = this.functions.get('screen-caller');
      const screenCallerPolicy = policies.get('screen-caller');
      this.edge = new FlowguardEdge(this, 'Edge', {
        edge: props.edge,
        instanceArn: props.instanceArn,
        namePrefix: this.prefix,
        logsKey,
        retention,
        table: this.table,
        screenCaller: screenCaller && screenCallerPolicy && { fn: screenCaller, policy: screenCallerPolicy },
        // Outside the VPC: it calls Connect's API and the identity provider (edge.ts).
        deploy: (spec, options) => {
          let policy: iam.ManagedPolicy | undefined;
          const { fn, alias } = this.deployFunction(spec, context, {
            timeout: Duration.millis(spec.budgetMs + 500),
            environment: options.environment,
            reservedConcurrency: options.reservedConcurrency,
            role: (logGroup) => {
              const made = this.functionRole(spec, logGroup, false);
              policy = made.policy;
              return made.role;
            },
            aliasDescription:
              'The version the front door invokes: moved by deploy:function after a smoke test',
            acknowledge: options.acknowledge,
          });
          if (!policy) throw new Error(`${spec.name}: no role policy`);
          return { fn, alias, policy };
        },
      });
    }

    const limits = this.createFlows(props, this.connectKeys?.active, { integrations, permissions });
    this.alarms = new FlowguardAlarms(this, 'Alarms', {
      topic: this.alarmTopic,
      namePrefix: this.prefix,
      namespace,
      aliases: this.aliases,
      streamFunctions: this.streamFunctions,
      failedBatchQueue: this.failedBatchQueue,
      startContact: this.edge?.alias,
      flowTimeLimits: new Map(
        specs.map((s) => [s.name, limits.get(s.placeholder) ?? props.flowTimeLimitSeconds ?? 3]),
      ),
    });
    connectChangesRule(this, { topic: this.alarmTopic, ruleName });
    if (props.createTrail && accessLogs) {
      this.trail = new AuditTrail(this, 'Trail', { trailName: `${this.prefix}trail`, accessLogs });
    }
  }

  /** A function behind its `live` alias, logging to its own encrypted group: every function is made here. */
  private deployFunction(
    spec: FunctionSpec<DeployableFunctionName>,
    { props, logsKey, retention, settings }: FunctionContext,
    options: {
      readonly timeout: Duration;
      readonly environment?: Readonly<Record<string, string>>;
      readonly reservedConcurrency?: number;
      readonly network?: Network;
      /** The settings to hand it (default: every one its variables name). */
      readonly settings?: readonly Setting[];
      readonly role: (logGroup: logs.LogGroup) => iam.IRole;
      readonly aliasDescription?: string;
      /** Its cdk-nag acknowledgements, when not a flow or stream function's. */
      readonly acknowledge?: (fn: lambda.Function) => void;
    },
  ): { fn: lambda.Function; alias: lambda.Alias } {
    const logGroup = new logs.LogGroup(this, `${spec.name}-logs`, {
      retention,
      encryptionKey: logsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logArchive?.subscribe(`${spec.name}-archive`, logGroup);
    const environment: Record<string, string> = { NODE_OPTIONS: '--enable-source-maps' };
    for (const setting of options.settings ?? spec.settings) {
      const value = settings[setting];
      if (value !== undefined) environment[SETTING_VARIABLES[setting]] = value;
    }
    Object.assign(environment, options.environment);

    const fn = new lambda.Function(this, spec.name, {
      functionName: `${this.prefix}${spec.name}`,
      description: `flowguard ${spec.name}`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: props.code(spec.name),
      memorySize: spec.memoryMb,
      timeout: options.timeout,
      reservedConcurrentExecutions: options.reservedConcurrency ?? spec.reservedConcurrency,
      role: options.role(logGroup),
      logGroup,
      environment,
      ...options.network,
    });
    if (options.acknowledge) options.acknowledge(fn);
    else this.acknowledgeFunction(fn, spec.placeholder === '');
    const alias = new lambda.Alias(this, `${spec.name}-live`, {
      aliasName: LIVE_ALIAS,
      version: fn.currentVersion,
      description:
        options.aliasDescription ??
        'The version Connect invokes: moved by deploy:function after a smoke test',
    });
    return { fn, alias };
  }

  /**
   * forward-contact-records or forward-recordings: the function, its event source mapping on the
   * contact-record stream, and exactly the grants the policy document names.
   */
  private streamFunction(
    spec: FunctionSpec<StreamFunctionName>,
    context: FunctionContext,
    { records, grants, deadLetters, deadLetterPrefix, queue, policy: policySource, network }: StreamContext,
  ): void {
    const forwardsRecords = spec.access === 'forward-contact-records';
    const environment: Record<string, string> =
      typeof policySource === 'string'
        ? { [streamVariable(spec.name, 'policy')]: policySource }
        : { [streamVariable(spec.name, 'policyParameter')]: policySource.parameterName };
    environment[streamVariable(spec.name, 'deadLetterBucket')] = deadLetters.bucketName;
    if (deadLetterPrefix) environment[streamVariable(spec.name, 'deadLetterPrefix')] = deadLetterPrefix;
    const deadLetterKey = deadLetters.encryptionKey;
    if (deadLetterKey) environment[streamVariable(spec.name, 'deadLetterKey')] = deadLetterKey.keyArn;
    Object.assign(environment, context.props.environment?.[spec.name]);
    const readsFingerprints = forwardsRecords && grants.hashes;

    let policy: iam.ManagedPolicy | undefined;
    const { fn, alias } = this.deployFunction(spec, context, {
      timeout: Duration.millis(spec.budgetMs),
      environment,
      reservedConcurrency: context.props.reservedConcurrency?.[spec.name],
      // The fingerprint key only to the function that hashes, and only when a policy does.
      settings: spec.settings.filter((s) => s !== 'fingerprintSecret' || readsFingerprints),
      network,
      role: (logGroup) => {
        const made = this.functionRole(spec, logGroup, network !== undefined);
        policy = made.policy;
        return made.role;
      },
      aliasDescription:
        'The version the contact-record stream invokes: moved by deploy:function after a smoke test',
    });
    if (!policy) throw new Error(`${spec.name}: no role policy`);
    const rolePolicy = policy;
    const { region } = this.stack;
    const via = (service: string) => ({
      StringEquals: { 'kms:ViaService': `${service}.${region}.amazonaws.com` },
    });
    const allow = (
      actions: string[],
      resources: string[],
      conditions?: Record<string, Record<string, unknown>>,
    ) => rolePolicy.addStatements(new iam.PolicyStatement({ actions, resources, conditions }));
    const objectPrefix = (resource: string, what: string) =>
      Validations.of(rolePolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(this.stack, resource)}]`,
        reason: `Objects are written and read by key under a prefix: the grant covers ${what}, and nothing else`,
      });

    // What Lambda's event source mapping reads the stream with (ListStreams takes no stream ARN,
    // and SubscribeToShard is for enhanced fan-out, which the mapping does not use).
    allow(
      [
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamSummary',
        'kinesis:GetRecords',
        'kinesis:GetShardIterator',
        'kinesis:ListShards',
      ],
      [records.streamArn],
    );
    if (records.streamKeyArn) allow(['kms:Decrypt'], [records.streamKeyArn], via('kinesis'));
    // The mapping sends a batch that ran out of retries to the queue with the function's role.
    allow(['sqs:SendMessage'], [queue.queueArn]);
    if (queue.encryptionMasterKey) {
      allow(['kms:GenerateDataKey', 'kms:Decrypt'], [queue.encryptionMasterKey.keyArn], via('sqs'));
    }
    // The function writes `<prefix>dead-letter/...` (FLOWGUARD_FORWARD_DEAD_LETTER_PREFIX).
    const deadLetterObjects = deadLetters.arnForObjects(`${deadLetterPrefix}dead-letter/*`);
    allow(['s3:PutObject'], [deadLetterObjects]);
    objectPrefix(
      deadLetterObjects,
      `the dead letters under ${deadLetterPrefix}dead-letter/ in the dead-letter bucket`,
    );
    if (typeof policySource !== 'string') {
      // A String parameter (CloudFormation makes no SecureString): no key to decrypt.
      allow(['ssm:GetParameter'], [policySource.parameterArn]);
    }
    if (deadLetterKey) allow(['kms:GenerateDataKey'], [deadLetterKey.keyArn], via('s3'));

    if (readsFingerprints && this.fingerprintSecret) {
      const secret = this.fingerprintSecret.secretArn;
      allow(['secretsmanager:GetSecretValue'], [secret]);
      const key = this.fingerprintSecret.encryptionKey;
      if (key) {
        allow(['kms:Decrypt'], [key.keyArn], {
          StringEquals: {
            'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
            'kms:EncryptionContext:SecretARN': secret,
          },
        });
      }
    }
    if (forwardsRecords) {
      for (const d of grants.destinations) {
        if (d.type === 'firehose') {
          allow(['firehose:PutRecordBatch'], [resourceArn(this.stack, d.deliveryStream, 'firehose')]);
        } else if (d.type === 'kinesis') {
          allow(['kinesis:PutRecords'], [resourceArn(this.stack, d.stream, 'kinesis')]);
        } else if (d.type === 'eventbridge') {
          allow(['events:PutEvents'], [resourceArn(this.stack, d.eventBus, 'events')]);
        } else {
          const objects = objectsArn(this.stack, d.bucket, d.prefix);
          allow(['s3:PutObject'], [objects]);
          objectPrefix(objects, 'the objects under the prefix the policy sends to');
          if (d.kmsKeyId)
            allow(
              ['kms:GenerateDataKey'],
              [keyArn(this.stack, d.kmsKeyId, 'destination/kmsKeyId')],
              via('s3'),
            );
        }
      }
    } else if (grants.recordings.length > 0) {
      if (!records.recordingsBucketArn) {
        throw new Error(
          'contactRecords: a policy copies recordings: give recordingsBucketArn (-c recordingsBucketArn=...)',
        );
      }
      for (const r of grants.recordings) {
        const objects = objectsArn(this.stack, r.bucket, r.prefix);
        // HeadObject on the copy (is it there already?), the copy, its tags.
        allow(['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging'], [objects]);
        objectPrefix(objects, 'the copies under the prefix the policy copies recordings to');
        const bucket = r.bucket.startsWith('arn:')
          ? r.bucket
          : `arn:${this.stack.partition}:s3:::${r.bucket}`;
        allow(['s3:ListBucket'], [bucket], { StringLike: { 's3:prefix': `${r.prefix}*` } });
        allow(
          ['kms:GenerateDataKey', 'kms:Decrypt'],
          [keyArn(this.stack, r.kmsKeyId, 'recordings/kmsKeyId')],
          via('s3'),
        );
      }
      const source = `${records.recordingsBucketArn}/${records.recordingsPrefix ?? ''}*`;
      allow(['s3:GetObject'], [source]);
      objectPrefix(
        source,
        'the recordings and transcripts under the instance’s recordings prefix (the copy source)',
      );
      if (records.recordingsKeyArn) allow(['kms:Decrypt'], [records.recordingsKeyArn], via('s3'));
    }

    new lambda.CfnEventSourceMapping(this, `${spec.name}-stream`, {
      functionName: alias.functionArn,
      eventSourceArn: records.streamArn,
      ...EVENT_SOURCE,
      functionResponseTypes: ['ReportBatchItemFailures'],
      destinationConfig: { onFailure: { destination: queue.queueArn } },
    });
    this.streamFunctions.set(spec.name, fn);
    this.streamAliases.set(spec.name, alias);
  }

  /**
   * A Firehose stream of another account cannot be written: PutRecordBatch takes a stream name,
   * which reaches the caller's own account only (the grant would name the other account's stream,
   * and be denied). Refused at synth when the stack's account is known (or the policy names two
   * accounts); when it is not, a template rule refuses the deploy in any other account.
   */
  private refuseFirehoseOfOtherAccounts(grants: PolicyGrants): void {
    const named = firehoseAccounts(grants);
    if (named.length === 0) return;
    const { account } = this.stack;
    const why =
      "PutRecordBatch takes a stream name, which reaches the caller's own account only, and flowguard assumes no role in another";
    const fail = (path: string, other: string, here: string): never => {
      throw new Error(
        `contactRecords.policy: ${path}: names a Firehose stream of account ${other}, but it must be in ${here}: ${why}; name a stream of this account (any region), or a Kinesis stream or event bus of the other account (called by ARN, allowed by its resource policy)`,
      );
    };
    if (!Token.isUnresolved(account)) {
      const foreign = named.find((n) => n.account !== account);
      if (foreign) fail(foreign.path, foreign.account, `the stack's account ${account}`);
      return;
    }
    const [first] = named;
    if (!first) return;
    const other = named.find((n) => n.account !== first.account);
    if (other)
      fail(other.path, other.account, `the stack's account (also named by ${first.path}: ${first.account})`);
    new CfnRule(this, 'FirehoseInStackAccount', {
      assertions: [
        {
          assert: Fn.conditionEquals(Fn.ref('AWS::AccountId'), first.account),
          assertDescription: `contactRecords.policy: ${first.path} names a Firehose stream of account ${first.account}: ${why}; deploy this stack in ${first.account}`,
        },
      ],
    });
  }

  /**
   * A destination in another region is out of reach from subnets with no route out: an endpoint
   * serves its own region only. Refused at synth when the stack's region is known (or the policy
   * names two regions); when it is not (an environment-agnostic stack), a template rule refuses
   * the deploy, before anything is created, in any region but the one the policy names.
   */
  private refuseUnreachableRegions(grants: PolicyGrants, noEgress: boolean): void {
    if (!noEgress) return;
    const named = namedRegions(grants);
    if (named.length === 0) return;
    const { region } = this.stack;
    const fail = (path: string, other: string, here: string): never => {
      throw new Error(
        `contactRecords.policy: ${path}: names region ${other}, but the stream functions run in subnets of a VPC in ${here} with no route out, where endpoints reach their own region only: name a destination in ${here}, or give subnets with a NAT route (vpcSubnets)`,
      );
    };
    if (!Token.isUnresolved(region)) {
      const foreign = named.find((n) => n.region !== region);
      if (foreign) fail(foreign.path, foreign.region, region);
      return;
    }
    const [first] = named;
    if (!first) return;
    const other = named.find((n) => n.region !== first.region);
    if (other)
      fail(other.path, other.region, `the stack's region (also named by ${first.path}: ${first.region})`);
    new CfnRule(this, 'DestinationsInStackRegion', {
      assertions: [
        {
          assert: Fn.conditionEquals(Fn.ref('AWS::Region'), first.region),
          assertDescription: `contactRecords.policy: ${first.path} names region ${first.region}: the stream functions run in subnets with no route out, where endpoints reach their own region only; deploy this stack in ${first.region}`,
        },
      ],
    });
  }

  /** The dead letters: raw contact records, kept as the contact-record stream is (docs/data-minimisation.md). */
  private deadLetterBucketOf(key: kms.IKey, accessLogs: s3.Bucket | undefined): s3.Bucket {
    const bucket = new s3.Bucket(this, 'DeadLetters', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'dead-letters/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(90), noncurrentVersionExpiration: Duration.days(7) }],
    });
    Validations.of(bucket).acknowledge({
      id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
      reason:
        'Dead letters are raw contact records: docs/data-minimisation.md asks that they not be replicated to wider audiences; they stay in the stream’s account and region',
    });
    return bucket;
  }

  /** The event source mappings' on-failure destination: where a batch that ran out of retries is named. */
  private failedBatchesQueue(key: kms.IKey): sqs.Queue {
    const queue = new sqs.Queue(this, 'FailedBatches', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter destination: the Kinesis event source mappings’ on-failure queue, holding the shard and sequence range of batches that ran out of retries, for an operator to replay from the stream',
    });
    return queue;
  }

  /** One customer-managed key for one purpose, rotated yearly and kept when the stack goes. */
  private purposeKey(id: string, description: string): kms.Key {
    return new kms.Key(this, id, {
      description,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** The key of the function (and VPC flow) log groups: CloudWatch Logs may use it for this account's groups only. */
  private logsKey(): kms.Key {
    const key = this.purposeKey('LogsKey', 'flowguard: function and VPC flow log groups');
    const { partition, region, account } = this.stack;
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsGroups',
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*`,
          },
        },
      }),
    );
    return key;
  }

  private screeningTable(): dynamodb.Table {
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.purposeKey('TableKey', 'flowguard: the screening table'),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(table).acknowledge({
      id: 'NIST.800.53.R5-DynamoDBInBackupPlan',
      reason:
        'Point-in-time recovery (35 days, to the second), deletion protection and retention on stack deletion protect the table; an AWS Backup plan is the account owner’s choice, not this stack’s',
    });
    return table;
  }

  /** The challenge's HMAC key: base64 of 48 random bytes under its own KMS key, rotated by hand. */
  private challengeKeySecret(): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'ChallengeSecret', {
      description:
        'flowguard: the HMAC key of the IVR challenge tokens (base64 of 48 random bytes); challenge issues with AWSCURRENT and also verifies with AWSPREVIOUS',
      encryptionKey: this.purposeKey('ChallengeKey', 'flowguard: the IVR challenge secret'),
      removalPolicy: RemovalPolicy.RETAIN,
      // 64 characters of the base64 alphabet: base64 of 48 bytes.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    const reason =
      'Rotated by hand: PutSecretValue with a new random value moves AWSCURRENT; a challenge issued just before still verifies under AWSPREVIOUS, and a token lives a minute at most';
    Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason });
    Validations.of(secret).acknowledge({ id: 'NIST.800.53.R5-SecretsManagerRotationEnabled', reason });
    return secret;
  }

  private secret(
    id: string,
    encryptionKey: kms.IKey,
    props: Omit<secretsmanager.SecretProps, 'encryptionKey' | 'removalPolicy'>,
  ): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, id, {
      ...props,
      encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const reason =
      id === 'ConnectKeysSecret'
        ? 'Rotating a Connect key means uploading its public key to the instance and changing the flows: the stack does it through its two key slots (docs/deploy.md), not a rotation Lambda'
        : 'A new fingerprint key changes every fingerprint, breaking the matching downstream systems do with them: it is rotated by hand, on purpose';
    Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason });
    Validations.of(secret).acknowledge({ id: 'NIST.800.53.R5-SecretsManagerRotationEnabled', reason });
    return secret;
  }

  /**
   * The topic every alarm and the CloudTrail rule publish to, under its own key: CloudWatch and
   * EventBridge may use the key and publish only for this account's flowguard alarms and rule.
   */
  private topic(ruleName: string, alarmEmail: string | undefined): sns.Topic {
    const { partition, region, account } = this.stack;
    const alarmArns = `arn:${partition}:cloudwatch:${region}:${account}:alarm:${this.prefix}*`;
    const ruleArn = `arn:${partition}:events:${region}:${account}:rule/${ruleName}`;
    const publishers = [
      { service: 'cloudwatch.amazonaws.com', sourceArn: alarmArns },
      { service: 'events.amazonaws.com', sourceArn: ruleArn },
    ];
    const key = this.purposeKey('TopicKey', 'flowguard: the alarm topic');
    const topic = new sns.Topic(this, 'SecurityAlarms', {
      displayName: 'flowguard alarms',
      masterKey: key,
      enforceSSL: true,
    });
    for (const { service, sourceArn } of publishers) {
      const conditions = {
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': sourceArn },
      };
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `${service.split('.')[0]}UsesKeyToPublish`,
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions,
        }),
      );
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `${service.split('.')[0]}Publishes`,
          principals: [new iam.ServicePrincipal(service)],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions,
        }),
      );
    }
    if (alarmEmail !== undefined && (Token.isUnresolved(alarmEmail) || alarmEmail.trim() !== '')) {
      const subscription = new sns.Subscription(this, 'AlarmEmail', {
        topic,
        protocol: sns.SubscriptionProtocol.EMAIL,
        endpoint: alarmEmail,
      });
      if (Token.isUnresolved(alarmEmail)) {
        const given = new CfnCondition(this, 'HasAlarmEmail', {
          expression: Fn.conditionNot(Fn.conditionEquals(alarmEmail, '')),
        });
        (subscription.node.defaultChild as sns.CfnSubscription).cfnOptions.condition = given;
      }
    }
    return topic;
  }

  /** Server access logs of the archive and trail buckets (SSE-S3: access logging accepts no other). */
  private accessLogsBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    const acknowledge = (id: string, reason: string) => Validations.of(bucket).acknowledge({ id, reason });
    acknowledge('AwsSolutions-S1', 'This is the server access log bucket: logging it to itself would loop');
    acknowledge(
      'NIST.800.53.R5-S3BucketLoggingEnabled',
      'This is the server access log bucket: logging it to itself would loop',
    );
    acknowledge(
      'NIST.800.53.R5-S3DefaultEncryptionKMS',
      'S3 server access logging delivers only to buckets encrypted with S3-managed keys (SSE-S3)',
    );
    acknowledge(
      'NIST.800.53.R5-S3BucketReplicationEnabled',
      'Access logs are kept for a year in one region; cross-region replication is left to the account owner',
    );
    return bucket;
  }

  /** A function's role: writing its own log group, and exactly the table, secret and key calls it makes. */
  private functionRole(
    spec: FunctionSpec<DeployableFunctionName>,
    logGroup: logs.LogGroup,
    inVpc: boolean,
  ): { role: iam.Role; policy: iam.ManagedPolicy } {
    const { region } = this.stack;
    const { role, policy } = roleWithPolicy(this, `${spec.name}-role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `flowguard ${spec.name}: least privilege`,
    });
    const allow = (statement: iam.PolicyStatement) => policy.addStatements(statement);
    allow(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(logGroup)}.Arn>:*]`,
      reason:
        'Log streams are created by Lambda with names known only at run time: the grant covers the streams of this function’s own log group, and nothing else',
    });
    if (inVpc) {
      // ENI management for VPC placement: these EC2 actions only work on resource "*".
      allow(
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
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Lambda manages the network interfaces of a function in a VPC with EC2 actions that accept no resource but "*"',
      });
    }
    const tableActions = TABLE_ACTIONS[spec.access];
    if (tableActions && this.table) {
      allow(new iam.PolicyStatement({ actions: [...tableActions], resources: [this.table.tableArn] }));
      if (this.table.encryptionKey) {
        allow(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'],
            resources: [this.table.encryptionKey.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
          }),
        );
      }
    }
    if (spec.access === 'secure-input' && this.connectKeysSecret && this.fingerprintSecret) {
      const secrets = [this.connectKeysSecret, this.fingerprintSecret];
      allow(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: secrets.map((s) => s.secretArn),
        }),
      );
      const secretsKey = this.connectKeysSecret.encryptionKey;
      if (secretsKey) {
        allow(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [secretsKey.keyArn],
            conditions: {
              StringEquals: {
                'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
                'kms:EncryptionContext:SecretARN': secrets.map((s) => s.secretArn),
              },
            },
          }),
        );
      }
    }
    if (spec.access === 'challenge' && this.challengeSecret) {
      const secret = this.challengeSecret.secretArn;
      allow(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret] }));
      const key = this.challengeSecret.encryptionKey;
      if (key) {
        allow(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [key.keyArn],
            conditions: {
              StringEquals: {
                'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
                'kms:EncryptionContext:SecretARN': secret,
              },
            },
          }),
        );
      }
    }
    if ((spec.access === 'secure-input' || spec.access === 'encrypt-input') && this.tokenKey) {
      // The Encryption SDK's KMS keyring asks for a data key under the token key, with the token's
      // context (contact id, purpose): nothing else.
      allow(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey'],
          resources: [this.tokenKey.keyArn],
          conditions: {
            'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [...TOKEN_CONTEXT_KEYS] },
            Null: { [`kms:EncryptionContext:${TOKEN_CONTEXT_KEYS[0]}`]: 'false' },
          },
        }),
      );
    }
    return { role, policy };
  }

  private acknowledgeFunction(fn: lambda.Function, stream: boolean): void {
    const acknowledge = (id: string, reason: string) => Validations.of(fn).acknowledge({ id, reason });
    acknowledge(
      'AwsSolutions-L1',
      'The functions are bundled for and tested on Node.js 22 (esbuild target node22); moving to a newer runtime is a deliberate change with its own tests',
    );
    acknowledge(
      'NIST.800.53.R5-LambdaDLQ',
      stream
        ? 'A Kinesis event source mapping invokes this function synchronously; batches that run out of retries go to the mapping’s on-failure queue, and records it cannot forward to its dead-letter bucket (a function dead-letter queue only applies to asynchronous invocations)'
        : 'Connect invokes the functions synchronously and branches on the answer; a dead-letter queue only applies to asynchronous invocations',
    );
    if (stream && !this.vpc) {
      acknowledge(
        'NIST.800.53.R5-LambdaInsideVPC',
        'The stream functions reach only AWS APIs (S3, the Firehose, Kinesis, EventBridge destinations the policy names, Secrets Manager, SSM) over TLS with IAM: VPC placement, with endpoints for exactly those, is available (vpc prop, -c createVpc=true) where policy asks for it',
      );
    } else if (!this.vpc) {
      acknowledge(
        'NIST.800.53.R5-LambdaInsideVPC',
        'The functions reach only AWS APIs (DynamoDB, Secrets Manager, KMS) over TLS with IAM: VPC placement is available (vpc prop, -c createVpc=true) where policy asks for it',
      );
    }
  }

  /** Creates the flows (and flow modules) whose placeholders all have values; returns the Invoke time limits by placeholder. */
  private createFlows(
    props: FlowguardProps,
    key: ActiveConnectKey | undefined,
    refs: {
      integrations: ReadonlyMap<FunctionName, connect.CfnIntegrationAssociation>;
      permissions: ReadonlyMap<FunctionName, lambda.CfnPermission>;
    },
  ): Map<string, number> {
    const values: Record<string, string> = { ...props.flowValues };
    const byPlaceholder = new Map<string, FunctionName>();
    for (const [name, alias] of this.aliases) {
      const spec = FUNCTION_SPECS.find((s) => s.name === name);
      if (!spec) continue;
      values[spec.placeholder] = alias.functionArn;
      byPlaceholder.set(spec.placeholder, name);
    }
    if (key) {
      values.ConnectKeyId = key.keyId;
      values.ConnectCertificate = key.certificate;
    }
    const limits = new Map<string, number>();
    // Modules first: a flow names a module of this stack by `${<Name>ModuleArn}`, filled with the
    // module's ARN once it is made (a GetAtt, so CloudFormation creates the module first).
    // InvokeFlowModule's FlowModuleId takes "the flow module ID or flow module ARN to be invoked"
    // (https://docs.aws.amazon.com/connect/latest/APIReference/flow-language-actions-invoke-flow-module.html).
    const specs = [...(props.flows ?? [])].sort(
      (a, b) => Number(b.type === 'MODULE') - Number(a.type === 'MODULE'),
    );
    const modules = new Set(specs.filter((f) => f.type === 'MODULE').map((f) => modulePlaceholder(f.name)));
    for (const spec of specs) {
      let flow = spec;
      if (flow.requires === 'edge' && !props.edge) {
        Annotations.of(this).addInfo(
          `${what(flow)} ${flow.name} left out: it trusts start-contact's identities (edge)`,
        );
        continue;
      }
      // A module this stack did not deploy (its function left out): the flow is deployed without
      // the blocks that invoke it, which go where their Error branch goes.
      const absent = placeholders(flow.document).filter((p) => modules.has(p) && !Object.hasOwn(values, p));
      const reduced = absent.length > 0 ? withoutModules(flow.document, absent) : flow.document;
      if (reduced !== undefined && reduced !== flow.document) {
        flow = { ...flow, document: reduced };
        Annotations.of(this).addInfo(
          `${what(flow)} ${flow.name} deployed without its Invoke module blocks for ${absent.join(', ')} (that module is not deployed): they take their Error branch`,
        );
      }
      const needed = placeholders(flow.document);
      const missing = needed.filter((p) => !Object.hasOwn(values, p));
      if (missing.length > 0) {
        // A flow whose functions or key are not all deployed is left out rather than deployed broken.
        Annotations.of(this).addInfo(
          `${what(flow)} ${flow.name} left out: no value for ${missing.join(', ')}`,
        );
        continue;
      }
      for (const [placeholder, seconds] of invocationLimits(flow.document)) {
        limits.set(placeholder, Math.min(seconds, limits.get(placeholder) ?? Number.POSITIVE_INFINITY));
      }
      const content = flowContent(flow.document, values);
      // A module is a flow in the same language (2019-10-30), deployed as its own resource type.
      const resource =
        flow.type === 'MODULE'
          ? new connect.CfnContactFlowModule(this, `module-${flow.name}`, {
              instanceArn: props.instanceArn,
              name: `flowguard ${flow.name}`,
              content,
            })
          : new connect.CfnContactFlow(this, `flow-${flow.name}`, {
              instanceArn: props.instanceArn,
              name: `flowguard ${flow.name}`,
              type: flow.type,
              content,
            });
      // What the flow references must exist first: the functions' associations and invoke
      // permissions (a module's Lambda blocks need both, as a flow's do), and the security key (a
      // conditional key is reached through Fn::If instead: DependsOn on a resource that may not
      // exist fails the template).
      for (const placeholder of needed) {
        const name = byPlaceholder.get(placeholder);
        if (!name) continue;
        const association = refs.integrations.get(name);
        const permission = refs.permissions.get(name);
        if (association) resource.node.addDependency(association);
        if (permission) resource.node.addDependency(permission);
      }
      if (key && needed.includes('ConnectKeyId')) {
        for (const dependency of key.dependencies) resource.node.addDependency(dependency);
      }
      if (resource instanceof connect.CfnContactFlowModule) {
        this.modules.set(flow.name, resource);
        values[modulePlaceholder(flow.name)] = resource.attrContactFlowModuleArn;
      } else this.flows.set(flow.name, resource);
    }
    return limits;
  }
}

/** How an annotation names a flow spec: `flow`, or `flow module`. */
const what = (flow: FlowSpec) => (flow.type === 'MODULE' ? 'flow module' : 'flow');

/** A resource as cdk-nag names it in a finding: `<LogicalId.Arn>` for a reference, `<AWS::Partition>` for a pseudo parameter. */
function nagResource(stack: Stack, resource: string): string {
  const resolved: unknown = stack.resolve(resource);
  const part = (node: unknown): string => {
    if (typeof node === 'string') return node;
    const n = node as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
    if (n.Ref) return `<${n.Ref}>`;
    if (n['Fn::GetAtt']) return `<${n['Fn::GetAtt'].join('.')}>`;
    if (n['Fn::Join']) return n['Fn::Join'][1].map(part).join(n['Fn::Join'][0]);
    return JSON.stringify(node);
  };
  return part(resolved);
}

/** Whether the chosen subnets are all isolated ones (no NAT, no internet route): nothing outside the VPC is reached but through its endpoints. */
function isolated(vpc: ec2.IVpc, selection: ec2.SubnetSelection): boolean {
  const ids = new Set(vpc.isolatedSubnets.map((s) => s.subnetId));
  const chosen = vpc.selectSubnets(selection).subnets;
  return chosen.length > 0 && chosen.every((s) => ids.has(s.subnetId));
}

function defaultSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return { subnets: vpc.isolatedSubnets.length > 0 ? vpc.isolatedSubnets : vpc.privateSubnets };
}
