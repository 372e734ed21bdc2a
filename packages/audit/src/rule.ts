import type { FactKey, Facts } from './facts.js';

export type Severity = 'high' | 'medium' | 'low' | 'info';
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { high: 3, medium: 2, low: 1, info: 0 };
export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low', 'info'];

export interface Finding {
  /** The rule's id: stable, documented in docs/audit.md. */
  readonly id: string;
  readonly severity: Severity;
  /** What was found. */
  readonly title: string;
  readonly why: string;
  readonly fix: string;
  /** Profiles, users, flows, origins... concerned. */
  readonly subjects: readonly string[];
}

export interface Guidance {
  readonly title: string;
  readonly url: string;
}

export interface RuleOptions {
  /** More users than this able to administer users or profiles is high. */
  readonly userAdminThreshold: number;
  /** Two security keys both older than this many days: a rotation left half done. */
  readonly keyRotationDays: number;
  /** A flow certificate expiring within this many days. */
  readonly certificateExpiryDays: number;
  /** Severity of a check that could not run. */
  readonly notCheckedSeverity: Severity;
  readonly now: Date;
}

/** One check: a small function over the collected facts. */
export interface Rule {
  readonly id: string;
  /** One line: what the rule looks for (SARIF `shortDescription`, docs). */
  readonly summary: string;
  /** The most severe finding it can produce. */
  readonly severity: Severity;
  readonly guidance: readonly Guidance[];
  /** The facts it reads; it runs only when all were collected. */
  readonly needs: readonly FactKey[];
  /** Facts it also reads when they were collected (a missing one makes its findings less exact). */
  readonly reads?: readonly FactKey[];
  check(facts: Facts, options: RuleOptions): Finding[];
}

/** Facts a rule may read once its `needs` were collected. */
export function value<K extends FactKey>(facts: Facts, key: K): Extract<Facts[K], { ok: true }>['value'] {
  const fact = facts[key];
  if (!fact.ok) throw new Error(`fact ${key} was not collected`);
  return fact.value as Extract<Facts[K], { ok: true }>['value'];
}

export const plural = (count: number, one: string, many = `${one}s`) =>
  `${count} ${count === 1 ? one : many}`;

/** Guidance documents the rules cite. */
export const GUIDANCE = {
  securityBestPractices: {
    title: 'Amazon Connect: Security best practices',
    url: 'https://docs.aws.amazon.com/connect/latest/adminguide/security-best-practices.html',
  },
  profileBestPractices: {
    title: 'Amazon Connect: Best practices for security profiles',
    url: 'https://docs.aws.amazon.com/connect/latest/adminguide/security-profile-best-practices.html',
  },
  permissionList: {
    title: 'Amazon Connect: List of security profile permissions',
    url: 'https://docs.aws.amazon.com/connect/latest/adminguide/security-profile-list.html',
  },
  inheritedPermissions: {
    title: 'Amazon Connect: Inherited permissions',
    url: 'https://docs.aws.amazon.com/connect/latest/adminguide/inherited-permissions.html',
  },
  reviewRecordings: {
    title: 'Amazon Connect: Assign permissions to review past contact center conversations',
    url: 'https://docs.aws.amazon.com/connect/latest/adminguide/assign-permissions-to-review-recordings.html',
  },
  trackRecordings: {
    title: 'Amazon Connect: Track who deleted or listened to recordings',
    url: 'https://docs.aws.amazon.com/connect/latest/adminguide/track-who-deleted-recordings.html',
  },
  designPrinciples: {
    title: 'Amazon Connect: Design principles for developing a secure contact center',
    url: 'https://docs.aws.amazon.com/connect/latest/adminguide/security-bp.html',
  },
  approvedOrigins: {
    title: 'Amazon Connect: Use an allowlist for integrated applications',
    url: 'https://docs.aws.amazon.com/connect/latest/adminguide/app-integration.html',
  },
  encryptionAtRest: {
    title: 'Amazon Connect: Encryption at rest',
    url: 'https://docs.aws.amazon.com/connect/latest/adminguide/encryption-at-rest.html',
  },
  encryptInput: {
    title: 'Amazon Connect: Encrypt customer input',
    url: 'https://docs.aws.amazon.com/connect/latest/adminguide/encrypt-data.html',
  },
  flowLogs: {
    title: 'Amazon Connect: Flow logs',
    url: 'https://docs.aws.amazon.com/connect/latest/adminguide/about-contact-flow-logs.html',
  },
  cloudtrail: {
    title: 'Amazon Connect: Logging Amazon Connect API calls with AWS CloudTrail',
    url: 'https://docs.aws.amazon.com/connect/latest/adminguide/logging-using-cloudtrail.html',
  },
  dataEvents: {
    title: 'AWS CloudTrail: Logging data events',
    url: 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html',
  },
  eventPatterns: {
    title: 'Amazon EventBridge: Comparison operators for use in event patterns',
    url: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html',
  },
} as const satisfies Record<string, Guidance>;
