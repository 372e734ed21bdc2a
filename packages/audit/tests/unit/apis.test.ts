import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListInstanceStorageConfigsCommand } from '@aws-sdk/client-connect';
import { DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_APIS, auditActions, auditPolicy } from '../../src/apis.js';
import { auditInstance } from '../../src/audit.js';
import { cleanInstance, clients, INSTANCE, mocks, NOW, REGION, resetMocks } from './support/instance.js';

const POLICY_FILE = join(import.meta.dirname, '../../iam-policy.json');

/** The API names of every command the mocked clients received. */
function calledApis(): Set<string> {
  return new Set(
    Object.values(mocks).flatMap((mock) =>
      mock.calls().map((call) => call.args[0].constructor.name.replace(/Command$/, '')),
    ),
  );
}

describe('the APIs the audit calls and the IAM policy it ships', () => {
  beforeEach(() => {
    resetMocks();
    cleanInstance();
  });

  it('calls exactly the APIs of its table: no call goes unlisted, no listed action goes unused', async () => {
    await auditInstance({ instanceId: INSTANCE, region: REGION, clients: clients(), now: NOW });
    const called = calledApis();
    // Contact records delivered through Firehose instead of a Kinesis stream: the one API the clean instance skips.
    resetMocks();
    cleanInstance();
    mocks.connect.on(ListInstanceStorageConfigsCommand, { ResourceType: 'CONTACT_TRACE_RECORDS' }).resolves({
      StorageConfigs: [
        {
          AssociationId: 'a9',
          StorageType: 'KINESIS_FIREHOSE',
          KinesisFirehoseConfig: {
            FirehoseArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/ctr',
          },
        },
      ],
    });
    mocks.firehose.on(DescribeDeliveryStreamCommand).resolves({});
    await auditInstance({ instanceId: INSTANCE, region: REGION, clients: clients(), now: NOW });
    for (const api of calledApis()) called.add(api);

    expect([...called].sort()).toEqual(Object.keys(AUDIT_APIS).sort());
  });

  it('ships iam-policy.json with exactly those actions, read-only', () => {
    const file = JSON.parse(readFileSync(POLICY_FILE, 'utf8')) as ReturnType<typeof auditPolicy>;

    expect(file).toEqual(auditPolicy());
    expect(file.Statement.flatMap((s) => s.Action).sort()).toEqual(auditActions());
    for (const action of auditActions())
      expect(action).toMatch(/^[a-z0-9-]+:(Describe|List|Get|Search)[A-Za-z]+$/);
  });
});
