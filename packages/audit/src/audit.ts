import { type AuditClients, createAuditClients } from './clients.js';
import { collectFacts } from './collect.js';
import { AuditOptionsError } from './errors.js';
import type { Facts } from './facts.js';
import { type Finding, type RuleOptions, SEVERITY_RANK, type Severity } from './rule.js';
import { RULES } from './rules/index.js';

export interface AuditOptions {
  /** The instance id, or its ARN. */
  readonly instanceId: string;
  readonly region?: string;
  /** Default: clients for `region` with adaptive, bounded retries. */
  readonly clients?: AuditClients;
  /** More users than this able to administer users or profiles is high. Default 3. */
  readonly userAdminThreshold?: number;
  /** Two security keys for longer than this many days is a rotation left half done. Default 7. */
  readonly keyRotationDays?: number;
  /** A flow certificate expiring within this many days is reported. Default 30. */
  readonly certificateExpiryDays?: number;
  /** Severity of a check that could not run. Default high. */
  readonly notCheckedSeverity?: Severity;
  readonly now?: Date;
  readonly onProgress?: (message: string) => void;
}

export interface AuditReport {
  readonly instanceId: string;
  readonly region: string | undefined;
  readonly generatedAt: string;
  /** Counts, when they could be read. */
  readonly profiles: number | undefined;
  readonly users: number | undefined;
  /** Worst first. */
  readonly findings: readonly Finding[];
  /** Rule ids that ran, and those that could not (a fact they need was not collected). */
  readonly ran: readonly string[];
  readonly skipped: readonly string[];
}

const INSTANCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The instance id from an id or an instance ARN. */
export function instanceIdOf(idOrArn: string): string {
  const trimmed = idOrArn.trim();
  const id = trimmed.startsWith('arn:') ? (/:instance\/([^/]+)$/.exec(trimmed)?.[1] ?? '') : trimmed;
  if (!INSTANCE_ID.test(id)) throw new AuditOptionsError('the instance id must be a UUID or an instance ARN');
  return id;
}

export function ruleOptions(options: Partial<RuleOptions> = {}): RuleOptions {
  return {
    userAdminThreshold: options.userAdminThreshold ?? 3,
    keyRotationDays: options.keyRotationDays ?? 7,
    certificateExpiryDays: options.certificateExpiryDays ?? 30,
    notCheckedSeverity: options.notCheckedSeverity ?? 'high',
    now: options.now ?? new Date(),
  };
}

/** Every rule over the facts: a rule whose facts were not collected is skipped (and named). */
export function runRules(facts: Facts, options: RuleOptions) {
  const findings: Finding[] = [];
  const ran: string[] = [];
  const skipped: string[] = [];
  for (const rule of RULES) {
    if (!rule.needs.every((key) => facts[key].ok)) {
      skipped.push(rule.id);
      continue;
    }
    ran.push(rule.id);
    findings.push(...rule.check(facts, options));
  }
  findings.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  return { findings, ran, skipped };
}

/** Collect, then rules: read the instance once, then judge it. */
export async function auditInstance(options: AuditOptions): Promise<AuditReport> {
  const instanceId = instanceIdOf(options.instanceId);
  const settings = ruleOptions({
    ...(options.userAdminThreshold !== undefined ? { userAdminThreshold: options.userAdminThreshold } : {}),
    ...(options.keyRotationDays !== undefined ? { keyRotationDays: options.keyRotationDays } : {}),
    ...(options.certificateExpiryDays !== undefined
      ? { certificateExpiryDays: options.certificateExpiryDays }
      : {}),
    ...(options.notCheckedSeverity ? { notCheckedSeverity: options.notCheckedSeverity } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const facts = await collectFacts({
    instanceId,
    ...(options.region ? { region: options.region } : {}),
    clients: options.clients ?? createAuditClients(options.region ? { region: options.region } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const { findings, ran, skipped } = runRules(facts, settings);
  return {
    instanceId,
    region: options.region,
    generatedAt: settings.now.toISOString(),
    profiles: facts.profiles.ok ? facts.profiles.value.length : undefined,
    users: facts.users.ok ? facts.users.value.length : undefined,
    findings,
    ran,
    skipped,
  };
}

/** The exit code for `--fail-on`: 1 when a finding (not_checked included) is at least that severe. */
export function exitCodeFor(report: AuditReport, failOn: Severity | undefined): number {
  if (!failOn) return 0;
  return report.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]) ? 1 : 0;
}
