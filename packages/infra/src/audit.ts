import { WATCHED_CONNECT_CALLS } from '@flowguard/audit/watched';
import {
  aws_cloudtrail as cloudtrail,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
  RemovalPolicy,
  Stack,
  aws_s3 as s3,
  type aws_sns as sns,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The calls the stack's rule alerts on: the audit's list, so the two cannot drift. */
export { WATCHED_CONNECT_CALLS };

/**
 * What the alarm topic receives for a watched call: who, which call, on which instance and user,
 * when and from where. Request parameters beyond the ids (a new e-mail address, names, the
 * content of a flow) are never forwarded.
 */
export const CONNECT_CHANGE_SUMMARY = {
  summary: 'flowguard: a watched Amazon Connect change',
  api: events.EventField.fromPath('$.detail.eventName'),
  who: events.EventField.fromPath('$.detail.userIdentity.arn'),
  sourceIp: events.EventField.fromPath('$.detail.sourceIPAddress'),
  instanceId: events.EventField.fromPath('$.detail.requestParameters.InstanceId'),
  userId: events.EventField.fromPath('$.detail.requestParameters.UserId'),
  createdUserId: events.EventField.fromPath('$.detail.responseElements.UserId'),
  errorCode: events.EventField.fromPath('$.detail.errorCode'),
  when: events.EventField.fromPath('$.detail.eventTime'),
  account: events.EventField.fromPath('$.account'),
  region: events.EventField.fromPath('$.region'),
};

/** A rule target publishing to the topic; the topic's own policy (scoped to the rule) lets it. */
class TopicTarget implements events.IRuleTarget {
  constructor(
    private readonly topic: sns.ITopic,
    private readonly input: events.RuleTargetInput,
  ) {}

  bind(): events.RuleTargetConfig {
    return { arn: this.topic.topicArn, input: this.input };
  }
}

/** The EventBridge rule over CloudTrail's record of the watched Connect calls. */
export function connectChangesRule(
  scope: Construct,
  options: { topic: sns.ITopic; ruleName: string },
): events.Rule {
  return new events.Rule(scope, 'ConnectSecurityChanges', {
    ruleName: options.ruleName,
    description: 'flowguard: Connect identity, security-profile, key, storage, function and flow changes',
    eventPattern: {
      source: ['aws.connect'],
      detailType: ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['connect.amazonaws.com'], eventName: [...WATCHED_CONNECT_CALLS] },
    },
    targets: [new TopicTarget(options.topic, events.RuleTargetInput.fromObject(CONNECT_CHANGE_SUMMARY))],
  });
}

/**
 * A multi-region trail for accounts without one (EventBridge sees management calls only while a
 * trail or CloudTrail's own event delivery records them): log file validation on, objects
 * encrypted under their own key, in a bucket that refuses plain HTTP and every delete.
 */
export class AuditTrail extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly trail: cloudtrail.CfnTrail;

  constructor(scope: Construct, id: string, props: { trailName: string; accessLogs: s3.IBucket }) {
    super(scope, id);
    const stack = Stack.of(this);
    const trailArn = `arn:${stack.partition}:cloudtrail:${stack.region}:${stack.account}:trail/${props.trailName}`;
    const fromThisTrail = { StringEquals: { 'aws:SourceArn': trailArn } };

    this.key = new kms.Key(this, 'Key', {
      description: 'flowguard: CloudTrail log files',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const cloudTrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailEncryptsLogFiles',
        principals: [cloudTrail],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          ...fromThisTrail,
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${stack.partition}:cloudtrail:*:${stack.account}:trail/*`,
          },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailDescribesKey',
        principals: [cloudTrail],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: fromThisTrail,
      }),
    );

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // CloudTrail encrypts each log file itself, with the trail's ARN as encryption context: no bucket key.
      bucketKeyEnabled: false,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'trail/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyDeletes',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:DeleteBucket'],
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailChecksAcl',
        principals: [cloudTrail],
        actions: ['s3:GetBucketAcl'],
        resources: [this.bucket.bucketArn],
        conditions: fromThisTrail,
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailWrites',
        principals: [cloudTrail],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
        conditions: {
          StringEquals: { ...fromThisTrail.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' },
        },
      }),
    );
    Validations.of(this.bucket).acknowledge({
      id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
      reason:
        'CloudTrail log files are versioned, delete-protected by the bucket policy and validated by digest files; cross-region replication is left to the account owner',
    });

    this.trail = new cloudtrail.CfnTrail(this, 'Trail', {
      trailName: props.trailName,
      isLogging: true,
      s3BucketName: this.bucket.bucketName,
      kmsKeyId: this.key.keyArn,
      enableLogFileValidation: true,
      includeGlobalServiceEvents: true,
      isMultiRegionTrail: true,
    });
    // CloudTrail checks the bucket policy when the trail is created.
    if (this.bucket.policy) this.trail.node.addDependency(this.bucket.policy);
    Validations.of(this.trail).acknowledge({
      id: 'NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled',
      reason:
        'The watched Connect calls reach the alarm topic through EventBridge; the trail is the retained, validated record and does not need a second copy in CloudWatch Logs',
    });
  }
}
