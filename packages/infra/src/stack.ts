import {
  CfnOutput,
  CfnParameter,
  CfnRule,
  Fn,
  type aws_lambda as lambda,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ContactRecordsProps } from './contact-records.js';
import type { EdgeProps } from './edge.js';
import { Flowguard } from './flowguard.js';
import type { FlowSpec } from './flows.js';
import type { DeployableFunctionName, FunctionName } from './functions.js';
import type { SurgeProps } from './surge.js';

/**
 * A PEM block of `label` (CloudFormation patterns are Java regexes). A certificate may have its
 * line breaks written as `\n` (it goes into the flows' JSON, where that reads as a line break);
 * a public key goes to Connect as it is, so its line breaks must be real.
 */
const pem = (label: string, escapedBreaks: boolean) => {
  const breaks = escapedBreaks ? '\\\\n|[\\r\\n]' : '[\\r\\n]';
  return `-----BEGIN ${label}-----(${breaks}| |[A-Za-z0-9+/=])+-----END ${label}-----(${breaks})*`;
};

/** The patterns every parameter is held to: a value that does not match fails before anything is created. */
export const PARAMETER_PATTERNS = {
  ConnectInstanceArn: '^arn:aws[a-z-]*:connect:[a-z0-9-]+:\\d{12}:instance/[0-9a-f-]{36}$',
  QueueArn: '^arn:aws[a-z-]*:connect:[a-z0-9-]+:\\d{12}:instance/[0-9a-f-]{36}/queue/[0-9a-f-]{36}$',
  AlarmEmail: '^$|^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$',
  ConnectPublicKey: `^$|^${pem('PUBLIC KEY', false)}$`,
  ConnectCertificate: `^$|^${pem('CERTIFICATE', true)}$`,
} as const;

export interface FlowguardStackProps extends StackProps {
  /** The functions to deploy (those with a handler). */
  readonly functions: readonly FunctionName[];
  /** The code of a function: the bundler's zip in the app, something small in tests. */
  readonly code: (name: DeployableFunctionName) => lambda.Code;
  readonly flows?: readonly FlowSpec[];
  /** Runs the functions in a VPC the stack creates, with the endpoints they need (`-c createVpc=true`). */
  readonly createVpc?: boolean;
  /** Archives every function log line to S3 through Firehose (`-c logArchive=true`). */
  readonly logArchive?: boolean;
  /** Creates a multi-region trail for an account without one (`-c createTrail=true`). */
  readonly createTrail?: boolean;
  /**
   * forward-contact-records and forward-recordings on the contact-record stream
   * (`-c contactRecordStreamArn=... -c forwardPolicyFile=...`).
   */
  readonly contactRecords?: ContactRecordsProps;
  /**
   * start-contact behind an HTTP front door (`-c edge=true -c edgeFlows=... -c edgeAllowedOrigins=...`);
   * its flows are contact flow ids of the instance in `ConnectInstanceArn`.
   */
  readonly edge?: EdgeProps;
  /** screen-caller's surge mode (`-c surgeThresholds=... -c surgeMonitor=true -c aggregateShards=2`). */
  readonly surge?: SurgeProps;
}

/**
 * The app's stack: the {@link Flowguard} construct with its inputs as CloudFormation parameters,
 * so one template deploys to any account and instance.
 */
export class FlowguardStack extends Stack {
  readonly flowguard: Flowguard;

  constructor(scope: Construct, id: string, props: FlowguardStackProps) {
    super(scope, id, props);
    const parameter = (name: keyof typeof PARAMETER_PATTERNS, description: string, extra = {}) =>
      new CfnParameter(this, name, {
        type: 'String',
        allowedPattern: PARAMETER_PATTERNS[name],
        description,
        ...extra,
      });

    const instanceArn = parameter(
      'ConnectInstanceArn',
      'ARN of the Amazon Connect instance that invokes the functions',
    );
    const queueArn = parameter('QueueArn', 'ARN of the queue the flows transfer callers to');
    const alarmEmail = parameter('AlarmEmail', 'E-mail address subscribed to the alarm topic (empty: none)', {
      default: '',
    });

    const secureInput = props.functions.includes('secure-input');
    let connectKeys: ConstructorParameters<typeof Flowguard>[2]['connectKeys'];
    if (secureInput) {
      const slot = (name: 'A' | 'B') => ({
        publicKey: new CfnParameter(this, `ConnectPublicKey${name}`, {
          type: 'String',
          default: '',
          allowedPattern: PARAMETER_PATTERNS.ConnectPublicKey,
          description: `Key slot ${name}: PEM public key registered with the instance as a security key (empty: no key in this slot)`,
        }).valueAsString,
        certificate: new CfnParameter(this, `ConnectCertificate${name}`, {
          type: 'String',
          default: '',
          allowedPattern: PARAMETER_PATTERNS.ConnectCertificate,
          description: `Key slot ${name}: PEM certificate of that key, written into the flows' encrypted input`,
        }).valueAsString,
      });
      const slotA = slot('A');
      const slotB = slot('B');
      const active = new CfnParameter(this, 'ActiveConnectKey', {
        type: 'String',
        default: 'A',
        allowedValues: ['A', 'B'],
        description: 'The key slot the flows encrypt with',
      });
      connectKeys = { kind: 'managed', slotA, slotB, active: active.valueAsString };
      const filled = (value: string) => Fn.conditionNot(Fn.conditionEquals(value, ''));
      const activeIs = (name: string) => Fn.conditionEquals(active.valueAsString, name);
      new CfnRule(this, 'ActiveConnectKeyIsFilled', {
        assertions: [
          {
            assert: Fn.conditionOr(
              Fn.conditionAnd(activeIs('A'), filled(slotA.publicKey), filled(slotA.certificate)),
              Fn.conditionAnd(activeIs('B'), filled(slotB.publicKey), filled(slotB.certificate)),
            ),
            assertDescription:
              'ActiveConnectKey names a slot without a key: give that slot ConnectPublicKey and ConnectCertificate',
          },
        ],
      });
    }

    this.flowguard = new Flowguard(this, 'Flowguard', {
      instanceArn: instanceArn.valueAsString,
      functions: props.functions,
      code: props.code,
      flows: props.flows,
      flowValues: { QueueArn: queueArn.valueAsString },
      connectKeys,
      alarmEmail: alarmEmail.valueAsString,
      vpc: props.createVpc ? 'create' : undefined,
      logArchive: props.logArchive,
      createTrail: props.createTrail,
      contactRecords: props.contactRecords,
      edge: props.edge,
      surge: props.surge,
    });

    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic of every flowguard alarm and Connect change notice',
      value: this.flowguard.alarmTopic.topicArn,
    });
    if (this.flowguard.table) {
      new CfnOutput(this, 'TableName', {
        description: 'Screening table (FLOWGUARD_TABLE_NAME for the CLI)',
        value: this.flowguard.table.tableName,
      });
    }
    if (this.flowguard.connectKeysSecret) {
      new CfnOutput(this, 'ConnectKeysSecretArn', {
        description: 'Secret to put the Connect private keys in ({"keys":[{"keyId","privateKey"}]})',
        value: this.flowguard.connectKeysSecret.secretArn,
      });
    }
    for (const [slot, key] of this.flowguard.connectKeys?.slots ?? []) {
      const output = new CfnOutput(this, `ConnectKeyId${slot}`, {
        description: `Key id Connect gave slot ${slot}: the keyId of its entry in the Connect keys secret`,
        value: key.attrAssociationId,
      });
      output.condition = key.cfnOptions.condition;
    }
    if (this.flowguard.edge) {
      new CfnOutput(this, 'StartContactUrl', {
        description: `Where a website POSTs to start a contact (start-contact behind ${this.flowguard.edge.frontDoor})`,
        value: this.flowguard.edge.url,
      });
    }
    if (this.flowguard.deadLetterBucket) {
      new CfnOutput(this, 'DeadLetterBucketName', {
        description:
          'Where forward-contact-records and forward-recordings write records they cannot forward (dead-letter/)',
        value: this.flowguard.deadLetterBucket.bucketName,
      });
    }
    if (this.flowguard.failedBatchQueue) {
      new CfnOutput(this, 'FailedBatchQueueUrl', {
        description:
          'The contact-record event source mappings’ on-failure queue: batches that ran out of retries',
        value: this.flowguard.failedBatchQueue.queueUrl,
      });
    }
    for (const [name, alias] of this.flowguard.aliases) {
      new CfnOutput(
        this,
        `${name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}AliasArn`,
        {
          description: `The live alias of ${name}: what Connect invokes`,
          value: alias.functionArn,
        },
      );
    }
  }
}
