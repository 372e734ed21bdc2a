import {
  Duration,
  aws_kinesisfirehose as firehose,
  aws_iam as iam,
  aws_kms as kms,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  aws_s3 as s3,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { logicalId } from './nag.js';
import { roleWithPolicy } from './policies.js';

/** Log lines are kept this long in the archive (seven years), far past the log groups' retention. */
const ARCHIVE_DAYS = 2555;

/**
 * Long-term log archive: every function log group is subscribed to a Firehose stream that writes
 * to an S3 bucket under its own KMS key, moving to Infrequent Access after 30 days and Glacier
 * after 90. Objects hold the gzip batches CloudWatch Logs sends (read them with `zcat`).
 */
export class LogArchive extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly stream: firehose.CfnDeliveryStream;
  private readonly logsRole: iam.Role;

  constructor(scope: Construct, id: string, props: { accessLogs: s3.IBucket }) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: 'flowguard: log archive',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'log-archive/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
            { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(90) },
          ],
          expiration: Duration.days(ARCHIVE_DAYS),
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
      reason:
        'The archive is a second copy of logs CloudWatch Logs already holds, versioned and in a durable storage class; cross-region replication is left to the account owner',
    });

    const { role: deliveryRole, policy: deliveryPolicy } = roleWithPolicy(this, 'DeliveryRole', {
      description: 'flowguard log archive: Firehose writes to the archive bucket',
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com').withConditions({
        StringEquals: { 'sts:ExternalId': stack.account },
      }),
    });
    deliveryPolicy.addStatements(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [this.bucket.bucketArn],
      }),
    );
    deliveryPolicy.addStatements(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    deliveryPolicy.addStatements(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
          StringLike: {
            'kms:EncryptionContext:aws:s3:arn': [this.bucket.bucketArn, `${this.bucket.bucketArn}/*`],
          },
        },
      }),
    );
    Validations.of(deliveryPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(this.bucket)}.Arn>/*]`,
      reason:
        'Firehose names each object it writes (date prefix and a random suffix): it may write any key in the archive bucket, and only there',
    });

    this.stream = new firehose.CfnDeliveryStream(this, 'Stream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: deliveryRole.roleArn,
        prefix: 'functions/',
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
        bufferingHints: { intervalInSeconds: 300, sizeInMBs: 5 },
        // CloudWatch Logs already sends gzip batches.
        compressionFormat: 'UNCOMPRESSED',
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: this.key.keyArn } },
      },
    });
    this.stream.node.addDependency(deliveryRole);

    const subscription = roleWithPolicy(this, 'SubscriptionRole', {
      description: 'flowguard log archive: CloudWatch Logs sends function logs to Firehose',
      assumedBy: new iam.ServicePrincipal('logs.amazonaws.com').withConditions({
        StringLike: { 'aws:SourceArn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*` },
      }),
    });
    this.logsRole = subscription.role;
    subscription.policy.addStatements(
      new iam.PolicyStatement({
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [this.stream.attrArn],
      }),
    );
  }

  /** Sends everything `logGroup` receives to the archive. */
  subscribe(id: string, logGroup: logs.ILogGroup): logs.SubscriptionFilter {
    const filter = new logs.SubscriptionFilter(this, id, {
      logGroup,
      filterPattern: logs.FilterPattern.allEvents(),
      destination: { bind: () => ({ arn: this.stream.attrArn, role: this.logsRole }) },
    });
    // CloudWatch Logs checks the role can write to the stream when the filter is created.
    filter.node.addDependency(this.logsRole);
    return filter;
  }
}
