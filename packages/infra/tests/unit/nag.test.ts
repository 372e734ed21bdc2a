import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, aws_s3 as s3, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { flowguardApp } from '../../src/app.js';
import { ALL, FLOWS_DIR, inlineCode, POLICY, RECORDINGS_BUCKET_ARN, STREAM_ARN } from './helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

type Report = {
  pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
};

/** The app with the given context, synthesized; its validation report and the acknowledgements made. */
function synthApp(context: Record<string, string>, change?: (app: App) => void) {
  const outdir = mkdtempSync(join(tmpdir(), 'flowguard-nag-'));
  dirs.push(outdir);
  const app = new App({ outdir, context });
  flowguardApp(app, { functions: ALL, code: inlineCode, flowsDir: FLOWS_DIR });
  change?.(app);
  app.synth();
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Report;
  return { app, report };
}

function acknowledgements(root: IConstruct): { id: string; reason: string; path: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          id,
          reason,
          path: construct.node.path,
        })),
      ),
  );
}

/** The contact-record stream's context values, the policy written to a file as `-c forwardPolicyFile` takes it. */
function contactRecordContext(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'flowguard-policy-'));
  dirs.push(dir);
  const forwardPolicyFile = join(dir, 'policy.json');
  writeFileSync(forwardPolicyFile, POLICY);
  return {
    contactRecordStreamArn: STREAM_ARN,
    forwardPolicyFile,
    recordingsBucketArn: RECORDINGS_BUCKET_ARN,
  };
}

describe('cdk-nag on the app', () => {
  const contactRecords = contactRecordContext();
  const edge = {
    edge: 'true',
    edgeFlows: 'support=11111111-2222-4333-8444-555555555555',
    edgeAllowedOrigins: 'https://www.example.com',
  };
  const configurations: Record<string, string>[] = [
    {},
    { createVpc: 'true' },
    { logArchive: 'true' },
    { createTrail: 'true' },
    { createVpc: 'true', logArchive: 'true', createTrail: 'true' },
    contactRecords,
    {
      createVpc: 'true',
      logArchive: 'true',
      createTrail: 'true',
      ...contactRecords,
      forwardPolicySource: 'parameter',
      deadLetterPrefix: 'flowguard/forwarding',
    },
    // start-contact behind each front door; WAF on the REST API; beside a VPC the flow functions use.
    { ...edge },
    { ...edge, edgeFrontDoor: 'function-url' },
    { ...edge, edgeFrontDoor: 'rest-api' },
    { ...edge, edgeWaf: 'true', edgeWafRateLimit: '500' },
    { ...edge, edgeWaf: 'true', createVpc: 'true', logArchive: 'true' },
  ];

  it.each(configurations)(
    'leaves no AwsSolutions, NIST 800-53 rev 5 or template finding open: %o',
    (context) => {
      const { report } = synthApp(context);

      for (const plugin of report.pluginReports) expect(plugin.violations, plugin.pluginName).toEqual([]);
    },
  );

  // In VPC mode every function, the stream functions too, runs in the VPC: none acknowledges
  // NIST.800.53.R5-LambdaInsideVPC.
  it('gives every acknowledged finding its reason', () => {
    const { app } = synthApp({
      createVpc: 'true',
      logArchive: 'true',
      createTrail: 'true',
      ...contactRecords,
    });
    const acknowledged = acknowledgements(app);

    expect(acknowledged.length).toBeGreaterThan(10);
    for (const { id, reason, path } of acknowledged) {
      expect(reason.length, `${id} at ${path}`).toBeGreaterThan(40);
    }
    const ids = acknowledged.map((a) => a.id.replace(/^Annotation::/, '').replace(/\[.*$/, ''));
    // aws-cdk-lib acknowledges these two template checks on its own constructs.
    const ours = ids.filter(
      (id) => !['CloudFormation-Validate::W3010', 'CloudFormation-Validate::W3045'].includes(id),
    );
    expect(new Set(ours)).toEqual(
      new Set([
        'AwsSolutions-IAM5',
        'AwsSolutions-L1',
        'AwsSolutions-S1',
        'AwsSolutions-SMG4',
        'AwsSolutions-SQS3',
        'CloudFormation-Validate::W1030',
        'NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled',
        'NIST.800.53.R5-DynamoDBInBackupPlan',
        'NIST.800.53.R5-LambdaDLQ',
        'NIST.800.53.R5-S3BucketLoggingEnabled',
        'NIST.800.53.R5-S3BucketReplicationEnabled',
        'NIST.800.53.R5-S3DefaultEncryptionKMS',
        'NIST.800.53.R5-SecretsManagerRotationEnabled',
        'NIST.800.53.R5-VPCDefaultSecurityGroupClosed',
      ]),
    );
  });

  it('fails the synth on a finding nobody acknowledged', () => {
    const addOpenBucket = (app: App) => {
      const stack = app.node.findChild('Flowguard');
      new s3.Bucket(stack, 'Unchecked');
    };

    expect(() => synthApp({}, addOpenBucket)).toThrow(/\(AwsSolutions\)[\s\S]*\(NIST\.800\.53\.R5\)/);
  });
});
