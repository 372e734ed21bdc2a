import {
  type AuditClients,
  type AuditReport,
  auditInstance,
  createAuditClients,
  exitCodeFor,
  formatJson,
  formatMarkdown,
  formatSarif,
  formatTable,
  instanceIdOf,
  SEVERITIES,
  type Severity,
} from '@flowguard/audit';
import type { Context } from './context.js';
import { CommandError, UsageError } from './errors.js';

const FORMATS = ['table', 'json', 'markdown', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

export interface AuditCommandOptions {
  readonly instanceId?: string;
  readonly region?: string;
  readonly format?: string;
  readonly failOn?: string;
  readonly threshold?: string;
  readonly rotationDays?: string;
  readonly expiryDays?: string;
  readonly notChecked?: string;
  readonly docsUrl?: string;
}

function severity(
  value: string | undefined,
  option: string,
  allowed: readonly Severity[],
): Severity | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as Severity))
    throw new UsageError(`${option} must be one of ${allowed.join(', ')}`);
  return value as Severity;
}

function whole(value: string | undefined, option: string, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 10_000) throw new UsageError(`${option} must be a whole number`);
  return n;
}

function render(report: AuditReport, format: Format, docsUrl: string | undefined): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'markdown':
      return formatMarkdown(report);
    case 'sarif':
      return formatSarif(report, docsUrl ? { docsUrl } : {});
    default:
      return formatTable(report);
  }
}

/**
 * `flowguard audit`: the instance's security profiles, integration surface and detective controls
 * against AWS's guidance. A check that could not run is a finding (not_checked); exit 1 per --fail-on.
 */
export async function runAudit(
  ctx: Context,
  options: AuditCommandOptions,
  clients?: AuditClients,
): Promise<number> {
  let instanceId: string;
  try {
    instanceId = instanceIdOf(options.instanceId ?? '');
  } catch {
    throw new UsageError('--instance-id must be the instance id (a UUID) or its ARN');
  }
  const format = (options.format ?? (ctx.json ? 'json' : 'table')) as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  const failOn = severity(options.failOn, '--fail-on', ['low', 'medium', 'high']);
  const notCheckedSeverity = severity(options.notChecked, '--not-checked', SEVERITIES);
  const userAdminThreshold = whole(options.threshold, '--threshold', 3);
  const keyRotationDays = whole(options.rotationDays, '--rotation-days', 7);
  const certificateExpiryDays = whole(options.expiryDays, '--expiry-days', 30);
  if (options.docsUrl !== undefined && !/^https?:\/\/\S+$/.test(options.docsUrl))
    throw new UsageError('--docs-url must be an http(s) URL');
  const region = options.region ?? ctx.env.AWS_REGION;
  let report: AuditReport;
  try {
    report = await auditInstance({
      instanceId,
      ...(region ? { region } : {}),
      clients: clients ?? createAuditClients(region ? { region } : {}),
      userAdminThreshold,
      keyRotationDays,
      certificateExpiryDays,
      ...(notCheckedSeverity ? { notCheckedSeverity } : {}),
      onProgress: (message) =>
        ctx.err(`${ctx.stderrIsTTY ? '\r\x1b[K' : ''}audit: ${message}${ctx.stderrIsTTY ? '' : '\n'}`),
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : 'error';
    throw new CommandError(
      `the audit stopped: ${name} (this is not an AWS answer: report it with the command line)`,
    );
  }
  if (ctx.stderrIsTTY) ctx.err('\r\x1b[K');
  ctx.out(render(report, format, options.docsUrl));
  return exitCodeFor(report, failOn);
}
