import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  ConnectClient,
  DescribeSecurityProfileCommand,
  ListSecurityProfilePermissionsCommand,
  ListSecurityProfilesCommand,
  SearchUsersCommand,
} from '@aws-sdk/client-connect';
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditInstance, exitCodeFor } from '../../src/audit.js';
import { formatJson, formatMarkdown, formatTable } from '../../src/report.js';

const INSTANCE = '9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa';
const connect = mockClient(ConnectClient);
const cloudtrail = mockClient(CloudTrailClient);
const eventbridge = mockClient(EventBridgeClient);
const clients = () => ({
  connect: new ConnectClient({ region: 'us-east-1' }),
  cloudtrail: new CloudTrailClient({ region: 'us-east-1' }),
  eventbridge: new EventBridgeClient({ region: 'us-east-1' }),
  sleep: async () => {},
});
const sdkError = (name: string) => Object.assign(new Error(`${name} from the service`), { name });
const profile = (id: string, name: string) => ({
  Id: id,
  Name: name,
  Arn: `arn:aws:connect:us-east-1:1:instance/${INSTANCE}/security-profile/${id}`,
});

/** A clean instance: agents and a supervisor profile with nothing risky, trail and rule in place. */
function cleanInstance() {
  connect
    .on(ListSecurityProfilesCommand)
    .resolves({ SecurityProfileSummaryList: [profile('p-agent', 'Agent'), profile('p-sup', 'Supervisor')] });
  connect
    .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-agent' })
    .resolves({ Permissions: ['BasicAgentAccess', 'OutboundCallAccess'] });
  connect
    .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-sup' })
    .resolves({ Permissions: ['Users.View', 'AccessMetrics.RealTimeMetrics.Access'] });
  connect.on(DescribeSecurityProfileCommand).resolves({ SecurityProfile: {} });
  connect.on(SearchUsersCommand).resolves({
    Users: [
      { Id: 'u1', Username: 'ada', SecurityProfileIds: ['p-agent'] },
      { Id: 'u2', Username: 'bob', SecurityProfileIds: ['p-sup'] },
    ],
  });
  cloudtrail.on(DescribeTrailsCommand).resolves({
    trailList: [{ Name: 'org-trail', TrailARN: 'arn:aws:cloudtrail:us-east-1:1:trail/org-trail' }],
  });
  cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: true });
  cloudtrail
    .on(GetEventSelectorsCommand)
    .resolves({ EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] });
  eventbridge.on(ListRulesCommand).resolves({
    Rules: [
      {
        Name: 'flowguard',
        State: 'ENABLED',
        EventPattern: '{"detail":{"eventName":["UpdateUserIdentityInfo"]}}',
      },
    ],
  });
}

describe('auditInstance', () => {
  beforeEach(() => {
    connect.reset();
    cloudtrail.reset();
    eventbridge.reset();
  });

  it('finds nothing on a clean instance', async () => {
    cleanInstance();

    const report = await auditInstance({ instanceId: INSTANCE, ...clients() });

    expect(report).toMatchObject({ profiles: 2, users: 2, findings: [], warnings: [] });
    expect(exitCodeFor(report, 'medium')).toBe(0);
    expect(formatTable(report)).toContain('No findings.');
  });

  it('reads every page of profiles, permissions and users', async () => {
    cleanInstance();
    connect
      .on(ListSecurityProfilesCommand)
      .resolvesOnce({ SecurityProfileSummaryList: [profile('p-agent', 'Agent')], NextToken: 't1' })
      .resolvesOnce({ SecurityProfileSummaryList: [profile('p-ops', 'Ops')], NextToken: 't2' })
      .resolves({ SecurityProfileSummaryList: [profile('p-sup', 'Supervisor')] });
    connect
      .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-ops' })
      .resolvesOnce({ Permissions: ['BasicAgentAccess'], NextToken: 'x' })
      .resolves({ Permissions: ['Users.Edit'] });
    connect
      .on(SearchUsersCommand)
      .resolvesOnce({ Users: [{ Username: 'ada', SecurityProfileIds: ['p-ops'] }], NextToken: 'u' })
      .resolves({ Users: [{ Username: 'bob', SecurityProfileIds: ['p-ops'] }] });

    const report = await auditInstance({ instanceId: INSTANCE, ...clients() });

    expect(report.profiles).toBe(3);
    expect(report.users).toBe(2);
    expect(report.findings.find((f) => f.id === 'user-administration')?.subjects).toEqual([
      'Ops',
      'ada',
      'bob',
    ]);
    expect(connect.commandCalls(ListSecurityProfilesCommand)).toHaveLength(3);
  });

  it('rates user administration high when more users hold it than the threshold', async () => {
    cleanInstance();
    connect
      .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-sup' })
      .resolves({ Permissions: ['Users.Edit', 'Users.Create'] });
    connect.on(SearchUsersCommand).resolves({
      Users: ['a', 'b', 'c', 'd'].map((u) => ({ Username: u, SecurityProfileIds: ['p-sup'] })),
    });

    const low = await auditInstance({ instanceId: INSTANCE, ...clients(), userAdminThreshold: 5 });
    const high = await auditInstance({ instanceId: INSTANCE, ...clients(), userAdminThreshold: 3 });

    expect(low.findings.find((f) => f.id === 'user-administration')?.severity).toBe('medium');
    expect(high.findings.find((f) => f.id === 'user-administration')).toMatchObject({
      severity: 'high',
      title: expect.stringContaining('held by 4 user(s)'),
    });
    expect(exitCodeFor(high, 'high')).toBe(1);
  });

  it('names who holds Admin, and a profile that can edit security profiles', async () => {
    cleanInstance();
    connect.on(ListSecurityProfilesCommand).resolves({
      SecurityProfileSummaryList: [profile('p-admin', 'Admin'), profile('p-lead', 'Team lead')],
    });
    connect
      .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-admin' })
      .resolves({ Permissions: ['Users.EditPermission', 'SecurityProfiles.Edit'] });
    connect
      .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-lead' })
      .resolves({ Permissions: ['SecurityProfiles.Edit'] });
    connect.on(SearchUsersCommand).resolves({
      Users: [
        { Username: 'root-admin', SecurityProfileIds: ['p-admin'] },
        { Username: 'lee', SecurityProfileIds: ['p-lead'] },
      ],
    });

    const report = await auditInstance({ instanceId: INSTANCE, ...clients() });
    const ids = report.findings.map((f) => `${f.id}:${f.subjects[0]}`);

    expect(ids).toEqual(
      expect.arrayContaining([
        'admin-holders:Admin',
        'security-profile-edit:Team lead',
        'security-profile-edit:Admin',
      ]),
    );
    expect(report.findings.find((f) => f.id === 'admin-holders')?.subjects).toEqual(['Admin', 'root-admin']);
  });

  it('lists recording access with the note that the download button is not a control', async () => {
    cleanInstance();
    connect
      .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-sup' })
      .resolves({ Permissions: ['CallRecordings.Unredacted.Access'] });

    const report = await auditInstance({ instanceId: INSTANCE, ...clients() });
    const finding = report.findings.find((f) => f.id === 'recording-access');

    expect(finding?.subjects).toEqual(['Supervisor', 'bob']);
    expect(finding?.why).toMatch(/not a security control/);
    expect(report.findings.find((f) => f.id === 'inherited-permissions')?.title).toMatch(
      /downloads recordings/,
    );
  });

  it('flags access-control tags without restricted resources, and the reverse', async () => {
    cleanInstance();
    connect.on(DescribeSecurityProfileCommand, { SecurityProfileId: 'p-agent' }).resolves({
      SecurityProfile: { AllowedAccessControlTags: { team: 'emea' }, TagRestrictedResources: [] },
    });
    connect.on(DescribeSecurityProfileCommand, { SecurityProfileId: 'p-sup' }).resolves({
      SecurityProfile: { AllowedAccessControlTags: { team: 'us' }, TagRestrictedResources: ['User'] },
    });

    const report = await auditInstance({ instanceId: INSTANCE, ...clients() });

    expect(
      report.findings
        .filter((f) => f.id.startsWith('access-control-tags'))
        .map((f) => [f.id, f.severity, f.subjects[0]]),
    ).toEqual([
      ['access-control-tags-inconsistent', 'medium', 'Agent'],
      ['access-control-tags', 'info', 'Supervisor'],
    ]);
  });

  it('explains what user editing inherits', async () => {
    cleanInstance();
    connect
      .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-sup' })
      .resolves({ Permissions: ['Users.Edit'] });

    const report = await auditInstance({ instanceId: INSTANCE, ...clients() });

    expect(report.findings.find((f) => f.id === 'inherited-permissions')).toMatchObject({
      title: expect.stringContaining('lists every security profile'),
      subjects: ['Supervisor'],
    });
  });

  it('reports a missing management-events trail and a missing identity-change rule', async () => {
    cleanInstance();
    cloudtrail
      .on(GetEventSelectorsCommand)
      .resolves({ EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: false }] });
    eventbridge
      .on(ListRulesCommand)
      .resolves({ Rules: [{ Name: 'other', State: 'ENABLED', EventPattern: '{"source":["aws.s3"]}' }] });

    const report = await auditInstance({ instanceId: INSTANCE, ...clients(), region: 'us-east-1' });

    expect(report.findings.map((f) => [f.id, f.severity])).toEqual([
      ['cloudtrail-management-events', 'high'],
      ['identity-change-alerts', 'medium'],
    ]);
  });

  it('accepts advanced event selectors for management events, and ignores a trail that is not logging', async () => {
    cleanInstance();
    cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [{ Name: 'off' }, { Name: 'adv' }] });
    cloudtrail.on(GetTrailStatusCommand, { Name: 'off' }).resolves({ IsLogging: false });
    cloudtrail.on(GetEventSelectorsCommand, { TrailName: 'adv' }).resolves({
      AdvancedEventSelectors: [
        { Name: 'm', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
      ],
    });

    const report = await auditInstance({ instanceId: INSTANCE, ...clients() });

    expect(report.findings).toEqual([]);
    expect(cloudtrail.commandCalls(GetEventSelectorsCommand).map((c) => c.args[0].input.TrailName)).toEqual([
      'adv',
    ]);
  });

  it('warns of a partial report when one API is denied, and still reports the rest', async () => {
    cleanInstance();
    connect.on(SearchUsersCommand).rejects(sdkError('AccessDeniedException'));
    connect
      .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-sup' })
      .resolves({ Permissions: ['SecurityProfiles.Edit'] });

    const report = await auditInstance({ instanceId: INSTANCE, ...clients() });

    expect(report.warnings).toEqual(['access denied to SearchUsers: that part of the report is missing']);
    expect(report.findings.map((f) => f.id)).toContain('security-profile-edit');
    expect(formatTable(report)).toMatch(/^WARNING {2}access denied to SearchUsers/m);
    expect(formatTable(report)).toMatch(/\(partial report\)/);
  });

  it('retries throttled calls with backoff, and gives up after the attempts allowed', async () => {
    cleanInstance();
    connect
      .on(ListSecurityProfilesCommand)
      .rejectsOnce(sdkError('ThrottlingException'))
      .rejectsOnce(sdkError('TooManyRequestsException'))
      .resolves({
        SecurityProfileSummaryList: [profile('p-agent', 'Agent')],
      });
    const waits: number[] = [];

    const report = await auditInstance({
      instanceId: INSTANCE,
      ...clients(),
      sleep: async (ms) => void waits.push(ms),
    });

    expect(report.profiles).toBe(1);
    expect(waits).toEqual([200, 400]);
    connect.on(ListSecurityProfilesCommand).rejects(sdkError('ThrottlingException'));
    await expect(auditInstance({ instanceId: INSTANCE, ...clients(), maxAttempts: 3 })).rejects.toThrow(
      /Throttling/,
    );
  });

  it('writes table, markdown and JSON reports, and reports progress', async () => {
    cleanInstance();
    connect
      .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-sup' })
      .resolves({ Permissions: ['Users.Edit'] });
    const progress: string[] = [];

    const report = await auditInstance({
      instanceId: INSTANCE,
      ...clients(),
      onProgress: (m) => progress.push(m),
    });

    expect(progress[0]).toBe('2 security profiles');
    expect(formatTable(report)).toMatch(
      /^MEDIUM {2}profile Supervisor can Users\.Edit and is held by 1 user\(s\)$/m,
    );
    expect(formatMarkdown(report)).toContain('| severity | finding | who | why it matters | how to fix |');
    expect(JSON.parse(formatJson(report)).findings[0].id).toBe('user-administration');
  });
});
