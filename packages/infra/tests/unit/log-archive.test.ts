import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ALL, idOf, prop, resourcesOf, roleStatements, synthStack } from './helpers.js';

describe('the log archive', () => {
  const { template, json } = synthStack({ logArchive: true });
  const bucketId = idOf(json, 'AWS::S3::Bucket', 'LogArchiveBucket');
  const [streamId, stream] = resourcesOf(json, 'AWS::KinesisFirehose::DeliveryStream')[0] ?? [];

  it('is an encrypted, private, versioned bucket with lifecycle rules, under its own key', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('LogArchiveKey'), 'Arn'] },
              },
            }),
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              Transitions: Match.arrayWith([Match.objectLike({ StorageClass: 'GLACIER' })]),
            }),
          ],
        },
      },
    });
  });

  it('is written to: every function log group is subscribed to a Firehose stream delivering into the bucket', () => {
    const filters = resourcesOf(json, 'AWS::Logs::SubscriptionFilter').map(([, f]) => f.Properties ?? {});
    const functionGroups = resourcesOf(json, 'AWS::Lambda::Function').map(
      ([, f]) => prop<{ LogGroup: unknown }>(f, 'LoggingConfig').LogGroup,
    );

    expect(filters).toHaveLength(ALL.length);
    expect(filters.map((f) => JSON.stringify(f.LogGroupName)).sort()).toEqual(
      functionGroups.map((g) => JSON.stringify(g)).sort(),
    );
    for (const filter of filters) {
      expect(filter.DestinationArn).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
      expect(filter.FilterPattern).toBe('');
    }
    expect(stream?.Properties?.ExtendedS3DestinationConfiguration).toMatchObject({
      BucketARN: { 'Fn::GetAtt': [bucketId, 'Arn'] },
    });
  });

  it('lets CloudWatch Logs put records only into that stream, and Firehose write only into that bucket', () => {
    const subscription = roleStatements(
      json,
      'flowguard log archive: CloudWatch Logs sends function logs to Firehose',
    );
    const delivery = roleStatements(json, 'flowguard log archive: Firehose writes to the archive bucket');

    expect(subscription).toEqual([
      expect.objectContaining({
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: { 'Fn::GetAtt': [streamId, 'Arn'] },
      }),
    ]);
    expect(JSON.stringify(delivery)).toContain(bucketId);
    const kms = delivery.find((s) => JSON.stringify(s.Action).includes('kms:'));
    expect(kms?.Condition?.StringEquals).toEqual({ 'kms:ViaService': 's3.us-east-1.amazonaws.com' });
  });

  it('is absent unless asked, with nothing that would write to it', () => {
    const plain = synthStack().json;

    expect(resourcesOf(plain, 'AWS::S3::Bucket')).toEqual([]);
    expect(resourcesOf(plain, 'AWS::KinesisFirehose::DeliveryStream')).toEqual([]);
    expect(resourcesOf(plain, 'AWS::Logs::SubscriptionFilter')).toEqual([]);
  });
});
