import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  challengeFunction,
  readChallengeConfig,
  readScreeningConfig,
  Screener,
  SigningKeys,
  screenCaller,
} from '@flowguard/caller-screening';
import { type LocalContactCenter, startLocalContactCenter } from '@flowguard/cli';
import { flowHandler } from '@flowguard/contact';
import { edgeConnectClient, startContactFromEnv } from '@flowguard/edge';
import { type Flow, FlowSimulator, parseFlow, renderFlow, type Trace } from '@flowguard/flow-sim';
import {
  forwardContactRecords,
  forwardRecordings,
  type KinesisBatchHandler,
  readForwardingConfig,
  readRecordingsForwardingConfig,
} from '@flowguard/forwarding';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalConnect,
  type LocalKinesis,
  type LocalS3,
  lambdaKinesisEvent,
  startLocalAws,
  startLocalConnect,
  startLocalFunctionUrl,
} from '@flowguard/local';
import { REPO_ROOT } from './bundle.js';

export interface DemoOptions {
  write: (text: string) => void;
}

interface Row {
  scenario: string;
  outcome: string;
  ending: string;
  agentSees: string;
}

function endingOf(trace: Trace): string {
  if (trace.ending.kind === 'queue') return 'queued for an agent';
  if (trace.ending.kind === 'disconnect') return 'disconnected';
  return `${trace.ending.kind}${trace.ending.note ? ` (${trace.ending.note})` : ''}`;
}

/** What the agent's contact panel shows: the contact attributes the flow set. */
function agentView(trace: Trace): string {
  const shown = Object.entries(trace.attributes).filter(
    ([key, value]) =>
      value !== '' && key !== 'cardToken' && key !== 'cardFingerprint' && !key.startsWith('flowguard'),
  );
  const hidden = ['cardToken', 'cardFingerprint'].filter((key) => trace.attributes[key]);
  const signed = Object.keys(trace.attributes).some((key) => key.startsWith('flowguard'));
  const text = [
    shown.map(([key, value]) => `${key}=${value}`).join(', '),
    ...(signed ? ["start-contact's signed identity (flowguard*)"] : []),
  ]
    .filter(Boolean)
    .join(', ');
  return hidden.length > 0
    ? `${text}${text ? ', ' : ''}${hidden.join(' and ')} (for the back office)`
    : text || '(nothing)';
}

/**
 * The demo: local DynamoDB, keys made the way `flowguard keys create` makes them, rules and a
 * blocklist entry, and scripted calls through the shipped flows with the real functions. What
 * it prints never contains a digit string the caller typed.
 */
export async function runDemo({ write }: DemoOptions): Promise<number> {
  const started = performance.now();
  const say = (line = '') => write(`${line}\n`);
  say('flowguard demo: scripted calls through the real flows, on local AWS (no account needed)');
  say();

  // The contact centre (DynamoDB, Secrets Manager, KMS) and, for the forwarding scenario, Kinesis
  // and S3, started side by side; whatever started is stopped if anything fails.
  const [startedCenter, startedStreams, startedConnect] = await Promise.allSettled([
    startLocalContactCenter({ env: SCREENING_ENV }),
    startLocalAws({
      kinesis: true,
      s3: true,
      s3Options: { buckets: [RECORDINGS_BUCKET, EXTERNAL_BUCKET, DEAD_LETTER_BUCKET] },
    }),
    // Connect's start APIs, for the web-chat scenario: the web-chat flow is the one it knows.
    startLocalConnect({ contactFlowIds: [WEB_CHAT_FLOW_ID] }),
  ]);
  if (
    startedCenter.status === 'rejected' ||
    startedStreams.status === 'rejected' ||
    startedConnect.status === 'rejected'
  ) {
    const all = [startedCenter, startedStreams, startedConnect];
    await Promise.allSettled(all.flatMap((r) => (r.status === 'fulfilled' ? [r.value.stop()] : [])));
    throw (all.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
  }
  const center = startedCenter.value;
  const streams = startedStreams.value;
  const connect = startedConnect.value;
  try {
    const { store, functions, values, encrypt } = center;
    say(`local DynamoDB (dynalite) on ${center.local.endpoint}, table ${center.local.tableName}`);
    say(
      `local Secrets Manager on ${center.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '?'} (the Connect keys, the fingerprint key), local KMS on ${center.env.AWS_ENDPOINT_URL_KMS ?? '?'} (the token key)`,
    );
    say(
      `local Kinesis (kinesalite) on ${streams.kinesis.endpoint} and S3 (s3rver) on ${streams.s3.endpoint} (the contact-record stream, the buckets)`,
    );
    say(
      `local Connect on ${connect.endpoint} (AWS_ENDPOINT_URL_CONNECT: StartChatContact, StartWebRTCContact, StartTaskContact; contacts recorded, their flows run here)`,
    );
    say('made an RSA-4096 Connect key with a self-signed certificate (what flowguard keys create does)');
    const now = Math.floor(Date.now() / 1000);
    const rule = { note: 'premium-rate numbers', createdBy: 'demo', createdAt: now, expiresAt: 0 };
    await store.putRule({ ...rule, type: 'prefix', value: '+1900', action: 'BLOCK' });
    await store.block({
      key: 'tel:+14155550666',
      untilSeconds: now + 7 * 86_400,
      reason: 'reported fraud',
      by: 'fraud-team',
      nowSeconds: now,
      action: 'block',
    });
    say(
      `rules: block +1900 (premium rate); blocklist: +14155550666 for 7 days; limits 2 calls per 10 minutes, ${CHATS_PER_ADDRESS} web chats per address`,
    );
    say();

    // The stack fills `${ChallengeModuleArn}` with the challenge module's ARN; here the module is
    // flows/challenge.json, found by that ARN when a flow invokes it.
    const flow = (name: string): Flow =>
      renderFlow(parseFlow(JSON.parse(readFileSync(join(REPO_ROOT, 'flows', `${name}.json`), 'utf8'))), {
        ...values,
        ChallengeModuleArn: CHALLENGE_MODULE_ARN,
      });

    const rows: Row[] = [];
    let scenario = 0;
    const call = async (
      title: string,
      name: string,
      contact: { caller: string | null; attributes?: Record<string, string> },
      inputs: string[] = [],
      listener = 'caller',
    ) => {
      const trace = await new FlowSimulator(flow(name)).run({
        contact: { ...contact, dialed: '+18005550100' },
        functions,
        inputs,
        encrypt,
      });
      const decision = trace.invocations
        .map((i) => i.response)
        .filter((r): r is Record<string, unknown> => r !== undefined)
        .map((r) =>
          r.decision
            ? `${String(r.decision)} (${String(r.reason)})`
            : r.flagged
              ? `flagged=${String(r.flagged)}`
              : `valid=${String(r.valid)}${r.errorCode ? ` (${String(r.errorCode)})` : ''}`,
        );
      say(`  ${title}`);
      for (const line of trace.heard) say(`    ${`${listener} hears:`.padEnd(14)}"${line}"`);
      if (inputs.length > 0)
        say(
          `    caller keys:  ${inputs.map((keys) => `${keys.replace(/#$/, '').length} digits`).join(', then ')} (encrypted by Connect when the flow asks)`,
        );
      say(`    functions:    ${decision.join(' → ') || '(none)'}`);
      say(`    ending:       ${endingOf(trace)}`);
      say(`    agent sees:   ${agentView(trace)}`);
      say();
      return { trace, outcome: decision.at(-1) ?? '' };
    };
    const scene = (title: string) => {
      scenario++;
      say(`${scenario}. ${title}`);
    };
    const record = (title: string, result: { trace: Trace; outcome: string }) =>
      rows.push({
        scenario: title,
        outcome: result.outcome,
        ending: endingOf(result.trace),
        agentSees: agentView(result.trace),
      });

    scene('An ordinary caller');
    record(
      'ordinary caller',
      await call('call from +14155550101', 'caller-screening', { caller: '+14155550101' }),
    );

    scene('A repeat caller: throttled, then auto-blocked');
    for (let i = 1; i <= 4; i++) {
      const result = await call(`call ${i} from +14155550102`, 'caller-screening', {
        caller: '+14155550102',
      });
      if (i >= 3) record(`repeat caller, call ${i}`, result);
    }

    scene('A blocklisted number');
    record(
      'blocklisted caller',
      await call('call from +14155550666', 'caller-screening', { caller: '+14155550666' }),
    );

    scene('A premium-rate number (rule)');
    record(
      'premium-rate caller',
      await call('call from +19005550123', 'caller-screening', { caller: '+19005550123' }),
    );

    scene('A withheld caller (their own class: no shared bucket)');
    record(
      'withheld caller',
      await call('call from "anonymous"', 'caller-screening', { caller: 'anonymous' }),
    );

    scene('A card payment: an invalid number, then a valid one');
    record(
      'card payment',
      await call('payment call from +14155550103', 'secure-payment', { caller: '+14155550103' }, [
        '4111111111111112#',
        '4111111111111111#',
      ]),
    );

    scene('An agent flags an abusive caller; the caller is turned away next time');
    await call(
      'agent quick connect during a call from +14155550104',
      'agent-flag-caller',
      { caller: '+14155550104', attributes: { agentLogin: 'agent-7' } },
      [],
      'agent',
    );
    record(
      'flagged caller calls again',
      await call('next call from +14155550104', 'caller-screening', { caller: '+14155550104' }),
    );

    scene(
      'Contact records and recordings to an external system, minimised (forward-contact-records, forward-recordings)',
    );
    await forwardingScenario(say, {
      kinesis: streams.kinesis,
      s3: streams.s3,
      secretsManagerEndpoint: center.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '',
    });

    scene('Chats from a website: start-contact screens them at the edge, before Connect');
    const chats = await webChatScenario(say, { center, connect, flow: flow('web-chat') });
    rows.push(...chats);

    scene('A flood of spoofed numbers: surge mode');
    rows.push(
      ...(await surgeScenario(say, {
        center,
        screening: flow('caller-screening'),
        challengeModule: flow('challenge'),
      })),
    );

    say('Summary of the calls');
    const header: Row = {
      scenario: 'scenario',
      outcome: 'last answer',
      ending: 'ending',
      agentSees: 'agent sees',
    };
    const widths = (['scenario', 'outcome', 'ending'] as const).map((k) =>
      Math.max(...[header, ...rows].map((r) => r[k].length)),
    );
    for (const row of [header, ...rows]) {
      say(
        `  ${row.scenario.padEnd(widths[0] ?? 0)}  ${row.outcome.padEnd(widths[1] ?? 0)}  ${row.ending.padEnd(widths[2] ?? 0)}  ${row.agentSees}`,
      );
    }
    say();
    say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s; local servers stopped`);
    return 0;
  } finally {
    await Promise.all([center.stop(), streams.stop(), connect.stop()]);
  }
}

// ---------------------------------------------------------------------------------------------
// The web-chat scenario: the real start-contact handler behind a local Function URL, flooded from
// one address; the chats it started run flows/web-chat.json, whose screen-caller trusts the
// identity start-contact signed; a forged and a replayed signature are refused.

/** The screening settings every function of the demo gets (the same table, rules and limits). */
const SCREENING_ENV = {
  FLOWGUARD_LIMITS: '2/10m,10/1d',
  FLOWGUARD_IP_LIMITS: '20/10m,100/1d',
  FLOWGUARD_AUTO_BLOCK_FACTOR: '2',
} as const;
/** The chats one address may start in 10 minutes (FLOWGUARD_IP_LIMITS). */
const CHATS_PER_ADDRESS = 20;
/** The web-chat flow's id in the local Connect (what FLOWGUARD_EDGE_FLOWS names). */
const WEB_CHAT_FLOW_ID = '00000000-0000-4000-8000-0000000000c1';
const WEBSITE = 'https://www.example.com';
/** The one address the flood comes from (a documentation address, RFC 5737). */
const FLOOD_ADDRESS = '203.0.113.50';
const FLOOD_REQUESTS = 30;

/** What the web-chat scenario showed, for the test: counts, not timings. */
export const WEB_CHAT_DEMO = {
  address: FLOOD_ADDRESS,
  requests: FLOOD_REQUESTS,
  started: CHATS_PER_ADDRESS,
} as const;

/** A token as the demo prints it: its label, never its random part. */
const masked = (token: unknown) =>
  typeof token === 'string'
    ? `${token.replace(/^(LOCAL-[a-z]+-).*$/, '$1')}… (${token.length} chars, masked)`
    : '(none)';

async function webChatScenario(
  say: (line?: string) => void,
  local: { center: LocalContactCenter; connect: LocalConnect; flow: Flow },
): Promise<Row[]> {
  const { center, connect, flow } = local;
  const env = {
    ...SCREENING_ENV,
    AWS_REGION: LOCAL_REGION,
    FLOWGUARD_TABLE_NAME: center.local.tableName,
    FLOWGUARD_CONNECT_INSTANCE_ID: connect.instanceId,
    FLOWGUARD_EDGE_FLOWS: `web-chat=${WEB_CHAT_FLOW_ID}`,
    FLOWGUARD_EDGE_ALLOWED_ORIGINS: WEBSITE,
    FLOWGUARD_EDGE_SIGNING_SECRET_ID: center.env.FLOWGUARD_EDGE_SIGNING_SECRET_ID ?? '',
  };
  const secretsManager = new SecretsManagerClient({
    region: LOCAL_REGION,
    endpoint: center.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '',
    credentials: LOCAL_CREDENTIALS,
  });
  const connectClient = edgeConnectClient({
    region: LOCAL_REGION,
    endpoint: connect.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  // The handler as deployed (its configuration read from `env` at init), its clients pointed at
  // local DynamoDB, local Secrets Manager (the signing key) and the local Connect.
  const handler = startContactFromEnv({
    env,
    dynamo: center.local.client,
    secrets: secretsManager,
    connect: connectClient,
    logSink: () => undefined,
    metricSink: () => undefined,
  });
  // A Function URL takes requestContext.http.sourceIp from the TCP connection. Every connection
  // here comes from 127.0.0.1, so the local front end reports them as the flooding client's.
  const endpoint = await startLocalFunctionUrl(handler, { sourceIp: FLOOD_ADDRESS });
  const rows: Row[] = [];
  try {
    say(
      `  start-contact (the real handler, startContactFromEnv) behind a local Function URL on ${endpoint.url}; Connect instance ${connect.instanceId.slice(0, 8)}…, flow web-chat`,
    );
    say(
      `    its signing key: 32 random bytes in local Secrets Manager (${env.FLOWGUARD_EDGE_SIGNING_SECRET_ID}), never printed; screen-caller verifies with the same secret`,
    );
    say(
      `  a script floods it with ${FLOOD_REQUESTS} chat requests at once, all from one address, ${FLOOD_ADDRESS}`,
    );
    say(
      '    the address comes from the connection (a Function URL reports the TCP peer as requestContext.http.sourceIp;',
    );
    say(
      '    this local front end plays that peer), not from a header: each request also sends a different X-Forwarded-For,',
    );
    say('    which start-contact ignores (no trusted proxy is configured)');
    const before = connect.requests.byOperation.get('StartChatContact') ?? 0;
    const answers = await Promise.all(
      Array.from({ length: FLOOD_REQUESTS }, async (_, i) => {
        const response = await fetch(endpoint.url, {
          method: 'POST',
          headers: {
            origin: WEBSITE,
            'content-type': 'application/json',
            'x-forwarded-for': `198.51.100.${i + 1}`,
          },
          body: JSON.stringify({ kind: 'chat', flow: 'web-chat', displayName: `visitor ${i + 1}` }),
        });
        return {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: (await response.json()) as Record<string, unknown>,
        };
      }),
    );
    const started = answers.filter((a) => a.status === 200);
    const throttled = answers.filter((a) => a.status === 429 && a.retryAfter !== null);
    const forbidden = answers.filter((a) => a.status === 403);
    const other = answers.length - started.length - throttled.length - forbidden.length;
    const retryAfter = [...new Set(throttled.map((a) => a.retryAfter))].join(', ');
    const starts = (connect.requests.byOperation.get('StartChatContact') ?? 0) - before;
    say(
      `    200, chat started:         ${started.length} (the limit: ${CHATS_PER_ADDRESS} chats per address in 10 minutes)`,
    );
    say(`    429 with Retry-After:      ${throttled.length} (Retry-After ${retryAfter} s)`);
    if (forbidden.length > 0) say(`    403, blocked:              ${forbidden.length}`);
    if (other > 0) say(`    other answers:             ${other}`);
    say(
      `  Connect saw ${starts} StartChatContact requests and started ${connect.contacts.length} chats: the ${FLOOD_REQUESTS - started.length} refused requests never reached it`,
    );
    const first = started[0]?.body ?? {};
    say(
      `    a started chat's answer: ContactId ${String(first.ContactId)}, ParticipantToken ${masked(first.ParticipantToken)}`,
    );
    const countsOf = async () => [
      ...((await center.store.getState(`ip:${FLOOD_ADDRESS}`))?.counts.values() ?? []),
    ];
    const countedBefore = await countsOf();
    say();

    say(
      `  each started chat runs flows/web-chat.json with the attributes Connect gave it (the signed identity: ${Object.keys(
        connect.contacts[0]?.attributes ?? {},
      ).join(', ')})`,
    );
    const run = (contact: { contactId: string; attributes: Readonly<Record<string, string>> }) =>
      new FlowSimulator(flow).run({
        contact: {
          caller: null,
          channel: 'CHAT',
          initiationMethod: 'API',
          contactId: contact.contactId,
          attributes: contact.attributes,
        },
        functions: center.functions,
      });
    const answerOf = (trace: Trace) => {
      const r = trace.invocations[0]?.response;
      return r ? `${String(r.decision)} (${String(r.reason)})` : (trace.invocations[0]?.error ?? '(none)');
    };
    const traces: Trace[] = [];
    for (const contact of connect.contacts) traces.push(await run(contact));
    const byOutcome = new Map<string, number>();
    for (const trace of traces) {
      const key = `${answerOf(trace)} → ${endingOf(trace)}`;
      byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
    }
    for (const [outcome, n] of byOutcome) say(`    ${n} of ${traces.length} chats: screen-caller ${outcome}`);
    const countedAfter = await countsOf();
    const same = countedAfter.join() === countedBefore.join();
    say(
      `    the address's counts (10 minutes, 1 day): ${countedBefore.join(', ')} after the flood (each request counted once, refused ones too), ${countedAfter.join(', ')} after the chats' flows${same ? ': screen-caller counted none of them again' : ': COUNTED AGAIN'}`,
    );
    if (traces[0]) {
      rows.push({
        scenario: 'web chat started at the edge',
        outcome: answerOf(traces[0]),
        ending: endingOf(traces[0]),
        agentSees: agentView(traces[0]),
      });
    }
    say();

    // A chat whose signature was not made with the signing key, and a started chat's signed
    // attributes presented again by another contact: both have no identity, and are refused.
    const original = connect.contacts[0];
    if (original) {
      const forgedSignature = `v1.${Buffer.alloc(32, 7).toString('base64url')}`;
      const attempts: [string, string, Readonly<Record<string, string>>][] = [
        [
          "a forged signature (a started chat's identity, signed with another key)",
          'web chat, forged signature',
          { ...original.attributes, flowguardSignature: forgedSignature },
        ],
        [
          "a replay (the first chat's signed attributes on a new contact)",
          'web chat, replayed signature',
          original.attributes,
        ],
      ];
      for (const [title, scenario, attributes] of attempts) {
        const trace = await run({ contactId: crypto.randomUUID(), attributes });
        say(`  ${title}`);
        for (const line of trace.heard) say(`    ${'customer reads:'.padEnd(16)}"${line}"`);
        say(`    functions:      ${answerOf(trace)}`);
        say(`    ending:         ${endingOf(trace)}`);
        rows.push({
          scenario,
          outcome: answerOf(trace),
          ending: endingOf(trace),
          agentSees: agentView(trace),
        });
      }
      say();
    }
    return rows;
  } finally {
    await endpoint.stop();
    connectClient.destroy();
    secretsManager.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The surge scenario: a flood of calls from spoofed numbers, each new, so no per-caller limit
// trips; the aggregate counts put the line in surge, and caller-screening's CHALLENGE branch runs
// the IVR challenge module. The real screen-caller and challenge functions on the local table,
// with a virtual clock: a minute of calls plays in well under a second, the same way every run.

/** The challenge module's ARN as the stack fills `${ChallengeModuleArn}`; its last part names flows/challenge.json. */
const CHALLENGE_MODULE_ARN = 'arn:aws:connect:us-east-1:000000000000:instance/local/flow-module/challenge';
const SURGE_THRESHOLD = 20;
/** screen-caller's settings in this scenario: the demo's, and surge mode on. */
const SURGE_ENV = {
  ...SCREENING_ENV,
  FLOWGUARD_SURGE_THRESHOLDS: `all:${SURGE_THRESHOLD}/10s`,
  FLOWGUARD_SURGE_HOLD: '10s',
} as const;
const SURGE_BURST = 40;
/** Between two calls of the burst (virtual time). */
const SURGE_SPACING_MS = 100;
/** The trickle after the flood: one call every this many ms (virtual), for at most this long. */
const TRICKLE_SPACING_MS = 2000;
const TRICKLE_MAX_MS = 40_000;
const PERSON = '+14155550142';
const ROBOCALLER = '+14155550143';
const CHALLENGE_SECRET_ID = 'flowguard/challenge';

/** What the surge scenario plays, for the test: counts, not timings. */
export const SURGE_DEMO = {
  burst: SURGE_BURST,
  threshold: SURGE_THRESHOLD,
  person: PERSON,
  robocaller: ROBOCALLER,
} as const;

/** Numbers that look random and are all different (a fixed sequence: the demo prints the same every run). */
function spoofedNumbers(count: number): string[] {
  const areas = [212, 305, 312, 404, 503, 602, 617, 702, 713, 818, 919];
  let seed = 0x5eed;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 8;
  };
  const numbers = new Set<string>();
  while (numbers.size < count) {
    const area = areas[next() % areas.length] ?? 212;
    const exchange = 200 + (next() % 800);
    const line = String(next() % 10_000).padStart(4, '0');
    numbers.add(`+1${area}${exchange}${line}`);
  }
  return [...numbers];
}

async function surgeScenario(
  say: (line?: string) => void,
  local: { center: LocalContactCenter; screening: Flow; challengeModule: Flow },
): Promise<Row[]> {
  const { center, screening, challengeModule } = local;
  // The challenge key, made the way the stack makes it (48 random bytes, base64), in local
  // Secrets Manager; the challenge function reads it from there.
  const secretsManager = new SecretsManagerClient({
    region: LOCAL_REGION,
    endpoint: center.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '',
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    await secretsManager.send(
      new CreateSecretCommand({
        Name: CHALLENGE_SECRET_ID,
        SecretString: Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64'),
      }),
    );
    const keys = new SigningKeys(
      {
        get: async (secretId, options) => {
          const got = await secretsManager.send(
            new GetSecretValueCommand({ SecretId: secretId, VersionStage: options?.versionStage }),
          );
          return { value: got.SecretString ?? got.SecretBinary ?? '' };
        },
      },
      CHALLENGE_SECRET_ID,
    );
    // A virtual clock for this screen-caller instance and its challenge function: an hour ahead,
    // at the start of a minute, so no count of the earlier scenarios falls in its windows.
    const start = Math.ceil(Date.now() / 60_000) * 60_000 + 3_600_000;
    let now = start;
    const clock = () => now;
    const since = (ms = now) => `+${((ms - start) / 1000).toFixed(1)} s`;
    const screener = new Screener({ store: center.store, config: readScreeningConfig(SURGE_ENV), clock });
    const surgeEvents: { kind: 'started' | 'ended'; at: number }[] = [];
    const metricSink = (line: string) => {
      const metrics = JSON.parse(line) as Record<string, unknown>;
      if (metrics.SurgeStarted !== undefined) surgeEvents.push({ kind: 'started', at: now });
      if (metrics.SurgeEnded !== undefined) surgeEvents.push({ kind: 'ended', at: now });
    };
    const options = { env: {}, config: { logLevel: 'silent' as const, metrics: true }, metricSink };
    const screen = flowHandler(screenCaller(screener), options);
    const challenge = flowHandler(
      challengeFunction({
        screener,
        store: center.store,
        keys,
        config: readChallengeConfig({ FLOWGUARD_CHALLENGE_SECRET_ID: CHALLENGE_SECRET_ID }),
      }),
      { ...options, config: { logLevel: 'silent' as const, metrics: false } },
    ) as (event: unknown) => Promise<Record<string, unknown>>;
    const live = () => screener.aggregates?.liveScopes() ?? [];

    /** One call through caller-screening at the virtual time; `press` answers the digit spoken (null: nothing). */
    const call = async (caller: string, press: (digits: string) => string | null) => {
      const inputs: string[] = [];
      const trace = await new FlowSimulator(screening).run({
        contact: { caller, dialed: '+18005550100' },
        functions: {
          ...center.functions,
          [center.values.ScreenCallerFunctionArn ?? '']: screen,
          [center.values.ChallengeFunctionArn ?? '']: async (event: unknown) => {
            const answer = await challenge(event);
            if (answer.reason === 'issued') {
              const keys = press(String(answer.digits));
              if (keys !== null) inputs.push(keys);
            }
            return answer;
          },
        },
        inputs,
        resolveFlow: (reference) => (reference.id === CHALLENGE_MODULE_ARN ? challengeModule : undefined),
      });
      const screened = trace.invocations[0]?.response ?? {};
      const decision = `${String(screened.decision)} (${String(screened.reason)})`;
      const verify = trace.invocations.find((i) => i.action === 'verify')?.response;
      const challenged = screened.decision === 'CHALLENGE';
      const outcome = !challenged
        ? decision
        : verify?.passed === 'true'
          ? `${decision}, passed`
          : verify?.reason === 'no_input'
            ? `${decision}, no key`
            : `${decision}, ${String(verify?.reason ?? 'not verified')}`;
      return { trace, decision, outcome, row: (scenario: string) => rowOf(scenario, trace, outcome) };
    };
    const rowOf = (scenario: string, trace: Trace, outcome: string): Row => ({
      scenario,
      outcome,
      ending: endingOf(trace),
      agentSees: agentView(trace),
    });
    const show = (title: string, result: Awaited<ReturnType<typeof call>>, keys: string) => {
      say(`  ${title}`);
      for (const line of result.trace.heard) say(`    ${'caller hears:'.padEnd(14)}"${line}"`);
      if (keys) say(`    caller keys:  ${keys}`);
      say(
        `    screen-caller ${result.decision}${result.outcome === result.decision ? '' : `; challenge: ${result.outcome.split(', ').at(-1)}`}`,
      );
      say(`    ending:       ${endingOf(result.trace)}`);
      say(`    agent sees:   ${agentView(result.trace)}`);
    };

    const wallStarted = performance.now();
    say(
      `  screen-caller (the real function, its own instance) with FLOWGUARD_SURGE_THRESHOLDS=${SURGE_ENV.FLOWGUARD_SURGE_THRESHOLDS}, FLOWGUARD_SURGE_HOLD=${SURGE_ENV.FLOWGUARD_SURGE_HOLD}, on the local table;`,
    );
    say(
      `    the challenge function keyed by a new secret in local Secrets Manager (${CHALLENGE_SECRET_ID}); both on a virtual clock (times below are virtual)`,
    );
    const numbers = spoofedNumbers(SURGE_BURST);
    say(
      `  a robocaller floods +18005550100: ${SURGE_BURST} calls ${SURGE_SPACING_MS} ms apart, each from a different number (${numbers.slice(0, 3).join(', ')}, …), pressing nothing`,
    );
    const burst: { decision: string; ending: string; agentSees: string }[] = [];
    let firstSeen = 0;
    for (const [i, number] of numbers.entries()) {
      now = start + i * SURGE_SPACING_MS;
      const result = await call(number, () => null);
      const inSurge = live().length > 0;
      if (inSurge && firstSeen === 0) firstSeen = i + 1;
      burst.push({
        decision: result.decision,
        ending: endingOf(result.trace),
        agentSees: agentView(result.trace),
      });
    }
    let from = 0;
    const burstRows: Row[] = [];
    for (let i = 1; i <= burst.length; i++) {
      const here = burst[i - 1];
      const next = burst[i];
      if (here && (next?.decision !== here.decision || next?.ending !== here.ending)) {
        const how =
          here.decision.startsWith('CHALLENGE') && here.ending === 'disconnected'
            ? 'asked to press two digits, pressed nothing: disconnected'
            : here.ending;
        say(`    calls ${from + 1}–${i}: ${here.decision} → ${how} (${i - from} calls)`);
        burstRows.push({
          scenario: `flood, calls ${from + 1}–${i}`,
          outcome: here.decision,
          ending: here.ending,
          agentSees: here.agentSees,
        });
        from = i;
      }
    }
    const started = surgeEvents.find((e) => e.kind === 'started');
    say(
      firstSeen > 0
        ? `  surge '${live().join("', '")}' switched on at ${since(started?.at ?? start + (firstSeen - 1) * SURGE_SPACING_MS)} (metric SurgeStarted): call ${firstSeen} was the first to see it`
        : '  no surge: the flood stayed under the threshold',
    );
    say(
      '    (the counts reach the shared item at most once a second per instance; until the surge, every new number is let through)',
    );
    say();

    const rows: Row[] = [...burstRows];
    now = start + 5_000;
    let digits = '';
    const person = await call(PERSON, (spoken) => {
      digits = spoken;
      return spoken;
    });
    show(
      `${since()}: a real person calls from ${PERSON}`,
      person,
      `presses ${digits.length === 1 ? 'the digit' : `the ${digits.length} digits`} spoken`,
    );
    rows.push(person.row('surge: person, challenged'));
    const verified = await center.store.getState(`tel:${PERSON}`);
    say(
      `    marked verified until ${new Date((verified?.verifiedUntil ?? 0) * 1000).toISOString().replace('.000Z', 'Z')} (virtual clock; FLOWGUARD_VERIFIED_SECONDS, a day)`,
    );
    say();

    now = start + 6_000;
    const robocaller = await call(ROBOCALLER, () => null);
    show(`${since()}: the robocaller, from ${ROBOCALLER}`, robocaller, 'none');
    rows.push(robocaller.row('surge: robocaller'));
    const redials = [];
    for (const at of [7_000, 8_000]) {
      now = start + at;
      redials.push(await call(ROBOCALLER, () => null));
    }
    say(
      `    it redials at +7.0 s and +8.0 s: ${redials.map((r) => `${r.decision} → ${endingOf(r.trace)}`).join('; then ')}`,
    );
    const lastRedial = redials.at(-1);
    if (lastRedial) rows.push(lastRedial.row('surge: robocaller redials'));
    say();

    now = start + 9_000;
    const again = await call(PERSON, () => null);
    show(`${since()}: the person calls again from ${PERSON}`, again, '');
    say(`    no challenge asked: verified within the last day, the surge lets the caller straight through`);
    rows.push(again.row('surge: person calls again'));
    say();

    // The rate falls: a trickle of ordinary callers (who press the digits when asked), until the
    // surge has ended (SurgeEnded) and a call finds it over.
    say(
      `  then the flood stops: a trickle of one call every ${TRICKLE_SPACING_MS / 1000} s from other numbers, who press the digits when asked`,
    );
    const trickle: { at: number; outcome: string }[] = [];
    let after: Awaited<ReturnType<typeof call>> | undefined;
    for (let t = 12_000, i = 0; t <= TRICKLE_MAX_MS; t += TRICKLE_SPACING_MS, i++) {
      now = start + t;
      const result = await call(`+1415555${String(300 + i).padStart(4, '0')}`, (spoken) => spoken);
      trickle.push({ at: now, outcome: result.outcome });
      const over = surgeEvents.some((e) => e.kind === 'ended') && live().length === 0;
      if (over && !result.decision.startsWith('CHALLENGE')) {
        after = result;
        break;
      }
    }
    for (let k = 0; k < trickle.length; k += 4)
      say(
        `    ${trickle
          .slice(k, k + 4)
          .map((c) => `${since(c.at)}: ${c.outcome}`)
          .join('; ')}`,
      );
    const lull = trickle.findIndex(
      (c, k) => !c.outcome.startsWith('CHALLENGE') && trickle[k + 1]?.outcome.startsWith('CHALLENGE'),
    );
    if (lull >= 0)
      say(
        `    (the call at ${since(trickle[lull]?.at)} was let through between challenges: this instance had not flushed for the hold, so its view of the surge had lapsed until the next flush found the rate still above half the threshold)`,
      );
    const ended = surgeEvents.find((e) => e.kind === 'ended');
    if (after && ended) {
      say(
        `  surge switched off at ${since(ended.at)} (metric SurgeEnded): its rate not seen above half the threshold (FLOWGUARD_SURGE_OFF_PERCENT=50) for the hold (FLOWGUARD_SURGE_HOLD=${SURGE_ENV.FLOWGUARD_SURGE_HOLD})`,
      );
      say(
        `    the call at ${since(trickle.at(-1)?.at)}: ${after.decision} → ${endingOf(after.trace)}, no challenge`,
      );
      rows.push(after.row('after the surge'));
    } else say(`  the surge was still on at ${since()}`);
    say(
      `  virtual clock: ${since()} of calls played in ${((performance.now() - wallStarted) / 1000).toFixed(1)} s of wall time, nothing waited for`,
    );
    say();
    return rows;
  } finally {
    secretsManager.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The forwarding scenario: contact records of two queues on a (local) Kinesis stream, the two
// stream functions run on them as Lambda would, and what reached the external bucket.

const RECORDINGS_BUCKET = 'amazon-connect-recordings-demo';
const EXTERNAL_BUCKET = 'cards-vendor-drop';
const DEAD_LETTER_BUCKET = 'flowguard-dead-letters';
const VENDOR_KMS_KEY = 'arn:aws:kms:us-east-1:000000000000:alias/cards-vendor';
/** The fingerprint key `startLocalContactCenter` seeds in local Secrets Manager. */
const FINGERPRINT_SECRET_ID = 'flowguard/fingerprint';

interface DemoContact {
  readonly id: string;
  readonly queue: 'Cards' | 'Mortgages';
  readonly channel: 'VOICE' | 'CHAT';
  readonly phone: string | null;
  readonly customerId: string;
  readonly dateOfBirth: string;
  /** HH:MM on 2026-12-06, UTC. */
  readonly time: string;
}

const CONTACTS: readonly DemoContact[] = [
  {
    id: '0b5e7c1a-2f3d-4e5f-8a9b-00000000ca01',
    queue: 'Cards',
    channel: 'VOICE',
    phone: '+14155550201',
    customerId: 'C-000777001',
    dateOfBirth: '1984-03-07',
    time: '10:15',
  },
  {
    id: '0b5e7c1a-2f3d-4e5f-8a9b-00000000ca02',
    queue: 'Cards',
    channel: 'CHAT',
    phone: null,
    customerId: 'C-000777002',
    dateOfBirth: '1991-11-23',
    time: '10:21',
  },
  {
    id: '0b5e7c1a-2f3d-4e5f-8a9b-00000000ca03',
    queue: 'Cards',
    channel: 'VOICE',
    phone: '+14155550203',
    customerId: 'C-000777003',
    dateOfBirth: '1977-06-30',
    time: '10:32',
  },
  {
    id: '0b5e7c1a-2f3d-4e5f-8a9b-00000000b001',
    queue: 'Mortgages',
    channel: 'VOICE',
    phone: '+14155550204',
    customerId: 'C-000888004',
    dateOfBirth: '1969-01-15',
    time: '10:18',
  },
  {
    id: '0b5e7c1a-2f3d-4e5f-8a9b-00000000b002',
    queue: 'Mortgages',
    channel: 'VOICE',
    phone: '+14155550205',
    customerId: 'C-000888005',
    dateOfBirth: '1958-09-02',
    time: '10:40',
  },
];

/**
 * The forwarding scenario's contacts and their personal data: none of the personal data may reach
 * the external bucket or the demo's output; the Mortgages contacts must not go out at all.
 */
export const FORWARDING_DEMO = {
  cardsContacts: CONTACTS.filter((c) => c.queue === 'Cards').map((c) => c.id),
  mortgagesContacts: CONTACTS.filter((c) => c.queue === 'Mortgages').map((c) => c.id),
  personalData: CONTACTS.flatMap((c) => [c.customerId, c.dateOfBirth, ...(c.phone ? [c.phone] : [])]),
} as const;

/** Where Connect would have stored the contact's recording (voice) or transcript (chat). */
function recordingKey(contact: DemoContact): string {
  const stamp = `20261206T${contact.time}_UTC`;
  return contact.channel === 'VOICE'
    ? `connect/flowguard-demo/CallRecordings/2026/12/06/${contact.id}_${stamp}.wav`
    : `connect/flowguard-demo/ChatTranscripts/2026/12/06/${contact.id}_${stamp}.json`;
}

/** A contact record in the shape Connect streams (the fields the scenario needs). */
function contactRecord(contact: DemoContact): Record<string, unknown> {
  const at = (minutes: number) => {
    const [h, m] = contact.time.split(':').map(Number);
    const date = new Date(Date.UTC(2026, 11, 6, h ?? 0, (m ?? 0) + minutes));
    return date.toISOString().replace('.000Z', 'Z');
  };
  const voice = contact.channel === 'VOICE';
  const location = `${RECORDINGS_BUCKET}/${recordingKey(contact)}`;
  return {
    AWSAccountId: '000000000000',
    AWSContactTraceRecordFormatVersion: '2017-03-10',
    ContactId: contact.id,
    InstanceARN: 'arn:aws:connect:us-east-1:000000000000:instance/local',
    Channel: contact.channel,
    InitiationMethod: voice ? 'INBOUND' : 'API',
    InitiationTimestamp: at(0),
    DisconnectTimestamp: at(6),
    LastUpdateTimestamp: at(9),
    Queue: {
      ARN: `arn:aws:connect:us-east-1:000000000000:instance/local/queue/${contact.queue}`,
      Name: contact.queue,
      EnqueueTimestamp: at(1),
      Duration: 25,
    },
    Agent: {
      Username: `agent-${contact.queue.toLowerCase()}`,
      RoutingProfile: { Name: `${contact.queue} Agents` },
    },
    CustomerEndpoint: contact.phone ? { Address: contact.phone, Type: 'TELEPHONE_NUMBER' } : null,
    SystemEndpoint: { Address: '+18005550100', Type: 'TELEPHONE_NUMBER' },
    Attributes: {
      businessUnit: contact.queue.toLowerCase(),
      customerId: contact.customerId,
      dateOfBirth: contact.dateOfBirth,
    },
    Recording: voice ? { Location: location, Status: 'AVAILABLE', Type: 'AUDIO' } : null,
    Recordings: [
      {
        Location: location,
        MediaStreamType: voice ? 'AUDIO' : 'CHAT',
        Status: 'AVAILABLE',
        StorageType: 'S3',
      },
    ],
  };
}

/** The policy: only the cards business unit leaves, minimised, with its recordings. */
const FORWARDING_POLICY = {
  version: 1,
  policies: [
    {
      name: 'cards',
      description: 'the Cards business unit, for the cards vendor',
      match: { attributes: { businessUnit: ['cards'] } },
      fields: [
        'Channel',
        'Queue.Name',
        'Agent.RoutingProfile.Name',
        'InitiationTimestamp',
        'DisconnectTimestamp',
      ],
      attributes: ['businessUnit'],
      hash: ['customerId'],
      destination: {
        type: 's3',
        bucket: EXTERNAL_BUCKET,
        prefix: 'contact-records/',
        kmsKeyId: VENDOR_KMS_KEY,
      },
      recordings: { bucket: EXTERNAL_BUCKET, prefix: 'recordings/', kmsKeyId: VENDOR_KMS_KEY },
    },
  ],
};

type StreamEvent = Parameters<KinesisBatchHandler>[0];

interface BucketObject {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
}

async function listObjects(s3: LocalS3, bucket: string): Promise<BucketObject[]> {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => ({ key: o.Key ?? '', etag: o.ETag ?? '', size: o.Size ?? 0 }));
}

async function objectText(s3: LocalS3, bucket: string, key: string): Promise<string> {
  const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await got.Body?.transformToString()) ?? '';
}

/** The per-policy (or, without a policy, per-batch) counts of an invocation's EMF lines. */
function countsOf(lines: readonly string[], policy?: string): Record<string, number> {
  const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const found = parsed.findLast((l) => (policy ? l.policy === policy : l.policy === undefined));
  return Object.fromEntries(
    Object.entries(found ?? {}).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
  );
}

/**
 * Runs forward-contact-records and forward-recordings on two queues' contacts streaming through
 * local Kinesis, with a policy that sends the cards business unit only, and prints what went out.
 */
async function forwardingScenario(
  say: (line?: string) => void,
  local: { kinesis: LocalKinesis; s3: LocalS3; secretsManagerEndpoint: string },
): Promise<void> {
  const { kinesis, s3 } = local;
  const stream = await kinesis.createStream('connect-contact-records');
  for (const contact of CONTACTS) {
    await s3.client.send(
      new PutObjectCommand({
        Bucket: RECORDINGS_BUCKET,
        Key: recordingKey(contact),
        Body:
          contact.channel === 'VOICE'
            ? Buffer.from(`RIFF....WAVEfmt (demo audio of contact ${contact.id})`)
            : JSON.stringify({ Version: '2019-08-26', ContactId: contact.id, Transcript: [] }),
        ContentType: contact.channel === 'VOICE' ? 'audio/wav' : 'application/json',
      }),
    );
  }
  const put = await kinesis.client.send(
    new PutRecordsCommand({
      StreamName: stream.streamName,
      Records: CONTACTS.map((contact) => ({
        Data: Buffer.from(JSON.stringify(contactRecord(contact))),
        PartitionKey: contact.id,
      })),
    }),
  );
  if (put.FailedRecordCount) throw new Error(`${put.FailedRecordCount} contact records not put`);
  const byQueue = (queue: string) => CONTACTS.filter((c) => c.queue === queue);
  say(
    `  stream ${stream.streamName}: ${CONTACTS.length} contact records put (PutRecords), ${byQueue('Cards').length} of queue Cards (businessUnit=cards), ${byQueue('Mortgages').length} of queue Mortgages (businessUnit=mortgages);`,
  );
  say("    each with a customer id, a date of birth and, for calls, the caller's number");
  say(
    `  bucket ${RECORDINGS_BUCKET}: ${CONTACTS.length} recordings and chat transcripts; external bucket ${EXTERNAL_BUCKET}, dead letters ${DEAD_LETTER_BUCKET}`,
  );
  say(
    "  policy 'cards': match businessUnit=cards; fields Channel, Queue.Name, Agent.RoutingProfile.Name, InitiationTimestamp, DisconnectTimestamp;",
  );
  say(
    `    attribute businessUnit as is, customerId hashed; records to s3://${EXTERNAL_BUCKET}/contact-records/, recordings to s3://${EXTERNAL_BUCKET}/recordings/ (SSE-KMS)`,
  );

  const event: StreamEvent = await lambdaKinesisEvent(kinesis.client, stream, { limit: 100 });
  const env = {
    FLOWGUARD_FORWARD_POLICY: JSON.stringify(FORWARDING_POLICY),
    FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET: DEAD_LETTER_BUCKET,
    FLOWGUARD_FINGERPRINT_SECRET_ID: FINGERPRINT_SECRET_ID,
    FLOWGUARD_LOG_LEVEL: 'silent',
  };
  const secretsManager = new SecretsManagerClient({
    region: LOCAL_REGION,
    endpoint: local.secretsManagerEndpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const recordsMetrics: string[] = [];
  const recordingsMetrics: string[] = [];
  // One instance of each function, as Lambda keeps warm; the customer id's key is read from
  // (local) Secrets Manager, the production path.
  const forwardRecords = forwardContactRecords({
    config: readForwardingConfig(env),
    clients: { s3: s3.client, kinesis: kinesis.client, secretsManager },
    logSink: () => undefined,
    metricSink: (line) => recordsMetrics.push(line),
  });
  const copyRecordings = forwardRecordings({
    config: readRecordingsForwardingConfig(env),
    clients: { s3: s3.client, secretsManager },
    logSink: () => undefined,
    metricSink: (line) => recordingsMetrics.push(line),
  });
  const invoke = async () => {
    recordsMetrics.length = 0;
    recordingsMetrics.length = 0;
    const [records, recordings] = await Promise.all([forwardRecords(event), copyRecordings(event)]);
    const failures = records.batchItemFailures.length + recordings.batchItemFailures.length;
    if (failures > 0) throw new Error(`forwarding reported ${failures} batch item failures`);
    return { records: countsOf(recordsMetrics, 'cards'), recordings: countsOf(recordingsMetrics, 'cards') };
  };
  const first = await invoke();
  say(
    `  Lambda delivers the batch (${event.Records.length} records, GetShardIterator/GetRecords) to forward-contact-records and forward-recordings`,
  );
  say(
    `    contact records: ${first.records.RecordsIn ?? 0} in, ${first.records.Forwarded ?? 0} forwarded, ${first.records.Filtered ?? 0} filtered out`,
  );
  const source = await listObjects(s3, RECORDINGS_BUCKET);
  const out = await listObjects(s3, EXTERNAL_BUCKET);
  const copiedFrom = new Set(out.map((o) => o.key.replace(/^recordings\//, '')));
  const leftAlone = source.filter((o) => !copiedFrom.has(o.key)).length;
  say(
    `    recordings: ${first.recordings.RecordingsCopied ?? 0} copied server-side, ${leftAlone} left alone (their contacts did not match)`,
  );
  say();

  say(`  what went out: s3://${EXTERNAL_BUCKET} holds ${out.length} objects`);
  const forwarded: Record<string, unknown>[] = [];
  let everything = '';
  for (const object of out) {
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: EXTERNAL_BUCKET, Key: object.key }));
    const sse = `${head.ServerSideEncryption ?? 'none'}${head.SSEKMSKeyId ? ` ${head.SSEKMSKeyId}` : ''}`;
    const text = await objectText(s3, EXTERNAL_BUCKET, object.key);
    everything += `${object.key}\n${text}\n`;
    if (object.key.startsWith('contact-records/')) {
      const lines = text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      forwarded.push(...lines);
      say(`    ${object.key}`);
      say(`      ${lines.length} minimised records, ${object.size} bytes, SSE ${sse}`);
      for (const line of lines) {
        const queue = (line.Queue as { Name?: string } | undefined)?.Name;
        say(`      ${String(line.ContactId)}  queue ${queue}  ${String(line.Channel)}`);
      }
    } else {
      const tags = await s3.client.send(
        new GetObjectTaggingCommand({ Bucket: EXTERNAL_BUCKET, Key: object.key }),
      );
      say(`    ${object.key}`);
      say(
        `      copy of s3://${RECORDINGS_BUCKET}/${object.key.replace(/^recordings\//, '')}, ${object.size} bytes, SSE ${sse}, tags ${(tags.TagSet ?? []).map((t) => `${t.Key}=${t.Value}`).join(', ')}`,
      );
    }
  }
  say('  one minimised record in full:');
  for (const line of JSON.stringify(forwarded[0] ?? {}, null, 2).split('\n')) say(`    ${line}`);
  const present = FORWARDING_DEMO.personalData.filter((value) => everything.includes(value));
  const keysPresent = ['dateOfBirth', 'CustomerEndpoint', 'Username'].filter((k) => everything.includes(k));
  say(
    present.length === 0 && keysPresent.length === 0
      ? `  checked every object in ${EXTERNAL_BUCKET}: no phone number, date of birth, raw customer id or agent login`
      : `  LEAK: ${present.length} personal values and the fields ${keysPresent.join(', ')} found in ${EXTERNAL_BUCKET}`,
  );
  const mortgages = FORWARDING_DEMO.mortgagesContacts.filter((id) => everything.includes(id)).length;
  say(
    `  Mortgages contacts in ${EXTERNAL_BUCKET}: ${mortgages} (neither their records nor their recordings went out)`,
  );
  const letters = await listObjects(s3, DEAD_LETTER_BUCKET);
  say(`  dead letters: ${letters.length}`);
  say();

  const again = await invoke();
  const after = await listObjects(s3, EXTERNAL_BUCKET);
  const same =
    after.length === out.length && after.every((o, i) => o.key === out[i]?.key && o.etag === out[i]?.etag);
  say('  Lambda delivers the same batch again (at least once):');
  say(
    `    contact records: ${again.records.Forwarded ?? 0} forwarded, ${again.records.AlreadyForwarded ?? 0} already forwarded; recordings: ${again.recordings.RecordingsCopied ?? 0} copied, ${again.recordings.RecordingsAlreadyCopied ?? 0} already copied`,
  );
  say(
    `    s3://${EXTERNAL_BUCKET}: ${out.length} objects before, ${after.length} after${same ? ', the same keys and ETags: nothing duplicated' : ': CHANGED'}`,
  );
  say();
}
