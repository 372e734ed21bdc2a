/**
 * The attack benchmark's engine (`pnpm attack`; docs/benchmarks.md, "Attack benchmark"): the real
 * screen-caller and challenge functions, several warm instances sharing one dynalite table, driven
 * on a virtual clock by legitimate callers (a Poisson process with callbacks) and an attack mix.
 * Every call's answer is acted on as a caller would: ALLOW reaches the queue; CHALLENGE is issued
 * and answered (a person presses the digits spoken, most of the time; a bot presses nothing or
 * guesses) and a pass reaches the queue; THROTTLE and BLOCK end the call.
 *
 * Deterministic in what it offers (a seeded generator); the challenge digits come from the
 * function's own cryptographic draw, so a bot's lucky guesses vary a little from run to run.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  challengeFunction,
  DynamoScreeningStore,
  readChallengeConfig,
  readScreeningConfig,
  Screener,
  SigningKeys,
  screenCaller,
} from '@flowguard/caller-screening';
import { flowHandler } from '@flowguard/contact';
import {
  countRequests,
  itemSize,
  type LocalDynamoDB,
  seededRandom,
  startLocalDynamoDB,
  storedItem,
  voiceEvent,
} from '@flowguard/testing';

/** Where the calls go: the centre's main number and its second (toll-free) number. */
export const MAIN_NUMBER = '+14155550100';
export const SECOND_NUMBER = '+18005550199';

/**
 * The surge settings the benchmark runs with: sized for the legitimate traffic below (3 calls a
 * second at most times), about three times its peaks. docs/screening.md explains the sizing.
 */
export const ATTACK_SETTINGS: Readonly<Record<string, string>> = {
  FLOWGUARD_SURGE_THRESHOLDS: `all:100/10s,withheld:60/1m,invalid:60/1m,dialled:600/1m,dialled=${'+18005550199'}:60/1m,prefix:20/1m`,
  FLOWGUARD_SURGE_HOLD: '1m',
  FLOWGUARD_LIMITS: '5/10m,20/1d',
};

export interface AttackCall {
  /** Virtual milliseconds from the start. */
  readonly at: number;
  readonly caller: string;
  readonly dialled: string;
}

export interface AttackMix {
  readonly name: string;
  readonly title: string;
  /** The attack's calls, in any order. */
  readonly calls: (random: () => number) => AttackCall[];
  /** When the attack starts (virtual seconds). */
  readonly startsAt: number;
  /** Extra settings (e.g. monitor-only). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A seeded generator: the same offered traffic on every run. */
export const seeded = seededRandom;

const AREA_CODES = ['415', '650', '510', '212', '312', '617', '206'];
const digits = (random: () => number, n: number) =>
  Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
/** A valid-looking US number: an area code in use, an exchange 200–999, four digits. */
export function usNumber(random: () => number, area?: string): string {
  const code = area ?? AREA_CODES[Math.floor(random() * AREA_CODES.length)];
  return `+1${code}${200 + Math.floor(random() * 800)}${digits(random, 4)}`;
}

/** Calls at a steady rate from `from` to `to` seconds, one caller id each from `caller`. */
function steady(
  rate: number,
  from: number,
  to: number,
  caller: (i: number) => string,
  dialled = MAIN_NUMBER,
): AttackCall[] {
  const calls: AttackCall[] = [];
  const n = Math.round((to - from) * rate);
  for (let i = 0; i < n; i++)
    calls.push({ at: Math.round((from + i / rate) * 1000), caller: caller(i), dialled });
  return calls;
}

/** The mixes `pnpm attack` runs: each over {@link DURATION_SECONDS}, the attack from 20 s to 80 s. */
export const MIXES: readonly AttackMix[] = [
  {
    name: 'single-number-flood',
    title: 'single-number flood, 20 calls/s from one number',
    startsAt: 20,
    calls: () => steady(20, 20, 80, () => '+12125550147'),
  },
  {
    name: 'random-50',
    title: 'random spoofed numbers, 50 calls/s',
    startsAt: 20,
    calls: (random) => steady(50, 20, 80, () => usNumber(random)),
  },
  {
    name: 'random-200',
    title: 'random spoofed numbers, 200 calls/s',
    startsAt: 20,
    calls: (random) => steady(200, 20, 80, () => usNumber(random)),
  },
  {
    name: 'prefix-robocaller',
    title: 'robocaller rotating numbers in its target’s prefix (+1 212 55x xxxx), 3 calls/s',
    startsAt: 20,
    // Neighbour spoofing: a new number every call, the exchange moving every 20 s.
    calls: (random) => steady(3, 20, 80, (i) => `+121255${5 + Math.floor(i / 60)}${digits(random, 4)}`),
  },
  {
    name: 'dialled-burst',
    title: 'burst on the second number, 8 calls/s from random numbers',
    startsAt: 20,
    calls: (random) => steady(8, 20, 80, () => usNumber(random), SECOND_NUMBER),
  },
  {
    name: 'withheld-flood',
    title: 'withheld caller ids, 20 calls/s',
    startsAt: 20,
    calls: () => steady(20, 20, 80, () => 'anonymous'),
  },
  {
    name: 'random-50-monitor',
    title: 'random spoofed numbers, 50 calls/s, surge monitor-only',
    startsAt: 20,
    calls: (random) => steady(50, 20, 80, () => usNumber(random)),
    env: { FLOWGUARD_SURGE_MONITOR: 'true' },
  },
];

export const DURATION_SECONDS = 150;
/** Legitimate calls a second: a mid-size centre (about 10,000 calls an hour). */
export const LEGIT_RATE = 3;
/** Share of legitimate calls that are a callback of one in the last 10 minutes. */
const CALLBACK_SHARE = 0.2;
/** Share of legitimate calls with the caller id withheld, and to the second number. */
const WITHHELD_SHARE = 0.05;
const SECOND_NUMBER_SHARE = 0.1;
/** A person passes the challenge this often (pressing the digits spoken); else presses a wrong key. */
const PERSON_PASSES = 0.96;
/** A bot presses nothing this often; else guesses digits. */
const BOT_SILENT = 0.7;
/**
 * How long screen-caller holds an instance per call (virtual): an instance takes one call at a
 * time, as Lambda runs one invocation per execution environment; a call finding every instance
 * busy starts another (up to {@link MAX_INSTANCES}), and calls go to the instance that became
 * idle last, as Lambda's warm environments are reused. So the number of instances follows the
 * load, as the aggregate flushes (one per instance per interval) do.
 */
export const CALL_MS = 25;
export const MAX_INSTANCES = 16;

interface Offered extends AttackCall {
  readonly attack: boolean;
  /** A person's second attempt after failing a challenge: never called back again. */
  readonly retry?: boolean;
}

/** Legitimate calls over the run: Poisson arrivals, some callbacks, some withheld. */
export function legitimateCalls(
  random: () => number,
  seconds = DURATION_SECONDS,
  rate = LEGIT_RATE,
): AttackCall[] {
  const calls: AttackCall[] = [];
  let t = 0;
  for (;;) {
    t += -Math.log(1 - random()) / rate;
    if (t >= seconds) break;
    const at = Math.round(t * 1000);
    const earlier = calls.filter((c) => c.caller !== 'anonymous' && at - c.at < 600_000);
    let caller: string;
    if (earlier.length > 0 && random() < CALLBACK_SHARE)
      caller = (earlier[Math.floor(random() * earlier.length)] as AttackCall).caller;
    else caller = random() < WITHHELD_SHARE ? 'anonymous' : usNumber(random);
    calls.push({ at, caller, dialled: random() < SECOND_NUMBER_SHARE ? SECOND_NUMBER : MAIN_NUMBER });
  }
  return calls;
}

/** One second of the run, for the charts. */
export interface SecondStats {
  offered: number;
  attackOffered: number;
  queued: number;
  attackQueued: number;
  challenged: number;
  refused: number;
  /** Whether any instance saw a scope in surge at the end of the second. */
  surge: boolean;
  /** Calls a monitor-only surge would have challenged or blocked. */
  wouldChallenge: number;
}

export interface MixResult {
  readonly mix: AttackMix;
  readonly seconds: SecondStats[];
  readonly attackCalls: number;
  /** Attack calls offered from 10 s after the attack started, and those of them that reached the queue. */
  readonly attackAfter10s: number;
  readonly attackQueuedAfter10s: number;
  /** Attack calls that reached the queue in the attack's first 10 s: what passes before a surge is seen. */
  readonly attackQueuedFirst10s: number;
  /** The largest the aggregate item grew (bytes, as DynamoDB sizes items), sampled every second. */
  readonly aggregateItemBytes: number;
  /** Seconds from the attack's start to the first call a surge answered; null when none did. */
  readonly timeToSurge: number | null;
  readonly legitCalls: number;
  readonly legitRefused: number;
  readonly legitChallenged: number;
  readonly legitCallers: number;
  /** Legitimate callers challenged on two or more calls. */
  readonly legitChallengedTwice: number;
  /** screen-caller's store requests per call. */
  readonly storeRequestsPerCall: number;
  /** The challenge function's store requests per challenge answered. */
  readonly challengeRequestsPerChallenge: number;
  /** The most screen-caller instances that were warm at once. */
  readonly instances: number;
  /** The most writes any one item took in one virtual second, and which kind of item. */
  readonly hottestWritesPerSecond: number;
  readonly hottestItem: string;
  readonly surgeScopes: readonly string[];
  readonly wouldChallenge: number;
}

/** The challenge module's digit count, read from the shipped module (what callers are asked). */
export function challengeLength(flowsDir: URL): 1 | 2 {
  const module = JSON.parse(readFileSync(new URL('challenge.json', flowsDir), 'utf8')) as {
    Actions: { Parameters?: { LambdaInvocationAttributes?: Record<string, string> } }[];
  };
  const issue = module.Actions.find((a) => a.Parameters?.LambdaInvocationAttributes?.action === 'issue');
  return issue?.Parameters?.LambdaInvocationAttributes?.length === '2' ? 2 : 1;
}

/** The kind of item a key names, for the report (never the caller). */
function itemKind(pk: string): string {
  if (pk.startsWith('aggregate#')) return 'aggregate';
  if (pk.startsWith('claim#')) return 'challenge claim';
  if (pk === 'rules') return 'rules';
  return 'caller';
}

type Handler = (event: unknown) => Promise<Record<string, string>>;

/** Runs one mix on a fresh table and answers what happened. */
export async function runMix(
  mix: AttackMix,
  options: { seed?: number; challengeDigits: 1 | 2; seconds?: number; legitRate?: number },
): Promise<MixResult> {
  const seconds = options.seconds ?? DURATION_SECONDS;
  const random = seeded(options.seed ?? 20_261_206);
  const offered: Offered[] = [
    ...legitimateCalls(random, seconds, options.legitRate ?? LEGIT_RATE).map((c) => ({
      ...c,
      attack: false,
    })),
    ...mix
      .calls(random)
      .filter((c) => c.at < seconds * 1000)
      .map((c) => ({ ...c, attack: true })),
  ].sort((a, b) => a.at - b.at);

  const local: LocalDynamoDB = await startLocalDynamoDB();
  try {
    const counter = countRequests(local.client);
    const writes = new Map<string, number>();
    let phase: 'screen' | 'challenge' | 'observe' = 'screen';
    const requests = { screen: 0, challenge: 0, observe: 0 };
    let clockMs = Date.UTC(2026, 11, 7, 9, 0, 0);
    const start = clockMs;
    local.client.middlewareStack.add(
      (next, context) => async (args) => {
        requests[phase] += 1;
        const input = args.input as { Key?: Record<string, unknown> };
        const command = String(context.commandName ?? '');
        if (/^(Update|Put|Delete)/.test(command) && input.Key) {
          const raw = input.Key.pk as unknown;
          const pk = typeof raw === 'string' ? raw : String((raw as { S?: string })?.S ?? '');
          const id = `${itemKind(pk)}|${pk}|${Math.floor((clockMs - start) / 1000)}`;
          writes.set(id, (writes.get(id) ?? 0) + 1);
        }
        return next(args);
      },
      { step: 'initialize', name: 'attackWriteCounter' },
    );
    const env = { ...local.env, ...ATTACK_SETTINGS, ...mix.env };
    const config = readScreeningConfig(env);
    const store = new DynamoScreeningStore({ client: local.client, tableName: local.tableName });
    const key = randomBytes(32).toString('base64');
    const keys = new SigningKeys({ get: async () => ({ value: key }) }, 'challenge');
    const challengeConfig = readChallengeConfig({ FLOWGUARD_CHALLENGE_SECRET_ID: 'challenge' });
    const quiet = { env: {}, config: { logLevel: 'silent' as const, metrics: false } };
    const instances: {
      screener: Screener;
      screen: Handler;
      challenge: Handler;
      busyUntil: number;
      lastUsed: number;
    }[] = [];
    const newInstance = () => {
      const screener = new Screener({ store, config, clock: () => clockMs });
      const instance = {
        screener,
        screen: flowHandler(screenCaller(screener), quiet) as Handler,
        challenge: flowHandler(
          challengeFunction({ screener, store, keys, config: challengeConfig }),
          quiet,
        ) as Handler,
        busyUntil: 0,
        lastUsed: 0,
      };
      instances.push(instance);
      return instance;
    };
    /** The idle instance used last, else a new one (else, at the cap, the one free soonest). */
    const instanceFor = (at: number) => {
      let best: (typeof instances)[number] | undefined;
      for (const i of instances) if (i.busyUntil <= at && (!best || i.lastUsed > best.lastUsed)) best = i;
      if (!best && instances.length < MAX_INSTANCES) best = newInstance();
      best ??= instances.reduce((a, b) => (a.busyUntil <= b.busyUntil ? a : b));
      best.busyUntil = Math.max(best.busyUntil, at) + CALL_MS;
      best.lastUsed = at;
      return best;
    };
    counter.reset();

    const stats: SecondStats[] = Array.from({ length: seconds }, () => ({
      offered: 0,
      attackOffered: 0,
      queued: 0,
      attackQueued: 0,
      challenged: 0,
      refused: 0,
      surge: false,
      wouldChallenge: 0,
    }));
    const challengedBy = new Map<string, number>();
    const legitCallers = new Set<string>();
    const scopes = new Set<string>();
    let attackAfter10s = 0;
    let attackQueuedAfter10s = 0;
    let attackQueuedFirst10s = 0;
    let aggregateItemBytes = 0;
    let firstSurge: number | null = null;
    let legitCalls = 0;
    let legitRefused = 0;
    let legitChallenged = 0;
    let wouldChallenge = 0;
    let challenges = 0;
    let screened = 0;
    let lastSecond = -1;

    /** The aggregate item's size now (a read the request counts leave out). */
    const sampleItem = async () => {
      phase = 'observe';
      const item = await storedItem(local.client, local.tableName, { pk: 'aggregate#0', sk: 'aggregate' });
      aggregateItemBytes = Math.max(aggregateItemBytes, itemSize(item));
      phase = 'screen';
    };
    const markSurge = (second: number) => {
      const live = instances.flatMap((i) => i.screener.aggregates?.liveScopes() ?? []);
      for (const scope of live) scopes.add(scope);
      const bucket = stats[second];
      if (bucket) bucket.surge = live.length > 0;
    };

    for (let index = 0; index < offered.length; index++) {
      const call = offered[index] as Offered;
      clockMs = start + call.at;
      const second = Math.floor(call.at / 1000);
      for (let s = lastSecond; s < second; s++) if (s >= 0) markSurge(s);
      if (second !== lastSecond) await sampleItem();
      lastSecond = second;
      const bucket = stats[second] as SecondStats;
      const instance = instanceFor(call.at);
      const event = voiceEvent(call.caller === 'anonymous' ? 'anonymous' : call.caller, {
        contactData: { SystemEndpoint: { Address: call.dialled, Type: 'TELEPHONE_NUMBER' } },
      });
      phase = 'screen';
      screened += 1;
      const answer = await instance.screen(event);
      bucket.offered += 1;
      if (call.attack) bucket.attackOffered += 1;
      if (answer.monitoredRule?.startsWith('surge:')) {
        bucket.wouldChallenge += 1;
        wouldChallenge += 1;
      }
      const afterFirst10s = call.attack && call.at >= (mix.startsAt + 10) * 1000;
      if (afterFirst10s) attackAfter10s += 1;
      if (!call.attack) {
        legitCalls += 1;
        legitCallers.add(call.caller === 'anonymous' ? `anonymous-${index}` : call.caller);
      }
      const surged = answer.rule?.startsWith('surge:') || answer.monitoredRule?.startsWith('surge:');
      if (surged && firstSurge === null && call.attack) firstSurge = call.at / 1000 - mix.startsAt;

      let queued = false;
      if (answer.decision === 'ALLOW') queued = true;
      else if (answer.decision === 'CHALLENGE') {
        bucket.challenged += 1;
        challenges += 1;
        if (!call.attack) {
          legitChallenged += 1;
          const who = call.caller === 'anonymous' ? `anonymous-${index}` : call.caller;
          challengedBy.set(who, (challengedBy.get(who) ?? 0) + 1);
        }
        queued = await answerChallenge(
          instance.challenge,
          event,
          call.attack,
          random,
          options.challengeDigits,
          () => {
            phase = 'challenge';
          },
        );
        phase = 'screen';
        if (!queued && !call.attack && !call.retry) {
          // A person who failed calls back a minute or two later, once.
          const retry: Offered = {
            ...call,
            at: call.at + 60_000 + Math.floor(random() * 60_000),
            retry: true,
          };
          if (retry.at < seconds * 1000) insertSorted(offered, retry, index + 1);
        }
      } else {
        bucket.refused += 1;
        if (!call.attack) legitRefused += 1;
      }
      if (queued) {
        bucket.queued += 1;
        if (call.attack) bucket.attackQueued += 1;
        if (afterFirst10s) attackQueuedAfter10s += 1;
        else if (call.attack) attackQueuedFirst10s += 1;
      }
    }
    for (let s = Math.max(0, lastSecond); s < seconds; s++) markSurge(s);

    let hottest = 0;
    let hottestItem = '';
    for (const [id, count] of writes) {
      if (count > hottest) {
        hottest = count;
        hottestItem = id.split('|')[0] ?? '';
      }
    }
    return {
      mix,
      seconds: stats,
      attackCalls: offered.filter((c) => c.attack).length,
      attackAfter10s,
      attackQueuedAfter10s,
      attackQueuedFirst10s,
      aggregateItemBytes,
      timeToSurge: firstSurge,
      legitCalls,
      legitRefused,
      legitChallenged,
      legitCallers: legitCallers.size,
      legitChallengedTwice: [...challengedBy.values()].filter((n) => n >= 2).length,
      storeRequestsPerCall: requests.screen / screened,
      challengeRequestsPerChallenge: challenges === 0 ? 0 : requests.challenge / challenges,
      instances: instances.length,
      hottestWritesPerSecond: hottest,
      hottestItem,
      surgeScopes: [...scopes],
      wouldChallenge,
    };
  } finally {
    await local.stop();
  }
}

/** Puts a call in its place in the time-ordered list, at or after `from`. */
function insertSorted(list: Offered[], call: Offered, from: number): void {
  let i = from;
  while (i < list.length && (list[i] as Offered).at <= call.at) i++;
  list.splice(i, 0, call);
}

/**
 * The challenge as the flow module runs it: issue, the caller's keys, verify. A person presses the
 * digits spoken (or, now and then, a wrong key); a bot presses nothing or guesses.
 */
async function answerChallenge(
  challenge: Handler,
  event: ReturnType<typeof voiceEvent>,
  bot: boolean,
  random: () => number,
  length: 1 | 2,
  enter: () => void,
): Promise<boolean> {
  enter();
  const issue = structuredClone(event);
  issue.Details.Parameters = { action: 'issue', length: String(length) };
  const issued = await challenge(issue);
  if (issued.reason !== 'issued') return issued.passed === 'true';
  let input: string;
  if (!bot)
    input = random() < PERSON_PASSES ? (issued.digits ?? '') : wrongDigits(issued.digits ?? '', random);
  else if (random() < BOT_SILENT) input = 'Timeout';
  else input = guess(random, length);
  const verify = structuredClone(event);
  verify.Details.Parameters = { action: 'verify', challengeToken: issued.challengeToken ?? '', input };
  const verified = await challenge(verify);
  return verified.passed === 'true';
}

/** A bot's guess: digits 1–9, different from each other, as the challenge draws them. */
function guess(random: () => number, length: 1 | 2): string {
  const first = 1 + Math.floor(random() * 9);
  if (length === 1) return String(first);
  let second = 1 + Math.floor(random() * 8);
  if (second >= first) second += 1;
  return `${first}${second}`;
}

function wrongDigits(right: string, random: () => number): string {
  let wrong = right;
  while (wrong === right) wrong = guess(random, right.length === 2 ? 2 : 1);
  return wrong;
}
