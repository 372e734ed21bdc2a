import {
  ListSecurityProfilePermissionsCommand,
  ListSecurityProfilesCommand,
  SearchUsersCommand,
} from '@aws-sdk/client-connect';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditInstance } from '../../src/audit.js';
import { PERMISSION_CATALOGUE, PERMISSION_LIST_URL } from '../../src/permissions.js';
import { RULES } from '../../src/rules/index.js';
import {
  cleanInstance,
  clients,
  INSTANCE,
  mocks,
  NOW,
  profile,
  REGION,
  resetMocks,
  sdkError,
  user,
} from './support/instance.js';

/** An instance whose only profile besides Agent grants exactly `permissions`, held by `holders` users. */
async function auditProfile(permissions: string[], holders = 1) {
  mocks.connect
    .on(ListSecurityProfilesCommand)
    .resolves({ SecurityProfileSummaryList: [profile('p-agent', 'Agent'), profile('p-test', 'Reviewer')] });
  mocks.connect
    .on(ListSecurityProfilePermissionsCommand, { SecurityProfileId: 'p-test' })
    .resolves({ Permissions: permissions });
  mocks.connect.on(SearchUsersCommand).resolves({
    Users: [
      user('u0', 'ada', ['p-agent']),
      ...Array.from({ length: holders }, (_, i) => user(`r${i}`, `reviewer${i}`, ['p-test'])),
    ],
  });
  const report = await auditInstance({ instanceId: INSTANCE, region: REGION, clients: clients(), now: NOW });
  return report.findings.filter((finding) => finding.subjects[0] === 'Reviewer');
}

describe('the permission catalogue', () => {
  it('cites the page it comes from and rates every name once', () => {
    expect(PERMISSION_LIST_URL).toBe(
      'https://docs.aws.amazon.com/connect/latest/adminguide/security-profile-list.html',
    );
    expect(PERMISSION_CATALOGUE.size).toBeGreaterThan(250);
    for (const [name, entry] of PERMISSION_CATALOGUE) {
      expect(entry.name).toBe(name);
      expect(entry.rating === 'none').toBe(entry.risk === undefined);
    }
  });

  it('gives every risk class a rule', () => {
    const ids = new Set(RULES.map((rule) => rule.id));
    const classes = new Set([...PERMISSION_CATALOGUE.values()].flatMap((p) => (p.risk ? [p.risk] : [])));
    for (const risk of classes) expect(ids.has(risk)).toBe(true);
  });

  it('keeps the legacy names', () => {
    for (const legacy of ['ListenCallRecordings', 'DownloadCallRecordings', 'RedactedData.View']) {
      expect(PERMISSION_CATALOGUE.get(legacy)?.legacy).toBe(true);
    }
  });
});

describe('a profile holding one risky permission', () => {
  beforeEach(() => {
    resetMocks();
    cleanInstance();
  });

  it.each([
    ['ListenCallRecordings', 'unredacted-content', 'high'],
    ['CallRecordings.Unredacted.Access', 'unredacted-content', 'high'],
    ['ContactTranscripts.Unredacted.Access', 'unredacted-content', 'high'],
    ['ScreenRecording.Access', 'unredacted-content', 'high'],
    ['AutomatedVoiceInteraction.Transcripts.Unredacted.Access', 'unredacted-content', 'high'],
    ['AutomatedVoiceInteraction.Recordings.Unredacted.Access', 'unredacted-content', 'high'],
    ['DownloadCallRecordings', 'recording-download-delete', 'high'],
    ['DeleteCallRecordings', 'recording-download-delete', 'high'],
    ['CallRecordings.Unredacted.DownloadButton', 'recording-download-delete', 'high'],
    ['CallRecordings.Redacted.DownloadButton', 'recording-download-delete', 'high'],
    ['ContactTranscripts.Unredacted.DownloadButton', 'recording-download-delete', 'high'],
    ['RedactedData.View', 'redacted-content', 'medium'],
    ['CallRecordings.Redacted.Access', 'redacted-content', 'medium'],
    ['ManagerListenIn', 'live-monitoring', 'medium'],
    ['ContactFlows.Publish', 'flow-change', 'medium'],
    ['Users.Delete', 'account-lifecycle', 'medium'],
    ['CustomerProfiles.Segments.Export', 'customer-data', 'medium'],
  ])('%s: %s, %s', async (permission, rule, severity) => {
    const findings = await auditProfile([permission]);

    expect(findings).toMatchObject([{ id: rule, severity, subjects: ['Reviewer', 'reviewer0'] }]);
    expect(findings[0]?.title).toBe(`profile Reviewer grants ${permission}, held by 1 user`);
  });

  it('explains the IVR transcript permission as the keypad input Secure IVR protects', async () => {
    const [finding] = await auditProfile(['AutomatedVoiceInteraction.Transcripts.Unredacted.Access']);

    expect(finding?.why).toContain('keypad input callers typed');
  });

  it('notes that the download button is not a control', async () => {
    const [finding] = await auditProfile(['CallRecordings.Unredacted.DownloadButton']);

    expect(finding?.why).toContain('the download button is not a control');
  });

  it.each([
    ['Users.Create', 'user-administration'],
    ['Users.Edit', 'user-administration'],
    ['Users.EditPermission', 'user-administration'],
    ['SecurityProfiles.Create', 'security-profile-administration'],
    ['SecurityProfiles.Edit', 'security-profile-administration'],
  ])('%s: %s, high above the threshold and info at or below it', async (permission, rule) => {
    const above = await auditProfile([permission], 4);
    resetMocks();
    cleanInstance();
    const below = await auditProfile([permission], 1);

    expect(above.find((f) => f.id === rule)).toMatchObject({ severity: 'high' });
    expect(above.find((f) => f.id === rule)?.title).toContain('4 users in all (threshold 3)');
    expect(below.find((f) => f.id === rule)).toMatchObject({ severity: 'info' });
  });

  it('counts holders across profiles: two profiles of two users each are four user administrators', async () => {
    mocks.connect.on(ListSecurityProfilesCommand).resolves({
      SecurityProfileSummaryList: [profile('p-a', 'Team A leads'), profile('p-b', 'Team B leads')],
    });
    mocks.connect.on(ListSecurityProfilePermissionsCommand).resolves({ Permissions: ['Users.Edit'] });
    mocks.connect.on(SearchUsersCommand).resolves({
      Users: [
        user('a1', 'a1', ['p-a']),
        user('a2', 'a2', ['p-a']),
        user('b1', 'b1', ['p-b']),
        user('b2', 'b2', ['p-b']),
      ],
    });

    const report = await auditInstance({
      instanceId: INSTANCE,
      region: REGION,
      clients: clients(),
      now: NOW,
    });

    const findings = report.findings.filter((f) => f.id === 'user-administration');
    expect(findings.map((f) => f.severity)).toEqual(['high', 'high']);
  });

  it('rates user administration high when the users cannot be listed', async () => {
    mocks.connect.on(SearchUsersCommand).rejects(sdkError('AccessDeniedException', 403));

    const report = await auditInstance({
      instanceId: INSTANCE,
      region: REGION,
      clients: clients(),
      now: NOW,
    });

    expect(report.findings.find((f) => f.id === 'user-administration')).toMatchObject({
      severity: 'high',
      title: expect.stringContaining('held by users the audit could not list'),
    });
    expect(report.findings.find((f) => f.id === 'not-checked')?.why).toContain('user-administration');
  });

  it('reports a permission the catalogue does not know', async () => {
    const findings = await auditProfile(['BasicAgentAccess', 'SomeNewFeature.Unredacted.Access']);

    expect(findings).toMatchObject([{ id: 'unknown-permission', severity: 'low' }]);
    expect(findings[0]?.title).toContain('SomeNewFeature.Unredacted.Access');
  });

  it('reports nothing for a profile of harmless permissions', async () => {
    expect(await auditProfile(['BasicAgentAccess', 'OutboundCallAccess', 'Queues.View'])).toEqual([]);
  });
});
