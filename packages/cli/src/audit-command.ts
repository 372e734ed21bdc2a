import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ConnectClient } from '@aws-sdk/client-connect';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { auditInstance, exitCodeFor, formatJson, formatMarkdown, formatTable } from '@flowguard/audit';
import type { Context } from './context.js';
import { CommandError, UsageError } from './errors.js';

export interface AuditClients {
  readonly connect: ConnectClient;
  readonly cloudtrail: CloudTrailClient;
  readonly eventbridge: EventBridgeClient;
}

const FORMATS = ['table', 'json', 'markdown'] as const;

/** `flowguard audit`: the instance's security profiles against AWS's guidance; exit code per --fail-on. */
export async function runAudit(
  ctx: Context,
  options: { instanceId?: string; region?: string; format?: string; failOn?: string; threshold?: string },
  clients?: AuditClients,
): Promise<number> {
  const instanceId = options.instanceId?.trim();
  if (!instanceId || !/^[0-9a-f-]{36}$|^arn:aws[a-z-]*:connect:/.test(instanceId)) {
    throw new UsageError('--instance-id must be the instance id (a UUID) or its ARN');
  }
  const id = instanceId.startsWith('arn:') ? (instanceId.split('/').at(-1) ?? instanceId) : instanceId;
  const format = (options.format ?? (ctx.json ? 'json' : 'table')) as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  const failOn = options.failOn as 'high' | 'medium' | undefined;
  if (failOn !== undefined && failOn !== 'high' && failOn !== 'medium')
    throw new UsageError('--fail-on must be high or medium');
  const threshold = options.threshold === undefined ? 3 : Number(options.threshold);
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > 10_000)
    throw new UsageError('--threshold must be a whole number');
  const region = options.region ?? ctx.env.AWS_REGION;
  const use = clients ?? {
    connect: new ConnectClient(region ? { region } : {}),
    cloudtrail: new CloudTrailClient(region ? { region } : {}),
    eventbridge: new EventBridgeClient(region ? { region } : {}),
  };
  let report: Awaited<ReturnType<typeof auditInstance>>;
  try {
    report = await auditInstance({
      instanceId: id,
      ...use,
      region,
      userAdminThreshold: threshold,
      onProgress: (message) =>
        ctx.err(`${ctx.stderrIsTTY ? '\r\x1b[K' : ''}audit: ${message}${ctx.stderrIsTTY ? '' : '\n'}`),
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : 'error';
    throw new CommandError(`the audit stopped: ${name} from AWS (credentials, region, or the instance id?)`);
  }
  if (ctx.stderrIsTTY) ctx.err('\r\x1b[K');
  ctx.out(
    format === 'json'
      ? formatJson(report)
      : format === 'markdown'
        ? formatMarkdown(report)
        : formatTable(report),
  );
  return exitCodeFor(report, failOn);
}
