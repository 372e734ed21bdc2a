import {
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  Duration,
  type aws_lambda as lambda,
  type aws_sns as sns,
  type aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { DeployableFunctionName, FunctionName } from './functions.js';
import {
  AGGREGATE_FLUSH_FAILED,
  BLOCK,
  CHALLENGE,
  DEAD_LETTERED,
  DIMENSIONS,
  EDGE_OUTCOMES,
  FAIL_OPEN,
  FAILED,
  INVOCATIONS,
  OUTCOMES,
  POLICY_DIMENSION,
  REQUESTS,
  SURGE_ENDED,
  SURGE_STARTED,
} from './metrics.js';

const PERIOD = Duration.minutes(5);

export interface FlowguardAlarmsProps {
  readonly topic: sns.ITopic;
  /** Alarm names start with this (the topic's key policy trusts alarms by this prefix). */
  readonly namePrefix: string;
  readonly namespace: string;
  /** The `live` alias of each deployed function. */
  readonly aliases: ReadonlyMap<FunctionName, lambda.Alias>;
  /** forward-contact-records and forward-recordings, when deployed. */
  readonly streamFunctions?: ReadonlyMap<string, lambda.IFunction>;
  /** Their event source mappings' on-failure queue. */
  readonly failedBatchQueue?: sqs.IQueue;
  /** The Invoke block time limit (seconds) each function answers within. */
  readonly flowTimeLimits: ReadonlyMap<FunctionName, number>;
  /** BLOCK answers in five minutes above which screening alarms (default 100). */
  readonly blockSpikeThreshold?: number;
  /** Percent of secure-input / encrypt-input calls failing on keys or tokens (default 5). */
  readonly failureRatePercent?: number;
  /** start-contact's `live` alias, with the `edge` prop. */
  readonly startContact?: lambda.Alias;
  /** start-contact's own time budget (ms; default the registry's 2500): its p99 alarms at 80% of it. */
  readonly startContactBudgetMs?: number;
  /** Percent of start-contact requests answered 502/503 above which it alarms (default 5). */
  readonly unavailableRatePercent?: number;
  /** start-contact 429 and 403 answers in five minutes above which it alarms (default 100). */
  readonly refusedSpikeThreshold?: number;
  /** Failed aggregate flushes in five minutes at which screening alarms (default 5). */
  readonly aggregateFlushFailures?: number;
  /** Minutes without a surge starting before the surge alarm is OK again (default 15). */
  readonly surgeQuietMinutes?: number;
  /** Percent of challenge verifies passing below which it alarms (default 50). */
  readonly challengePassRatePercent?: number;
  /** Verifies in five minutes below which the pass rate is not judged (default 20). */
  readonly challengeMinimumVerifies?: number;
}

/**
 * The alarms, each on a metric the functions or Lambda write: errors, throttles and p99 duration
 * per alias; the functions' own outcome counts (EMF, dimensions function and outcome) for what
 * `flowHandler` answers without throwing: a fail-open screening answer, key and token failures,
 * an internal error.
 */
export class FlowguardAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: cloudwatch.IAlarmAction;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: FlowguardAlarmsProps,
  ) {
    super(scope, id);
    this.action = new cloudwatchActions.SnsAction(props.topic);
    for (const [name, alias] of props.aliases) this.functionAlarms(name, alias);
    const screen = props.aliases.get('screen-caller');
    if (screen) this.screeningAlarms();
    const secure = props.aliases.get('secure-input');
    if (secure) {
      this.rateAlarm('secure-input', secure, 'key-failures', {
        outcomes: [OUTCOMES.keyUnavailable, OUTCOMES.decryptFailed, OUTCOMES.unknownKey],
        description:
          'secure-input cannot decrypt: the Connect keys secret is unreadable or empty, holds no key for the id the flow encrypts with, or the key does not match (callers cannot complete secure input)',
      });
      this.rateAlarm('secure-input', secure, 'token-failures', {
        outcomes: [OUTCOMES.tokenFailed],
        description:
          'secure-input cannot make tokens: the token KMS key is unusable (access, state, throttling)',
      });
    }
    for (const [name, fn] of props.streamFunctions ?? []) this.streamAlarms(name, fn);
    if (props.failedBatchQueue) {
      this.alarm('forwarding-failed-batches', {
        alarmDescription:
          'flowguard forwarding: a contact-record batch ran out of retries and was skipped (its shard and sequence range are in the failed-batch queue): replay it from the stream',
        metric: props.failedBatchQueue.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: 'Maximum',
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
    if (props.startContact) this.edgeAlarms(props.startContact);
    if (props.aliases.get('challenge')) this.challengeAlarms();
    const encrypt = props.aliases.get('encrypt-input');
    if (encrypt) {
      this.rateAlarm('encrypt-input', encrypt, 'token-failures', {
        outcomes: [OUTCOMES.tokenFailed],
        description:
          'encrypt-input cannot make tokens: the token KMS key is unusable (access, state, throttling)',
      });
    }
  }

  /** A count the functions write: `name` under dimensions function and outcome. */
  emf(metricName: string, fn: DeployableFunctionName, outcome: string, statistic = 'Sum'): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.props.namespace,
      metricName,
      dimensionsMap: { [DIMENSIONS.function]: fn, [DIMENSIONS.outcome]: outcome },
      statistic,
      period: PERIOD,
    });
  }

  private alarm(id: string, props: Omit<cloudwatch.AlarmProps, 'alarmName'>): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.props.namePrefix}${id}`,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  private functionAlarms(name: FunctionName, alias: lambda.Alias): void {
    this.alarm(`${name}-errors`, {
      alarmDescription: `flowguard ${name}: Lambda errors (init failure, crash, timeout): the flow took its Error branch`,
      metric: alias.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.alarm(`${name}-throttles`, {
      alarmDescription: `flowguard ${name}: throttled (reserved concurrency or account limit reached): the flow took its Error branch`,
      metric: alias.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const limitSeconds = this.props.flowTimeLimits.get(name) ?? 3;
    // Four fifths of the flow's limit: answers this slow are close to arriving after the flow gave up.
    const thresholdMs = Math.round(limitSeconds * 1000 * 0.8);
    this.alarm(`${name}-latency-p99`, {
      alarmDescription: `flowguard ${name}: p99 duration above ${thresholdMs} ms, 80% of the flow's ${limitSeconds} s Invoke time limit`,
      metric: alias.metricDuration({ period: PERIOD, statistic: 'p99' }),
      threshold: thresholdMs,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.alarm(`${name}-internal`, {
      alarmDescription: `flowguard ${name}: answered its fail mode after an unexpected error (a defect; the Lambda itself did not fail)`,
      metric: this.emf(INVOCATIONS, name, OUTCOMES.internal),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }

  /**
   * A stream function: records not delivered after retries (`Failed`, per policy), dead letters
   * (`DeadLettered`, per invocation and per policy), Lambda errors (no policy or key: the whole
   * batch comes again) and the age of the oldest record the mapping has yet to hand it.
   */
  private streamAlarms(name: string, fn: lambda.IFunction): void {
    const once = (id: string, description: string, metric: cloudwatch.IMetric) =>
      this.alarmOnOne(name, id, description, metric);
    const byPolicy = (metric: string) =>
      new cloudwatch.MathExpression({
        expression: `SELECT SUM(${metric}) FROM SCHEMA("${this.props.namespace}", "${DIMENSIONS.function}", "${POLICY_DIMENSION}") WHERE "${DIMENSIONS.function}" = '${name}'`,
        usingMetrics: {},
        period: PERIOD,
        label: `${name} ${metric}, all policies`,
      });
    once(
      'failed',
      'records (or recording copies) not delivered after retries: the shard is held at the first of them until they go',
      byPolicy(FAILED),
    );
    once(
      'dead-lettered',
      'records that could not be read were written to the dead-letter bucket',
      new cloudwatch.Metric({
        namespace: this.props.namespace,
        metricName: DEAD_LETTERED,
        dimensionsMap: { [DIMENSIONS.function]: name },
        statistic: 'Sum',
        period: PERIOD,
      }),
    );
    once(
      'dead-lettered-by-policy',
      'records a destination refused or that were too large (or recordings not found) were written to the dead-letter bucket',
      byPolicy(DEAD_LETTERED),
    );
    once(
      'errors',
      'Lambda errors (init failure, no policy or fingerprint key, timeout): the whole batch comes again',
      fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
    );
    this.alarm(`${name}-iterator-age`, {
      alarmDescription: `flowguard ${name}: the oldest contact record not yet handled is over 5 minutes old for 15 minutes (held by failures, throttled, or too slow): records expire with the stream's retention`,
      metric: fn.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum' }),
      threshold: 5 * 60 * 1000,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
  }

  /** A screen-caller count summed over every outcome (a Metrics Insights query). */
  private screenCallerSum(metric: string, period: Duration = PERIOD): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: `SELECT SUM(${metric}) FROM SCHEMA("${this.props.namespace}", "${DIMENSIONS.function}", "${DIMENSIONS.outcome}") WHERE "${DIMENSIONS.function}" = 'screen-caller'`,
      usingMetrics: {},
      period,
      label: `screen-caller ${metric}, all outcomes`,
    });
  }

  /** `<name>-<id>`: fires on one or more in a period (`flowguard <name>: <description>`). */
  private alarmOnOne(name: string, id: string, description: string, metric: cloudwatch.IMetric) {
    return this.alarm(`${name}-${id}`, {
      alarmDescription: `flowguard ${name}: ${description}`,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }

  private screeningAlarms(): void {
    // One count across every outcome (store_unavailable, timeout, bad_parameter, internal...):
    // a Metrics Insights query sums the FailOpen metric over the outcome dimension.
    const failOpen = this.screenCallerSum(FAIL_OPEN);
    this.alarm('screen-caller-fail-open', {
      alarmDescription:
        'flowguard screen-caller answered ALLOW without screening (store down or slow, timeout, bad parameter, defect): callers are not screened',
      metric: failOpen,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.alarm('screen-caller-block-spike', {
      alarmDescription:
        'flowguard screen-caller: far more BLOCK answers than usual (an attack, or a bad rule)',
      metric: this.emf(BLOCK, 'screen-caller', OUTCOMES.ok),
      threshold: this.props.blockSpikeThreshold ?? 100,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    // A surge started (any outcome: the decision that flushed may still have timed out). The OK
    // action tells the topic once no surge has started for the quiet minutes: not that a surge
    // ended (SurgeEnded and `flowguard surge status` say that).
    const quiet = this.props.surgeQuietMinutes ?? 15;
    const surge = this.alarm('screen-caller-surge-started', {
      alarmDescription: `flowguard screen-caller: a surge started (a scope's calls reached its FLOWGUARD_SURGE_THRESHOLDS count): unverified voice callers in it are answered CHALLENGE. OK again once no surge has started for ${quiet} minutes (not when the surge ends: screen-caller-surge-ended says that). A manual surge ('flowguard surge on') counts too, once`,
      metric: this.screenCallerSum(SURGE_STARTED, Duration.minutes(1)),
      threshold: 1,
      evaluationPeriods: quiet,
      datapointsToAlarm: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    surge.addOkAction(this.action);
    // A surge ended (its rate stayed under the lower threshold for the hold, or a manual surge ran
    // out or was lifted): the topic hears the end as it heard the start.
    this.alarmOnOne(
      'screen-caller',
      'surge-ended',
      "a surge ended (its scope's rate stayed under FLOWGUARD_SURGE_OFF_PERCENT of its threshold for FLOWGUARD_SURGE_HOLD, or a manual surge ran out or was lifted): callers are no longer challenged in that scope",
      this.screenCallerSum(SURGE_ENDED, Duration.minutes(1)),
    );
    this.alarm('screen-caller-aggregate-flush-failed', {
      alarmDescription:
        'flowguard screen-caller: the store did not take the aggregate counts (down, slow or throttled on the aggregate items): surges go undetected, and a manual surge or the end of one is not seen',
      metric: this.screenCallerSum(AGGREGATE_FLUSH_FAILED),
      threshold: this.props.aggregateFlushFailures ?? 5,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }

  /**
   * start-contact: Lambda errors, throttles and p99 duration on its alias like the flow functions;
   * from its own `Requests` counts (dimensions function and outcome), the share answered 502/503
   * and a spike of 429 and 403 answers.
   */
  private edgeAlarms(alias: lambda.Alias): void {
    const name = 'start-contact';
    const once = (id: string, description: string, metric: cloudwatch.IMetric) =>
      this.alarmOnOne(name, id, description, metric);
    once(
      'errors',
      'Lambda errors (init failure: a bad variable, a crash, a timeout): the website got API Gateway’s or the Function URL’s own 5xx',
      alias.metricErrors({ period: PERIOD, statistic: 'Sum' }),
    );
    once(
      'throttles',
      'throttled (reserved concurrency or account limit reached): websites are answered 429 or 503 before screening',
      alias.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
    );
    const budgetMs = this.props.startContactBudgetMs ?? 2500;
    const thresholdMs = Math.round(budgetMs * 0.8);
    this.alarm(`${name}-latency-p99`, {
      alarmDescription: `flowguard ${name}: p99 duration above ${thresholdMs} ms, 80% of its ${budgetMs} ms budget (past it, requests are answered 503)`,
      metric: alias.metricDuration({ period: PERIOD, statistic: 'p99' }),
      threshold: thresholdMs,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const sumOf = (outcomes: readonly string[], prefix: string) => {
      const usingMetrics: Record<string, cloudwatch.IMetric> = {};
      outcomes.forEach((outcome, i) => {
        usingMetrics[`${prefix}${i}`] = this.emf(REQUESTS, name, outcome);
      });
      return { usingMetrics, sum: outcomes.map((_, i) => `FILL(${prefix}${i}, 0)`).join(' + ') };
    };
    const unavailable = sumOf(EDGE_OUTCOMES.unavailable, 'failed');
    const percent = this.props.unavailableRatePercent ?? 5;
    this.alarm(`${name}-5xx`, {
      alarmDescription: `flowguard ${name}: ${percent}% or more of requests answered 502 or 503 (${EDGE_OUTCOMES.unavailable.join(' / ')}): Connect refusing or throttling, the store down with fail mode closed, the signing or token keys unreadable, the budget running out, or a defect`,
      metric: new cloudwatch.MathExpression({
        expression: `100 * (${unavailable.sum}) / calls`,
        usingMetrics: {
          calls: alias.metricInvocations({ period: PERIOD, statistic: 'Sum' }),
          ...unavailable.usingMetrics,
        },
        period: PERIOD,
        label: `${name} 502/503 (% of requests)`,
      }),
      threshold: percent,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const refused = sumOf(EDGE_OUTCOMES.refused, 'refused');
    this.alarm(`${name}-refused-spike`, {
      alarmDescription: `flowguard ${name}: far more 429 and 403 answers than usual (${EDGE_OUTCOMES.refused.join(' / ')}): a flood, a blocked caller retrying, a bad rule, or a website whose origin is not allowed`,
      metric: new cloudwatch.MathExpression({
        expression: refused.sum,
        usingMetrics: refused.usingMetrics,
        period: PERIOD,
        label: `${name} 429 and 403 answers`,
      }),
      threshold: this.props.refusedSpikeThreshold ?? 100,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }

  /**
   * challenge, besides the alarms every function has: its key unreadable, its store down (single
   * use unchecked, a pass not recorded), tokens forged or replayed, a misconfigured flow or stack,
   * and the pass rate falling. Wrong and missing answers alone are not alarmed: bots fail the
   * challenge, which is what it is for; the pass rate says when too few pass.
   */
  private challengeAlarms(): void {
    const name = 'challenge';
    const storeDown = [OUTCOMES.storeUnavailable, OUTCOMES.timeout] as const;
    /** A sum of counts, each a metric name under one outcome, missing data as 0. */
    const sum = (counts: readonly (readonly [string, string])[], prefix: string) => {
      const usingMetrics: Record<string, cloudwatch.IMetric> = {};
      counts.forEach(([metric, outcome], i) => {
        usingMetrics[`${prefix}${i}`] = this.emf(metric, name, outcome);
      });
      return { usingMetrics, sum: counts.map((_, i) => `FILL(${prefix}${i}, 0)`).join(' + ') };
    };
    const once = (id: string, description: string, counts: readonly (readonly [string, string])[]) => {
      const { usingMetrics, sum: expression } = sum(counts, 'm');
      const [first] = counts;
      this.alarm(`${name}-${id}`, {
        alarmDescription: `flowguard ${name}: ${description}`,
        metric:
          counts.length === 1 && first
            ? this.emf(first[0], name, first[1])
            : new cloudwatch.MathExpression({
                expression,
                usingMetrics,
                period: PERIOD,
                label: `${name} ${id}`,
              }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    };
    once(
      'key-unavailable',
      'its secret could not be read (Secrets Manager or its KMS key refused, the secret deleted, or not base64 of at least 32 bytes): with FLOWGUARD_CHALLENGE_FAIL_MODE=open (the default) callers pass unchallenged, with closed every challenged caller is hung up on',
      [[INVOCATIONS, OUTCOMES.keyUnavailable]],
    );
    once(
      'unclaimed',
      'the store could not claim a token (down or slow): with fail mode open the digits still decided, but single use went unchecked (a token could be answered again) and nothing was recorded',
      storeDown.map((outcome) => [CHALLENGE.unclaimed, outcome] as const),
    );
    once(
      'unmarked',
      'a caller passed but the store could not record it (down or slow): that caller is challenged again next time',
      storeDown.map((outcome) => [CHALLENGE.unmarked, outcome] as const),
    );
    once(
      'forged-tokens',
      'a token that is not one this stack issued for the contact (bad_token), or one already answered with other keys (replayed): the flow cannot produce these, so someone is writing tokens or answers into contacts (or the flow passes the wrong attribute)',
      [
        [CHALLENGE.reason('bad_token'), OUTCOMES.ok],
        [CHALLENGE.reason('replayed'), OUTCOMES.ok],
      ],
    );
    once(
      'misconfigured',
      'answered not_configured or bad_parameter (no secret variable, a flow passing a wrong action or length): every challenged caller is hung up on',
      [
        [INVOCATIONS, OUTCOMES.notConfigured],
        [INVOCATIONS, OUTCOMES.badParameter],
      ],
    );
    // Verifies and passes, whatever the store did (a pass or wrong answer then has its outcome).
    const everyOutcome = [OUTCOMES.ok, ...storeDown];
    const passed = sum(
      everyOutcome.map((outcome) => [CHALLENGE.reason('ok'), outcome] as const),
      'passed',
    );
    const failed = sum(
      [
        ...everyOutcome.map((outcome) => [CHALLENGE.reason('wrong_input'), outcome] as const),
        [CHALLENGE.reason('no_input'), OUTCOMES.ok],
        [CHALLENGE.reason('expired'), OUTCOMES.ok],
      ],
      'failed',
    );
    const percent = this.props.challengePassRatePercent ?? 50;
    const minimum = this.props.challengeMinimumVerifies ?? 20;
    const verifies = `(${passed.sum} + ${failed.sum})`;
    this.alarm(`${name}-pass-rate`, {
      alarmDescription: `flowguard ${name}: under ${percent}% of verifies pass (with at least ${minimum} in five minutes), in 2 of 3 periods: bots failing it (an attack the challenge is holding off: see the wrong_input and no_input counts and screen-caller's blocks) or people failing it (the prompt not speaking the digits, the input block misconfigured): listen to a failing contact`,
      metric: new cloudwatch.MathExpression({
        // Too few verifies to judge: 100 (not breaching).
        expression: `IF(${verifies} >= ${minimum}, 100 * (${passed.sum}) / ${verifies}, 100)`,
        usingMetrics: { ...passed.usingMetrics, ...failed.usingMetrics },
        period: PERIOD,
        label: `${name} verifies passed (%)`,
      }),
      threshold: percent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    });
  }

  /** Percent of the alias's invocations that ended in one of `outcomes`. */
  private rateAlarm(
    name: FunctionName,
    alias: lambda.Alias,
    what: string,
    options: { outcomes: readonly string[]; description: string },
  ): void {
    const usingMetrics: Record<string, cloudwatch.IMetric> = {
      calls: alias.metricInvocations({ period: PERIOD, statistic: 'Sum' }),
    };
    options.outcomes.forEach((outcome, i) => {
      usingMetrics[`failed${i}`] = this.emf(INVOCATIONS, name, outcome);
    });
    const failed = options.outcomes.map((_, i) => `FILL(failed${i}, 0)`).join(' + ');
    const percent = this.props.failureRatePercent ?? 5;
    this.alarm(`${name}-${what}`, {
      alarmDescription: `flowguard ${name}: ${percent}% or more of calls end in ${options.outcomes.join(' / ')}. ${options.description}`,
      metric: new cloudwatch.MathExpression({
        expression: `100 * (${failed}) / calls`,
        usingMetrics,
        period: PERIOD,
        label: `${name} ${what} (% of calls)`,
      }),
      threshold: percent,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }
}
