import type { Facts, ProfileFacts } from '../facts.js';
import { catalogued, type Rating, type RiskClass } from '../permissions.js';
import {
  type Finding,
  GUIDANCE,
  type Guidance,
  plural,
  type Rule,
  type RuleOptions,
  SEVERITY_RANK,
  type Severity,
  value,
} from '../rule.js';

interface ClassText {
  readonly summary: string;
  readonly why: string;
  readonly fix: string;
  readonly guidance: readonly Guidance[];
}

/** Users holding a profile, or undefined when the users could not be listed. */
function holders(facts: Facts, profileId: string): string[] | undefined {
  if (!facts.users.ok) return undefined;
  return facts.users.value.filter((user) => user.profileIds.includes(profileId)).map((user) => user.username);
}

function granted(profile: ProfileFacts, risk: RiskClass): string[] {
  return (profile.permissions ?? []).filter((name) => catalogued(name)?.risk === risk);
}

const severityOf = (rating: Rating): Severity => (rating === 'none' ? 'info' : rating);

function highest(permissions: readonly string[]): Severity {
  return permissions
    .map((name) => severityOf(catalogued(name)?.rating ?? 'none'))
    .reduce<Severity>((worst, s) => (SEVERITY_RANK[s] > SEVERITY_RANK[worst] ? s : worst), 'info');
}

/** What each permission reaches besides its name, for the finding's "why". */
function reach(permissions: readonly string[]): string {
  const notes = permissions.flatMap((name) => {
    const also = catalogued(name)?.also;
    return also ? [`${name}: ${also}`] : [];
  });
  return notes.length > 0 ? ` (${notes.join('; ')})` : '';
}

function heldBy(who: readonly string[] | undefined): string {
  return who === undefined
    ? 'held by users the audit could not list'
    : `held by ${plural(who.length, 'user')}`;
}

/** A rule over one risk class: one finding per profile granting any of its permissions. */
function classRule(
  risk: Exclude<RiskClass, 'user-administration' | 'security-profile-administration'>,
  text: ClassText,
  severity: Severity,
): Rule {
  return {
    id: risk,
    summary: text.summary,
    severity,
    guidance: text.guidance,
    needs: ['profiles'],
    reads: ['users'],
    check(facts) {
      return value(facts, 'profiles').flatMap((profile): Finding[] => {
        const permissions = granted(profile, risk);
        if (permissions.length === 0) return [];
        const who = holders(facts, profile.id);
        return [
          {
            id: risk,
            severity: highest(permissions),
            title: `profile ${profile.name} grants ${permissions.join(', ')}, ${heldBy(who)}`,
            why: `${text.why}${reach(permissions)}`,
            fix: text.fix,
            subjects: [profile.name, ...(who ?? [])],
          },
        ];
      });
    },
  };
}

/**
 * The paths to Admin: high when more users than the threshold hold them (across every profile), as
 * AWS asks to limit them; info at or below it, listing who they are. High as well when the users
 * could not be listed, since the count is then unknown.
 */
function adminRule(risk: 'user-administration' | 'security-profile-administration', text: ClassText): Rule {
  return {
    id: risk,
    summary: text.summary,
    severity: 'high',
    guidance: text.guidance,
    needs: ['profiles'],
    reads: ['users'],
    check(facts, options: RuleOptions) {
      const profiles = value(facts, 'profiles').filter((profile) => granted(profile, risk).length > 0);
      const everyone = profiles.map((profile) => holders(facts, profile.id));
      const known = everyone.every((who) => who !== undefined);
      const total = new Set(everyone.flat()).size;
      const severity: Severity = !known || total > options.userAdminThreshold ? 'high' : 'info';
      const count = known
        ? `${plural(total, 'user')} in all (threshold ${options.userAdminThreshold})`
        : 'an unknown number of users in all';
      return profiles.map((profile, index) => {
        const permissions = granted(profile, risk);
        const who = everyone[index];
        return {
          id: risk,
          severity,
          title: `profile ${profile.name} grants ${permissions.join(', ')}, ${heldBy(who)}; ${count}`,
          why: `${text.why}${reach(permissions)}`,
          fix: text.fix.replace('{threshold}', String(options.userAdminThreshold)),
          subjects: [profile.name, ...(who ?? [])],
        };
      });
    },
  };
}

const userAdministration = adminRule('user-administration', {
  summary: 'Users - Create / Edit / Edit permission held by more users than the threshold',
  why: "whoever can create or edit users can reset passwords (the administrator's included), change a user's e-mail and hand out the Admin profile",
  fix: 'keep user administration to a few named administrators (at most {threshold}); split it from everyday supervisor profiles, or restrict it with access-control tags that exclude Admin',
  guidance: [GUIDANCE.profileBestPractices, GUIDANCE.securityBestPractices, GUIDANCE.permissionList],
});

const profileAdministration = adminRule('security-profile-administration', {
  summary: 'Security profiles - Create / Edit held by more users than the threshold',
  why: 'editing or creating security profiles lets a holder add any permission to their own profile: a path to Admin',
  fix: 'grant security-profile editing only to the Admin profile, held by at most {threshold} break-glass administrators',
  guidance: [GUIDANCE.profileBestPractices, GUIDANCE.inheritedPermissions, GUIDANCE.permissionList],
});

const unredactedContent = classRule(
  'unredacted-content',
  {
    summary: 'unredacted recordings, transcripts, screen recordings or IVR logs',
    why: 'unredacted conversations hold card numbers, account details and personal data; IVR logs show the keypad input Secure IVR keeps from agents, and access to a recording is enough to download it',
    fix: 'give unredacted access only to the few roles that must have it; use the redacted permissions for everyone else, and turn on rule-based redaction for screen recordings',
    guidance: [GUIDANCE.permissionList, GUIDANCE.reviewRecordings, GUIDANCE.profileBestPractices],
  },
  'high',
);

const recordingDownloadDelete = classRule(
  'recording-download-delete',
  {
    summary: 'download or delete buttons for recordings, transcripts and screen recordings',
    why: 'a download takes a copy out of the instance and a delete removes evidence; note that the download button is not a control (access alone allows downloading), so who downloads must be logged',
    fix: 'remove download and delete from everyday profiles; log recording access with CloudTrail data events (rule recordings-access-trail)',
    guidance: [GUIDANCE.permissionList, GUIDANCE.profileBestPractices, GUIDANCE.trackRecordings],
  },
  'high',
);

const redactedContent = classRule(
  'redacted-content',
  {
    summary: 'redacted recordings and transcripts',
    why: 'redaction removes only what it detects, and only where it is turned on in the flow; the rest of the conversation is still personal data',
    fix: 'grant redacted access to the roles that review conversations, restricted by hierarchy where possible',
    guidance: [GUIDANCE.permissionList, GUIDANCE.reviewRecordings],
  },
  'medium',
);

const liveMonitoring = classRule(
  'live-monitoring',
  {
    summary: 'listening to or barging into live contacts',
    why: 'live monitoring hears everything a caller says, including what they read out to the agent',
    fix: 'limit monitoring to supervisors of the agents concerned',
    guidance: [GUIDANCE.permissionList, GUIDANCE.securityBestPractices],
  },
  'medium',
);

const flowChange = classRule(
  'flow-change',
  {
    summary: 'creating, editing or publishing flows, modules, bots, or which number runs which flow',
    why: 'whoever publishes flows decides what callers meet: screening, encryption of what they type and where they are sent can be removed in one save',
    fix: 'publish flows through a reviewed deployment; keep flow publishing in the admin website to a few',
    guidance: [GUIDANCE.permissionList, GUIDANCE.securityBestPractices],
  },
  'medium',
);

const accountLifecycle = classRule(
  'account-lifecycle',
  {
    summary: 'deleting or disabling users and security profiles, editing hierarchies',
    why: 'deleting users or profiles can lock out the people who run the contact center, and hierarchies decide whose contacts a restricted user sees',
    fix: 'keep these with user administration, for a few named administrators',
    guidance: [GUIDANCE.permissionList, GUIDANCE.profileBestPractices],
  },
  'medium',
);

const customerData = classRule(
  'customer-data',
  {
    summary: 'customer records, contact attributes, transcript search, e-mail sent outside',
    why: 'these reach customer data beyond the contact an agent is handling (exports, search across contacts, e-mail to outside addresses)',
    fix: 'grant them to the roles that need them; use "View my contacts" and hierarchy restrictions for agents',
    guidance: [GUIDANCE.permissionList, GUIDANCE.securityBestPractices],
  },
  'medium',
);

const unknownPermission: Rule = {
  id: 'unknown-permission',
  summary: 'a permission the catalogue does not know',
  severity: 'low',
  guidance: [GUIDANCE.permissionList],
  needs: ['profiles'],
  check(facts) {
    return value(facts, 'profiles').flatMap((profile): Finding[] => {
      const unknown = (profile.permissions ?? []).filter((name) => catalogued(name) === undefined);
      if (unknown.length === 0) return [];
      return [
        {
          id: 'unknown-permission',
          severity: 'low',
          title: `profile ${profile.name} grants ${plural(unknown.length, 'permission')} this audit does not know: ${unknown.join(', ')}`,
          why: 'a permission the audit cannot rate may grant as much as the ones it can; it is reported rather than passed over',
          fix: "look each one up in AWS's list of security profile permissions and remove what the profile does not need",
          subjects: [profile.name],
        },
      ];
    });
  },
};

const accessControlTags: Rule = {
  id: 'access-control-tags',
  summary: 'access-control tags without tag-restricted resources, or the reverse',
  severity: 'medium',
  guidance: [GUIDANCE.profileBestPractices],
  needs: ['profiles'],
  check(facts) {
    return value(facts, 'profiles').flatMap((profile): Finding[] => {
      if (!profile.tags) return [];
      const tagged = Object.keys(profile.tags.allowed).length > 0;
      const restricted = profile.tags.restricted.length > 0;
      if (tagged === restricted) return [];
      return [
        {
          id: 'access-control-tags',
          severity: 'medium',
          title: `profile ${profile.name} has ${tagged ? 'access-control tags but no tag-restricted resources' : 'tag-restricted resources but no access-control tags'}`,
          why: 'tags restrict only the resource types listed, and a list without tags restricts nothing: the profile is wider than it looks',
          fix: 'list the resource types to restrict together with the tags, and tag those resources',
          subjects: [profile.name],
        },
      ];
    });
  },
};

export const PERMISSION_RULES: readonly Rule[] = [
  userAdministration,
  profileAdministration,
  unredactedContent,
  recordingDownloadDelete,
  redactedContent,
  liveMonitoring,
  flowChange,
  accountLifecycle,
  customerData,
  unknownPermission,
  accessControlTags,
];
