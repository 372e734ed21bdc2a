// The deploy smoke test's cases, run against the real functions wired to local AWS: every case
// passes on a healthy deployment, and the failures it exists for are recognised.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { type LocalContactCenter, startLocalContactCenter } from '@flowguard/cli';
import { flowHandler } from '@flowguard/contact';
import { edgeConnectClient, startContactFromEnv } from '@flowguard/edge';
import {
  type ForwardingClients,
  forwardContactRecords,
  forwardRecordings,
  type KinesisBatchHandler,
  matcher,
  type PolicyMatch,
  readForwardingConfig,
  readRecordingsForwardingConfig,
  validatePolicyDocument,
} from '@flowguard/forwarding';
import {
  FLOW_FUNCTION_NAMES,
  FUNCTION_NAMES,
  HTTP_FUNCTION_NAMES,
  STREAM_FUNCTION_NAMES,
} from '@flowguard/functions/registry';
import { HANDLERS_DIR, listFunctions, REPO_ROOT } from '@flowguard/scripts/bundle';
import {
  checkAnswer,
  checkHttpAnswer,
  checkStreamAnswer,
  EVENTS_DIR,
  HTTP_SMOKE_EVENTS,
  type HttpSmokeCase,
  httpSmokeEvent,
  type Invocation,
  inertHttpEvent,
  inertStreamEvent,
  probeOriginProblem,
  runSmoke,
  SMOKE_ORIGIN,
  SMOKE_SPECS,
  type SmokeCase,
  type SmokeSpec,
  STREAM_SMOKE_EVENT,
  smokeEvent,
  streamSmokeEvent,
} from '@flowguard/scripts/smoke';
import { ConnectDecryptor, secureInput } from '@flowguard/secure-input';
import {
  countRequests,
  type LocalDynamoDB,
  type LocalS3,
  type LocalSecretsManager,
  type RequestCounter,
  startLocalDynamoDB,
  startLocalS3,
  startLocalSecretsManager,
} from '@flowguard/testing';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const arn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:flowguard-${name}`;
const answer = (fields: Record<string, unknown>): Invocation => ({ payload: JSON.stringify(fields) });
const spec: SmokeSpec = { outputs: ['decision', 'reason'], required: ['decision', 'reason'], cases: [] };
const plain: SmokeCase = { event: 'voice-inbound', proves: 'a caller is screened' };

describe('smoke cases against the real functions', () => {
  let center: LocalContactCenter;

  beforeAll(async () => {
    center = await startLocalContactCenter();
  });

  afterAll(async () => {
    await center?.stop();
  });

  it('has cases for every function there is', async () => {
    // Every function in the registry, the stream functions included (SmokeSpecs is keyed by FunctionName).
    expect(Object.keys(SMOKE_SPECS).sort()).toEqual([...FUNCTION_NAMES].sort());
    expect(await listFunctions(HANDLERS_DIR)).toEqual(expect.arrayContaining([...FUNCTION_NAMES]));
    for (const name of FUNCTION_NAMES) expect(SMOKE_SPECS[name].cases.length).toBeGreaterThan(0);
    for (const name of STREAM_FUNCTION_NAMES) expect(SMOKE_SPECS[name].kind).toBe('stream');
    for (const name of HTTP_FUNCTION_NAMES) expect(SMOKE_SPECS[name].kind).toBe('http');
  });

  it.each(FLOW_FUNCTION_NAMES)('%s passes every case on a healthy deployment', async (name) => {
    const handler = center.functions[arn(name)];
    const smoke = SMOKE_SPECS[name];
    if (!handler || !smoke) throw new Error(`no local ${name}`);

    const failures = await runSmoke(
      async (event) => ({ payload: JSON.stringify(await handler(event)) }),
      smoke,
    );

    expect(failures).toEqual([]);
  });

  it('recognises secure-input whose keys secret holds no keys (key_unavailable)', async () => {
    const secrets = {
      getJson: async () => 'a generated random string',
      refresh: async () => 'a generated random string',
    };
    const handler = flowHandler(secureInput(new ConnectDecryptor({ secrets, secretId: 'keys' }), {}), {
      env: {},
      config: { logLevel: 'silent', metrics: false },
    });
    const smoke = SMOKE_SPECS['secure-input'];
    if (!smoke) throw new Error('no secure-input cases');

    const failures = await runSmoke(
      async (event) => ({ payload: JSON.stringify(await handler(event)) }),
      smoke,
    );

    expect(failures).toHaveLength(1);
    expect(failures[0]?.event).toBe('voice-inbound.json');
    expect(failures[0]?.problems.join('\n')).toMatch(
      /error=key_unavailable \(a key or secret could not be read.*\) where error=unknown_key was expected/,
    );
  });
});

describe('checkAnswer', () => {
  it('passes a flat answer with the declared keys', () => {
    expect(checkAnswer(answer({ decision: 'ALLOW', reason: 'ok', error: '' }), spec, plain)).toEqual([]);
  });

  it.each([
    ['a nested value', { decision: { value: 'ALLOW' }, reason: '', error: '' }, /decision not a string/],
    ['an array', ['ALLOW'], /not a map of strings/],
    ['an undeclared key', { decision: 'ALLOW', reason: '', error: '', pan: '4111' }, /contract: pan/],
    ['a missing key', { decision: 'ALLOW', error: '' }, /missing keys: reason/],
    [
      'a fail-mode answer',
      { decision: 'ALLOW', reason: '', error: 'timeout' },
      /fail-mode answer: error=timeout/,
    ],
    [
      'an unavailable store under reason',
      { decision: 'ALLOW', reason: 'store_unavailable', error: '' },
      /reason=store_unavailable \(the screening table/,
    ],
    [
      'an illegal key',
      { decision: 'ALLOW', reason: '', error: '', 'a-b': '' },
      /1 key\(s\) Connect cannot read/,
    ],
  ])('refuses %s', (_, fields, problem) => {
    expect(checkAnswer(answer(fields as Record<string, unknown>), spec, plain).join('\n')).toMatch(problem);
  });

  it('refuses an answer over 32 KB and one that is not JSON', () => {
    expect(checkAnswer({ payload: `"${'x'.repeat(33_000)}"` }, spec, plain)).toEqual([
      expect.stringMatching(/at most 32 KB/),
    ]);
    expect(checkAnswer({ payload: 'not json' }, spec, plain)).toEqual(['the answer is not JSON']);
  });

  it('names what a throw was, with a configuration error naming its variable', () => {
    const thrown = {
      functionError: 'Unhandled',
      payload: JSON.stringify({ errorType: 'ConfigError', errorMessage: 'FLOWGUARD_LIMITS: must be limits' }),
    };

    expect(checkAnswer(thrown, spec, plain)).toEqual([
      'the function threw (ConfigError: FLOWGUARD_LIMITS: must be limits) instead of answering',
    ]);
  });

  it('never repeats a value from the answer', () => {
    const fields = { decision: '+14155550123', reason: '4111111111111111', error: 'sk-4111 1111' };
    const problems = checkAnswer(answer(fields), spec, {
      ...plain,
      expect: { decision: ['ALLOW'] },
      nonEmpty: ['reason'],
    }).join('\n');

    expect(problems).toMatch(/error=\(not a code\)/);
    expect(problems).toMatch(/decision is not ALLOW/);
    expect(problems).not.toMatch(/4155550123|4111/);
  });

  it('checks a probe answers exactly the error it expects', () => {
    const probe = { ...plain, expectError: 'unknown_key' };

    expect(checkAnswer(answer({ decision: '', reason: '', error: 'unknown_key' }), spec, probe)).toEqual([]);
    expect(checkAnswer(answer({ decision: '', reason: '', error: '' }), spec, probe)).toEqual([
      'answered without error where error=unknown_key was expected',
    ]);
  });

  it('gives a case its own parameters in place of the recorded ones, from a fresh copy of the event', async () => {
    const event = (await smokeEvent({ ...plain, parameters: { schema: 'amount' } })) as {
      Details: { Parameters: unknown };
    };
    const recorded = (await smokeEvent(plain)) as { Details: { Parameters: Record<string, unknown> } };

    expect(event.Details.Parameters).toEqual({ schema: 'amount' });
    expect(recorded.Details.Parameters.policy).toBe('default');
  });
});

// The stream smoke: the real forward-contact-records and forward-recordings, configured as the stack
// configures them with the policies of docs/data-minimisation.md, on local S3 and Secrets Manager.
describe('the stream smoke against the real stream functions', () => {
  const DEAD_LETTERS = 'flowguard-dead-letters';
  const FINGERPRINT_SECRET = 'flowguard/fingerprint';
  const VOICE = join(REPO_ROOT, 'packages/forwarding/tests/fixtures/contact-record-voice.json');
  let s3: LocalS3;
  let secrets: LocalSecretsManager;
  /** Every request any client of the functions sent, as `client:Operation`. */
  const sent: string[] = [];
  const logs: string[] = [];

  /** Every policy of the documentation's examples, in one document. */
  const documentedPolicies = () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/data-minimisation.md'), 'utf8');
    const policies = new Map<string, unknown>();
    for (const [, json] of doc.matchAll(/```json\n([\s\S]*?)```/g)) {
      const block = JSON.parse(json ?? '') as { policies?: { name: string }[] };
      for (const policy of block.policies ?? []) policies.set(policy.name, policy);
    }
    return validatePolicyDocument({ version: 1, policies: [...policies.values()] });
  };

  /** Counts what a real client sends, before it is sent. */
  const recorded = <T extends { middlewareStack: { add(m: unknown, o: unknown): void } }>(
    name: string,
    client: T,
  ): T => {
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: unknown) => {
          sent.push(`${name}:${String(context.commandName).replace(/Command$/, '')}`);
          return next(args);
        },
      { step: 'initialize', name: 'deploySmokeRecorder' },
    );
    return client;
  };
  /** A destination with no local server: it records what it is asked to send, and fails it. */
  const refusing = (name: string) => ({
    send: async (command: object) => {
      sent.push(`${name}:${command.constructor.name.replace(/Command$/, '')}`);
      throw Object.assign(new Error('no such destination here'), { name: 'ResourceNotFoundException' });
    },
  });
  let clients: Partial<ForwardingClients>;

  const env = () => ({
    FLOWGUARD_FORWARD_POLICY: JSON.stringify(documentedPolicies()),
    FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET: DEAD_LETTERS,
    FLOWGUARD_FINGERPRINT_SECRET_ID: FINGERPRINT_SECRET,
  });
  const deps = () => ({
    clients,
    logSink: (line: string) => logs.push(line),
    metricSink: () => undefined,
    sleep: async () => undefined,
  });
  const handlers: Record<(typeof STREAM_FUNCTION_NAMES)[number], () => KinesisBatchHandler> = {
    'forward-contact-records': () =>
      forwardContactRecords({ config: readForwardingConfig(env()), ...deps() }),
    'forward-recordings': () =>
      forwardRecordings({ config: readRecordingsForwardingConfig(env()), ...deps() }),
  };
  const context = { awsRequestId: 'deploy-smoke', getRemainingTimeInMillis: () => 60_000 };
  /** Through JSON, as Lambda hands the function the Invoke payload and the deploy its answer. */
  const invokeWith =
    (handler: KinesisBatchHandler) =>
    async (event: Record<string, unknown>): Promise<Invocation> => ({
      payload: JSON.stringify(await handler(JSON.parse(JSON.stringify(event)), context)),
    });
  /** The smoke event carrying another record instead (raw text, as a stream could hold it). */
  const eventCarrying = async (record: string) => {
    const event = (await streamSmokeEvent({ event: STREAM_SMOKE_EVENT, proves: '' })) as {
      Records: { kinesis: { data: string } }[];
    };
    for (const r of event.Records) r.kinesis.data = Buffer.from(record).toString('base64');
    return event;
  };
  const smokeRecord = () => {
    const event = JSON.parse(readFileSync(join(EVENTS_DIR, `${STREAM_SMOKE_EVENT}.json`), 'utf8')) as {
      Records: { kinesis: { data: string } }[];
    };
    return JSON.parse(Buffer.from(event.Records[0]?.kinesis.data ?? '', 'base64').toString('utf8')) as Record<
      string,
      unknown
    >;
  };

  beforeAll(async () => {
    [s3, secrets] = await Promise.all([
      startLocalS3({ buckets: [DEAD_LETTERS, 'vendor-quality-drop', 'vendor-recordings'] }),
      startLocalSecretsManager(),
    ]);
    await secrets.client.send(
      new CreateSecretCommand({
        Name: FINGERPRINT_SECRET,
        SecretString: JSON.stringify({
          current: 1,
          keys: [{ version: 1, key: randomBytes(32).toString('base64') }],
        }),
      }),
    );
    clients = {
      s3: recorded('s3', s3.client),
      secretsManager: recorded('secretsManager', secrets.client),
      firehose: refusing('firehose') as unknown as ForwardingClients['firehose'],
      eventBridge: refusing('eventBridge') as unknown as ForwardingClients['eventBridge'],
      kinesis: refusing('kinesis') as unknown as ForwardingClients['kinesis'],
      ssm: refusing('ssm') as unknown as ForwardingClients['ssm'],
    };
  });

  afterAll(async () => {
    await Promise.all([s3?.stop(), secrets?.stop()]);
  });

  beforeEach(() => {
    sent.length = 0;
    logs.length = 0;
  });

  it('sends one Kinesis record, as Lambda delivers it, whose contact record has nothing a policy matches', async () => {
    const event = (await streamSmokeEvent({ event: STREAM_SMOKE_EVENT, proves: '' })) as {
      Records: Record<string, unknown>[];
    };

    expect(event.Records).toHaveLength(1);
    expect(event.Records[0]).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: '00000000-0000-4000-8000-000000000000',
        sequenceNumber: expect.stringMatching(/^\d{56}$/),
        data: expect.any(String),
        approximateArrivalTimestamp: expect.any(Number),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: expect.stringMatching(/^shardId-000000000000:\d{56}$/),
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: expect.stringMatching(/^arn:aws:iam::\d{12}:role\//),
      awsRegion: 'us-east-1',
      eventSourceARN: expect.stringMatching(/^arn:aws:kinesis:us-east-1:\d{12}:stream\//),
    });
    expect(smokeRecord()).toMatchObject({
      ContactId: '00000000-0000-4000-8000-000000000000',
      AWSContactTraceRecordFormatVersion: '2017-03-10',
      Queue: null,
      Agent: null,
      Channel: null,
      Attributes: {},
      Recording: null,
      Recordings: [],
    });
    expect(inertStreamEvent(event)).toEqual([]);
  });

  it.each(STREAM_FUNCTION_NAMES)(
    '%s answers {batchItemFailures: []} with the documented policies, and sends, copies and writes nothing',
    async (name) => {
      const handler = handlers[name]();
      const event = await streamSmokeEvent({ event: STREAM_SMOKE_EVENT, proves: '' });

      expect(await handler(JSON.parse(JSON.stringify(event)), context)).toEqual({ batchItemFailures: [] });
      expect(await runSmoke(invokeWith(handler), SMOKE_SPECS[name])).toEqual([]);

      // forward-contact-records reads the fingerprint key (the documented policies hash); nothing else went out.
      expect(sent.filter((request) => request !== 'secretsManager:GetSecretValue')).toEqual([]);
      if (name === 'forward-contact-records') expect(sent).toContain('secretsManager:GetSecretValue');
      // Every policy the function runs saw the record and filtered it.
      const closing = logs
        .map((line) => JSON.parse(line) as { message?: string; batch?: unknown; policies?: unknown })
        .filter((line) => line.message === 'batch forwarded');
      expect(closing).toHaveLength(2);
      const policies = documentedPolicies().policies.filter((p) =>
        name === 'forward-recordings' ? p.recordings : p.destination,
      );
      expect(policies.length).toBeGreaterThan(0);
      for (const line of closing) {
        expect(line.batch).toEqual({ RecordsIn: 1 });
        expect(line.policies).toEqual(
          Object.fromEntries(policies.map((p) => [p.name, { RecordsIn: 1, Filtered: 1 }])),
        );
      }
    },
  );

  it.each(STREAM_FUNCTION_NAMES)(
    '%s would send or write for a record a policy matches: what the smoke record must never be',
    async (name) => {
      const handler = handlers[name]();
      const event = await eventCarrying(readFileSync(VOICE, 'utf8'));

      await handler(event as unknown as Parameters<KinesisBatchHandler>[0], context);

      // Sends to the destinations (forward-contact-records), or heads, copies and dead letters (forward-recordings).
      expect(sent.filter((request) => request !== 'secretsManager:GetSecretValue')).not.toEqual([]);
      expect(inertStreamEvent(event)).toEqual([
        'its contact record sets Queue: a policy could match it',
        'its contact record sets Agent: a policy could match it',
        'its contact record sets Channel: a policy could match it',
        'its contact record has attributes: a policy could match them',
        'its contact record names a recording: forward-recordings could copy it',
      ]);
    },
  );

  it('refuses a smoke event that would be dead-lettered, or that is not one Kinesis record', async () => {
    expect(inertStreamEvent(await eventCarrying('{"Channel": null}'))).toEqual([
      'its contact record does not parse (not_a_contact_record: ContactId: missing): the function would write it to a dead letter',
    ]);
    expect(inertStreamEvent(await eventCarrying('not json'))).toEqual([
      'its contact record does not parse (not_json: data): the function would write it to a dead letter',
    ]);
    expect(inertStreamEvent({ Records: [] })).toEqual(['it does not hold exactly one record']);
    expect(inertStreamEvent(await smokeEvent({ event: 'voice-inbound', proves: '' }))).toEqual([
      'it does not hold exactly one record',
    ]);
  });

  it('no valid policy matches the smoke record, while the same conditions match a real record', () => {
    const smoke = smokeRecord();
    const voice = JSON.parse(readFileSync(VOICE, 'utf8')) as Parameters<ReturnType<typeof matcher>>[0];
    const valid = (match: unknown) =>
      validatePolicyDocument({
        version: 1,
        policies: [{ name: 'p', match, destination: { type: 'kinesis', stream: 's' } }],
      }).policies[0]?.match as PolicyMatch;
    const matching: PolicyMatch[] = [
      { queues: ['Cards'] },
      { queues: [(voice.Queue as { ARN: string }).ARN] },
      { routingProfiles: ['Cards Agents'] },
      { channels: ['VOICE', 'CHAT', 'TASK', 'EMAIL'] },
      { hierarchyGroups: ['Cards'] },
      { attributes: { businessUnit: ['cards'] } },
    ];
    for (const match of matching) {
      expect(matcher(valid(match))(voice)).toBe(true);
      expect(matcher(valid(match))(smoke as typeof voice)).toBe(false);
    }
    for (const policy of documentedPolicies().policies) {
      expect(matcher(policy.match)(smoke as typeof voice)).toBe(false);
    }
    // What would match everything is not a valid policy.
    for (const empty of [
      {},
      { queues: [] },
      { channels: [] },
      { attributes: {} },
      { attributes: { a: [] } },
    ]) {
      expect(() => valid(empty)).toThrow(/invalid policy/);
    }

    const names = fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 3 });
    const match = fc.record(
      {
        queues: names,
        routingProfiles: names,
        hierarchyGroups: names,
        channels: fc.array(fc.stringMatching(/^[A-Z][A-Z_]{0,31}$/), { minLength: 1, maxLength: 3 }),
        attributes: fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/), names, {
          minKeys: 1,
          maxKeys: 3,
        }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(match, (candidate) => {
        let policy: PolicyMatch;
        try {
          policy = valid(candidate);
        } catch {
          return true;
        }
        return !matcher(policy)(smoke as typeof voice);
      }),
      { numRuns: 500 },
    );
  });

  it('recognises an answer with a batch item failure, a throw, or another shape', () => {
    const failed = { payload: JSON.stringify({ batchItemFailures: [{ itemIdentifier: '4963000001' }] }) };

    expect(checkStreamAnswer({ payload: '{"batchItemFailures":[]}' })).toEqual([]);
    expect(checkStreamAnswer(failed)).toEqual([
      '1 batch item failure(s): the new version did not finish the smoke record, which Lambda would send again (see its log group)',
    ]);
    expect(
      checkStreamAnswer({
        functionError: 'Unhandled',
        payload: JSON.stringify({ errorType: 'PolicyError', errorMessage: 'parameter /p: invalid policy' }),
      }),
    ).toEqual([
      'the function threw (PolicyError) instead of answering; a stream function throws when its policy or fingerprint key cannot be had (see its log group)',
    ]);
    expect(checkStreamAnswer({ payload: 'null' })).toEqual([
      'the answer is not a partial batch response ({"batchItemFailures": [...]})',
    ]);
    expect(checkStreamAnswer({ payload: '{}' })).toEqual(['batchItemFailures is missing or not a list']);
    expect(checkStreamAnswer({ payload: '{"batchItemFailures":[],"decision":"ALLOW","a b":1}' })).toEqual([
      'keys outside the partial batch response: decision, 1 other(s)',
    ]);
    expect(checkStreamAnswer({ payload: '' })).toEqual(['the answer is not JSON']);
    expect(checkStreamAnswer(failed).join('\n')).not.toContain('4963000001');
  });
});

// The HTTP smoke: the real start-contact, configured as a deployment configures it, its store on
// dynalite (every request counted), Connect mocked (every call recorded), its secrets counted.
describe('the HTTP smoke against the real start-contact', () => {
  const ALLOWED = 'https://www.example.com';
  const FLOW_ID = '11111111-2222-4333-8444-555555555555';
  const SIGNING_SECRET = 'flowguard/edge-signing';
  let local: LocalDynamoDB;
  let store: RequestCounter;
  let secretReads = 0;
  const logs: string[] = [];
  const metrics: string[] = [];
  const connect = mockClient(edgeConnectClient({ region: 'us-east-1' }));
  const smoke = SMOKE_SPECS['start-contact'];
  const context = { awsRequestId: 'deploy-smoke', getRemainingTimeInMillis: () => 10_000 };

  const handlerWith = (env: Record<string, string> = {}) =>
    startContactFromEnv({
      env: {
        FLOWGUARD_TABLE_NAME: local.tableName,
        FLOWGUARD_IP_LIMITS: '10/10m',
        FLOWGUARD_AUTO_BLOCK_FACTOR: '0',
        FLOWGUARD_CONNECT_INSTANCE_ID: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
        FLOWGUARD_EDGE_FLOWS: `support=${FLOW_ID}`,
        FLOWGUARD_EDGE_ALLOWED_ORIGINS: ALLOWED,
        FLOWGUARD_EDGE_SIGNING_SECRET_ID: SIGNING_SECRET,
        FLOWGUARD_LOG_LEVEL: 'debug',
        ...env,
      },
      dynamo: local.client,
      connect: connect as never,
      secrets: {
        send: async () => {
          secretReads += 1;
          return { SecretString: randomBytes(32).toString('base64'), VersionId: 'v1', $metadata: {} };
        },
      },
      logSink: (line) => logs.push(line),
      metricSink: (line) => metrics.push(line),
    });
  type Handler = ReturnType<typeof handlerWith>;
  /** Through JSON, as Lambda hands the function the Invoke payload and the deploy its answer. */
  const invokeWith =
    (handler: Handler) =>
    async (event: Record<string, unknown>): Promise<Invocation> => ({
      payload: JSON.stringify(await handler(JSON.parse(JSON.stringify(event)), context)),
    });
  const probe = (name: string) => httpSmokeEvent({ ...(smoke.cases[0] as HttpSmokeCase), event: name });
  const storeRequests = () => store.total();

  beforeAll(async () => {
    local = await startLocalDynamoDB({ tableName: 'flowguard-deploy-smoke' });
    store = countRequests(local.client);
  });

  afterAll(async () => {
    await local?.stop();
  });

  beforeEach(() => {
    store.reset();
    connect.reset();
    connect
      .onAnyCommand()
      .resolves({ ContactId: 'contact-1', ParticipantId: 'p-1', ParticipantToken: 'pt-1' });
    secretReads = 0;
    logs.length = 0;
    metrics.length = 0;
  });

  it('sends a Function URL POST and a preflight from the probe origin, with no token, body or Content-Type', async () => {
    expect(smoke.cases.map((c) => c.event)).toEqual([HTTP_SMOKE_EVENTS.post, HTTP_SMOKE_EVENTS.preflight]);
    expect(SMOKE_ORIGIN).toBe('https://smoke.invalid');
    for (const name of Object.values(HTTP_SMOKE_EVENTS)) {
      const event = await probe(name);
      expect(event).toMatchObject({
        version: '2.0',
        routeKey: '$default',
        rawPath: '/',
        headers: { origin: SMOKE_ORIGIN },
        requestContext: {
          http: {
            method: name === HTTP_SMOKE_EVENTS.post ? 'POST' : 'OPTIONS',
            path: '/',
            sourceIp: '192.0.2.1',
          },
          domainName: expect.stringMatching(/\.lambda-url\.us-east-1\.on\.aws$/),
        },
        isBase64Encoded: false,
      });
      expect(event).not.toHaveProperty('body');
      expect(inertHttpEvent(event)).toEqual([]);
    }
  });

  it('passes on a healthy start-contact: 403, the fixed body, the security headers; nothing screened, started or read', async () => {
    const handler = handlerWith();

    expect(await runSmoke(invokeWith(handler), smoke)).toEqual([]);

    expect(storeRequests()).toBe(0);
    expect(connect.calls()).toHaveLength(0);
    expect(secretReads).toBe(0);
    // One line a probe, codes only: no address, no origin, no user agent.
    expect(logs.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({
        message: 'request',
        outcome: 'origin_refused',
        status: 403,
        payloadVersion: '2.0',
      }),
      expect.objectContaining({
        message: 'request',
        outcome: 'origin_refused',
        status: 403,
        payloadVersion: '2.0',
      }),
    ]);
    for (const text of [...logs, ...metrics]) {
      expect(text).not.toMatch(/192\.0\.2|smoke\.invalid|flowguard-deploy-smoke|lambda-url/);
    }
    for (const line of logs) {
      expect(Object.keys(JSON.parse(line) as object)).not.toEqual(
        expect.arrayContaining(['sourceIp', 'ip', 'origin', 'headers']),
      );
    }
  });

  it('the same handler does screen, count and start a contact for an allowed origin: the counters above are live', async () => {
    const handler = handlerWith();
    const event = (await probe(HTTP_SMOKE_EVENTS.post)) as {
      headers: Record<string, string>;
      body?: string;
    };
    event.headers = { ...event.headers, origin: ALLOWED, 'content-type': 'application/json' };
    event.body = JSON.stringify({ kind: 'chat', flow: 'support', displayName: 'Ada Lovelace' });

    const answer = await handler(event, context);

    expect(answer.statusCode).toBe(200);
    expect(storeRequests()).toBeGreaterThan(0);
    expect(connect.calls()).toHaveLength(1);
    expect(inertHttpEvent(event)).toEqual([
      `its Origin header is not exactly ${SMOKE_ORIGIN}: an allowed origin would be served`,
      'it sends a Content-Type: a JSON body would be read if the origin were allowed',
      'it has a body: it would be read if the origin were allowed',
    ]);
  });

  it('stops before screening even where the probe origin is allowed (415, 204), and the smoke fails', async () => {
    const env = { FLOWGUARD_EDGE_ALLOWED_ORIGINS: `${ALLOWED},${SMOKE_ORIGIN}` };
    const handler = handlerWith(env);

    const failures = await runSmoke(invokeWith(handler), smoke);

    expect(failures).toEqual([
      {
        event: `${HTTP_SMOKE_EVENTS.post}.json`,
        problems: [
          'answered 415 where 403 was expected (the probe origin was not refused first)',
          'the Access-Control-Allow-Origin header is there: it must not be',
          'the body is not the fixed 403 body',
        ],
      },
      {
        event: `${HTTP_SMOKE_EVENTS.preflight}.json`,
        problems: [
          'answered 204 where 403 was expected (the probe origin was not refused first)',
          'the Content-Type header is missing or not application/json; charset=utf-8',
          'the Access-Control-Allow-Origin header is there: it must not be',
          'the Access-Control-Allow-Methods header is there: it must not be',
          'the Access-Control-Allow-Headers header is there: it must not be',
          'the body is not the fixed 403 body',
        ],
      },
    ]);
    expect(storeRequests()).toBe(0);
    expect(connect.calls()).toHaveLength(0);
    expect(secretReads).toBe(0);
    // Which the deploy refuses before sending anything.
    expect(probeOriginProblem({ Environment: { Variables: env } })).toBe(
      'FLOWGUARD_EDGE_ALLOWED_ORIGINS allows the probe origin https://smoke.invalid, so the probes would get past the origin check: take it off the allow-list',
    );
  });

  it('recognises a start-contact that cannot start (a bad variable throws at init)', () => {
    expect(() => handlerWith({ FLOWGUARD_EDGE_FLOWS: 'support=not-a-uuid' })).toThrow(/FLOWGUARD_EDGE_FLOWS/);
    const thrown: Invocation = {
      functionError: 'Unhandled',
      payload: JSON.stringify({
        errorType: 'ConfigError',
        errorMessage: 'FLOWGUARD_EDGE_FLOWS: entry 1: the contact flow id must be a UUID',
      }),
    };

    expect(checkHttpAnswer(thrown, smoke.cases[0] as HttpSmokeCase)).toEqual([
      'the function threw (ConfigError: FLOWGUARD_EDGE_FLOWS: entry 1: the contact flow id must be a UUID) instead of answering; start-contact answers every request, so a throw is its initialisation failing (see its log group)',
    ]);
  });

  it('refuses an HTTP smoke event that could get past the origin check', async () => {
    const post = await probe(HTTP_SMOKE_EVENTS.post);
    const withHeaders = (headers: Record<string, string>) => ({
      ...post,
      headers: { ...(post.headers as Record<string, string>), ...headers },
    });
    const { origin: _, ...noOrigin } = post.headers as Record<string, string>;

    expect(inertHttpEvent({ ...post, headers: noOrigin })).toEqual([
      `its Origin header is not exactly ${SMOKE_ORIGIN}: an allowed origin would be served`,
    ]);
    expect(inertHttpEvent(withHeaders({ Origin: SMOKE_ORIGIN }))).toEqual([
      `its Origin header is not exactly ${SMOKE_ORIGIN}: an allowed origin would be served`,
    ]);
    expect(inertHttpEvent(withHeaders({ origin: 'https://SMOKE.invalid' }))).toHaveLength(1);
    expect(inertHttpEvent(withHeaders({ authorization: 'Bearer x', cookie: 'a=b' }))).toEqual([
      'it sends an Authorization header',
      'it sends a cookie',
    ]);
    expect(inertHttpEvent({ ...post, body: '{}' })).toEqual([
      'it has a body: it would be read if the origin were allowed',
    ]);
    expect(inertHttpEvent({ ...post, version: '1.0' })).toEqual([
      'it is not a payload format 2.0 event (version "2.0")',
    ]);
    expect(inertHttpEvent({ ...post, httpMethod: 'POST' })).toEqual([
      'it mixes in payload format 1.0 fields (httpMethod, multiValueHeaders)',
    ]);
    expect(inertHttpEvent({ version: '2.0', requestContext: {} })).toEqual([
      'it has no requestContext.http.method',
    ]);
    expect(inertHttpEvent(await smokeEvent({ event: 'chat', proves: '' }))).toHaveLength(1);
  });

  it('recognises an answer of another status, a throw, or another shape, never repeating the answer', () => {
    const post = smoke.cases[0] as HttpSmokeCase;
    const response = (fields: Record<string, unknown>): Invocation => ({
      payload: JSON.stringify({
        statusCode: 403,
        headers: { ...post.headers },
        body: post.body,
        isBase64Encoded: false,
        ...fields,
      }),
    });
    const secret = JSON.stringify({ contactId: 'c-4111', participantToken: 'pt-4111111111111111' });

    expect(checkHttpAnswer(response({}), post)).toEqual([]);
    // Header names are case-insensitive; isBase64Encoded may be left out.
    expect(
      checkHttpAnswer(
        response({
          headers: Object.fromEntries(Object.entries(post.headers).map(([k, v]) => [k.toLowerCase(), v])),
          isBase64Encoded: undefined,
        }),
        post,
      ),
    ).toEqual([]);
    expect(checkHttpAnswer(response({ statusCode: 200, body: secret }), post)).toEqual([
      'answered 200 where 403 was expected (the probe origin was not refused first)',
      'the body is not the fixed 403 body',
    ]);
    expect(checkHttpAnswer(response({ statusCode: 500 }), post)).toEqual([
      'answered 500 where 403 was expected (the function could not answer: see its log group)',
    ]);
    expect(checkHttpAnswer(response({ statusCode: '403' }), post)).toEqual([
      'statusCode is not an HTTP status (an integer 100 to 599)',
    ]);
    expect(
      checkHttpAnswer(response({ headers: { ...post.headers, 'Access-Control-Allow-Origin': '*' } }), post),
    ).toEqual(['the Access-Control-Allow-Origin header is there: it must not be']);
    expect(checkHttpAnswer(response({ headers: { 'Content-Type': 'text/html' } }), post)).toHaveLength(5);
    expect(checkHttpAnswer(response({ headers: [] }), post)).toEqual([
      'headers is missing or not a map of strings',
    ]);
    expect(checkHttpAnswer(response({ body: { error: 'forbidden' } }), post)).toEqual([
      'body is missing or not a string',
    ]);
    expect(checkHttpAnswer(response({ isBase64Encoded: true }), post)).toEqual([
      'isBase64Encoded is not false',
    ]);
    expect(checkHttpAnswer(response({ cookies: ['a=b'], 'x y': 1 }), post)).toEqual([
      'keys outside an HTTP response: cookies, 1 other(s)',
    ]);
    for (const payload of ['null', '[]', '{"decision":"ALLOW","error":""}', '{"batchItemFailures":[]}']) {
      expect(checkHttpAnswer({ payload }, post)).toEqual([
        'the answer is not an HTTP response (an object with statusCode, headers and body)',
      ]);
    }
    expect(checkHttpAnswer({ payload: '' }, post)).toEqual(['the answer is not JSON']);
    expect(
      checkHttpAnswer(
        {
          functionError: 'Unhandled',
          payload: JSON.stringify({ errorType: 'TypeError', errorMessage: secret }),
        },
        post,
      ),
    ).toEqual([
      'the function threw (TypeError) instead of answering; start-contact answers every request, so a throw is its initialisation failing (see its log group)',
    ]);
    expect(checkHttpAnswer(response({ statusCode: 200, body: secret }), post).join('\n')).not.toMatch(/4111/);
  });

  it('finds the probe origin in an allow-list in any form, and refuses a configuration it cannot read', () => {
    const allowing = (origins: string) =>
      probeOriginProblem({ Environment: { Variables: { FLOWGUARD_EDGE_ALLOWED_ORIGINS: origins } } });

    expect(allowing(ALLOWED)).toBeUndefined();
    expect(probeOriginProblem({})).toBeUndefined();
    for (const origins of [
      SMOKE_ORIGIN,
      `${ALLOWED}, https://SMOKE.INVALID/`,
      'https://smoke.invalid:443',
      'http://smoke.invalid',
    ]) {
      expect(allowing(origins)).toMatch(/allows the probe origin https:\/\/smoke\.invalid/);
    }
    expect(
      probeOriginProblem({
        Environment: { Error: { ErrorCode: 'KMSAccessDeniedException', Message: 'x' } },
      }),
    ).toBe(
      "its environment variables could not be read (KMSAccessDeniedException), so it is not known whether FLOWGUARD_EDGE_ALLOWED_ORIGINS allows the probe origin https://smoke.invalid: the deploying role must be able to read them (kms:Decrypt on the function's KMS key)",
    );
  });
});
