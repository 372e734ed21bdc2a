import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConnectClient,
  DescribeContactFlowCommand,
  ListApprovedOriginsCommand,
  ListSecurityProfilePermissionsCommand,
  ListSecurityProfilesCommand,
} from '@aws-sdk/client-connect';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditInstance, exitCodeFor, instanceIdOf } from '../../src/audit.js';
import { AUDIT_RETRY } from '../../src/clients.js';
import { failureReason } from '../../src/collect.js';
import { AuditOptionsError } from '../../src/errors.js';
import { RULES } from '../../src/rules/index.js';
import {
  cleanInstance,
  clients,
  describedFlow,
  failEverything,
  INSTANCE,
  INSTANCE_ARN,
  mocks,
  NOW,
  profile,
  REGION,
  resetMocks,
  sdkError,
} from './support/instance.js';

const audit = (overrides: Partial<Parameters<typeof auditInstance>[0]> = {}) =>
  auditInstance({ instanceId: INSTANCE, region: REGION, clients: clients(), now: NOW, ...overrides });

const notChecked = (report: Awaited<ReturnType<typeof audit>>) =>
  report.findings.filter((finding) => finding.id === 'not-checked');

describe('auditInstance', () => {
  beforeEach(() => {
    resetMocks();
    cleanInstance();
  });

  it('runs every rule on a clean instance and finds nothing worse than info', async () => {
    const report = await audit();

    expect(report.skipped).toEqual([]);
    expect(report.ran).toEqual(RULES.map((rule) => rule.id));
    expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(report.findings.map((f) => f.id)).toEqual(['user-administration']);
    expect(report).toMatchObject({ instanceId: INSTANCE, profiles: 2, users: 2 });
    expect(exitCodeFor(report, 'low')).toBe(0);
  });

  it('fails closed: with every API denied it reports what it could not check, and --fail-on high exits 1', async () => {
    failEverything(sdkError('AccessDeniedException', 403));

    const report = await audit();

    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.findings.every((f) => f.id === 'not-checked' && f.severity === 'high')).toBe(true);
    expect(report.ran).toEqual(['not-checked']);
    expect(report.skipped).toHaveLength(RULES.length - 1);
    expect(report.findings.map((f) => f.title)).toEqual(
      expect.arrayContaining([
        'not checked: ListSecurityProfiles was denied: the auditing role lacks connect:ListSecurityProfiles',
        'not checked: DescribeInstance was denied: the auditing role lacks connect:DescribeInstance and ds:DescribeDirectories',
        'not checked: DescribeTrails was denied: the auditing role lacks cloudtrail:DescribeTrails',
        'not checked: ListRules was denied: the auditing role lacks events:ListRules',
      ]),
    );
    expect(report.profiles).toBeUndefined();
    expect(exitCodeFor(report, 'high')).toBe(1);
  });

  it('names the rules a denied call stopped, and how to grant it', async () => {
    mocks.connect.on(ListSecurityProfilesCommand).rejects(sdkError('AccessDeniedException', 403));

    const [finding] = notChecked(await audit());

    expect(finding?.why).toContain(
      'user-administration, security-profile-administration, unredacted-content',
    );
    expect(finding?.fix).toContain('grant connect:ListSecurityProfiles');
    expect(finding?.fix).toContain('packages/audit/iam-policy.json');
  });

  it('reports a call still throttled after the retries, and an API the region lacks', async () => {
    mocks.connect.on(ListSecurityProfilesCommand).rejects(sdkError('ThrottlingException', 429));
    mocks.connect.on(ListApprovedOriginsCommand).rejects(sdkError('UnknownOperationException'));

    const report = await audit();

    expect(notChecked(report).map((f) => f.title)).toEqual([
      "not checked: ListSecurityProfiles was still throttled after the SDK's retries",
      'not checked: ListApprovedOrigins is not available here (region, account or endpoint)',
    ]);
    expect(report.skipped).toEqual(expect.arrayContaining(['unredacted-content', 'approved-origins']));
    expect(exitCodeFor(report, 'high')).toBe(1);
  });

  it('keeps the not_checked severity configurable, and counts it for --fail-on', async () => {
    mocks.connect.on(ListApprovedOriginsCommand).rejects(sdkError('AccessDeniedException', 403));

    const report = await audit({ notCheckedSeverity: 'medium' });

    expect(notChecked(report)[0]?.severity).toBe('medium');
    expect(exitCodeFor(report, 'high')).toBe(0);
    expect(exitCodeFor(report, 'medium')).toBe(1);
  });

  it('judges the profiles it could read when one profile cannot be read', async () => {
    mocks.connect.on(ListSecurityProfilesCommand).resolves({
      SecurityProfileSummaryList: [profile('p-sup', 'Supervisor'), profile('p-qa', 'Quality')],
    });
    mocks.connect
      .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-sup' })
      .rejects(sdkError('AccessDeniedException', 403));
    mocks.connect
      .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-qa' })
      .resolves({ Permissions: ['ListenCallRecordings'] });

    const report = await audit();

    expect(notChecked(report)).toMatchObject([
      {
        title: expect.stringContaining('ListSecurityProfilePermissions was denied'),
        subjects: ['profile Supervisor'],
      },
    ]);
    expect(report.findings.find((f) => f.id === 'unredacted-content')?.title).toContain('profile Quality');
  });

  it('follows the pages of a listing (SDK paginators)', async () => {
    mocks.connect
      .on(ListSecurityProfilesCommand)
      .resolves({ SecurityProfileSummaryList: [profile('p-agent', 'Agent')], NextToken: 'page-2' });
    mocks.connect
      .on(ListSecurityProfilesCommand, { NextToken: 'page-2' })
      .resolves({ SecurityProfileSummaryList: [profile('p-admin', 'Admin')] });

    const report = await audit();

    expect(report.profiles).toBe(2);
  });

  it('reports a published flow whose content is not the flow language as not checked', async () => {
    mocks.connect
      .on(DescribeContactFlowCommand, { ContactFlowId: 'f-menu' })
      .resolves(describedFlow('f-menu', 'Main menu', { modules: [], version: '1' }));

    const report = await audit();

    expect(notChecked(report)).toMatchObject([
      {
        title: 'not checked: DescribeContactFlow returned content that is not the flow language (1 call)',
        subjects: ['flow Main menu'],
      },
    ]);
  });

  it('takes the instance ARN as well as the id, and refuses anything else before calling AWS', async () => {
    expect(instanceIdOf(INSTANCE_ARN)).toBe(INSTANCE);
    await expect(audit({ instanceId: 'not-an-instance' })).rejects.toThrow(AuditOptionsError);
    expect(mocks.connect.calls()).toHaveLength(0);
  });
});

describe('the SDK retries the audit relies on', () => {
  let server: Server;
  let requests = 0;

  beforeEach(async () => {
    mocks.connect.restore();
    requests = 0;
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'ThrottlingException' });
      res.end(JSON.stringify({ message: 'Rate exceeded' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(() => {
    server.close();
    mocks.connect = mockClient(ConnectClient);
  });

  it('retries a throttled call a bounded number of times (adaptive mode); the last failure reads as throttled', async () => {
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const connect = new ConnectClient({
      ...AUDIT_RETRY,
      maxAttempts: 3,
      region: REGION,
      endpoint,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
    });

    const error = await connect
      .send(new ListApprovedOriginsCommand({ InstanceId: INSTANCE }))
      .catch((e: unknown) => e);

    expect(AUDIT_RETRY.retryMode).toBe('adaptive');
    expect(requests).toBe(3);
    expect(error).toMatchObject({ name: 'ThrottlingException' });
    expect(failureReason(error)).toBe('throttled');
  });
});
