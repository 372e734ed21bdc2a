// Where a deploy starts and what it would do: unchanged, a leftover canary to clear, or the
// steps still to take (upload, publish or reuse a version), and the plan a dry run prints.
import { type FunctionConfiguration, paginateListVersionsByFunction } from '@aws-sdk/client-lambda';
import { STEPS } from './deploy-errors.js';
import { type FunctionSession, LATEST, type LiveState } from './function-session.js';
import type { FunctionSmokeSpec } from './smoke.js';

/** Moves the alias with routing weights first, then promotes or rolls back by the metrics. */
export interface CanarySettings {
  /** Share of the alias's traffic sent to the new version, 0 < percent < 100. */
  readonly percent: number;
  /** How long the canary is watched before promotion (2 minutes to 24 hours). */
  readonly bakeMs: number;
}

const sorted = (values: readonly string[] | undefined) => [...(values ?? [])].sort();

/** What a version keeps from the moment it was published, beside its code. */
function settingsOf(config: FunctionConfiguration): Record<string, unknown> {
  const variables = config.Environment?.Variables ?? {};
  return {
    runtime: config.Runtime,
    handler: config.Handler,
    role: config.Role,
    memory: config.MemorySize,
    timeout: config.Timeout,
    architectures: sorted(config.Architectures),
    environment: Object.keys(variables)
      .sort()
      .map((key) => [key, variables[key]]),
    layers: (config.Layers ?? []).map((layer) => layer.Arn),
    ephemeralStorage: config.EphemeralStorage?.Size,
    vpc: [sorted(config.VpcConfig?.SubnetIds), sorted(config.VpcConfig?.SecurityGroupIds)],
    tracing: config.TracingConfig?.Mode,
    deadLetter: config.DeadLetterConfig?.TargetArn,
    kmsKey: config.KMSKeyArn,
    logging: [
      config.LoggingConfig?.LogFormat,
      config.LoggingConfig?.LogGroup,
      config.LoggingConfig?.ApplicationLogLevel,
      config.LoggingConfig?.SystemLogLevel,
    ],
    fileSystems: (config.FileSystemConfigs ?? []).map((fs) => `${fs.Arn} ${fs.LocalMountPath}`),
  };
}

/** The names (never the values) of the settings in which two configurations differ. */
export function settingsDiff(a: FunctionConfiguration, b: FunctionConfiguration): string[] {
  const left = settingsOf(a);
  const right = settingsOf(b);
  return Object.keys(left).filter((key) => JSON.stringify(left[key]) !== JSON.stringify(right[key]));
}

export function routingText(weights: Readonly<Record<string, number>>): string {
  return Object.entries(weights)
    .map(([version, weight]) => `${Math.round(weight * 1000) / 10}% to version ${version}`)
    .join(', ');
}

/** `10m`, `90s`, `1h30m`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const parts: string[] = [];
  if (seconds >= 3600) parts.push(`${Math.floor(seconds / 3600)}h`);
  if (seconds % 3600 >= 60) parts.push(`${Math.floor((seconds % 3600) / 60)}m`);
  if (seconds % 60 > 0 || parts.length === 0) parts.push(`${seconds % 60}s`);
  return parts.join('');
}

export type Plan =
  | { readonly kind: 'unchanged' }
  /** `live` runs this code, but an unfinished canary still sends traffic elsewhere. */
  | { readonly kind: 'clear-routing' }
  | {
      readonly kind: 'deploy';
      readonly why: string;
      /** A published version with this code and the current settings. */
      readonly reuse?: FunctionConfiguration;
      readonly upload: boolean;
    };

/** The newest published version with this code and the settings `$LATEST` has now. */
async function findVersion(
  session: FunctionSession,
  codeSha256: string,
  latest: FunctionConfiguration,
): Promise<FunctionConfiguration | undefined> {
  let found: FunctionConfiguration | undefined;
  await session.call(STEPS.listVersions, async () => {
    const pages = paginateListVersionsByFunction(
      { client: session.lambda },
      { FunctionName: session.functionName },
    );
    for await (const page of pages) {
      for (const version of page.Versions ?? []) {
        if (version.Version === LATEST || version.CodeSha256 !== codeSha256) continue;
        if (settingsDiff(version, latest).length > 0) continue;
        if (!found || Number(version.Version) > Number(found.Version)) found = version;
      }
    }
  });
  return found;
}

/**
 * Where this run starts. Unchanged only when `live` already runs this code (with the current
 * settings, from a published version); otherwise what an earlier run did is not done again: a
 * version with this code is reused, a `$LATEST` that has it is not uploaded to.
 */
export async function planDeploy(
  session: FunctionSession,
  state: LiveState,
  codeSha256: string,
): Promise<Plan> {
  const { latest, live, aliasVersion, weights } = state;
  const pinned = aliasVersion !== LATEST;
  const liveHasCode = live.CodeSha256 === codeSha256;
  const stale = liveHasCode && pinned ? settingsDiff(live, latest) : [];
  if (liveHasCode && pinned && stale.length === 0) {
    return Object.keys(weights).length > 0 ? { kind: 'clear-routing' } : { kind: 'unchanged' };
  }
  const why = !liveHasCode
    ? `${session.alias} (version ${aliasVersion}) runs other code`
    : !pinned
      ? `${session.alias} points at $LATEST, which any code update changes: the code gets a version of its own`
      : `${session.alias} runs this code with older settings (${stale.join(', ')}): a version with the current settings is published`;
  const reuse = await findVersion(session, codeSha256, latest);
  return { kind: 'deploy', why, reuse, upload: !reuse && latest.CodeSha256 !== codeSha256 };
}

function moveLine(canary: CanarySettings | undefined, alias: string, from: string): string {
  return canary
    ? `send ${canary.percent}% of ${alias} to it for ${formatDuration(canary.bakeMs)} while watching its ` +
        'Lambda errors, throttles and fail-mode answers against the old version, then promote it or roll back'
    : `move ${alias} from ${from} to it at once, recording the version it leaves as previous=<n>`;
}

/** The steps a run would take from where `live` stands, one a line. */
export function describePlan(
  plan: Plan,
  state: LiveState,
  context: {
    alias: string;
    codeSha256: string;
    zipKiB: string;
    spec: FunctionSmokeSpec;
    canary?: CanarySettings;
  },
): string[] {
  const { alias, spec } = context;
  const current = `version ${state.aliasVersion}`;
  if (plan.kind === 'unchanged') return [`${alias} (${current}) already runs this code: nothing to deploy`];
  if (plan.kind === 'clear-routing') {
    return [
      `${alias} (${current}) already runs this code, but still sends ${routingText(state.weights)} ` +
        '(an unfinished canary): would clear that routing',
    ];
  }
  const lines = [plan.why];
  if (plan.reuse) {
    lines.push(
      `would reuse version ${plan.reuse.Version}, published earlier with this code and the current settings: no upload, no publish`,
    );
  } else {
    lines.push(
      plan.upload
        ? `would upload the code (${context.zipKiB} KiB zip) and wait for Lambda to apply it`
        : '$LATEST already has this code (a run stopped after uploading): no upload',
    );
    lines.push(`would publish a version pinned to CodeSha256 ${context.codeSha256}`);
  }
  lines.push(
    `would invoke the new version with ${spec.cases.length} recorded events ` +
      `(${spec.cases.map((smokeCase) => `${smokeCase.event}.json`).join(', ')}) and check each answer`,
  );
  lines.push(`would ${moveLine(context.canary, alias, current)}`);
  return lines;
}

/** The plan when the function's state cannot be read: every step. */
export function fullPlan(context: {
  functionName: string;
  alias: string;
  codeSha256: string;
  spec: FunctionSmokeSpec;
  canary?: CanarySettings;
}): string[] {
  return [
    `would compare the code with what ${context.alias} runs, and skip what an earlier run already did`,
    `would update the code of ${context.functionName} (unless $LATEST or a published version already has it), ` +
      `wait for it, and publish a version pinned to CodeSha256 ${context.codeSha256}`,
    `would invoke the new version with ${context.spec.cases.length} recorded events and check each answer`,
    `would ${moveLine(context.canary, context.alias, 'its current version')}`,
  ];
}
