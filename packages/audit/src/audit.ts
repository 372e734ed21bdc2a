import {
  type CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  type ConnectClient,
  DescribeSecurityProfileCommand,
  ListSecurityProfilePermissionsCommand,
  ListSecurityProfilesCommand,
  SearchUsersCommand,
} from '@aws-sdk/client-connect';
import { type EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';

export type Severity = 'high' | 'medium' | 'low' | 'info';
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { high: 3, medium: 2, low: 1, info: 0 };

export interface Finding {
  readonly id: string;
  readonly severity: Severity;
  /** What was found. */
  readonly title: string;
  readonly why: string;
  readonly fix: string;
  /** Profiles or users concerned. */
  readonly subjects: readonly string[];
}

export interface AuditReport {
  readonly instanceId: string;
  readonly profiles: number;
  readonly users: number;
  readonly findings: Finding[];
  /** Parts that could not be checked (access denied, ...): the report is partial. */
  readonly warnings: string[];
}

export interface AuditOptions {
  readonly instanceId: string;
  readonly connect: ConnectClient;
  readonly cloudtrail?: CloudTrailClient;
  readonly eventbridge?: EventBridgeClient;
  readonly region?: string;
  /** More users than this with a user-administration profile is a high finding. Default 3. */
  readonly userAdminThreshold?: number;
  readonly onProgress?: (message: string) => void;
  /** Waits between retries of a throttled call (injectable for tests). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly maxAttempts?: number;
}

/** Permissions that administer users: edit (incl. e-mail, then password reset), create, assign profiles. */
const USER_ADMIN = ['Users.Create', 'Users.Edit', 'Users.EditPermission'];
const PROFILE_ADMIN = ['SecurityProfiles.Create', 'SecurityProfiles.Edit'];
const RECORDINGS = [
  'CallRecordings.Unredacted.Access',
  'CallRecordings.Redacted.Access',
  'CallRecordings.Unredacted.DownloadButton',
  'CallRecordings.Redacted.DownloadButton',
];

/**
 * What a risky permission grants besides its name (from the Connect administrator guide's notes
 * on security profiles); reported so an admin sees the whole reach of a profile.
 */
export const INHERITED: Readonly<Record<string, readonly string[]>> = {
  'Users.Edit': [
    'lists every security profile, to pick from when editing a user',
    "changes a user's e-mail address, after which that user's password can be reset",
    "resets other users' passwords, the administrator's included",
  ],
  'Users.Create': ['lists every security profile, and creates users with any of them'],
  'Users.EditPermission': ['assigns any security profile to any user, Admin included'],
  'SecurityProfiles.Edit': ['adds any permission to any profile, its holder’s own included: a path to Admin'],
  'SecurityProfiles.Create': ['creates a profile with any permission'],
  'CallRecordings.Unredacted.Access': ['downloads recordings even without the download button permission'],
};

class AccessDenied extends Error {}

function isThrottle(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return /Throttl|TooManyRequests|RequestLimitExceeded/.test(name);
}

function isDenied(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation';
}

export async function auditInstance(options: AuditOptions): Promise<AuditReport> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const maxAttempts = options.maxAttempts ?? 6;
  const progress = options.onProgress ?? (() => {});
  const warnings: string[] = [];
  const findings: Finding[] = [];
  const instanceId = options.instanceId;

  /** Calls an API, retrying throttles with backoff; access denied becomes a warning. */
  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (isDenied(error)) throw new AccessDenied(what);
        if (!isThrottle(error) || attempt >= maxAttempts) throw error;
        await sleep(Math.min(5000, 100 * 2 ** attempt));
      }
    }
  }

  async function pages<T>(what: string, fetch: (token?: string) => Promise<{ items: T[]; next?: string }>) {
    const all: T[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const { items, next } = await call(what, () => fetch(token));
      all.push(...items);
      if (!next) break;
      token = next;
    }
    return all;
  }

  async function partial<T>(what: string, fallback: T, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof AccessDenied)) throw error;
      warnings.push(`access denied to ${what}: that part of the report is missing`);
      return fallback;
    }
  }

  const connect = options.connect;
  const profiles = await partial('ListSecurityProfiles', [], () =>
    pages('ListSecurityProfiles', async (NextToken) => {
      const out = await connect.send(
        new ListSecurityProfilesCommand({ InstanceId: instanceId, NextToken, MaxResults: 1000 }),
      );
      return { items: out.SecurityProfileSummaryList ?? [], next: out.NextToken };
    }),
  );
  progress(`${profiles.length} security profiles`);

  const permissions = new Map<string, string[]>();
  const names = new Map<string, string>();
  const tags = new Map<string, { tags: Record<string, string>; restricted: string[] }>();
  for (const [index, profile] of profiles.entries()) {
    const id = profile.Id ?? '';
    names.set(id, profile.Name ?? id);
    progress(`profile ${index + 1}/${profiles.length}: ${profile.Name ?? id}`);
    permissions.set(
      id,
      await partial(`ListSecurityProfilePermissions (${profile.Name})`, [], () =>
        pages('ListSecurityProfilePermissions', async (NextToken) => {
          const out = await connect.send(
            new ListSecurityProfilePermissionsCommand({
              InstanceId: instanceId,
              SecurityProfileId: id,
              NextToken,
              MaxResults: 1000,
            }),
          );
          return { items: out.Permissions ?? [], next: out.NextToken };
        }),
      ),
    );
    const described = await partial(`DescribeSecurityProfile (${profile.Name})`, undefined, () =>
      call('DescribeSecurityProfile', () =>
        connect.send(new DescribeSecurityProfileCommand({ InstanceId: instanceId, SecurityProfileId: id })),
      ),
    );
    tags.set(id, {
      tags: described?.SecurityProfile?.AllowedAccessControlTags ?? {},
      restricted: described?.SecurityProfile?.TagRestrictedResources ?? [],
    });
  }

  const users = await partial('SearchUsers', [], () =>
    pages('SearchUsers', async (NextToken) => {
      const out = await connect.send(
        new SearchUsersCommand({ InstanceId: instanceId, NextToken, MaxResults: 100 }),
      );
      progress(`users so far: ${out.Users?.length ?? 0}${out.NextToken ? ' (more pages)' : ''}`);
      return { items: out.Users ?? [], next: out.NextToken };
    }),
  );
  const holders = (profileId: string) =>
    users.filter((u) => u.SecurityProfileIds?.includes(profileId)).map((u) => u.Username ?? u.Id ?? '?');
  const withAny = (wanted: readonly string[]) =>
    [...permissions].filter(([, granted]) => granted.some((p) => wanted.includes(p))).map(([id]) => id);
  const threshold = options.userAdminThreshold ?? 3;

  for (const id of withAny(USER_ADMIN)) {
    const who = holders(id);
    const granted = (permissions.get(id) ?? []).filter((p) => USER_ADMIN.includes(p));
    findings.push({
      id: 'user-administration',
      severity: who.length > threshold ? 'high' : 'medium',
      title: `profile ${names.get(id)} can ${granted.join(', ')} and is held by ${who.length} user(s)`,
      why: "whoever can edit or create users can reset passwords (the administrator's included) and hand out the Admin profile",
      fix: `keep user administration to a few named admins (at most ${threshold}); split it from everyday supervisor profiles`,
      subjects: [names.get(id) ?? id, ...who],
    });
  }

  const adminLike = [...permissions].filter(
    ([id, granted]) =>
      /^admin$/i.test(names.get(id) ?? '') ||
      (granted.includes('Users.EditPermission') && granted.includes('SecurityProfiles.Edit')),
  );
  for (const [id] of adminLike) {
    const who = holders(id);
    findings.push({
      id: 'admin-holders',
      severity: who.length > threshold ? 'high' : 'info',
      title: `${who.length} user(s) hold ${names.get(id)}, which can grant every permission`,
      why: 'an Admin-equivalent account is the one attackers go after; each holder is a way in',
      fix: 'keep Admin to break-glass accounts with strong, separate credentials; review the list regularly',
      subjects: [names.get(id) ?? id, ...who],
    });
  }

  for (const id of withAny(PROFILE_ADMIN)) {
    findings.push({
      id: 'security-profile-edit',
      severity: 'high',
      title: `profile ${names.get(id)} can create or edit security profiles`,
      why: 'editing security profiles lets a holder add any permission to their own profile: a path to Admin',
      fix: 'grant security-profile editing only to the Admin profile',
      subjects: [names.get(id) ?? id, ...holders(id)],
    });
  }

  for (const id of withAny(RECORDINGS)) {
    findings.push({
      id: 'recording-access',
      severity: 'low',
      title: `profile ${names.get(id)} can play or download call recordings (${holders(id).length} user(s))`,
      why: 'recordings can hold card numbers and personal data; note that lacking the download-button permission is not a security control: access to the recording allows downloading it',
      fix: 'give recording access only to the roles that need it; redact sensitive segments',
      subjects: [names.get(id) ?? id, ...holders(id)],
    });
  }

  for (const [id, { tags: allowed, restricted }] of tags) {
    const tagged = Object.keys(allowed).length > 0;
    if (!tagged && restricted.length === 0) continue;
    const inconsistent = tagged !== restricted.length > 0;
    findings.push({
      id: inconsistent ? 'access-control-tags-inconsistent' : 'access-control-tags',
      severity: inconsistent ? 'medium' : 'info',
      title: inconsistent
        ? `profile ${names.get(id)} has ${tagged ? 'access-control tags but no tag-restricted resources' : 'tag-restricted resources but no access-control tags'}`
        : `profile ${names.get(id)} restricts ${restricted.join(', ')} by tags ${Object.entries(allowed)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`,
      why: inconsistent
        ? 'tags only restrict the resource types listed, and a list without tags restricts nothing: the profile is wider than it looks'
        : 'access-control tags narrow what a profile reaches; they are a control only if every restricted resource is tagged',
      fix: 'list the resource types to restrict together with the tags, and tag those resources',
      subjects: [names.get(id) ?? id],
    });
  }

  const inherited = Object.keys(INHERITED).filter((permission) => withAny([permission]).length > 0);
  for (const permission of inherited) {
    findings.push({
      id: 'inherited-permissions',
      severity: 'info',
      title: `${permission} also: ${(INHERITED[permission] ?? []).join('; ')}`,
      why: 'a permission reaches further than its name; a profile must be judged by all it grants',
      fix: 'review the profiles that hold it with this in mind',
      subjects: withAny([permission]).map((id) => names.get(id) ?? id),
    });
  }

  if (options.cloudtrail) {
    const trail = options.cloudtrail;
    const logging = await partial('CloudTrail', undefined, async () => {
      const { trailList = [] } = await call('DescribeTrails', () =>
        trail.send(new DescribeTrailsCommand({ includeShadowTrails: true })),
      );
      for (const t of trailList) {
        const name = t.TrailARN ?? t.Name ?? '';
        const status = await call('GetTrailStatus', () =>
          trail.send(new GetTrailStatusCommand({ Name: name })),
        );
        if (!status.IsLogging) continue;
        const selectors = await call('GetEventSelectors', () =>
          trail.send(new GetEventSelectorsCommand({ TrailName: name })),
        );
        const basic = (selectors.EventSelectors ?? []).some(
          (s) => s.IncludeManagementEvents !== false && s.ReadWriteType !== 'ReadOnly',
        );
        const advanced = (selectors.AdvancedEventSelectors ?? []).some((s) =>
          (s.FieldSelectors ?? []).some(
            (f) => f.Field === 'eventCategory' && f.Equals?.includes('Management'),
          ),
        );
        if (basic || advanced) return name;
      }
      return '';
    });
    if (logging === '') {
      findings.push({
        id: 'cloudtrail-management-events',
        severity: 'high',
        title: `no CloudTrail trail logs management events${options.region ? ` in ${options.region}` : ''}`,
        why: 'without it nobody can tell who changed a user, a security profile or a flow',
        fix: 'create a multi-region trail with management events (read and write)',
        subjects: [],
      });
    }
  }

  if (options.eventbridge) {
    const bus = options.eventbridge;
    const watched = await partial('EventBridge', undefined, async () => {
      const rules = await pages('ListRules', async (NextToken) => {
        const out = await bus.send(new ListRulesCommand({ NextToken }));
        return { items: out.Rules ?? [], next: out.NextToken };
      });
      return rules.some(
        (rule) => rule.State !== 'DISABLED' && (rule.EventPattern ?? '').includes('UpdateUserIdentityInfo'),
      );
    });
    if (watched === false) {
      findings.push({
        id: 'identity-change-alerts',
        severity: 'medium',
        title: 'no enabled EventBridge rule matches UpdateUserIdentityInfo',
        why: "an attacker who can change a user's e-mail can reset that user's password; the change should raise an alert",
        fix: 'deploy the flowguard stack (it ships the rule) or add a rule on CloudTrail events for UpdateUserIdentityInfo',
        subjects: [],
      });
    }
  }

  findings.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  return { instanceId, profiles: profiles.length, users: users.length, findings, warnings };
}

/** The exit code for `--fail-on`: 1 when a finding is at least that severe. */
export function exitCodeFor(report: AuditReport, failOn: 'high' | 'medium' | undefined): number {
  if (!failOn) return 0;
  return report.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]) ? 1 : 0;
}
