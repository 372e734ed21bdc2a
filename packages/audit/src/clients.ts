import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ConnectClient } from '@aws-sdk/client-connect';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KMSClient } from '@aws-sdk/client-kms';

/** The clients the audit reads through; tests pass their own. */
export interface AuditClients {
  readonly connect: ConnectClient;
  readonly cloudtrail: CloudTrailClient;
  readonly eventbridge: EventBridgeClient;
  readonly kms: KMSClient;
  readonly kinesis: KinesisClient;
  readonly firehose: FirehoseClient;
}

/**
 * The SDK's own retries: adaptive mode (client-side rate limiting on throttles, exponential backoff
 * with jitter), bounded. A call still throttled after the last attempt becomes a not_checked finding.
 */
export const AUDIT_RETRY = { retryMode: 'adaptive', maxAttempts: 6 } as const;

export function createAuditClients(options: { region?: string; maxAttempts?: number } = {}): AuditClients {
  const config = {
    ...AUDIT_RETRY,
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.region ? { region: options.region } : {}),
  };
  return {
    connect: new ConnectClient(config),
    cloudtrail: new CloudTrailClient(config),
    eventbridge: new EventBridgeClient(config),
    kms: new KMSClient(config),
    kinesis: new KinesisClient(config),
    firehose: new FirehoseClient(config),
  };
}
