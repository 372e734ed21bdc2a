import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataInput,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import {
  type AliasConfiguration,
  type FunctionConfiguration,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { readScreeningConfig, screeningDynamoClient } from '@flowguard/caller-screening';
import { edgeConnectClient, startContactFromEnv } from '@flowguard/edge';
import {
  type ForwardingClients,
  forwardContactRecords,
  forwardRecordings,
  type KinesisBatchHandler,
  readForwardingConfig,
  readRecordingsForwardingConfig,
} from '@flowguard/forwarding';
import { STREAM_FUNCTION_NAMES, type StreamFunctionName } from '@flowguard/functions/registry';
import { bundleFunction } from '@flowguard/scripts/bundle';
import {
  type CanaryCounts,
  DEFAULT_CANARY_RULE,
  judgeCanary,
  SERVER_ERROR_OUTCOMES,
} from '@flowguard/scripts/canary';
import {
  CanaryRolledBackError,
  DeployError,
  type DeployOptions,
  deployFunction,
  rollbackFunction,
} from '@flowguard/scripts/deploy';
import { parseDeployCommand } from '@flowguard/scripts/deploy-command';
import {
  EVENTS_DIR,
  HTTP_SMOKE_EVENTS,
  SMOKE_ORIGIN,
  type SmokeSpec,
  STREAM_SMOKE_EVENT,
} from '@flowguard/scripts/smoke';
import { fingerprintKeysOf } from '@flowguard/secure-input';
import { countRequests } from '@flowguard/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const handlersDir = join(import.meta.dirname, 'fixtures/handlers');
const lambda = mockClient(LambdaClient);
const cloudWatch = mockClient(CloudWatchClient);
const clients = {
  lambda: new LambdaClient({ region: 'us-east-1' }),
  cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
};
const sdkError = (name: string) => Object.assign(new Error(`${name} from the service`), { name });
/** The error a deploy rejected with, or undefined when it resolved. */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as DeployError,
  );
/** The events the deploy sent the new version (its smoke test). */
const invokedEvents = () =>
  lambda
    .commandCalls(InvokeCommand)
    .map((call) => JSON.parse(new TextDecoder().decode(call.args[0].input.Payload as Uint8Array)) as unknown);
const CALLER = '+14155550123';

type Handler = (event: unknown) => Promise<Record<string, string>>;
type Answer = (event: unknown) => Promise<{ payload: unknown; functionError?: string }>;

/** The fixture function's contract, checked with the real recorded events. */
const echoSmoke: SmokeSpec = {
  outputs: ['caller', 'channel'],
  required: ['caller', 'channel'],
  cases: [
    {
      event: 'voice-inbound',
      expect: { channel: ['VOICE'] },
      nonEmpty: ['caller'],
      proves: 'a voice caller is echoed',
    },
    { event: 'chat', expect: { channel: ['CHAT'] }, proves: 'a chat is echoed' },
  ],
};

/**
 * One Lambda function as the Lambda API shows it: `$LATEST`, published versions and the `live`
 * alias, changed by the calls the deploy makes. Every call goes through aws-sdk-client-mock.
 */
class FakeFunction {
  latest: FunctionConfiguration = {
    Version: '$LATEST',
    CodeSha256: 'stack-code',
    LastUpdateStatus: 'Successful',
  };
  readonly versions = new Map<string, FunctionConfiguration>([
    ['1', { Version: '1', CodeSha256: 'stack-code' }],
  ]);
  alias: AliasConfiguration = { Name: 'live', FunctionVersion: '1', RevisionId: 'rev-1', Description: '' };
  /** Checks that still show an upload in progress. */
  inProgressChecks = 1;
  private revision = 1;
  private readonly failures = new Map<string, string>();

  /** What a published version's configuration holds besides `$LATEST`'s (default: nothing else). */
  published: (config: FunctionConfiguration) => FunctionConfiguration = (config) => config;

  constructor(private answer: Answer) {}

  failOnce(command: string, errorName: string): void {
    this.failures.set(command, errorName);
  }

  answerWith(answer: Answer): void {
    this.answer = answer;
  }

  private fail(command: string): void {
    const name = this.failures.get(command);
    if (name === undefined) return;
    this.failures.delete(command);
    throw sdkError(name);
  }

  private version(qualifier: string): FunctionConfiguration {
    const found = this.versions.get(qualifier);
    if (!found) throw sdkError('ResourceNotFoundException');
    return { ...found };
  }

  install(): void {
    lambda.on(GetFunctionConfigurationCommand).callsFake(async (input) => {
      this.fail('GetFunctionConfiguration');
      if (input.Qualifier && input.Qualifier !== '$LATEST') return this.version(input.Qualifier);
      if (this.latest.LastUpdateStatus === 'InProgress' && this.inProgressChecks-- <= 0) {
        this.latest = { ...this.latest, LastUpdateStatus: 'Successful' };
      }
      return { ...this.latest };
    });
    lambda.on(GetAliasCommand).callsFake(async () => {
      this.fail('GetAlias');
      return { ...this.alias };
    });
    lambda.on(ListVersionsByFunctionCommand).callsFake(async () => {
      this.fail('ListVersionsByFunction');
      return { Versions: [{ ...this.latest }, ...[...this.versions.values()].map((v) => ({ ...v }))] };
    });
    lambda.on(UpdateFunctionCodeCommand).callsFake(async (input) => {
      this.fail('UpdateFunctionCode');
      const sha = createHash('sha256')
        .update(input.ZipFile ?? new Uint8Array())
        .digest('base64');
      this.latest = { ...this.latest, CodeSha256: sha, LastUpdateStatus: 'InProgress' };
      return { ...this.latest };
    });
    lambda.on(PublishVersionCommand).callsFake(async (input) => {
      this.fail('PublishVersion');
      if (input.CodeSha256 !== this.latest.CodeSha256) throw sdkError('PreconditionFailedException');
      const numbers = [...this.versions.keys()].map(Number);
      const newest = this.versions.get(String(Math.max(...numbers)));
      // Lambda publishes nothing new when nothing changed since the last version.
      const settings = (config: FunctionConfiguration) =>
        JSON.stringify({ ...config, Version: undefined, LastUpdateStatus: undefined });
      if (newest && settings(newest) === settings(this.latest)) return { ...newest };
      const version = String(Math.max(...numbers) + 1);
      this.versions.set(
        version,
        this.published({ ...this.latest, Version: version, LastUpdateStatus: undefined }),
      );
      return this.version(version);
    });
    lambda.on(UpdateAliasCommand).callsFake(async (input) => {
      this.fail('UpdateAlias');
      if (input.RevisionId && input.RevisionId !== this.alias.RevisionId) {
        throw sdkError('PreconditionFailedException');
      }
      this.version(input.FunctionVersion ?? '');
      const weights = input.RoutingConfig?.AdditionalVersionWeights ?? {};
      this.alias = {
        ...this.alias,
        FunctionVersion: input.FunctionVersion,
        RoutingConfig: Object.keys(weights).length > 0 ? { AdditionalVersionWeights: weights } : undefined,
        Description: input.Description ?? this.alias.Description,
        RevisionId: `rev-${++this.revision}`,
      };
      return { ...this.alias };
    });
    lambda.on(InvokeCommand).callsFake(async (input) => {
      this.fail('Invoke');
      this.version(input.Qualifier ?? '');
      const event: unknown = JSON.parse(new TextDecoder().decode(input.Payload));
      const { payload, functionError } = await this.answer(event);
      return {
        StatusCode: 200,
        ExecutedVersion: input.Qualifier,
        FunctionError: functionError,
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      };
    });
  }
}

/** A clock whose sleeps pass at once; `onSleep` runs before each. */
function fakeClock(start = Date.parse('2026-12-01T10:00:20Z')) {
  const clock = {
    time: start,
    sleeps: 0,
    onSleep: (() => {}) as () => void,
    now: () => clock.time,
    sleep: async (ms: number, signal?: AbortSignal) => {
      clock.onSleep();
      if (signal?.aborted)
        throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
      clock.time += ms;
      clock.sleeps += 1;
    },
  };
  return clock;
}

/** Answers GetMetricData: the baseline (`all`, `ok`) and each check's counts, by query id. */
function metrics(baseline: { all: number; ok: number }, bake: Partial<CanaryCounts>) {
  cloudWatch.on(GetMetricDataCommand).callsFake(async (input: GetMetricDataInput) => {
    const values: Record<string, number> = { ...baseline, ...bake };
    return {
      MetricDataResults: (input.MetricDataQueries ?? []).map((query) => ({
        Id: query.Id,
        // Spread over two minutes, as CloudWatch returns one value per period.
        Values: [(values[query.Id ?? ''] ?? 0) / 2, (values[query.Id ?? ''] ?? 0) / 2],
      })),
    };
  });
}

/**
 * CloudWatch as it holds a function's metrics: each series named by namespace, metric and
 * dimensions (`Flowguard ServerError function=start-contact outcome=connect_error`), one sum for
 * the window before the canary and one for the bake. A query reads the series it names exactly;
 * a SEARCH reads every series of its namespace, metric and function (`searchable: false` plays one
 * CloudWatch has not listed yet).
 */
interface Series {
  readonly name: string;
  readonly before?: number;
  readonly bake?: number;
  readonly searchable?: boolean;
}
function cloudWatchHolding(series: readonly Series[]) {
  let reads = 0;
  const nameOf = (query: MetricDataQuery) => {
    const metric = query.MetricStat?.Metric;
    const dims = (metric?.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`);
    return [metric?.Namespace, metric?.MetricName, ...dims].join(' ');
  };
  const searched = (expression: string) => {
    const found =
      /SEARCH\('\{"([^"]+)",function,outcome\} MetricName="(\w+)" function="([\w-]+)"', 'Sum', 60\)/.exec(
        expression,
      );
    if (!found) throw new Error(`not a search the fake knows: ${expression}`);
    const [, namespace, metric, name] = found;
    const prefix = `${namespace} ${metric} function=${name} outcome=`;
    return series.filter((s) => s.searchable !== false && s.name.startsWith(prefix));
  };
  cloudWatch.on(GetMetricDataCommand).callsFake(async (input: GetMetricDataInput) => {
    const phase = reads++ === 0 ? 'before' : 'bake';
    const value = (s: Series) => s[phase] ?? 0;
    return {
      MetricDataResults: (input.MetricDataQueries ?? []).map((query) => {
        const total = query.Expression
          ? searched(query.Expression).reduce((sum, s) => sum + value(s), 0)
          : series.filter((s) => s.name === nameOf(query)).reduce((sum, s) => sum + value(s), 0);
        return { Id: query.Id, Values: total > 0 ? [total / 2, total / 2] : [] };
      }),
    };
  });
}
/** AWS/Lambda's series of `flowguard-<name>` through live: calls of each version and of all. */
const lambdaSeries = (
  name: string,
  calls: { before: number; newCalls: number; oldCalls: number; newErrors?: number },
): Series[] => {
  const fn = `flowguard-${name}`;
  const byVersion = (metric: string, version: string, bake: number) => ({
    name: `AWS/Lambda ${metric} FunctionName=${fn} Resource=${fn}:live ExecutedVersion=${version}`,
    bake,
  });
  return [
    {
      name: `AWS/Lambda Invocations FunctionName=${fn}`,
      before: calls.before,
      bake: calls.newCalls + calls.oldCalls,
    },
    byVersion('Invocations', '2', calls.newCalls),
    byVersion('Invocations', '1', calls.oldCalls),
    byVersion('Errors', '2', calls.newErrors ?? 0),
  ];
};
const emfSeries = (name: string, metric: string, outcome: string, counts: Omit<Series, 'name'>): Series => ({
  name: `Flowguard ${metric} function=${name} outcome=${outcome}`,
  ...counts,
});

const calls = () => lambda.calls().map((call) => call.args[0].constructor.name.replace(/Command$/, ''));
const writes = () =>
  calls().filter((name) => ['UpdateFunctionCode', 'PublishVersion', 'UpdateAlias', 'Invoke'].includes(name));
const HEALTHY = {
  newInvocations: 10,
  oldInvocations: 90,
  allInvocations: 100,
  okAnswers: 99,
} satisfies Partial<CanaryCounts>;

describe('deployFunction', () => {
  let outDir: string;
  let codeSha256: string;
  let echo: Handler;
  let fn: FakeFunction;
  const log: string[] = [];
  const options = (extra: Partial<DeployOptions> = {}): DeployOptions => ({
    name: 'echo-caller',
    bundle: { handlersDir, outDir },
    smoke: echoSmoke,
    pollMs: 1,
    clock: fakeClock(),
    log: (line: string) => log.push(line),
    ...extra,
  });

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'flowguard-deploy-'));
    const bundle = await bundleFunction('echo-caller', { handlersDir, outDir: join(outDir, 'handler') });
    echo = ((await import(pathToFileURL(bundle.file).href)) as { handler: Handler }).handler;
    codeSha256 = (await deployFunction(undefined, { ...options(), dryRun: true })).codeSha256;
  });

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    lambda.reset();
    cloudWatch.reset();
    log.length = 0;
    // The new version runs the real bundled fixture.
    fn = new FakeFunction(async (event) => ({ payload: await echo(event) }));
    fn.install();
  });

  describe('a deploy', () => {
    it('uploads, waits, publishes a pinned version, smoke-tests it, then moves live to it', async () => {
      const result = await deployFunction(clients, options());

      expect(calls()).toEqual([
        'GetFunctionConfiguration',
        'GetAlias',
        'GetFunctionConfiguration',
        'ListVersionsByFunction',
        'UpdateFunctionCode',
        'GetFunctionConfiguration',
        'GetFunctionConfiguration',
        'PublishVersion',
        'Invoke',
        'Invoke',
        'UpdateAlias',
      ]);
      expect(result).toMatchObject({
        functionName: 'flowguard-echo-caller',
        action: 'deployed',
        version: '2',
        previousVersion: '1',
        alias: 'live',
      });
      expect(lambda.commandCalls(PublishVersionCommand)[0]?.args[0].input.CodeSha256).toBe(codeSha256);
      expect(lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input.Qualifier)).toEqual([
        '2',
        '2',
      ]);
      expect(fn.alias).toMatchObject({
        FunctionVersion: '2',
        Description: 'previous=1',
        RoutingConfig: undefined,
      });
      expect(lambda.commandCalls(UpdateAliasCommand)[0]?.args[0].input).toMatchObject({
        RevisionId: 'rev-1',
      });
    });

    it('keeps other text in the alias description and replaces an older previous=', async () => {
      fn.alias = { ...fn.alias, Description: 'flows invoke this previous=0' };

      await deployFunction(clients, options());

      expect(fn.alias.Description).toBe('flows invoke this previous=1');
    });

    it('changes nothing when live already runs this code', async () => {
      fn.latest = { ...fn.latest, CodeSha256: codeSha256 };
      fn.versions.set('2', { Version: '2', CodeSha256: codeSha256 });
      fn.alias = { ...fn.alias, FunctionVersion: '2' };

      const result = await deployFunction(clients, options());

      expect(result).toMatchObject({ action: 'unchanged', version: '2' });
      expect(writes()).toEqual([]);
      expect(log.join('\n')).toMatch(/already runs this code as live \(version 2\): nothing to deploy/);
    });

    it('is not unchanged when only $LATEST has the code: live still runs the old version', async () => {
      fn.latest = { ...fn.latest, CodeSha256: codeSha256 };

      const result = await deployFunction(clients, options());

      expect(result).toMatchObject({ action: 'deployed', version: '2' });
      expect(fn.alias.FunctionVersion).toBe('2');
    });

    it('resumes after a run that stopped after the upload: no second upload', async () => {
      fn.failOnce('PublishVersion', 'ServiceException');
      const first = await failure(deployFunction(clients, options()));
      expect(first?.message).toMatch(
        /ServiceException while trying to publish a version of flowguard-echo-caller/,
      );
      expect(fn.alias.FunctionVersion).toBe('1');

      const result = await deployFunction(clients, options());

      expect(result).toMatchObject({ action: 'deployed', version: '2' });
      expect(lambda.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(1);
      expect(log.join('\n')).toMatch(/resuming: \$LATEST already has this code/);
    });

    it('resumes after a run that stopped after publishing: the version is reused, nothing uploaded or published', async () => {
      fn.failOnce('UpdateAlias', 'ServiceException');
      await failure(deployFunction(clients, options()));
      lambda.resetHistory();

      const result = await deployFunction(clients, options());

      expect(result).toMatchObject({ action: 'deployed', version: '2', previousVersion: '1' });
      expect(writes()).toEqual(['Invoke', 'Invoke', 'UpdateAlias']);
      expect(log.join('\n')).toMatch(/resuming: version 2 already has this code and the current settings/);
    });

    it('publishes anew rather than reuse a version with this code but older settings', async () => {
      fn.latest = {
        ...fn.latest,
        CodeSha256: codeSha256,
        Environment: { Variables: { FLOWGUARD_LIMITS: '5/10m' } },
      };
      fn.versions.set('2', { Version: '2', CodeSha256: codeSha256, Environment: { Variables: {} } });

      const result = await deployFunction(clients, options());

      expect(result.version).toBe('3');
      expect(writes()).toEqual(['PublishVersion', 'Invoke', 'Invoke', 'UpdateAlias']);
    });

    it('publishes the current settings when live runs this code with older ones', async () => {
      fn.latest = { ...fn.latest, CodeSha256: codeSha256, MemorySize: 512 };
      fn.versions.set('2', { Version: '2', CodeSha256: codeSha256, MemorySize: 256 });
      fn.alias = { ...fn.alias, FunctionVersion: '2' };

      const result = await deployFunction(clients, options());

      expect(result).toMatchObject({ action: 'deployed', version: '3', previousVersion: '2' });
      expect(log.join('\n')).toMatch(/runs this code with older settings \(memory\)/);
    });

    it('clears the routing an unfinished canary left when live runs this code', async () => {
      fn.versions.set('2', { Version: '2', CodeSha256: codeSha256 });
      fn.versions.set('3', { Version: '3', CodeSha256: 'other' });
      fn.alias = {
        ...fn.alias,
        FunctionVersion: '2',
        RoutingConfig: { AdditionalVersionWeights: { '3': 0.1 } },
      };

      const result = await deployFunction(clients, options());

      expect(result.action).toBe('unchanged');
      expect(fn.alias).toMatchObject({ FunctionVersion: '2', RoutingConfig: undefined });
      expect(log.join('\n')).toMatch(/cleared the routing that still sent 10% to version 3/);
    });

    it('stops when Lambda reports the update failed, without publishing', async () => {
      lambda
        .on(GetFunctionConfigurationCommand, { FunctionName: 'flowguard-echo-caller', Qualifier: undefined })
        .resolvesOnce({ Version: '$LATEST', CodeSha256: 'stack-code', LastUpdateStatus: 'Successful' })
        .resolves({ LastUpdateStatus: 'Failed', LastUpdateStatusReasonCode: 'InvalidZipFileException' });

      await expect(deployFunction(clients, options())).rejects.toThrow(/InvalidZipFileException/);
      expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(0);
    });

    it('gives up waiting after a bounded number of checks', async () => {
      fn.inProgressChecks = 100;

      await expect(deployFunction(clients, options({ maxPolls: 3 }))).rejects.toThrow(
        /still updating after 3 checks: run again later to resume/,
      );
      // One read of the state, then the first check and three more.
      expect(lambda.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(2 + 4);
    });
  });

  describe('the smoke test', () => {
    it('leaves live where it was when an answer is wrong, naming the event and the fault, never the values', async () => {
      fn.answerWith(async (event) => {
        const channel = (event as { Details: { ContactData: { Channel: string } } }).Details.ContactData
          .Channel;
        return channel === 'CHAT'
          ? { payload: { errorType: 'TypeError', errorMessage: `bad ${CALLER}` }, functionError: 'Unhandled' }
          : { payload: { caller: CALLER, channel: 'VOICE', error: 'store_unavailable' } };
      });

      const error = await failure(deployFunction(clients, options()));

      expect(error).toBeInstanceOf(DeployError);
      expect(error?.exitCode).toBe(1);
      expect(error?.message).toMatch(/the smoke test of version 2 failed; live stays on version 1/);
      expect(error?.message).toMatch(
        /voice-inbound\.json: a fail-mode answer: error=store_unavailable \(the screening table/,
      );
      expect(error?.message).toMatch(/chat\.json: the function threw \(TypeError\) instead of answering/);
      expect(error?.message).not.toContain('4155550123');
      expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
      expect(fn.alias.FunctionVersion).toBe('1');
    });

    it('refuses an answer missing a declared key or carrying an undeclared one', async () => {
      fn.answerWith(async () => ({ payload: { caller: CALLER, error: '', card: '4111111111111111' } }));

      const error = await failure(deployFunction(clients, options()));

      expect(error?.message).toMatch(/voice-inbound\.json: keys outside the function's contract: card/);
      expect(error?.message).toMatch(/voice-inbound\.json: missing keys: channel/);
      expect(error?.message).not.toMatch(/4111/);
    });

    it('needs cases for the function it deploys', async () => {
      const error = await failure(deployFunction(clients, { ...options(), smoke: undefined }));

      expect(error?.message).toBe('no smoke test for echo-caller: add its cases to scripts/lib/smoke.ts');
      expect(lambda.calls()).toHaveLength(0);
    });
  });

  describe('a canary', () => {
    const canary = { percent: 10, bakeMs: 10 * 60_000 };

    it('splits traffic, watches the metrics through the bake, then promotes', async () => {
      metrics({ all: 1000, ok: 990 }, HEALTHY);
      const clock = fakeClock();

      const result = await deployFunction(clients, options({ canary, clock }));

      const moves = lambda.commandCalls(UpdateAliasCommand).map((call) => call.args[0].input);
      expect(moves[0]).toMatchObject({
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
        Description: undefined,
      });
      expect(moves[1]).toMatchObject({
        FunctionVersion: '2',
        RoutingConfig: { AdditionalVersionWeights: {} },
        Description: 'previous=1',
      });
      expect(result).toMatchObject({ action: 'deployed', version: '2', previousVersion: '1' });
      expect(fn.alias).toMatchObject({ FunctionVersion: '2', RoutingConfig: undefined });
      // One wait for the upload; ten minutes of bake and two for the last metrics, a check a minute.
      expect(clock.sleeps).toBe(1 + 12);
      // The baseline, then every check but the first three: metrics get two minutes to arrive, so
      // the first complete minute of the canary (10:01) is read at 10:04:20.
      expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(1 + 9);
      expect(log.join('\n')).toMatch(/promoted after 12 checks/);
    });

    it('asks CloudWatch for the alias by executed version and the function’s ok answers', async () => {
      metrics({ all: 1000, ok: 990 }, HEALTHY);

      await deployFunction(clients, options({ canary }));

      const [baseline, check] = cloudWatch
        .commandCalls(GetMetricDataCommand)
        .map((call) => call.args[0].input);
      expect(baseline?.MetricDataQueries?.map((query) => query.MetricStat?.Metric)).toEqual([
        {
          Namespace: 'AWS/Lambda',
          MetricName: 'Invocations',
          Dimensions: [{ Name: 'FunctionName', Value: 'flowguard-echo-caller' }],
        },
        {
          Namespace: 'Flowguard',
          MetricName: 'Invocations',
          Dimensions: [
            { Name: 'function', Value: 'echo-caller' },
            { Name: 'outcome', Value: 'ok' },
          ],
        },
      ]);
      expect(check?.MetricDataQueries?.find((query) => query.Id === 'newErrors')?.MetricStat?.Metric).toEqual(
        {
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [
            { Name: 'FunctionName', Value: 'flowguard-echo-caller' },
            { Name: 'Resource', Value: 'flowguard-echo-caller:live' },
            { Name: 'ExecutedVersion', Value: '2' },
          ],
        },
      );
      // Whole minutes inside the canary, ending two minutes before the check.
      expect(check?.StartTime).toEqual(new Date('2026-12-01T10:01:00Z'));
      // A flow function's answers are its outcomes: no ServerError, no SEARCH.
      const metricNames = [baseline, check].flatMap((input) =>
        (input?.MetricDataQueries ?? []).map(
          (query) => query.Expression ?? query.MetricStat?.Metric?.MetricName,
        ),
      );
      expect(new Set(metricNames)).toEqual(new Set(['Invocations', 'Errors', 'Throttles']));
    });

    it('rolls back by itself when the new version errors more than the old one', async () => {
      metrics({ all: 1000, ok: 990 }, { ...HEALTHY, newErrors: 5, newInvocations: 10, oldErrors: 0 });

      const error = await failure(deployFunction(clients, options({ canary })));

      expect(error).toBeInstanceOf(CanaryRolledBackError);
      expect(error?.exitCode).toBe(1);
      expect(error?.message).toMatch(
        /canary rolled back: live stays on version 1, version 2 gets no traffic/,
      );
      expect(error?.message).toMatch(
        /version 2: 5 errors or throttles in 10 calls \(50\.0%\) against 0\.0% on version 1/,
      );
      expect(fn.alias).toMatchObject({ FunctionVersion: '1', RoutingConfig: undefined, Description: '' });
      // The first check with a complete minute decided it.
      expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(2);
    });

    it('rolls back when fail-mode answers rise above what the old version’s rate predicts', async () => {
      metrics({ all: 1000, ok: 990 }, { ...HEALTHY, okAnswers: 88 });

      const error = await failure(deployFunction(clients, options({ canary })));

      expect(error).toBeInstanceOf(CanaryRolledBackError);
      expect(error?.message).toMatch(
        /fail-mode answers: 12 during the bake where version 1's rate before it \(1\.0%\) predicts 0\.9: about 11\.1 from version 2/,
      );
      expect(fn.alias.FunctionVersion).toBe('1');
    });

    it('rolls back when interrupted during the bake', async () => {
      metrics({ all: 1000, ok: 990 }, HEALTHY);
      const interrupt = new AbortController();
      const clock = fakeClock();
      clock.onSleep = () => {
        if (clock.sleeps === 3) interrupt.abort();
      };

      const error = await failure(
        deployFunction(clients, options({ canary, clock, signal: interrupt.signal })),
      );

      expect(error).toBeInstanceOf(CanaryRolledBackError);
      expect(error?.message).toMatch(/the deploy was interrupted during the bake/);
      expect(fn.alias).toMatchObject({ FunctionVersion: '1', RoutingConfig: undefined });
    });

    it('says when the function was invoked during the bake but never through live', async () => {
      metrics({ all: 0, ok: 0 }, { allInvocations: 40, okAnswers: 40 });

      await deployFunction(clients, options({ canary }));

      expect(log.join('\n')).toMatch(
        /invoked 40 times during the bake, none through live: do the flows still invoke the unqualified function ARN\?/,
      );
    });

    it('promotes on the smoke test alone when the new version got no traffic, and says so', async () => {
      metrics({ all: 0, ok: 0 }, {});

      await deployFunction(clients, options({ canary }));

      expect(fn.alias.FunctionVersion).toBe('2');
      expect(log.join('\n')).toMatch(/received no traffic during the bake; promoted on the smoke test alone/);
    });

    it('reads the metrics before moving any traffic: a role without GetMetricData changes nothing', async () => {
      cloudWatch.on(GetMetricDataCommand).rejects(sdkError('AccessDenied'));

      const error = await failure(deployFunction(clients, options({ canary })));

      expect(error?.message).toMatch(/needs cloudwatch:GetMetricData/);
      expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
    });

    it('needs live on a published version to split traffic', async () => {
      fn.alias = { ...fn.alias, FunctionVersion: '$LATEST' };

      const error = await failure(deployFunction(clients, options({ canary })));

      expect(error?.message).toMatch(/live points at \$LATEST: deploy once without --canary/);
      expect(writes()).toEqual([]);
    });
  });

  describe('--rollback', () => {
    it('moves live back to the recorded previous version, and records the one it leaves', async () => {
      await deployFunction(clients, options());

      const back = await rollbackFunction(clients.lambda, options());
      expect(back).toMatchObject({ action: 'rolled-back', version: '1', previousVersion: '2' });
      expect(fn.alias).toMatchObject({ FunctionVersion: '1', Description: 'previous=2' });

      await rollbackFunction(clients.lambda, options());
      expect(fn.alias).toMatchObject({ FunctionVersion: '2', Description: 'previous=1' });
    });

    it('clears an unfinished canary and leaves live where it is', async () => {
      fn.versions.set('2', { Version: '2', CodeSha256: 'new' });
      fn.alias = {
        ...fn.alias,
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
        Description: 'previous=0',
      };

      const result = await rollbackFunction(clients.lambda, options());

      expect(result).toMatchObject({ action: 'canary-cleared', version: '1' });
      expect(fn.alias).toMatchObject({ FunctionVersion: '1', RoutingConfig: undefined });
    });

    it('says so when no previous version is recorded', async () => {
      const error = await failure(rollbackFunction(clients.lambda, options()));

      expect(error?.message).toMatch(/live of flowguard-echo-caller records no version to go back to/);
      expect(writes()).toEqual([]);
    });

    it('names a previous version that no longer exists', async () => {
      fn.alias = { ...fn.alias, Description: 'previous=9' };

      const error = await failure(rollbackFunction(clients.lambda, options()));

      expect(error?.message).toBe('version 9 of flowguard-echo-caller no longer exists');
    });

    it('prints the move on a dry run', async () => {
      fn.versions.set('2', { Version: '2' });
      fn.alias = { ...fn.alias, FunctionVersion: '2', Description: 'previous=1' };

      const result = await rollbackFunction(clients.lambda, { ...options(), dryRun: true });

      expect(result.plan).toEqual([
        'would move live of flowguard-echo-caller from version 2 back to version 1',
      ]);
      expect(writes()).toEqual([]);
    });
  });

  describe('a dry run', () => {
    it('without AWS prints every step and calls nothing', async () => {
      const result = await deployFunction(undefined, { ...options(), dryRun: true });

      expect(result.action).toBe('dry-run');
      expect(lambda.calls()).toHaveLength(0);
      expect(log.join('\n')).toMatch(/would update the code of flowguard-echo-caller/);
      expect(log.join('\n')).toMatch(/would move live from its current version to it at once/);
    });

    it('reads where live stands and prints what this run would do, changing nothing', async () => {
      const result = await deployFunction(
        clients,
        options({ dryRun: true, canary: { percent: 5, bakeMs: 900_000 } }),
      );

      expect(result.plan).toEqual([
        'live (version 1) runs other code',
        expect.stringMatching(/^would upload the code \(\d+\.\d KiB zip\) and wait for Lambda to apply it$/),
        `would publish a version pinned to CodeSha256 ${codeSha256}`,
        'would invoke the new version with 2 recorded events (voice-inbound.json, chat.json) and check each answer',
        expect.stringMatching(/^would send 5% of live to it for 15m while watching/),
      ]);
      expect(writes()).toEqual([]);
      expect(cloudWatch.calls()).toHaveLength(0);
    });

    it('shows where a run would resume', async () => {
      fn.latest = { ...fn.latest, CodeSha256: codeSha256 };

      const result = await deployFunction(clients, options({ dryRun: true }));

      expect(result.plan).toContain(
        '$LATEST already has this code (a run stopped after uploading): no upload',
      );
    });

    it('falls back to every step when there are no credentials', async () => {
      lambda.on(GetFunctionConfigurationCommand).rejects(sdkError('CredentialsProviderError'));

      const result = await deployFunction(clients, options({ dryRun: true }));

      expect(result.action).toBe('dry-run');
      expect(log.join('\n')).toMatch(/could not be read: no AWS credentials found/);
    });
  });

  describe('errors', () => {
    it.each([
      ['an unknown function', { name: 'nope' }, /unknown function 'nope'; functions: echo-caller/],
      ['a bad alias', { alias: 'no spaces' }, /alias/],
      ['an alias of digits only', { alias: '12' }, /not only digits/],
      ['a canary of 100%', { canary: { percent: 100, bakeMs: 600_000 } }, /--canary/],
      ['a bake under two minutes', { canary: { percent: 10, bakeMs: 90_000 } }, /--bake is 2m to 24h/],
    ])('refuses %s before building anything, as a command-line error', async (_, override, message) => {
      const error = await failure(deployFunction(clients, { ...options(), ...override }));

      expect(error?.message).toMatch(message);
      expect(error?.exitCode).toBe(2);
      expect(lambda.calls()).toHaveLength(0);
    });

    it.each([
      [
        'GetFunctionConfiguration',
        'ResourceNotFoundException',
        /function flowguard-echo-caller does not exist yet: deploy the stack first/,
      ],
      [
        'GetAlias',
        'ResourceNotFoundException',
        /flowguard-echo-caller has no alias live: the stack creates it/,
      ],
      ['GetFunctionConfiguration', 'CredentialsProviderError', /no AWS credentials found: set AWS_PROFILE/],
      [
        'GetFunctionConfiguration',
        'ExpiredTokenException',
        /AWS refused the credentials \(ExpiredTokenException\)/,
      ],
      [
        'GetAlias',
        'AccessDeniedException',
        /not allowed to read the alias of flowguard-echo-caller: the deploying role needs lambda:GetAlias/,
      ],
      ['ListVersionsByFunction', 'AccessDeniedException', /needs lambda:ListVersionsByFunction/],
      [
        'UpdateFunctionCode',
        'AccessDeniedException',
        /not allowed to update the code of .*needs lambda:UpdateFunctionCode/,
      ],
      ['PublishVersion', 'AccessDeniedException', /needs lambda:PublishVersion/],
      [
        'Invoke',
        'AccessDeniedException',
        /not allowed to invoke the new version of .*needs lambda:InvokeFunction/,
      ],
      ['UpdateAlias', 'AccessDeniedException', /needs lambda:UpdateAlias/],
      [
        'UpdateFunctionCode',
        'ResourceConflictException',
        /another update of flowguard-echo-caller is in progress/,
      ],
      ['UpdateAlias', 'PreconditionFailedException', /changed while deploying .*run again to resume/],
    ])('explains %s failing with %s', async (command, name, message) => {
      fn.failOnce(command, name);

      const error = await failure(deployFunction(clients, options()));

      expect(error).toBeInstanceOf(DeployError);
      expect(error?.exitCode).toBe(1);
      expect(error?.message).toMatch(message);
    });

    it('lists every permission a deploy uses when one is missing', async () => {
      fn.failOnce('GetAlias', 'AccessDeniedException');

      const error = await failure(deployFunction(clients, options()));

      expect(error?.message).toMatch(
        /deploy:function uses lambda:GetFunctionConfiguration, lambda:GetAlias, lambda:ListVersionsByFunction, lambda:UpdateFunctionCode, lambda:PublishVersion, lambda:InvokeFunction, lambda:UpdateAlias, cloudwatch:GetMetricData/,
      );
    });
  });
});

describe('deployFunction: a stream function', () => {
  let outDir: string;
  let fn: FakeFunction;
  const log: string[] = [];
  /** Every request the function's clients were asked to send, as `client:Operation`. */
  const sent: string[] = [];
  const refusing = (name: string) =>
    ({
      send: async (command: object) => {
        sent.push(`${name}:${command.constructor.name.replace(/Command$/, '')}`);
        throw Object.assign(new Error('not in this test'), { name: 'AccessDeniedException' });
      },
    }) as never;
  const functionClients: Partial<ForwardingClients> = {
    firehose: refusing('firehose'),
    kinesis: refusing('kinesis'),
    eventBridge: refusing('eventBridge'),
    s3: refusing('s3'),
    ssm: refusing('ssm'),
    secretsManager: refusing('secretsManager'),
  };
  // The first example of docs/data-minimisation.md: a queue to Firehose, the customer id hashed.
  const env = {
    FLOWGUARD_FORWARD_POLICY: JSON.stringify({
      version: 1,
      policies: [
        {
          name: 'cards-analytics',
          match: { queues: ['Cards', 'Cards Chat'] },
          fields: ['Channel', 'Queue.Name', 'InitiationTimestamp'],
          attributes: ['businessUnit'],
          hash: ['customerId'],
          destination: { type: 'firehose', deliveryStream: 'cards-analytics' },
          recordings: { bucket: 'vendor-recordings', prefix: 'cards/', kmsKeyId: 'alias/vendor' },
        },
      ],
    }),
    FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET: 'flowguard-dead-letters',
    FLOWGUARD_FINGERPRINT_SECRET_ID: 'flowguard/fingerprint',
    FLOWGUARD_LOG_LEVEL: 'silent',
  };
  /** The real handler, run in-process as the new version, its clients refusing and recording. */
  const realHandler = (name: StreamFunctionName): KinesisBatchHandler => {
    const deps = { clients: functionClients, metricSink: () => undefined, sleep: async () => undefined };
    return name === 'forward-contact-records'
      ? forwardContactRecords({
          config: readForwardingConfig(env),
          fingerprintKeys: {
            get: async () => fingerprintKeysOf({ key: randomBytes(32).toString('base64') }),
          },
          ...deps,
        })
      : forwardRecordings({ config: readRecordingsForwardingConfig(env), ...deps });
  };
  const options = (name: StreamFunctionName, extra: Partial<DeployOptions> = {}): DeployOptions => ({
    name,
    bundle: { outDir },
    pollMs: 1,
    clock: fakeClock(),
    log: (line: string) => log.push(line),
    ...extra,
  });

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'flowguard-deploy-stream-'));
  });

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    lambda.reset();
    log.length = 0;
    sent.length = 0;
    fn = new FakeFunction(async () => ({ payload: { batchItemFailures: [] } }));
    fn.install();
  });

  it.each(STREAM_FUNCTION_NAMES)(
    'deploys %s: its own smoke event to the new version, the real handler answers no failure and sends nothing, live moves',
    async (name) => {
      const handler = realHandler(name);
      fn.answerWith(async (event) => ({
        payload: await handler(event as Parameters<KinesisBatchHandler>[0]),
      }));

      const result = await deployFunction(clients, options(name));

      expect(result).toMatchObject({ functionName: `flowguard-${name}`, action: 'deployed', version: '2' });
      expect(fn.alias.FunctionVersion).toBe('2');
      expect(lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input.Qualifier)).toEqual(['2']);
      const smokeEvent = JSON.parse(await readFile(join(EVENTS_DIR, `${STREAM_SMOKE_EVENT}.json`), 'utf8'));
      expect(invokedEvents()).toEqual([smokeEvent]);
      expect(sent).toEqual([]);
      expect(log.join('\n')).toMatch(
        /smoke test of version 2: 1 recorded events\n {2}ok {3}kinesis-contact-record\.json/,
      );
    },
  );

  it.each([
    [
      'a batch item failure',
      {
        payload: {
          batchItemFailures: [{ itemIdentifier: '49630000000000000000000000000000000000000000000000000001' }],
        },
      },
      /kinesis-contact-record\.json: 1 batch item failure\(s\): the new version did not finish the smoke record/,
    ],
    [
      'a FunctionError',
      {
        payload: { errorType: 'PolicyError', errorMessage: 'parameter /flowguard/policy: invalid policy' },
        functionError: 'Unhandled',
      },
      /kinesis-contact-record\.json: the function threw \(PolicyError\) instead of answering/,
    ],
    ['null', { payload: null }, /not a partial batch response/],
    [
      'a flow answer',
      { payload: { decision: 'ALLOW', error: '' } },
      /keys outside the partial batch response: decision, error/,
    ],
  ])('leaves live where it was when the new version answers %s', async (_, answer, problem) => {
    fn.answerWith(async () => answer);

    const error = await failure(deployFunction(clients, options('forward-contact-records')));

    expect(error).toBeInstanceOf(DeployError);
    expect(error?.exitCode).toBe(1);
    expect(error?.message).toMatch(/the smoke test of version 2 failed; live stays on version 1/);
    expect(error?.message).toMatch(problem);
    expect(error?.message).not.toMatch(/4963000|flowguard\/policy/);
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
    expect(fn.alias.FunctionVersion).toBe('1');
  });

  describe('a canary', () => {
    const canary = { percent: 10, bakeMs: 10 * 60_000 };
    beforeEach(() => {
      cloudWatch.reset();
    });
    // Its EMF counts records, with no outcome: nothing the canary can judge an answer by.
    const records = emfSeries('forward-contact-records', 'RecordsIn', 'none', { before: 0, bake: 500 });

    it('watches a stream function’s errors by version only, and promotes a version that does not throw', async () => {
      cloudWatchHolding([
        ...lambdaSeries('forward-contact-records', { before: 0, newCalls: 10, oldCalls: 90 }),
        records,
      ]);

      await deployFunction(clients, options('forward-contact-records', { canary }));

      expect(fn.alias).toMatchObject({ FunctionVersion: '2', RoutingConfig: undefined });
      expect(log.join('\n')).toMatch(
        /watching Lambda errors and throttles by version; a stream function answers with batch item failures, not outcomes, so only those are watched/,
      );
      const queried = cloudWatch
        .commandCalls(GetMetricDataCommand)
        .flatMap((call) => call.args[0].input.MetricDataQueries ?? []);
      expect(queried.every((q) => q.MetricStat?.Metric?.Namespace === 'AWS/Lambda')).toBe(true);
    });

    it('rolls a stream function back when its new version throws more than the old one', async () => {
      cloudWatchHolding([
        ...lambdaSeries('forward-contact-records', { before: 0, newCalls: 10, oldCalls: 90, newErrors: 3 }),
        records,
      ]);

      const error = await failure(deployFunction(clients, options('forward-contact-records', { canary })));

      expect(error).toBeInstanceOf(CanaryRolledBackError);
      expect(error?.message).toMatch(/version 2: 3 errors or throttles in 10 calls/);
      expect(fn.alias.FunctionVersion).toBe('1');
    });
  });

  it('refuses a smoke event a policy could match before any AWS call', async () => {
    const eventsDir = join(outDir, 'events');
    const event = JSON.parse(await readFile(join(EVENTS_DIR, `${STREAM_SMOKE_EVENT}.json`), 'utf8')) as {
      Records: { kinesis: { data: string } }[];
    };
    const record = JSON.parse(Buffer.from(event.Records[0]?.kinesis.data ?? '', 'base64').toString('utf8'));
    const queued = { ...record, Queue: { Name: 'Cards' } };
    for (const r of event.Records) r.kinesis.data = Buffer.from(JSON.stringify(queued)).toString('base64');
    await rm(eventsDir, { recursive: true, force: true });
    await mkdir(eventsDir, { recursive: true });
    await writeFile(join(eventsDir, `${STREAM_SMOKE_EVENT}.json`), JSON.stringify(event));

    const error = await failure(deployFunction(clients, options('forward-recordings', { eventsDir })));

    expect(error?.message).toBe(
      "the smoke test's event kinesis-contact-record.json could leave something in production, so it is not sent: its contact record sets Queue: a policy could match it",
    );
    expect(lambda.calls()).toHaveLength(0);
  });
});

describe('deployFunction: an HTTP function', () => {
  let outDir: string;
  let fn: FakeFunction;
  const log: string[] = [];
  // The variables a deployment gives start-contact (docs/screening.md); no store, Connect or secret
  // answers here: a probe that reached one would be counted, and fail.
  const env = {
    FLOWGUARD_TABLE_NAME: 'flowguard',
    FLOWGUARD_IP_LIMITS: '10/10m',
    FLOWGUARD_CONNECT_INSTANCE_ID: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
    FLOWGUARD_EDGE_FLOWS: 'support=11111111-2222-4333-8444-555555555555',
    FLOWGUARD_EDGE_ALLOWED_ORIGINS: 'https://www.example.com',
    FLOWGUARD_EDGE_SIGNING_SECRET_ID: 'flowguard/edge-signing',
    FLOWGUARD_LOG_LEVEL: 'silent',
  };
  const dynamo = screeningDynamoClient(readScreeningConfig(env), {
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const store = countRequests(dynamo);
  const connect = mockClient(edgeConnectClient({ region: 'us-east-1' }));
  let secretReads = 0;
  /** The real handler, run in-process as the new version. */
  const realHandler = () =>
    startContactFromEnv({
      env,
      dynamo,
      connect: connect as never,
      secrets: {
        send: async () => {
          secretReads += 1;
          throw Object.assign(new Error('not in this test'), { name: 'AccessDeniedException' });
        },
      },
      metricSink: () => undefined,
    });
  const context = { awsRequestId: 'deploy-smoke', getRemainingTimeInMillis: () => 10_000 };
  const options = (extra: Partial<DeployOptions> = {}): DeployOptions => ({
    name: 'start-contact',
    bundle: { outDir },
    pollMs: 1,
    clock: fakeClock(),
    log: (line: string) => log.push(line),
    ...extra,
  });
  const withEnvironment = (environment: FunctionConfiguration['Environment']) => {
    fn.latest = { ...fn.latest, Environment: environment };
  };
  const FORBIDDEN = {
    statusCode: 403,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
      'Referrer-Policy': 'no-referrer',
    },
    body: '{"error":"forbidden"}',
    isBase64Encoded: false,
  };

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'flowguard-deploy-http-'));
  });

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    lambda.reset();
    connect.reset();
    store.reset();
    secretReads = 0;
    log.length = 0;
    fn = new FakeFunction(async () => ({ payload: FORBIDDEN }));
    fn.install();
    withEnvironment({ Variables: env });
  });

  it('deploys start-contact: its probes to the new version, the real handler refuses their origin and calls nothing, live moves', async () => {
    const handler = realHandler();
    fn.answerWith(async (event) => ({ payload: await handler(event, context) }));

    const result = await deployFunction(clients, options());

    expect(result).toMatchObject({
      functionName: 'flowguard-start-contact',
      action: 'deployed',
      version: '2',
    });
    expect(fn.alias.FunctionVersion).toBe('2');
    expect(lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input.Qualifier)).toEqual([
      '2',
      '2',
    ]);
    const files = await Promise.all(
      [HTTP_SMOKE_EVENTS.post, HTTP_SMOKE_EVENTS.preflight].map(
        async (name) => JSON.parse(await readFile(join(EVENTS_DIR, `${name}.json`), 'utf8')) as unknown,
      ),
    );
    expect(invokedEvents()).toEqual(files);
    expect(store.total()).toBe(0);
    expect(connect.calls()).toHaveLength(0);
    expect(secretReads).toBe(0);
    expect(log.join('\n')).toMatch(
      /smoke test of version 2: 2 recorded events\n {2}ok {3}http-smoke-post\.json: .*\n {2}ok {3}http-smoke-preflight\.json: /,
    );
  });

  it.each([
    [
      '200 (a contact started)',
      {
        payload: {
          ...FORBIDDEN,
          statusCode: 200,
          body: JSON.stringify({ contactId: 'c-4963', participantToken: 'pt-4111111111111111' }),
        },
      },
      /http-smoke-post\.json: answered 200 where 403 was expected \(the probe origin was not refused first\)\n {2}http-smoke-post\.json: the body is not the fixed 403 body/,
    ],
    [
      '500',
      { payload: { ...FORBIDDEN, statusCode: 500 } },
      /http-smoke-post\.json: answered 500 where 403 was expected \(the function could not answer: see its log group\)/,
    ],
    [
      'a FunctionError',
      {
        payload: {
          errorType: 'ConfigError',
          errorMessage: 'FLOWGUARD_EDGE_FLOWS: entry 1: the contact flow id must be a UUID',
        },
        functionError: 'Unhandled',
      },
      /http-smoke-post\.json: the function threw \(ConfigError: FLOWGUARD_EDGE_FLOWS: entry 1: the contact flow id must be a UUID\) instead of answering/,
    ],
    [
      'a flow answer',
      { payload: { decision: 'ALLOW', error: '' } },
      /http-smoke-post\.json: the answer is not an HTTP response/,
    ],
    ['null', { payload: null }, /http-smoke-post\.json: the answer is not an HTTP response/],
    [
      'a response without headers',
      { payload: { statusCode: 403, body: FORBIDDEN.body } },
      /http-smoke-post\.json: headers is missing or not a map of strings/,
    ],
  ])('leaves live where it was when the new version answers %s', async (_, answer, problem) => {
    fn.answerWith(async () => answer);

    const error = await failure(deployFunction(clients, options()));

    expect(error).toBeInstanceOf(DeployError);
    expect(error?.exitCode).toBe(1);
    expect(error?.message).toMatch(/the smoke test of version 2 failed; live stays on version 1/);
    expect(error?.message).toMatch(problem);
    expect(error?.message).toMatch(/http-smoke-preflight\.json: /);
    expect(error?.message).not.toMatch(/4963|4111/);
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
    expect(fn.alias.FunctionVersion).toBe('1');
  });

  it('refuses to deploy a function whose allow-list names the probe origin, before anything changes', async () => {
    withEnvironment({
      Variables: { ...env, FLOWGUARD_EDGE_ALLOWED_ORIGINS: `https://www.example.com,${SMOKE_ORIGIN}` },
    });

    const error = await failure(deployFunction(clients, options()));

    expect(error?.message).toBe(
      'the smoke test is not sent to flowguard-start-contact ($LATEST): FLOWGUARD_EDGE_ALLOWED_ORIGINS allows the probe origin https://smoke.invalid, so the probes would get past the origin check: take it off the allow-list; nothing was changed',
    );
    expect(writes()).toEqual([]);
    expect(fn.alias.FunctionVersion).toBe('1');
  });

  it('checks the published version’s own configuration before invoking it', async () => {
    fn.published = (config) => ({
      ...config,
      Environment: { Variables: { ...env, FLOWGUARD_EDGE_ALLOWED_ORIGINS: 'https://SMOKE.invalid' } },
    });

    const error = await failure(deployFunction(clients, options()));

    expect(error?.message).toBe(
      'the smoke test is not sent to version 2 of flowguard-start-contact: FLOWGUARD_EDGE_ALLOWED_ORIGINS allows the probe origin https://smoke.invalid, so the probes would get past the origin check: take it off the allow-list; live stays on version 1',
    );
    expect(writes()).toEqual(['UpdateFunctionCode', 'PublishVersion']);
    expect(fn.alias.FunctionVersion).toBe('1');
  });

  it('refuses when the configuration’s variables cannot be read', async () => {
    withEnvironment({
      Error: { ErrorCode: 'KMSAccessDeniedException', Message: 'Lambda was unable to decrypt' },
    });

    const error = await failure(deployFunction(clients, options()));

    expect(error?.message).toMatch(
      /^the smoke test is not sent to flowguard-start-contact \(\$LATEST\): its environment variables could not be read \(KMSAccessDeniedException\)/,
    );
    expect(error?.message).not.toMatch(/unable to decrypt/);
    expect(writes()).toEqual([]);
  });

  describe('a canary', () => {
    const canary = { percent: 10, bakeMs: 10 * 60_000 };
    beforeEach(() => {
      cloudWatch.reset();
    });
    /** What start-contact answers most: 403 and 429, the edge working; no `outcome=ok` Invocations. */
    const edgeWorking = (bake: number): Series[] => [
      emfSeries('start-contact', 'Requests', 'blocked', { before: 400, bake: bake * 0.4 }),
      emfSeries('start-contact', 'Requests', 'throttled', { before: 300, bake: bake * 0.3 }),
      emfSeries('start-contact', 'Requests', 'ok', { before: 300, bake: bake * 0.3 }),
    ];

    it('judges start-contact by its 5xx answers, named and searched, against the hour before', async () => {
      cloudWatchHolding([
        ...lambdaSeries('start-contact', { before: 1000, newCalls: 10, oldCalls: 90 }),
        ...edgeWorking(100),
      ]);

      await deployFunction(clients, options({ canary }));

      const [baseline, check] = cloudWatch
        .commandCalls(GetMetricDataCommand)
        .map((call) => call.args[0].input);
      for (const input of [baseline, check]) {
        const queries = input?.MetricDataQueries ?? [];
        const named = queries.filter((q) => q.MetricStat?.Metric?.MetricName === 'ServerError');
        // One query per 5xx outcome of start-contact's contract, each under the function and the outcome.
        expect(named.map((q) => q.MetricStat?.Metric)).toEqual(
          [...SERVER_ERROR_OUTCOMES].map((outcome) => ({
            Namespace: 'Flowguard',
            MetricName: 'ServerError',
            Dimensions: [
              { Name: 'function', Value: 'start-contact' },
              { Name: 'outcome', Value: outcome },
            ],
          })),
        );
        expect(named.map((q) => q.MetricStat?.Metric?.Dimensions?.[1]?.Value)).toContain('connect_error');
        expect(queries.filter((q) => q.Expression)).toEqual([
          {
            Id: 'serverErrorsSearched',
            ReturnData: true,
            Expression: `SUM(SEARCH('{"Flowguard",function,outcome} MetricName="ServerError" function="start-contact"', 'Sum', 60))`,
            Period: 60,
          },
        ]);
        expect(queries.some((q) => q.MetricStat?.Metric?.Dimensions?.some((d) => d.Value === 'ok'))).toBe(
          false,
        );
      }
      expect(log.join('\n')).toMatch(
        /and 5xx answers \(Flowguard ServerError; before the deploy: 1000 calls, 0 5xx\)/,
      );
    });

    it.each([
      ['after a quiet hour', 0],
      ['after a busy hour', 1000],
    ])('promotes start-contact answering many 403 and 429 but no 5xx, %s', async (_, before) => {
      cloudWatchHolding([
        ...lambdaSeries('start-contact', { before, newCalls: 10, oldCalls: 90 }),
        ...edgeWorking(100),
      ]);

      const result = await deployFunction(clients, options({ canary }));

      expect(result).toMatchObject({ action: 'deployed', version: '2', previousVersion: '1' });
      expect(fn.alias).toMatchObject({ FunctionVersion: '2', RoutingConfig: undefined });
      expect(log.join('\n')).toMatch(/5xx answers \(ServerError\) 0 \(0\.0 expected/);
    });

    it.each([
      ['a named outcome', 'connect_error', true],
      ['an outcome only a SEARCH finds', 'new_failure', true],
      ['a named outcome CloudWatch has not listed yet', 'internal', false],
    ])(
      'rolls start-contact back when its new version answers 5xx beyond the old rate: %s',
      async (_, outcome, searchable) => {
        cloudWatchHolding([
          ...lambdaSeries('start-contact', { before: 1000, newCalls: 10, oldCalls: 90 }),
          ...edgeWorking(100),
          // 0.2% before the deploy; during the bake 6 in 100 calls, 0.18 expected from the old version.
          emfSeries('start-contact', 'ServerError', 'store_unavailable', { before: 2 }),
          emfSeries('start-contact', 'ServerError', outcome, { bake: 6, searchable }),
        ]);

        const error = await failure(deployFunction(clients, options({ canary })));

        expect(error).toBeInstanceOf(CanaryRolledBackError);
        expect(error?.message).toMatch(
          /5xx answers \(ServerError\): 6 during the bake where version 1's rate before it \(0\.2%\) predicts 0\.2: about 5\.8 from version 2, 58\.2% of its 10 calls/,
        );
        expect(fn.alias).toMatchObject({ FunctionVersion: '1', RoutingConfig: undefined });
      },
    );

    it('promotes start-contact when its 5xx answers stay at the old rate', async () => {
      cloudWatchHolding([
        ...lambdaSeries('start-contact', { before: 1000, newCalls: 10, oldCalls: 90 }),
        ...edgeWorking(100),
        emfSeries('start-contact', 'ServerError', 'connect_throttled', { before: 50, bake: 5 }),
      ]);

      await deployFunction(clients, options({ canary }));

      expect(fn.alias.FunctionVersion).toBe('2');
    });
  });

  it('refuses a probe event that could get past the origin check before any AWS call', async () => {
    const eventsDir = join(outDir, 'events');
    await rm(eventsDir, { recursive: true, force: true });
    await mkdir(eventsDir, { recursive: true });
    for (const name of Object.values(HTTP_SMOKE_EVENTS)) {
      const event = JSON.parse(await readFile(join(EVENTS_DIR, `${name}.json`), 'utf8')) as {
        headers: Record<string, string>;
        body?: string;
      };
      if (name === HTTP_SMOKE_EVENTS.post) {
        event.headers = {
          ...event.headers,
          origin: 'https://www.example.com',
          'content-type': 'application/json',
        };
        event.body = '{"kind":"chat","flow":"support"}';
      }
      await writeFile(join(eventsDir, `${name}.json`), JSON.stringify(event));
    }

    const error = await failure(deployFunction(clients, options({ eventsDir })));

    expect(error?.message).toBe(
      "the smoke test's event http-smoke-post.json could get past the origin check, so it is not sent: its Origin header is not exactly https://smoke.invalid: an allowed origin would be served; it sends a Content-Type: a JSON body would be read if the origin were allowed; it has a body: it would be read if the origin were allowed",
    );
    expect(lambda.calls()).toHaveLength(0);
  });
});

describe('the canary rule', () => {
  const versions = { newVersion: '8', oldVersion: '7' };
  const counts = (extra: Partial<CanaryCounts>): CanaryCounts => ({
    newInvocations: 100,
    newErrors: 0,
    newThrottles: 0,
    oldInvocations: 900,
    oldErrors: 0,
    oldThrottles: 0,
    allInvocations: 1000,
    okAnswers: 1000,
    ...extra,
  });
  const judge = (extra: Partial<CanaryCounts>, baseline = { invocations: 1000, okAnswers: 1000 }) =>
    judgeCanary(counts(extra), baseline, DEFAULT_CANARY_RULE, versions);

  it('keeps a version that errors no more than the old one', () => {
    expect(judge({ newErrors: 3, oldErrors: 27 }).rollback).toBe(false);
  });

  it('rolls back on errors or throttles a point above the old rate', () => {
    expect(judge({ newErrors: 1, newThrottles: 1 }).reasons).toEqual([
      'version 8: 2 errors or throttles in 101 calls (2.0%) against 0.0% on version 7',
    ]);
  });

  it('keeps a version within one point of the old rate', () => {
    expect(judge({ newErrors: 1 }).rollback).toBe(false);
  });

  it('does not blame the new version for fail-mode answers at the old rate', () => {
    // 5% before the deploy; 50 fail-mode answers in 1000 calls during the bake.
    expect(judge({ okAnswers: 950 }, { invocations: 1000, okAnswers: 950 }).rollback).toBe(false);
  });

  it('needs a few fail-mode answers beyond the prediction before it rolls back', () => {
    expect(judge({ okAnswers: 998 }).rollback).toBe(false);
    expect(judge({ okAnswers: 997 }).rollback).toBe(true);
  });

  it('does not watch fail-mode answers of a function that emits no metrics', () => {
    expect(judgeCanary(counts({ okAnswers: 0 }), undefined, DEFAULT_CANARY_RULE, versions).rollback).toBe(
      false,
    );
  });
});

describe('the command line', () => {
  it('reads a canary deploy and a rollback', () => {
    expect(parseDeployCommand(['screen-caller', '--canary', '10', '--bake', '10m'])).toMatchObject({
      name: 'screen-caller',
      canary: { percent: 10, bakeMs: 600_000 },
      rollback: false,
    });
    expect(parseDeployCommand(['--', 'screen-caller', '--rollback', '--dry-run'])).toMatchObject({
      rollback: true,
      dryRun: true,
      canary: undefined,
    });
    expect(parseDeployCommand(['x', '--canary', '2.5', '--bake', '1h30m']).canary).toEqual({
      percent: 2.5,
      bakeMs: 5_400_000,
    });
  });

  it.each([
    [[], /name the function/],
    [['a', 'b'], /one function at a time/],
    [['a', '--canary', '10'], /--canary and --bake go together/],
    [['a', '--canary', '0', '--bake', '10m'], /above 0 and below 100/],
    [['a', '--canary', '100', '--bake', '10m'], /above 0 and below 100/],
    [['a', '--canary', 'ten', '--bake', '10m'], /above 0 and below 100/],
    [['a', '--canary', '10', '--bake', '30s'], /from 2m to 24h/],
    [['a', '--canary', '10', '--bake', 'soon'], /from 2m to 24h/],
    [['a', '--rollback', '--canary', '10', '--bake', '10m'], /--rollback takes no --canary/],
    [['a', '--force'], /Unknown option '--force'/],
  ])('refuses %j with exit code 2 and the usage', (args, message) => {
    const error = (() => {
      try {
        parseDeployCommand(args);
      } catch (caught) {
        return caught as DeployError;
      }
      return undefined;
    })();

    expect(error?.exitCode).toBe(2);
    expect(error?.message).toMatch(message);
    expect(error?.message).toMatch(/usage: pnpm deploy:function <name>/);
  });
});

describe('pnpm deploy:function', () => {
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/deploy-function.ts', ...args], {
      cwd: join(import.meta.dirname, '..'),
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );

  it('exits 2 on a bad command line, with the usage', async () => {
    const { code, stderr } = await run('screen-caller', '--canary', '10');

    expect(code).toBe(2);
    expect(stderr).toMatch(/deploy: --canary and --bake go together[\s\S]*usage: pnpm deploy:function/);
  });

  it('exits 2 on an unknown function, before any AWS call', async () => {
    const { code, stderr } = await run('nope', '--dry-run');

    expect(code).toBe(2);
    expect(stderr).toMatch(
      /deploy: unknown function 'nope'; functions: challenge, encrypt-input, flag-caller/,
    );
  });
});
