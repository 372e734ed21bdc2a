import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  challengeFunction,
  FAIL_OPEN_METRIC,
  flagCaller,
  MemoryScreeningStore,
  readChallengeConfig,
  readScreeningConfig,
  Screener,
  type ScreeningStore,
  SigningKeys,
  StoreUnavailableError,
  SURGE_METRICS,
  screenCaller,
  signChallenge,
} from '@flowguard/caller-screening';
import { type FlowFunction, flowHandler, type HandlerConfig } from '@flowguard/contact';
import { readValidationConfig, validateInputFunction } from '@flowguard/input-validation';
import {
  ConnectDecryptor,
  encryptInput,
  type JsonSecrets,
  kmsTokenKeyring,
  secureInput,
} from '@flowguard/secure-input';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import { voiceEvent } from '@flowguard/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_SPECS, type FunctionName } from '../../src/functions.js';
import { CHALLENGE, DEFAULT_METRICS_NAMESPACE, FAIL_OPEN, OUTCOMES } from '../../src/metrics.js';
import { ALL, idOf, prop, type Resource, resourcesOf, synthStack } from './helpers.js';

const { json } = synthStack();
const CALLER = '+14155550123';
const CARD = '4111111111111111';

type Emitted = { namespace: string; name: string; dimensions: Record<string, string> };

/** Every metric the functions wrote, read back from their EMF lines. */
const emitted: Emitted[] = [];
const keyOf = (m: Emitted) =>
  `${m.namespace}|${m.name}|${JSON.stringify(Object.entries(m.dimensions).sort())}`;

async function run(fn: FlowFunction, event: unknown, config: Partial<HandlerConfig> = {}) {
  const lines: string[] = [];
  const handler = flowHandler(fn, {
    env: {},
    config: { logLevel: 'silent', metrics: true, ...config },
    metricSink: (line) => lines.push(line),
  });
  const response = await handler(event);
  for (const line of lines) {
    const entry = JSON.parse(line) as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
    };
    for (const directive of entry._aws.CloudWatchMetrics) {
      for (const keys of directive.Dimensions) {
        const dimensions = Object.fromEntries(keys.map((k) => [k, String(entry[k])]));
        for (const metric of directive.Metrics) {
          emitted.push({ namespace: directive.Namespace, name: metric.Name, dimensions });
        }
      }
    }
  }
  return response;
}

/** A store failing every request (or only `only`) as an outage does, or never answering at all. */
function brokenStore(mode: 'refused' | 'timed-out' | 'hangs', only?: string): ScreeningStore {
  return new Proxy(new MemoryScreeningStore(), {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (only !== undefined && property !== only) return value.bind(target);
      if (mode === 'hangs') return () => new Promise(() => {});
      return () =>
        Promise.reject(new StoreUnavailableError(String(property), { timedOut: mode === 'timed-out' }));
    },
  });
}

const screenerOn = (store: ScreeningStore) =>
  new Screener({ store, config: readScreeningConfig({ FLOWGUARD_FAIL_MODE: 'open' }) });

function rsaKey() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

function secretsHolding(value: unknown): JsonSecrets {
  return { getJson: async () => value, refresh: async () => value };
}

/** A token keyring whose KMS refuses every request. */
const refusedTokens = kmsTokenKeyring(
  'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555',
  {
    config: {},
    send: () => Promise.reject(Object.assign(new Error('refused'), { name: 'AccessDeniedException' })),
  } as unknown as Parameters<typeof kmsTokenKeyring>[1],
);

const CHALLENGE_KEY = randomBytes(32);
const CONTACT = '11111111-2222-4333-8444-555555555555';

/** challenge as its handler builds it, its key read from a secret (or refused), on `store`. */
function challengeOn(store: ScreeningStore, key: 'readable' | 'refused' | 'unset' = 'readable') {
  const config = readChallengeConfig(key === 'unset' ? {} : { FLOWGUARD_CHALLENGE_SECRET_ID: 'challenge' });
  const keys = new SigningKeys(
    {
      get: async () => {
        if (key === 'refused') throw Object.assign(new Error('refused'), { name: 'AccessDeniedException' });
        return { value: CHALLENGE_KEY.toString('base64') };
      },
    },
    'challenge',
  );
  return challengeFunction({
    screener: screenerOn(store),
    store,
    keys: config.secretId ? keys : undefined,
    config,
  });
}

/** A verify on `fn` after an issue: with the right digits, or `wrong` ones, or `input` as given. */
async function challenged(fn: FlowFunction, answer: 'right' | 'wrong' | { input: string }) {
  const event = (parameters: Record<string, string>) =>
    voiceEvent(CALLER, { parameters, initialContactId: CONTACT });
  const issued = await run(fn, event({ action: 'issue' }));
  const digits = String(issued.digits);
  const input =
    answer === 'right' ? digits : answer === 'wrong' ? (digits === '1' ? '2' : '1') : answer.input;
  return run(fn, event({ action: 'verify', challengeToken: String(issued.challengeToken), input }));
}

/** The real function objects, as the handlers build them. */
function realFunctions(): Record<FunctionName, FlowFunction> {
  const screener = screenerOn(new MemoryScreeningStore());
  const decryptor = new ConnectDecryptor({ secrets: secretsHolding({ keys: [] }), secretId: 'keys' });
  return {
    'screen-caller': screenCaller(screener),
    'flag-caller': flagCaller(screener),
    'validate-input': validateInputFunction(readValidationConfig({})),
    'secure-input': secureInput(decryptor, {}),
    'encrypt-input': encryptInput({ tokenKeyring: async () => refusedTokens }),
    challenge: challengeFunction({
      screener,
      store: new MemoryScreeningStore(),
      keys: undefined,
      config: readChallengeConfig({}),
    }),
  };
}

beforeAll(async () => {
  // screen-caller: the store refused, timed out, hung past the budget; a bad parameter; a block.
  await run(screenCaller(screenerOn(brokenStore('refused'))), voiceEvent(CALLER));
  await run(screenCaller(screenerOn(brokenStore('timed-out'))), voiceEvent(CALLER));
  await run(screenCaller(screenerOn(brokenStore('hangs'))), voiceEvent(CALLER), { budgetMs: 200 });
  await run(
    screenCaller(screenerOn(new MemoryScreeningStore())),
    voiceEvent(CALLER, { parameters: { unidentified: 'maybe' } }),
  );
  // screen-caller: a surge started (the second call's flush sees the first call's count reach
  // all:1/1m); the store refusing the aggregate items.
  let clock = Date.parse('2025-06-01T12:00:00Z');
  const surging = new Screener({
    store: new MemoryScreeningStore(),
    config: readScreeningConfig({
      FLOWGUARD_SURGE_THRESHOLDS: 'all:1/1m',
      FLOWGUARD_AGGREGATE_FLUSH_MS: '200',
      FLOWGUARD_SURGE_HOLD: '10s',
    }),
    clock: () => clock,
  });
  await run(screenCaller(surging), voiceEvent(CALLER));
  clock += 30_000;
  await run(screenCaller(surging), voiceEvent(CALLER, { initialContactId: CONTACT }));
  // Three quiet minutes later the rate is nothing: the next call's flush ends the surge.
  clock += 180_000;
  await run(screenCaller(surging), voiceEvent(CALLER));
  await run(screenCaller(screenerOn(brokenStore('refused', 'updateAggregates'))), voiceEvent(CALLER));
  const shared = screenerOn(new MemoryScreeningStore());
  await run(flagCaller(shared), voiceEvent(CALLER, { parameters: { reason: 'abuse' } }));
  await run(screenCaller(shared), voiceEvent(CALLER));

  // secure-input: an empty keys secret, a key that does not match, a key id it does not know, a
  // token key it cannot use. encrypt-input: the same token key.
  const connectKey = rsaKey();
  const other = rsaKey();
  const encryptedInput = await encryptLikeConnect(CARD, { keyId: 'k1', publicKey: connectKey.publicKey });
  const event = voiceEvent(CALLER, { parameters: { format: 'card', encryptedInput } });
  const decryptorWith = (keys: unknown[]) =>
    new ConnectDecryptor({ secrets: secretsHolding({ keys }), secretId: 'keys' });
  await run(secureInput(decryptorWith([]), {}), event);
  await run(secureInput(decryptorWith([{ keyId: 'k1', privateKey: other.privateKey }]), {}), event);
  await run(secureInput(decryptorWith([{ keyId: 'k2', privateKey: other.privateKey }]), {}), event);
  await run(
    secureInput(decryptorWith([{ keyId: 'k1', privateKey: connectKey.privateKey }]), {
      tokenKeyring: async () => refusedTokens,
    }),
    event,
  );
  await run(
    encryptInput({ tokenKeyring: async () => refusedTokens }),
    voiceEvent(CALLER, { parameters: { format: 'card', input: CARD } }),
  );

  // challenge: every verify reason; the store down (or slow) when claiming the token and when
  // recording a pass; a token answered twice, forged, expired; its key refused, or not configured;
  // a bad action.
  const store = new MemoryScreeningStore();
  const verify = (parameters: Record<string, string>) =>
    run(
      challengeOn(store),
      voiceEvent(CALLER, { parameters: { action: 'verify', ...parameters }, initialContactId: CONTACT }),
    );
  await challenged(challengeOn(store), 'right');
  await challenged(challengeOn(store), 'wrong');
  await challenged(challengeOn(store), { input: 'Timeout' });
  await verify({ challengeToken: 'c1.forged', input: '1' });
  const stale = signChallenge(CHALLENGE_KEY, CONTACT, '5', Math.floor(Date.now() / 1000) - 3600);
  await verify({ challengeToken: stale, input: '5' });
  const issued = await run(
    challengeOn(store),
    voiceEvent(CALLER, { parameters: { action: 'issue' }, initialContactId: CONTACT }),
  );
  const token = String(issued.challengeToken);
  await verify({ challengeToken: token, input: String(issued.digits) });
  await verify({ challengeToken: token, input: issued.digits === '1' ? '2' : '1' });
  for (const mode of ['refused', 'timed-out'] as const) {
    await challenged(challengeOn(brokenStore(mode, 'claim')), 'right');
    await challenged(challengeOn(brokenStore(mode, 'claim')), 'wrong');
    await challenged(challengeOn(brokenStore(mode, 'markVerified')), 'right');
  }
  await challenged(challengeOn(store, 'refused'), 'right');
  await challenged(challengeOn(store, 'unset'), 'right');
  await run(
    challengeOn(store),
    voiceEvent(CALLER, { parameters: { action: 'rotate' }, initialContactId: CONTACT }),
  );

  // Every function: an unexpected error inside its logic.
  for (const fn of Object.values(realFunctions())) {
    await run({ ...fn, handle: () => Promise.reject(new Error('defect')) }, voiceEvent(CALLER));
  }
}, 60_000);

type AlarmMetric =
  | { kind: 'metric'; namespace: string; name: string; dimensions: Record<string, unknown>; stat: string }
  | { kind: 'query'; expression: string };

function metricsOf(alarm: Resource): AlarmMetric[] {
  const p = alarm.Properties ?? {};
  const dims = (list: unknown) =>
    Object.fromEntries(
      ((list as { Name: string; Value: unknown }[] | undefined) ?? []).map((d) => [d.Name, d.Value]),
    );
  if (p.MetricName) {
    return [
      {
        kind: 'metric',
        namespace: p.Namespace as string,
        name: p.MetricName as string,
        dimensions: dims(p.Dimensions),
        stat: (p.Statistic ?? p.ExtendedStatistic) as string,
      },
    ];
  }
  return (p.Metrics as Record<string, unknown>[]).flatMap((m): AlarmMetric[] => {
    const stat = m.MetricStat as { Metric: Record<string, unknown>; Stat: string } | undefined;
    if (stat) {
      return [
        {
          kind: 'metric',
          namespace: stat.Metric.Namespace as string,
          name: stat.Metric.MetricName as string,
          dimensions: dims(stat.Metric.Dimensions),
          stat: stat.Stat,
        },
      ];
    }
    const expression = m.Expression as string;
    return expression.startsWith('SELECT') ? [{ kind: 'query', expression }] : [];
  });
}

const alarms = resourcesOf(json, 'AWS::CloudWatch::Alarm');
const alarmNamed = (name: string) => {
  const found = alarms.find(([, a]) => a.Properties?.AlarmName === `flowguard-${name}`);
  if (!found) throw new Error(`no alarm ${name}`);
  return found[1];
};
const QUERY = /^SELECT SUM\((\w+)\) FROM SCHEMA\("([^"]+)", "(\w+)", "(\w+)"\) WHERE "(\w+)" = '([\w-]+)'$/;

describe('alarms on what the functions emit', () => {
  it('watches only metrics the functions’ own code writes, with the same names and dimensions', () => {
    const seen = new Set(emitted.map(keyOf));
    let checked = 0;

    for (const [id, alarm] of alarms) {
      for (const metric of metricsOf(alarm)) {
        if (metric.kind === 'metric' && metric.namespace === DEFAULT_METRICS_NAMESPACE) {
          expect(seen, `${id}: ${metric.name} ${JSON.stringify(metric.dimensions)}`).toContain(
            keyOf({ ...metric, dimensions: metric.dimensions as Record<string, string> }),
          );
          checked += 1;
        }
        if (metric.kind === 'query') {
          const [, name, namespace, d1, d2, whereKey, whereValue] = QUERY.exec(metric.expression) ?? [];
          const matching = emitted.filter(
            (e) =>
              e.namespace === namespace &&
              e.name === name &&
              Object.keys(e.dimensions).sort().join() === [d1, d2].sort().join() &&
              e.dimensions[whereKey as string] === whereValue,
          );
          expect(matching.length, `${id}: ${metric.expression}`).toBeGreaterThan(0);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(ALL.length + 4);
  });

  it('counts every fail-open screening answer, whatever the outcome (timeout and bad parameters too)', () => {
    const [metric] = metricsOf(alarmNamed('screen-caller-fail-open'));
    const outcomes = emitted.filter((e) => e.name === 'FailOpen').map((e) => e.dimensions.outcome);

    expect(FAIL_OPEN).toBe(FAIL_OPEN_METRIC);
    expect(metric?.kind).toBe('query');
    expect(metric?.kind === 'query' && metric.expression).not.toMatch(/outcome"? =/);
    expect(new Set(outcomes)).toEqual(new Set(['store_unavailable', 'timeout', 'bad_parameter', 'internal']));
  });

  it('alarms when secure-input cannot decrypt: unreadable or empty keys secret, wrong key, unknown key id', () => {
    const outcomes = metricsOf(alarmNamed('secure-input-key-failures')).flatMap((m) =>
      m.kind === 'metric' && m.namespace === DEFAULT_METRICS_NAMESPACE ? [m.dimensions.outcome] : [],
    );

    expect(outcomes.sort()).toEqual(
      [OUTCOMES.decryptFailed, OUTCOMES.keyUnavailable, OUTCOMES.unknownKey].sort(),
    );
    expect(alarmNamed('secure-input-key-failures').Properties?.Threshold).toBe(5);
  });

  it('alarms when tokens cannot be made, in encrypt-input and secure-input', () => {
    for (const name of ['encrypt-input', 'secure-input'] as const) {
      const outcomes = metricsOf(alarmNamed(`${name}-token-failures`)).flatMap((m) =>
        m.kind === 'metric' && m.namespace === DEFAULT_METRICS_NAMESPACE ? [m.dimensions.outcome] : [],
      );
      expect(outcomes).toEqual([OUTCOMES.tokenFailed]);
    }
  });

  it('divides failures by the calls of the live alias', () => {
    const functionId = idOf(json, 'AWS::Lambda::Function', 'secureinput');
    const calls = metricsOf(alarmNamed('secure-input-key-failures')).find(
      (m) => m.kind === 'metric' && m.namespace === 'AWS/Lambda',
    );

    expect(calls).toMatchObject({
      name: 'Invocations',
      stat: 'Sum',
      dimensions: {
        FunctionName: { Ref: functionId },
        Resource: { 'Fn::Join': ['', [{ Ref: functionId }, ':live']] },
      },
    });
  });

  it('alarms per function on Lambda errors, throttles and p99 duration of the live alias, and internal errors', () => {
    for (const name of ALL) {
      const functionId = idOf(json, 'AWS::Lambda::Function', name.replace('-', ''));
      const live = {
        FunctionName: { Ref: functionId },
        Resource: { 'Fn::Join': ['', [{ Ref: functionId }, ':live']] },
      };
      expect(metricsOf(alarmNamed(`${name}-errors`))).toEqual([
        { kind: 'metric', namespace: 'AWS/Lambda', name: 'Errors', dimensions: live, stat: 'Sum' },
      ]);
      expect(metricsOf(alarmNamed(`${name}-throttles`))).toEqual([
        { kind: 'metric', namespace: 'AWS/Lambda', name: 'Throttles', dimensions: live, stat: 'Sum' },
      ]);
      expect(metricsOf(alarmNamed(`${name}-latency-p99`))).toEqual([
        { kind: 'metric', namespace: 'AWS/Lambda', name: 'Duration', dimensions: live, stat: 'p99' },
      ]);
      expect(metricsOf(alarmNamed(`${name}-internal`))).toMatchObject([
        {
          namespace: DEFAULT_METRICS_NAMESPACE,
          name: 'Invocations',
          dimensions: { function: name, outcome: 'internal' },
        },
      ]);
    }
  });

  it('sets the p99 threshold at four fifths of the flows’ Invoke time limit (3 s: 2400 ms)', () => {
    for (const name of ALL) {
      expect(alarmNamed(`${name}-latency-p99`).Properties?.Threshold, name).toBe(2400);
    }
  });

  it('gives the functions the namespace the alarms read', () => {
    for (const [, fn] of resourcesOf(json, 'AWS::Lambda::Function')) {
      const variables = prop<{ Variables: Record<string, unknown> }>(fn, 'Environment').Variables;
      expect(variables.FLOWGUARD_METRICS_NAMESPACE).toBe(DEFAULT_METRICS_NAMESPACE);
    }
  });

  it('knows each function by the name and time budget its code has', () => {
    const real = realFunctions();

    for (const spec of FUNCTION_SPECS) {
      expect(real[spec.name].name).toBe(spec.name);
      expect(real[spec.name].budgetMs).toBe(spec.budgetMs);
    }
  });
});

describe('challenge alarms, on what challenge writes', () => {
  const challengeCounts = (name: string) =>
    metricsOf(alarmNamed(name)).flatMap((m) =>
      m.kind === 'metric' && m.namespace === DEFAULT_METRICS_NAMESPACE
        ? [`${m.name} ${String(m.dimensions.outcome)}`]
        : [],
    );
  /** `name outcome` of each challenge count its code wrote, `name` filtering. */
  const written = (filter: (name: string) => boolean) => [
    ...new Set(
      emitted
        .filter((e) => e.dimensions.function === 'challenge' && filter(e.name))
        .map((e) => `${e.name} ${e.dimensions.outcome}`),
    ),
  ];

  it('alarms on the first answer given without its key (a pass unchallenged with fail mode open)', () => {
    expect(challengeCounts('challenge-key-unavailable')).toEqual([`Invocations ${OUTCOMES.keyUnavailable}`]);
    expect(written((n) => n === 'Invocations')).toContain(`Invocations ${OUTCOMES.keyUnavailable}`);
    expect(alarmNamed('challenge-key-unavailable').Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms on every token not claimed and every pass not recorded, the store refused or slow', () => {
    expect(challengeCounts('challenge-unclaimed').sort()).toEqual(
      written((n) => n === CHALLENGE.unclaimed).sort(),
    );
    expect(challengeCounts('challenge-unmarked').sort()).toEqual(
      written((n) => n === CHALLENGE.unmarked).sort(),
    );
    expect(challengeCounts('challenge-unclaimed').sort()).toEqual([
      'Challenge_unclaimed store_unavailable',
      'Challenge_unclaimed timeout',
    ]);
  });

  it('alarms on any forged or replayed token, under every outcome the code writes them with', () => {
    expect(challengeCounts('challenge-forged-tokens').sort()).toEqual(
      written((n) => n === CHALLENGE.reason('bad_token') || n === CHALLENGE.reason('replayed')).sort(),
    );
    expect(challengeCounts('challenge-forged-tokens')).toHaveLength(2);
  });

  it('alarms on a missing secret variable or a flow passing a bad action', () => {
    expect(challengeCounts('challenge-misconfigured').sort()).toEqual([
      `Invocations ${OUTCOMES.badParameter}`,
      `Invocations ${OUTCOMES.notConfigured}`,
    ]);
  });

  it('judges the pass rate on every verify outcome but forged and replayed tokens, from a minimum volume', () => {
    const judged = written(
      (n) =>
        n.startsWith('Challenge_') &&
        ![
          CHALLENGE.issued,
          CHALLENGE.unclaimed,
          CHALLENGE.unmarked,
          CHALLENGE.reason('bad_token'),
          CHALLENGE.reason('replayed'),
        ].includes(n),
    );
    const alarm = alarmNamed('challenge-pass-rate');
    const metrics = alarm.Properties?.Metrics as { Id: string; Expression?: string; ReturnData?: boolean }[];
    const expression = metrics.find((m) => m.ReturnData !== false)?.Expression ?? '';

    expect(challengeCounts('challenge-pass-rate').sort()).toEqual(judged.sort());
    expect(judged.length).toBe(8);
    expect(expression).toMatch(/^IF\(\(.+\) >= 20, 100 \* \(.+\) \/ \(.+\), 100\)$/);
    // Passes above, every verify below: each count's id in its place.
    const [, passed] = /100 \* \(([^)]*(?:\)[^)]*)*?)\) \//.exec(expression) ?? [];
    const ids = (names: string) =>
      metrics.filter((m) => {
        const stat = (m as { MetricStat?: { Metric: { MetricName: string } } }).MetricStat;
        return stat && names.includes(stat.Metric.MetricName);
      });
    for (const m of ids(CHALLENGE.reason('ok'))) expect(passed).toContain(`FILL(${m.Id}, 0)`);
    for (const m of ids(`${CHALLENGE.reason('wrong_input')} ${CHALLENGE.reason('no_input')}`))
      expect(passed).not.toContain(`FILL(${m.Id}, 0)`);
    expect(alarm.Properties).toMatchObject({
      Threshold: 50,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
  });

  it('has the alarms every function has, the p99 at 80% of the module’s 3 s Invoke limit', () => {
    for (const what of ['errors', 'throttles', 'internal']) alarmNamed(`challenge-${what}`);
    expect(alarmNamed('challenge-latency-p99').Properties?.Threshold).toBe(2400);
  });
});

describe('surge alarms, on what screen-caller writes', () => {
  const query = (name: string) => {
    const [metric] = metricsOf(alarmNamed(name));
    return metric?.kind === 'query' ? metric.expression : '';
  };
  const topicId = idOf(json, 'AWS::SNS::Topic', 'SecurityAlarms');

  it('tells the topic when a surge starts, and again once none has started for 15 minutes', () => {
    const alarm = alarmNamed('screen-caller-surge-started');

    expect(query('screen-caller-surge-started')).toBe(
      `SELECT SUM(${SURGE_METRICS.started}) FROM SCHEMA("Flowguard", "function", "outcome") WHERE "function" = 'screen-caller'`,
    );
    expect(emitted.filter((e) => e.name === 'SurgeStarted').map((e) => e.dimensions)).toEqual([
      { function: 'screen-caller', outcome: 'ok' },
    ]);
    expect(alarm.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 15,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
    const metrics = prop<{ Period?: number }[]>(alarm, 'Metrics');
    expect(metrics.map((m) => m.Period)).toEqual([60]);
  });

  it('tells the topic when a surge ends', () => {
    expect(query('screen-caller-surge-ended')).toBe(
      `SELECT SUM(${SURGE_METRICS.ended}) FROM SCHEMA("Flowguard", "function", "outcome") WHERE "function" = 'screen-caller'`,
    );
    expect(emitted.filter((e) => e.name === 'SurgeEnded').map((e) => e.dimensions)).toEqual([
      { function: 'screen-caller', outcome: 'ok' },
    ]);
    const alarm = alarmNamed('screen-caller-surge-ended');
    expect(alarm.Properties).toMatchObject({
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
    });
    expect(alarm.Properties?.OKActions).toBeUndefined();
    expect(prop<{ Period?: number }[]>(alarm, 'Metrics').map((m) => m.Period)).toEqual([60]);
  });

  it('alarms when the aggregate counts cannot be written, 5 times in 5 minutes', () => {
    expect(query('screen-caller-aggregate-flush-failed')).toBe(
      `SELECT SUM(AggregateFlushFailed) FROM SCHEMA("Flowguard", "function", "outcome") WHERE "function" = 'screen-caller'`,
    );
    expect(emitted.some((e) => e.name === 'AggregateFlushFailed')).toBe(true);
    const alarm = alarmNamed('screen-caller-aggregate-flush-failed');
    expect(alarm.Properties).toMatchObject({
      Threshold: 5,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
    });
    expect(alarm.Properties?.OKActions).toBeUndefined();
    expect(prop<{ Period?: number }[]>(alarm, 'Metrics').map((m) => m.Period)).toEqual([300]);
  });
});
