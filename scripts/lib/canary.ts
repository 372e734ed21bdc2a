// A canary's evidence and verdict: CloudWatch sums for the new and the old version while the alias
// splits traffic, judged against the old version (docs/deploy.md, "Canary").
import { setTimeout as delay } from 'node:timers/promises';
import {
  type CloudWatchClient,
  type Dimension,
  type MetricDataQuery,
  paginateGetMetricData,
} from '@aws-sdk/client-cloudwatch';
import { SERVER_ERROR_OUTCOMES } from '@flowguard/edge/contract';

/** Time for the bake; tests pass one that does not wait. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, { signal });
  },
};

/** When a canary is rolled back. */
export interface CanaryRule {
  /** How far (a fraction: 0.01 = one percentage point) the new version's rate may exceed the old one's. */
  readonly tolerance: number;
  /** Fewest Lambda errors and throttles of the new version that can roll it back. */
  readonly minErrors: number;
  /** Fewest fail-mode answers beyond what the old version's rate predicts that can roll it back. */
  readonly minFailModes: number;
}

export const DEFAULT_CANARY_RULE: CanaryRule = { tolerance: 0.01, minErrors: 1, minFailModes: 3 };

/** Sums over a window of the bake. */
export interface CanaryCounts {
  /** AWS/Lambda through the alias, by `ExecutedVersion`. */
  readonly newInvocations: number;
  readonly newErrors: number;
  readonly newThrottles: number;
  readonly oldInvocations: number;
  readonly oldErrors: number;
  readonly oldThrottles: number;
  /** AWS/Lambda `Invocations` of the function, any version: what the EMF outcomes are out of. */
  readonly allInvocations: number;
  /** The function's EMF `Invocations` with `outcome=ok`: every other answer was a fail-mode one. */
  readonly okAnswers: number;
  /**
   * An HTTP function's fail-mode answers, counted rather than inferred from `okAnswers`: its EMF
   * `ServerError`, one for every 5xx answer (a 403 or 429 is the function working). Absent for a
   * flow function.
   */
  readonly failAnswers?: number;
}

/** The fail-mode rate before the canary, when only the old version answered. */
export interface FailBaseline {
  readonly invocations: number;
  /** A flow function's: its fail-mode answers are the invocations less these. */
  readonly okAnswers?: number;
  /** An HTTP function's: its 5xx answers (`ServerError`). */
  readonly failAnswers?: number;
}

export interface Verdict {
  readonly rollback: boolean;
  readonly reasons: readonly string[];
  /** One line of the counts, for the log. */
  readonly summary: string;
}

const ratio = (part: number, whole: number) => (whole > 0 ? Math.min(1, Math.max(0, part / whole)) : 0);
const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

/**
 * Rolls back when the new version does worse than the old one beyond the tolerance, on either
 * signal, with at least a few events behind it:
 * - Lambda errors and throttles, per version through the alias (`ExecutedVersion`);
 * - fail-mode answers. The EMF metrics carry no version, so the new version's share is inferred:
 *   what the old version's rate before the canary predicts for its calls during the bake is
 *   subtracted from the fail-mode answers counted, and the rest is the new version's.
 */
export function judgeCanary(
  counts: CanaryCounts,
  baseline: FailBaseline | undefined,
  rule: CanaryRule,
  versions: { readonly newVersion: string; readonly oldVersion: string },
): Verdict {
  const { newVersion, oldVersion } = versions;
  const reasons: string[] = [];

  const newBad = counts.newErrors + counts.newThrottles;
  const newCalls = counts.newInvocations + counts.newThrottles;
  const oldBad = counts.oldErrors + counts.oldThrottles;
  const oldCalls = counts.oldInvocations + counts.oldThrottles;
  const newErrorRate = ratio(newBad, newCalls);
  const oldErrorRate = ratio(oldBad, oldCalls);
  if (newBad >= rule.minErrors && newErrorRate > oldErrorRate + rule.tolerance) {
    reasons.push(
      `version ${newVersion}: ${newBad} errors or throttles in ${newCalls} calls (${percent(newErrorRate)}) ` +
        `against ${percent(oldErrorRate)} on version ${oldVersion}`,
    );
  }

  let failLine = 'fail-mode answers not watched (the function emits no metrics)';
  if (baseline) {
    const baseFails = baseline.failAnswers ?? baseline.invocations - (baseline.okAnswers ?? 0);
    const baseRate = ratio(baseFails, baseline.invocations);
    const failAnswers = counts.failAnswers ?? Math.max(0, counts.allInvocations - counts.okAnswers);
    const what = counts.failAnswers === undefined ? 'fail-mode answers' : '5xx answers (ServerError)';
    const expected = baseRate * counts.oldInvocations;
    const excess = failAnswers - expected;
    const newFailRate = ratio(excess, counts.newInvocations);
    failLine = `${what} ${failAnswers} (${expected.toFixed(1)} expected at version ${oldVersion}'s ${percent(baseRate)})`;
    if (counts.newInvocations > 0 && excess >= rule.minFailModes && newFailRate > baseRate + rule.tolerance) {
      reasons.push(
        `${what}: ${failAnswers} during the bake where version ${oldVersion}'s rate before it ` +
          `(${percent(baseRate)}) predicts ${expected.toFixed(1)}: about ${excess.toFixed(1)} from version ` +
          `${newVersion}, ${percent(newFailRate)} of its ${counts.newInvocations} calls`,
      );
    }
  }

  const summary =
    `version ${newVersion}: ${counts.newInvocations} calls, ${counts.newErrors} errors, ${counts.newThrottles} throttles; ` +
    `version ${oldVersion}: ${counts.oldInvocations} calls, ${counts.oldErrors} errors, ${counts.oldThrottles} throttles; ` +
    failLine;
  return { rollback: reasons.length > 0, reasons, summary };
}

/** What the canary watches: the function, the alias splitting traffic, and where its EMF goes. */
export interface CanaryTarget {
  /** Deployed name (`flowguard-screen-caller`). */
  readonly functionName: string;
  /** The EMF `function` dimension (`screen-caller`). */
  readonly name: string;
  readonly alias: string;
  readonly newVersion: string;
  readonly oldVersion: string;
  /** The EMF namespace; absent when the function emits no metrics (or none the canary can judge). */
  readonly namespace?: string;
  /**
   * What its fail-mode answers are: `outcomes` (a flow function's, default) every EMF `Invocations`
   * without `outcome=ok`; `server-errors` (an HTTP function's) its EMF `ServerError`, one per 5xx.
   */
  readonly answers?: 'outcomes' | 'server-errors';
}

/**
 * The outcomes start-contact answers with a 5xx (@flowguard/edge's contract), each read by name:
 * a metric CloudWatch has just seen is read at once, but a SEARCH finds it only once it is listed,
 * which can take minutes (ListMetrics: up to 15). The SEARCH finds any not named there.
 */
export { SERVER_ERROR_OUTCOMES };

const PERIOD_SECONDS = 60;

function dimensions(values: Readonly<Record<string, string>>): Dimension[] {
  return Object.entries(values).map(([Name, Value]) => ({ Name, Value }));
}

function sumOf(id: string, namespace: string, metric: string, dims: Readonly<Record<string, string>>) {
  return {
    Id: id,
    ReturnData: true,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: metric, Dimensions: dimensions(dims) },
      Period: PERIOD_SECONDS,
      Stat: 'Sum',
    },
  } satisfies MetricDataQuery;
}

/** Reads the canary's sums from CloudWatch (GetMetricData, every page). */
export class CanaryMetrics {
  constructor(
    private readonly client: CloudWatchClient,
    readonly target: CanaryTarget,
  ) {}

  private okAnswers(id: string): MetricDataQuery {
    return sumOf(id, this.target.namespace ?? '', 'Invocations', {
      function: this.target.name,
      outcome: 'ok',
    });
  }

  /**
   * The HTTP function's `ServerError`, summed over its outcomes twice: by name for the known ones
   * (`<id>_<outcome>`), and by a SEARCH of every outcome (`<id>Searched`, absent when the namespace
   * cannot be quoted in one). The larger sum is taken (`serverErrorsOf`).
   */
  private serverErrors(id: string): MetricDataQuery[] {
    const namespace = this.target.namespace ?? '';
    const named = SERVER_ERROR_OUTCOMES.map((outcome) =>
      sumOf(`${id}_${outcome}`, namespace, 'ServerError', { function: this.target.name, outcome }),
    );
    if (/["'\\]/.test(namespace) || /["'\\]/.test(this.target.name)) return named;
    const search = `{"${namespace}",function,outcome} MetricName="ServerError" function="${this.target.name}"`;
    return [
      ...named,
      {
        Id: `${id}Searched`,
        ReturnData: true,
        Expression: `SUM(SEARCH('${search}', 'Sum', ${PERIOD_SECONDS}))`,
        Period: PERIOD_SECONDS,
      },
    ];
  }

  private allInvocations(id: string): MetricDataQuery {
    return sumOf(id, 'AWS/Lambda', 'Invocations', { FunctionName: this.target.functionName });
  }

  private byVersion(id: string, metric: string, version: string): MetricDataQuery {
    const { functionName, alias } = this.target;
    return sumOf(id, 'AWS/Lambda', metric, {
      FunctionName: functionName,
      Resource: `${functionName}:${alias}`,
      ExecutedVersion: version,
    });
  }

  private async sums(queries: MetricDataQuery[], start: Date, end: Date): Promise<Map<string, number>> {
    const totals = new Map<string, number>(queries.map((query) => [query.Id ?? '', 0]));
    const pages = paginateGetMetricData(
      { client: this.client },
      { MetricDataQueries: queries, StartTime: start, EndTime: end },
    );
    for await (const page of pages) {
      for (const result of page.MetricDataResults ?? []) {
        const id = result.Id ?? '';
        const sum = (result.Values ?? []).reduce((total, value) => total + value, 0);
        totals.set(id, (totals.get(id) ?? 0) + sum);
      }
    }
    return totals;
  }

  private get judgesServerErrors(): boolean {
    return this.target.answers === 'server-errors';
  }

  /** The fail-mode rate in a window before the canary; undefined when the function emits no metrics. */
  async baseline(start: Date, end: Date): Promise<FailBaseline | undefined> {
    if (this.target.namespace === undefined) return undefined;
    if (this.judgesServerErrors) {
      const sums = await this.sums(
        [this.allInvocations('all'), ...this.serverErrors('serverErrors')],
        start,
        end,
      );
      return { invocations: sums.get('all') ?? 0, failAnswers: serverErrorsOf(sums, 'serverErrors') };
    }
    const sums = await this.sums([this.allInvocations('all'), this.okAnswers('ok')], start, end);
    return { invocations: sums.get('all') ?? 0, okAnswers: sums.get('ok') ?? 0 };
  }

  async counts(start: Date, end: Date): Promise<CanaryCounts> {
    const { newVersion, oldVersion } = this.target;
    const queries = [
      this.byVersion('newInvocations', 'Invocations', newVersion),
      this.byVersion('newErrors', 'Errors', newVersion),
      this.byVersion('newThrottles', 'Throttles', newVersion),
      this.byVersion('oldInvocations', 'Invocations', oldVersion),
      this.byVersion('oldErrors', 'Errors', oldVersion),
      this.byVersion('oldThrottles', 'Throttles', oldVersion),
      this.allInvocations('allInvocations'),
      ...(this.target.namespace === undefined
        ? []
        : this.judgesServerErrors
          ? this.serverErrors('serverErrors')
          : [this.okAnswers('okAnswers')]),
    ];
    const sums = await this.sums(queries, start, end);
    const at = (id: string) => sums.get(id) ?? 0;
    return {
      newInvocations: at('newInvocations'),
      newErrors: at('newErrors'),
      newThrottles: at('newThrottles'),
      oldInvocations: at('oldInvocations'),
      oldErrors: at('oldErrors'),
      oldThrottles: at('oldThrottles'),
      allInvocations: at('allInvocations'),
      okAnswers: at('okAnswers'),
      ...(this.target.namespace !== undefined && this.judgesServerErrors
        ? { failAnswers: serverErrorsOf(sums, 'serverErrors') }
        : {}),
    };
  }
}

/** The larger of the named outcomes' sum and the SEARCH's: each counts the same 5xx answers. */
function serverErrorsOf(sums: ReadonlyMap<string, number>, id: string): number {
  const named = SERVER_ERROR_OUTCOMES.reduce(
    (total, outcome) => total + (sums.get(`${id}_${outcome}`) ?? 0),
    0,
  );
  return Math.max(named, sums.get(`${id}Searched`) ?? 0);
}

const ZERO_COUNTS: CanaryCounts = {
  newInvocations: 0,
  newErrors: 0,
  newThrottles: 0,
  oldInvocations: 0,
  oldErrors: 0,
  oldThrottles: 0,
  allInvocations: 0,
  okAnswers: 0,
};

const MINUTE_MS = 60_000;
const floorMinute = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
const ceilMinute = (ms: number) => Math.ceil(ms / MINUTE_MS) * MINUTE_MS;

export interface BakeOptions {
  readonly bakeMs: number;
  /** Time between checks (default a minute: Lambda metrics come by the minute). */
  readonly checkEveryMs: number;
  /** How long metrics take to arrive: windows end this long before now, the last check waits for it. */
  readonly settleMs: number;
  readonly rule: CanaryRule;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  readonly log: (line: string) => void;
}

export interface BakeOutcome extends Verdict {
  readonly checks: number;
  /** The counts the verdict was drawn from. */
  readonly counts: CanaryCounts;
}

/**
 * Watches the canary from `startedAt` for the bake, plus the settle time so that the bake's last
 * minutes are counted too. Returns at the first check that says roll back, or with the last
 * verdict. The number of checks is bounded by the bake and the interval.
 */
export async function watchCanary(
  metrics: CanaryMetrics,
  baseline: FailBaseline | undefined,
  startedAt: number,
  options: BakeOptions,
): Promise<BakeOutcome> {
  const { clock, log } = options;
  const versions = metrics.target;
  const endsAt = startedAt + options.bakeMs + options.settleMs;
  const interval = Math.max(1, options.checkEveryMs);
  const maxChecks = Math.ceil((options.bakeMs + options.settleMs) / interval) + 1;
  // Whole minutes inside the canary: the minute it started in also holds calls from before.
  const windowStart = new Date(ceilMinute(startedAt));
  let counts = ZERO_COUNTS;
  let verdict: Verdict = judgeCanary(counts, baseline, options.rule, versions);
  let checks = 0;
  while (checks < maxChecks) {
    const now = clock.now();
    if (now >= endsAt) break;
    await clock.sleep(Math.min(interval, endsAt - now), options.signal);
    checks += 1;
    const windowEnd = floorMinute(Math.min(clock.now(), endsAt) - options.settleMs);
    if (windowEnd <= windowStart.getTime()) {
      log(`  check ${checks}: no complete minute of metrics yet`);
      continue;
    }
    counts = await metrics.counts(windowStart, new Date(windowEnd));
    verdict = judgeCanary(counts, baseline, options.rule, versions);
    log(`  check ${checks}: ${verdict.summary}`);
    if (verdict.rollback) break;
  }
  return { ...verdict, checks, counts };
}

/** The window a canary compares with: `lengthMs` ending `settleMs` before `before`, in whole minutes. */
export function baselineWindow(
  before: number,
  lengthMs: number,
  settleMs: number,
): { start: Date; end: Date } {
  const end = floorMinute(before - settleMs);
  return { start: new Date(end - lengthMs), end: new Date(end) };
}
