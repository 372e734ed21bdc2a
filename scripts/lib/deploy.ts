import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  type FunctionConfiguration,
  InvokeCommand,
  type LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { functionDefinition, isFunctionName } from '@flowguard/functions/registry';
import { type BundleOptions, bundleFunction, listFunctions } from './bundle.js';
import {
  baselineWindow,
  CanaryMetrics,
  type CanaryRule,
  type Clock,
  DEFAULT_CANARY_RULE,
  systemClock,
  watchCanary,
} from './canary.js';
import { CanaryRolledBackError, DeployError, explain, STEPS } from './deploy-errors.js';
import {
  type CanarySettings,
  describePlan,
  formatDuration,
  fullPlan,
  planDeploy,
  routingText,
} from './deploy-plan.js';
import {
  FunctionSession,
  isAbort,
  LATEST,
  type LiveState,
  previousVersionOf,
  readState,
  ready,
  weightsOf,
  withPrevious,
} from './function-session.js';
import {
  type FunctionSmokeSpec,
  httpSmokeEvent,
  probeOriginProblem,
  runSmoke,
  SMOKE_SPECS,
  streamSmokeEvent,
} from './smoke.js';

export { CanaryRolledBackError, DeployError } from './deploy-errors.js';
export type { CanarySettings } from './deploy-plan.js';
export { previousVersionOf, withPrevious } from './function-session.js';

/** The clients a deploy talks to; CloudWatch only for a canary. */
export interface DeployClients {
  readonly lambda: LambdaClient;
  readonly cloudWatch?: CloudWatchClient;
}

export interface DeployOptions {
  readonly name: string;
  /** The alias the flows invoke (default `live`). */
  readonly alias?: string;
  readonly dryRun?: boolean;
  /** Deployed name = prefix + function name (`FLOWGUARD_FUNCTION_PREFIX`, default `flowguard-`). */
  readonly prefix?: string;
  readonly bundle?: BundleOptions;
  readonly canary?: CanarySettings;
  /** The smoke test (default: the function's cases in `SMOKE_SPECS`). */
  readonly smoke?: FunctionSmokeSpec;
  /** Where the recorded events are (default `test/events`). */
  readonly eventsDir?: string;
  /** Polls while Lambda applies the code; bounded. */
  readonly pollMs?: number;
  readonly maxPolls?: number;
  /** Canary: time between metric checks (default 60 s). */
  readonly checkEveryMs?: number;
  /** Canary: how late metrics arrive; windows end this long before now (default 2 minutes). */
  readonly settleMs?: number;
  /** Canary: the window before the deploy the fail-mode rate is compared with (default 1 hour). */
  readonly baselineMs?: number;
  readonly rule?: Partial<CanaryRule>;
  readonly clock?: Clock;
  /** Aborts the deploy; during a canary, rolls it back first. */
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export interface DeployResult {
  readonly functionName: string;
  readonly codeSha256: string;
  readonly action: 'dry-run' | 'unchanged' | 'deployed';
  /** The version `live` points at when done. */
  readonly version?: string;
  /** The version `live` pointed at before (recorded as `previous=` in the alias description). */
  readonly previousVersion?: string;
  readonly alias: string;
  /** A dry run's plan, one step a line. */
  readonly plan?: readonly string[];
}

export type RollbackOptions = Pick<
  DeployOptions,
  'name' | 'alias' | 'dryRun' | 'prefix' | 'bundle' | 'signal' | 'log'
>;

export interface RollbackResult {
  readonly functionName: string;
  readonly alias: string;
  readonly action: 'dry-run' | 'rolled-back' | 'canary-cleared';
  readonly version?: string;
  readonly previousVersion?: string;
  readonly plan?: readonly string[];
}

/** Lambda's alias names: letters, digits, - and _, not only digits. */
const ALIAS = /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/;
const MINUTE_MS = 60_000;
const MAX_BAKE_MS = 24 * 60 * MINUTE_MS;

function checkCanary(canary: CanarySettings | undefined): void {
  if (!canary) return;
  if (!Number.isFinite(canary.percent) || canary.percent <= 0 || canary.percent >= 100) {
    throw new DeployError('--canary is a percentage of traffic above 0 and below 100', 2);
  }
  if (!Number.isFinite(canary.bakeMs) || canary.bakeMs < 2 * MINUTE_MS || canary.bakeMs > MAX_BAKE_MS) {
    throw new DeployError(
      '--bake is 2m to 24h (e.g. 10m): metrics come by the minute, and the first, partial one is not counted',
      2,
    );
  }
}

async function checkName(options: { name: string; alias?: string; bundle?: BundleOptions }): Promise<string> {
  const alias = options.alias ?? 'live';
  if (!ALIAS.test(alias)) {
    throw new DeployError('an alias is 1 to 128 letters, digits, - or _ (not only digits)', 2);
  }
  const known = await listFunctions(options.bundle?.handlersDir);
  if (!known.includes(options.name)) {
    throw new DeployError(
      `unknown function '${options.name}'; functions: ${known.join(', ') || '(none)'}`,
      2,
    );
  }
  return alias;
}

/**
 * Builds one function's bundle and puts it live through its alias: upload the code (not live:
 * the flows invoke the alias), publish a version pinned to the zip's hash, invoke that version with
 * recorded events and check each answer, then move the alias at once or through a canary that
 * rolls itself back. A run resumes where an earlier one stopped. `dryRun` prints the plan and
 * changes nothing; without clients it prints every step without reading the function.
 */
export async function deployFunction(
  clients: DeployClients | undefined,
  options: DeployOptions,
): Promise<DeployResult> {
  const log = options.log ?? (() => {});
  const alias = await checkName(options);
  checkCanary(options.canary);
  const spec = options.smoke ?? (isFunctionName(options.name) ? SMOKE_SPECS[options.name] : undefined);
  if (!spec)
    throw new DeployError(`no smoke test for ${options.name}: add its cases to scripts/lib/smoke.ts`);
  if (spec.kind === 'stream') {
    // A stream event that could forward, copy or dead-letter something stops the run before anything changes.
    for (const smokeCase of spec.cases) await streamSmokeEvent(smokeCase, options.eventsDir);
  }
  if (spec.kind === 'http') {
    // So does an HTTP event that could get past the origin check (a count, a contact started).
    for (const smokeCase of spec.cases) await httpSmokeEvent(smokeCase, options.eventsDir);
  }
  const functionName = `${options.prefix ?? 'flowguard-'}${options.name}`;
  const bundle = await bundleFunction(options.name, options.bundle);
  const zip = await readFile(bundle.zip);
  // Lambda reports CodeSha256 as base64 of the zip's SHA-256.
  const codeSha256 = createHash('sha256').update(zip).digest('base64');
  const zipKiB = (bundle.zipBytes / 1024).toFixed(1);
  log(`built ${options.name}: ${zipKiB} KiB zip, sha256 ${codeSha256}`);
  const base = { functionName, codeSha256, alias };
  const planContext = { functionName, alias, codeSha256, zipKiB, spec, canary: options.canary };

  const printPlan = (plan: string[]): DeployResult => {
    for (const line of plan) log(line);
    return { ...base, action: 'dry-run', plan };
  };
  if (!clients) return printPlan(fullPlan(planContext));
  if (options.canary && !clients.cloudWatch) {
    throw new DeployError('a canary reads CloudWatch metrics: give deployFunction a CloudWatch client');
  }

  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const session = new FunctionSession(clients.lambda, functionName, alias, clock, options.signal);
  let state: LiveState;
  try {
    state = await readState(session);
  } catch (error) {
    if (!options.dryRun || !(error instanceof DeployError) || error.kind !== 'credentials') throw error;
    log(`(the state of ${functionName} could not be read: ${error.message})`);
    return printPlan(fullPlan(planContext));
  }
  // The settings the new version will be published with: an allowed probe origin stops the run here.
  refuseProbeOrigin(spec, state.latest, `${functionName} ($LATEST)`, 'nothing was changed');
  if (options.canary && state.aliasVersion === LATEST) {
    throw new DeployError(
      `a canary splits traffic between two published versions, and ${alias} points at $LATEST: deploy once without --canary`,
    );
  }
  const plan = await planDeploy(session, state, codeSha256);
  if (options.dryRun) return printPlan(describePlan(plan, state, planContext));

  const previous = state.aliasVersion;
  if (plan.kind === 'unchanged') {
    log(`${functionName} already runs this code as ${alias} (version ${previous}): nothing to deploy`);
    return { ...base, action: 'unchanged', version: previous };
  }
  if (plan.kind === 'clear-routing') {
    await session.moveAlias({ version: previous, revisionId: state.alias.RevisionId });
    log(
      `${functionName} already runs this code as ${alias} (version ${previous}); cleared the routing that ` +
        `still sent ${routingText(state.weights)} (an unfinished canary)`,
    );
    return { ...base, action: 'unchanged', version: previous };
  }

  log(plan.why);
  const polling = { pollMs: options.pollMs ?? 1000, maxPolls: options.maxPolls ?? 60 };
  let target: FunctionConfiguration;
  if (plan.reuse) {
    target = plan.reuse;
    log(`resuming: version ${target.Version} already has this code and the current settings; reusing it`);
  } else {
    if (!ready(state.latest)) await session.waitUntilReady(undefined, polling);
    if (plan.upload) {
      await session.call(STEPS.upload, (o) =>
        clients.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: functionName, ZipFile: zip }), o),
      );
      log(`uploaded the code of ${functionName}; waiting for Lambda to apply it`);
      await session.waitUntilReady(undefined, polling);
    } else {
      log('resuming: $LATEST already has this code (a run stopped after uploading); no upload');
    }
    target = await session.call(STEPS.publish, (o) =>
      clients.lambda.send(
        new PublishVersionCommand({ FunctionName: functionName, CodeSha256: codeSha256 }),
        o,
      ),
    );
    log(`published version ${target.Version}`);
  }
  const version = target.Version ?? '';
  if (version === previous && Object.keys(state.weights).length === 0) {
    // Lambda publishes no new version when nothing changed since the last one.
    log(`${functionName}: Lambda published no new version; ${alias} already runs version ${version}`);
    return { ...base, action: 'unchanged', version };
  }
  if (!ready(target)) target = await session.waitUntilReady(version, polling);

  // The version's own configuration (versions are immutable): what the probes would meet.
  refuseProbeOrigin(
    spec,
    target,
    `version ${version} of ${functionName}`,
    `${alias} stays on version ${previous}`,
  );
  await smokeTest(session, version, spec, { ...options, alias, previous, log });

  if (!options.canary) {
    await session.moveAlias({
      version,
      description: withPrevious(state.alias.Description, previous),
      revisionId: state.alias.RevisionId,
    });
    log(
      `${functionName} version ${version} is live as ${alias} (was version ${previous}; --rollback returns to it)`,
    );
    return { ...base, action: 'deployed', version, previousVersion: previous };
  }

  // Checked above: a canary comes with a CloudWatch client.
  await runCanary(session, clients.cloudWatch as CloudWatchClient, {
    ...options,
    canary: options.canary,
    state,
    target,
    startedAt,
    log,
  });
  return { ...base, action: 'deployed', version, previousVersion: previous };
}

/**
 * The HTTP probes are sent only where they are refused at the origin check: not to a configuration
 * whose allow-list names the probe origin, nor to one whose variables cannot be read.
 */
function refuseProbeOrigin(
  spec: FunctionSmokeSpec,
  config: FunctionConfiguration,
  what: string,
  outcome: string,
): void {
  if (spec.kind !== 'http') return;
  const problem = probeOriginProblem(config);
  if (problem) throw new DeployError(`the smoke test is not sent to ${what}: ${problem}; ${outcome}`);
}

/** Invokes the new version with each recorded event; any bad answer stops the deploy before `live` moves. */
async function smokeTest(
  session: FunctionSession,
  version: string,
  spec: FunctionSmokeSpec,
  context: { alias: string; previous: string; eventsDir?: string; log: (line: string) => void },
): Promise<void> {
  context.log(`smoke test of version ${version}: ${spec.cases.length} recorded events`);
  const decoder = new TextDecoder();
  const failures = await runSmoke(
    async (event) => {
      const answer = await session.call(
        STEPS.invoke,
        (o) =>
          session.lambda.send(
            new InvokeCommand({
              FunctionName: session.functionName,
              Qualifier: version,
              Payload: new TextEncoder().encode(JSON.stringify(event)),
            }),
            o,
          ),
        { qualifier: version },
      );
      return {
        payload: answer.Payload ? decoder.decode(answer.Payload) : undefined,
        functionError: answer.FunctionError,
      };
    },
    spec,
    { eventsDir: context.eventsDir, log: context.log },
  );
  if (failures.length === 0) return;
  throw new DeployError(
    [
      `the smoke test of version ${version} failed; ${context.alias} stays on version ${context.previous}:`,
      ...failures.flatMap((failure) => failure.problems.map((problem) => `  ${failure.event}: ${problem}`)),
    ].join('\n'),
  );
}

/** `FLOWGUARD_METRICS` off: the function writes no EMF, so only Lambda's own metrics can be watched. */
function emfNamespace(config: FunctionConfiguration): string | undefined {
  const variables = config.Environment?.Variables ?? {};
  if (/^(false|0|no|off)$/i.test(variables.FLOWGUARD_METRICS ?? '')) return undefined;
  return variables.FLOWGUARD_METRICS_NAMESPACE || 'Flowguard';
}

/**
 * What a canary of this function can judge besides Lambda's errors and throttles by version:
 * - a flow function's answers: its EMF `Invocations` by `outcome`, fail-mode = not `ok`;
 * - an HTTP function's (start-contact): its EMF `ServerError`, one per 5xx answer. Most of its
 *   answers are 4xx (blocked, throttled, a bad body or token): the edge working, not failing;
 * - a stream function's: nothing. Its EMF counts records, not answers, and says nothing of the
 *   version; the event source mapping invokes the alias, so each batch runs on one version and a
 *   batch that throws is counted in Lambda's `Errors` under its `ExecutedVersion`. A batch item
 *   failure is not an error: Lambda resends from it, and may run it on either version.
 */
function canaryAnswers(name: string): {
  answers: 'outcomes' | 'server-errors' | 'none';
  through: string;
} {
  const trigger = isFunctionName(name) ? functionDefinition(name).trigger : 'connect-flow';
  if (trigger === 'http')
    return {
      answers: 'server-errors',
      through: 'does its Function URL or API front the unqualified function?',
    };
  if (trigger === 'kinesis')
    return {
      answers: 'none',
      through: 'does the event source mapping still invoke the unqualified function?',
    };
  return { answers: 'outcomes', through: 'do the flows still invoke the unqualified function ARN?' };
}

async function runCanary(
  session: FunctionSession,
  cloudWatch: CloudWatchClient,
  context: DeployOptions & {
    canary: CanarySettings;
    state: LiveState;
    target: FunctionConfiguration;
    startedAt: number;
    log: (line: string) => void;
  },
): Promise<void> {
  const { canary, state, log, clock = systemClock } = context;
  const alias = session.alias;
  const previous = state.aliasVersion;
  const version = context.target.Version ?? '';
  const { answers, through } = canaryAnswers(context.name);
  const emf = emfNamespace(context.target);
  const namespace = answers === 'none' ? undefined : emf;
  const metrics = new CanaryMetrics(cloudWatch, {
    functionName: session.functionName,
    name: context.name,
    alias,
    newVersion: version,
    oldVersion: previous,
    namespace,
    ...(answers === 'server-errors' ? { answers } : {}),
  });
  const settleMs = context.settleMs ?? 2 * MINUTE_MS;
  const before = baselineWindow(context.startedAt, context.baselineMs ?? 60 * MINUTE_MS, settleMs);
  // Read before traffic moves: a role without cloudwatch:GetMetricData fails here, with nothing changed.
  const baseline = await session.call(STEPS.readMetrics, () => metrics.baseline(before.start, before.end));
  const rule = { ...DEFAULT_CANARY_RULE, ...context.rule };
  const watched =
    answers === 'none'
      ? '; a stream function answers with batch item failures, not outcomes, so only those are watched'
      : !namespace
        ? '; FLOWGUARD_METRICS is off, so fail-mode answers are not watched'
        : answers === 'server-errors'
          ? ` and 5xx answers (${namespace} ServerError; before the deploy: ${baseline?.invocations ?? 0} calls, ${baseline?.failAnswers ?? 0} 5xx)`
          : ` and fail-mode answers (${namespace} Invocations by outcome; before the deploy: ${baseline?.invocations ?? 0} calls, ${baseline?.okAnswers ?? 0} ok)`;
  log(
    `canary: ${canary.percent}% of ${alias} to version ${version} for ${formatDuration(canary.bakeMs)} ` +
      `(+${formatDuration(settleMs)} for the last metrics); watching Lambda errors and throttles by version` +
      watched,
  );
  const split = await session.moveAlias({
    version: previous,
    weights: { [version]: canary.percent / 100 },
    revisionId: state.alias.RevisionId,
  });

  const rollBack = async (reasons: string[]): Promise<never> => {
    try {
      await session.moveAlias({ version: previous, revisionId: split.RevisionId }, true);
    } catch (error) {
      throw new DeployError(
        `the canary of version ${version} must be rolled back (${reasons.join('; ')}), but ${alias} could not be ` +
          `moved: ${(error as Error).message}. Run: pnpm deploy:function ${context.name} --rollback`,
      );
    }
    throw new CanaryRolledBackError(
      [
        `canary rolled back: ${alias} stays on version ${previous}, version ${version} gets no traffic:`,
        ...reasons.map((reason) => `  ${reason}`),
      ].join('\n'),
      reasons,
    );
  };

  let outcome: Awaited<ReturnType<typeof watchCanary>>;
  try {
    outcome = await watchCanary(metrics, baseline, clock.now(), {
      bakeMs: canary.bakeMs,
      checkEveryMs: context.checkEveryMs ?? MINUTE_MS,
      settleMs,
      rule,
      clock,
      signal: context.signal,
      log,
    });
  } catch (error) {
    const reason = isAbort(error)
      ? 'the deploy was interrupted during the bake'
      : explain(error, STEPS.readMetrics, { functionName: session.functionName, alias }).message;
    return rollBack([reason]);
  }
  if (outcome.rollback) return rollBack([...outcome.reasons]);
  const { newInvocations, oldInvocations, allInvocations } = outcome.counts;
  if (newInvocations === 0) {
    log(`note: version ${version} received no traffic during the bake; promoted on the smoke test alone`);
  }
  if (newInvocations + oldInvocations === 0 && allInvocations > 0) {
    log(
      `note: ${session.functionName} was invoked ${allInvocations} times during the bake, none through ${alias}: ${through}`,
    );
  }
  await session.moveAlias(
    {
      version,
      description: withPrevious(state.alias.Description, previous),
      revisionId: split.RevisionId,
    },
    true,
  );
  log(
    `${session.functionName} version ${version} promoted after ${outcome.checks} checks: live as ${alias} ` +
      `(was version ${previous}; --rollback returns to it)`,
  );
}

/**
 * Puts the alias back: an unfinished canary's routing is cleared (the alias stays where it is);
 * otherwise the alias moves to the version its description records as `previous=<n>`, and records
 * the version it leaves, so a second rollback returns.
 */
export async function rollbackFunction(
  lambda: LambdaClient | undefined,
  options: RollbackOptions,
): Promise<RollbackResult> {
  const log = options.log ?? (() => {});
  const alias = await checkName(options);
  const functionName = `${options.prefix ?? 'flowguard-'}${options.name}`;
  const base = { functionName, alias };
  if (!lambda) {
    const plan = [
      `would clear an unfinished canary of ${alias}, or else move ${alias} to the version its description records as previous=<n>`,
    ];
    for (const line of plan) log(line);
    return { ...base, action: 'dry-run', plan };
  }
  const session = new FunctionSession(lambda, functionName, alias, systemClock, options.signal);
  const current = await session.readAlias();
  const currentVersion = current.FunctionVersion ?? LATEST;
  const weights = weightsOf(current);

  if (Object.keys(weights).length > 0) {
    const line = `clear the canary of ${functionName} (${routingText(weights)}): ${alias} stays on version ${currentVersion}`;
    if (options.dryRun) {
      log(`would ${line}`);
      return { ...base, action: 'dry-run', plan: [`would ${line}`] };
    }
    await session.moveAlias({ version: currentVersion, revisionId: current.RevisionId }, true);
    log(`cleared the canary of ${functionName}: ${alias} stays on version ${currentVersion}`);
    return { ...base, action: 'canary-cleared', version: currentVersion };
  }

  const previous = previousVersionOf(current.Description);
  if (!previous || previous === currentVersion) {
    throw new DeployError(
      `${alias} of ${functionName} records no version to go back to (no previous=<n> in its description). ` +
        `Name one by hand: aws lambda update-alias --function-name ${functionName} --name ${alias} --function-version <n>`,
    );
  }
  await session.configuration(previous, STEPS.readVersion);
  const line = `move ${alias} of ${functionName} from version ${currentVersion} back to version ${previous}`;
  if (options.dryRun) {
    log(`would ${line}`);
    return { ...base, action: 'dry-run', plan: [`would ${line}`] };
  }
  await session.moveAlias(
    {
      version: previous,
      description: withPrevious(current.Description, currentVersion),
      revisionId: current.RevisionId,
    },
    true,
  );
  log(
    `${functionName}: ${alias} is back on version ${previous} (was ${currentVersion}; previous=${currentVersion} recorded)`,
  );
  return { ...base, action: 'rolled-back', version: previous, previousVersion: currentVersion };
}
