// The smoke test a new version passes before `live` moves: recorded Connect events from
// test/events/ for the flow functions, a Kinesis event of one contact record no policy can match
// for the stream functions, Function URL requests from an origin no allow-list can hold for the
// HTTP functions; the answer checked against the function's contract (docs/deploy.md).
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { Decision } from '@flowguard/caller-screening';
import { decodeContactRecord } from '@flowguard/forwarding';
import {
  type FlowFunctionName,
  type FunctionName,
  flowFunctionDefinition,
  type HttpFunctionName,
  type StreamFunctionName,
} from '@flowguard/functions/registry';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import { REPO_ROOT } from './bundle.js';
import { DeployError } from './deploy-errors.js';

/** A function's answer keys, from the function registry. */
const outputsOf = (name: FlowFunctionName) => flowFunctionDefinition(name).outputs;

export const EVENTS_DIR = join(REPO_ROOT, 'test/events');

export type SmokeParameters = Readonly<Record<string, unknown>>;

/** One recorded event sent to the new version, and what its answer must be. */
export interface SmokeCase {
  /** `test/events/<event>.json`. */
  readonly event: string;
  /** Replaces the event's recorded `Parameters` (made per run when a function). */
  readonly parameters?: SmokeParameters | (() => Promise<SmokeParameters>);
  /** Values the answer must hold, by key: only keys that carry no caller data. */
  readonly expect?: Readonly<Record<string, readonly string[]>>;
  /** Keys that must not be empty (checked, never printed). */
  readonly nonEmpty?: readonly string[];
  /**
   * The `error` code a probe must answer with: a probe stops on purpose before any side effect
   * (a block written, a value decrypted) but after the dependency it proves.
   */
  readonly expectError?: string;
  /** What a passing answer proves. */
  readonly proves: string;
}

/** A flow function's smoke test: flat answers checked against its declared keys. */
export interface SmokeSpec {
  readonly kind?: 'flow';
  /** The keys the function may answer with (the function registry's `outputs`), besides `error`. */
  readonly outputs: readonly string[];
  /** The keys every answer carries, fail-mode answers included. */
  readonly required: readonly string[];
  readonly cases: readonly SmokeCase[];
}

/** One Lambda Kinesis event sent to a stream function's new version. */
export interface StreamSmokeCase {
  /** `test/events/<event>.json`: a Kinesis event as Lambda's event source delivers it. */
  readonly event: string;
  /** What a passing answer proves. */
  readonly proves: string;
}

/**
 * A stream function's smoke test: every answer must be exactly `{"batchItemFailures": []}` (the
 * ReportBatchItemFailures contract, nothing to resend), and every event must be inert (see
 * `inertStreamEvent`), or it is not sent.
 */
export interface StreamSmokeSpec {
  readonly kind: 'stream';
  readonly cases: readonly StreamSmokeCase[];
}

/** One Function URL request (payload format 2.0) sent to an HTTP function's new version. */
export interface HttpSmokeCase {
  /** `test/events/<event>.json`: an inert request from the probe origin (see `inertHttpEvent`). */
  readonly event: string;
  /** The exact status the answer must have. */
  readonly status: number;
  /** The exact body (a fixed answer: it is compared, never printed). */
  readonly body: string;
  /** Headers the answer must carry with exactly these values (names compared case-insensitively). */
  readonly headers: Readonly<Record<string, string>>;
  /** Headers the answer must not carry. */
  readonly absentHeaders?: readonly string[];
  /** What a passing answer proves. */
  readonly proves: string;
}

/**
 * An HTTP function's smoke test: every answer must be an HTTP response object (`statusCode`,
 * `headers`, `body`) with exactly the case's status, body and headers, and every event must be inert
 * (see `inertHttpEvent`), or it is not sent; nor is any when the function's configuration allows
 * the probe origin (see `probeOriginProblem`).
 */
export interface HttpSmokeSpec {
  readonly kind: 'http';
  readonly cases: readonly HttpSmokeCase[];
}

export type FunctionSmokeSpec = SmokeSpec | StreamSmokeSpec | HttpSmokeSpec;

/**
 * A spec for every function in the registry: a function added without one does not compile, and
 * neither does one of a new kind of trigger (`never`) until the smoke test knows how to call it.
 */
export type SmokeSpecs = {
  readonly [Name in FunctionName]: Name extends FlowFunctionName
    ? SmokeSpec
    : Name extends StreamFunctionName
      ? StreamSmokeSpec
      : Name extends HttpFunctionName
        ? HttpSmokeSpec
        : never;
};

/** The one stream event: a contact record that matches no valid policy and names no recording. */
export const STREAM_SMOKE_EVENT = 'kinesis-contact-record';

/**
 * The origin of the HTTP probes: `.invalid` is reserved (RFC 2606, RFC 6761), so no website has it
 * and no allow-list should; the deploy refuses to send the probes to a version whose
 * `FLOWGUARD_EDGE_ALLOWED_ORIGINS` names it.
 */
export const SMOKE_ORIGIN = 'https://smoke.invalid';

/** The HTTP events: a POST and a CORS preflight from the probe origin. */
export const HTTP_SMOKE_EVENTS = { post: 'http-smoke-post', preflight: 'http-smoke-preflight' } as const;

/**
 * start-contact's answer to an origin it does not allow (packages/edge: `jsonResponse(403, ...)`):
 * a fixed body, the security headers every answer carries, and no CORS header. A test runs the real
 * handler on the probes, so a change there fails it rather than a deploy.
 */
const ORIGIN_REFUSED = {
  status: 403,
  body: '{"error":"forbidden"}',
  headers: {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    'Referrer-Policy': 'no-referrer',
  },
  absentHeaders: [
    'Access-Control-Allow-Origin',
    'Access-Control-Allow-Methods',
    'Access-Control-Allow-Headers',
    'Access-Control-Allow-Credentials',
  ],
} as const;

/** Every decision screen-caller answers (CHALLENGE: a voice call in a surge); a new one fails the typecheck here. */
const DECISIONS = Object.keys({
  ALLOW: true,
  CHALLENGE: true,
  THROTTLE: true,
  BLOCK: true,
} satisfies Record<Decision, true>);
const screened = (callerType: string) => ({ decision: DECISIONS, callerType: [callerType] });

/** Connect key id of the secure-input probe: no keys secret holds it. */
export const PROBE_KEY_ID = 'flowguard-smoke-probe';

/**
 * A message encrypted the way Connect encrypts stored customer input, under a key pair made for
 * this run and thrown away: nothing can decrypt it, and no real input is involved.
 */
async function secureInputProbe(): Promise<SmokeParameters> {
  const { publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const encryptedInput = await encryptLikeConnect('0000', { keyId: PROBE_KEY_ID, publicKey });
  return { format: 'card', encryptedInput };
}

/**
 * Which recorded events each function gets. Screening sees every channel a flow screens (voice,
 * chat, email; a task has no caller); the other flow functions get one or two events with the
 * parameters their flow blocks pass; the stream functions get one contact record that no policy
 * can match, so nothing is forwarded, copied or dead-lettered.
 */
export const SMOKE_SPECS: SmokeSpecs = {
  'screen-caller': {
    outputs: outputsOf('screen-caller'),
    required: outputsOf('screen-caller'),
    cases: [
      {
        event: 'voice-inbound',
        expect: screened('phone'),
        proves: 'a direct-dial caller is screened through the table: rules read, the contact counted',
      },
      {
        event: 'voice-transfer',
        expect: screened('phone'),
        proves: 'a transferred contact is screened again and counted once (same InitialContactId)',
      },
      {
        event: 'voice-callback',
        // The recorded `policy=callbacks` is a named policy a deployment need not define.
        parameters: {},
        expect: screened('phone'),
        proves: 'an international number (+44) under the default policy',
      },
      {
        event: 'voice-withheld',
        expect: screened('withheld'),
        proves: 'a withheld caller gets the withheld action, never a shared bucket',
      },
      {
        event: 'chat',
        expect: screened('ip'),
        proves: 'a chat is screened by its customerIp attribute',
      },
      {
        event: 'email',
        expect: screened('email'),
        proves: 'an email contact is screened by its address',
      },
    ],
  },
  'flag-caller': {
    outputs: outputsOf('flag-caller'),
    required: outputsOf('flag-caller'),
    cases: [
      {
        event: 'voice-inbound',
        // A real flag would block a number in production: the bad duration stops it before the table.
        parameters: { reason: 'deploy smoke test', duration: 'never' },
        expectError: 'bad_parameter',
        proves: 'the function starts with its configuration and answers its contract; nothing is written',
      },
    ],
  },
  'validate-input': {
    outputs: outputsOf('validate-input'),
    required: ['valid', 'errorField', 'errorCode', 'errorMessageKey'],
    cases: [
      {
        event: 'task',
        expect: { valid: ['true'], amount: ['1250'] },
        proves: 'a valid amount passes its schema and is normalised to minor units',
      },
      {
        event: 'voice-inbound',
        parameters: { schema: 'amount', amount: '12.345' },
        expect: { valid: ['false'], errorField: ['amount'] },
        nonEmpty: ['errorCode'],
        proves: 'an invalid value is a normal answer (valid=false), not a fail-mode one',
      },
    ],
  },
  'secure-input': {
    outputs: outputsOf('secure-input'),
    required: ['valid', 'errorCode'],
    cases: [
      {
        event: 'voice-inbound',
        parameters: secureInputProbe,
        expectError: 'unknown_key',
        proves:
          'the Connect keys secret was read and holds keys (key_unavailable otherwise); nothing is decrypted',
      },
    ],
  },
  'encrypt-input': {
    outputs: outputsOf('encrypt-input'),
    required: outputsOf('encrypt-input'),
    cases: [
      {
        event: 'voice-inbound',
        // A public test card number: no customer data.
        parameters: { format: 'card', input: '4111111111111111' },
        expect: { valid: ['true'] },
        nonEmpty: ['masked', 'token'],
        proves: 'a token is made under the token KMS key (token_failed otherwise)',
      },
    ],
  },
  challenge: {
    outputs: outputsOf('challenge'),
    required: outputsOf('challenge'),
    cases: [
      {
        event: 'voice-inbound',
        parameters: { action: 'issue', length: '2' },
        expect: { passed: ['false'], reason: ['issued'] },
        nonEmpty: ['digits', 'challengeToken'],
        proves:
          'the challenge secret was read (key_unavailable or not_configured otherwise) and a token made; issue writes nothing',
      },
    ],
  },
  'forward-contact-records': {
    kind: 'stream',
    cases: [
      {
        event: STREAM_SMOKE_EVENT,
        proves:
          'the function starts with its configuration, reads its policy (and fingerprint key when a policy hashes) and answers the partial batch response; the record matches no policy, so nothing is sent',
      },
    ],
  },
  'forward-recordings': {
    kind: 'stream',
    cases: [
      {
        event: STREAM_SMOKE_EVENT,
        proves:
          'the function starts with its configuration, reads its policy and answers the partial batch response; the record matches no policy and names no recording, so nothing is copied',
      },
    ],
  },
  'start-contact': {
    kind: 'http',
    cases: [
      {
        event: HTTP_SMOKE_EVENTS.post,
        ...ORIGIN_REFUSED,
        proves:
          'the function starts with its configuration (instance, flows, origins, limits, token settings) and answers an HTTP response; the origin is refused first, so nothing is screened, counted, started or logged but the outcome',
      },
      {
        event: HTTP_SMOKE_EVENTS.preflight,
        ...ORIGIN_REFUSED,
        proves: 'a CORS preflight from an origin not on the allow-list is refused, with no CORS header',
      },
    ],
  },
};

/** Codes that say a dependency failed, whichever key carries them: never a passing answer. */
const UNAVAILABLE: Readonly<Record<string, string>> = {
  store_unavailable: 'the screening table (DynamoDB) could not be reached',
  timeout: 'the answer ran out of its time budget',
  key_unavailable: 'a key or secret could not be read, or the secret holds no valid key',
  token_failed: 'the token key (KMS) could not be used',
  decrypt_failed: 'the Connect keys did not decrypt',
  bad_config: "the function's configuration is invalid",
  bad_response: 'the function answered outside its contract',
  internal: 'the function failed inside (see its log group)',
};

/** What Lambda handed back for one invocation. */
export interface Invocation {
  readonly payload?: string;
  /** `Unhandled` when the function threw. */
  readonly functionError?: string;
}

const KEY = /^[A-Za-z0-9_]{1,64}$/;
const CODE = /^[a-z][a-z0-9_]{0,63}$/;
/** Connect refuses a larger answer. */
const MAX_ANSWER_BYTES = 32 * 1024;

/** A stable code as it is; anything else (it could be caller data) is not printed. */
function code(value: string): string {
  return CODE.test(value) ? value : '(not a code)';
}

function withHint(value: string): string {
  const hint = UNAVAILABLE[value];
  return hint ? `${code(value)} (${hint})` : code(value);
}

/** The error type of a throw, and a configuration error's message (it names a variable, no value). */
function thrown(invocation: Invocation): string {
  let error: { errorType?: unknown; errorMessage?: unknown } = {};
  try {
    error = JSON.parse(invocation.payload ?? '{}') as typeof error;
  } catch {
    // The type stays unknown.
  }
  const type =
    typeof error.errorType === 'string' && /^[A-Za-z][\w.]{0,63}$/.test(error.errorType)
      ? error.errorType
      : 'unknown error';
  const message =
    type === 'ConfigError' && typeof error.errorMessage === 'string'
      ? `: ${error.errorMessage.slice(0, 200)}`
      : '';
  return `the function threw (${type}${message}) instead of answering`;
}

/**
 * What is wrong with one answer, in words that never repeat a value from it: a flat map of strings
 * (Connect's STRING_MAP) under 32 KB, only the function's declared keys, every always-present key,
 * no fail-mode answer or unavailable dependency, and the case's own expectations.
 */
export function checkAnswer(invocation: Invocation, spec: SmokeSpec, smokeCase: SmokeCase): string[] {
  if (invocation.functionError) return [thrown(invocation)];
  const text = invocation.payload ?? '';
  if (Buffer.byteLength(text) > MAX_ANSWER_BYTES) {
    return [`the answer is ${(Buffer.byteLength(text) / 1024).toFixed(1)} KB; Connect takes at most 32 KB`];
  }
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return ['the answer is not JSON'];
  }
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
    return ["the answer is not a map of strings (Connect's STRING_MAP)"];
  }
  const fields = answer as Record<string, unknown>;
  const keys = Object.keys(fields);
  const problems: string[] = [];
  const illegal = keys.filter((key) => !KEY.test(key));
  if (illegal.length > 0) problems.push(`${illegal.length} key(s) Connect cannot read (not [A-Za-z0-9_])`);
  const notStrings = keys.filter((key) => KEY.test(key) && typeof fields[key] !== 'string');
  if (notStrings.length > 0)
    problems.push(`not a flat map of strings: ${notStrings.join(', ')} not a string`);
  const allowed = new Set([...spec.outputs, 'error']);
  const undeclared = keys.filter((key) => KEY.test(key) && !allowed.has(key));
  if (undeclared.length > 0) problems.push(`keys outside the function's contract: ${undeclared.join(', ')}`);
  const missing = [...spec.required, 'error'].filter((key) => !Object.hasOwn(fields, key));
  if (missing.length > 0) problems.push(`missing keys: ${missing.join(', ')}`);

  const stringAt = (key: string) => {
    const value = fields[key];
    return typeof value === 'string' ? value : '';
  };
  const error = stringAt('error');
  if (smokeCase.expectError !== undefined) {
    if (error !== smokeCase.expectError) {
      problems.push(
        error
          ? `answered error=${withHint(error)} where error=${smokeCase.expectError} was expected`
          : `answered without error where error=${smokeCase.expectError} was expected`,
      );
    }
  } else if (error) {
    problems.push(`a fail-mode answer: error=${withHint(error)}`);
  }
  for (const key of ['reason', 'errorCode']) {
    const value = stringAt(key);
    if (value !== error && Object.hasOwn(UNAVAILABLE, value)) problems.push(`${key}=${withHint(value)}`);
  }
  for (const [key, values] of Object.entries(smokeCase.expect ?? {})) {
    if (!values.includes(stringAt(key))) problems.push(`${key} is not ${values.join(' or ')}`);
  }
  for (const key of smokeCase.nonEmpty ?? []) {
    if (stringAt(key) === '') problems.push(`${key} is empty`);
  }
  return problems;
}

async function readEvent(name: string, eventsDir: string): Promise<unknown> {
  const file = join(eventsDir, `${name}.json`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    throw new DeployError(`the smoke test's event ${name}.json is missing or not JSON (${eventsDir})`);
  }
}

/** The recorded event for a case, with the case's parameters in place of the recorded ones. */
export async function smokeEvent(
  smokeCase: SmokeCase,
  eventsDir = EVENTS_DIR,
): Promise<Record<string, unknown>> {
  const event = (await readEvent(smokeCase.event, eventsDir)) as { Details?: Record<string, unknown> };
  if (smokeCase.parameters !== undefined && event.Details) {
    const parameters =
      typeof smokeCase.parameters === 'function' ? await smokeCase.parameters() : smokeCase.parameters;
    event.Details.Parameters = { ...parameters };
  }
  return event;
}

/** The contact-record fields a policy matches on (the agent's holds its routing profile and groups). */
const MATCHED_ON = ['Queue', 'Agent', 'Channel'] as const;

/**
 * What would make a stream smoke event leave something in production, in words that never repeat
 * a value from it. It must be one Kinesis record as Lambda delivers it, whose contact record
 * parses (one that does not goes to the dead-letter bucket) and has nothing a policy matches on:
 * no queue, no agent (its routing profile and hierarchy groups), no channel, no attribute. A valid
 * policy has at least one condition and each condition needs its field, so no policy matches it
 * (docs/deploy.md). No recording either: forward-recordings would have nothing to copy anyway.
 */
export function inertStreamEvent(event: unknown): string[] {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records) || records.length !== 1) return ['it does not hold exactly one record'];
  const record = records[0] as {
    eventSource?: unknown;
    eventName?: unknown;
    kinesis?: { data?: unknown; sequenceNumber?: unknown } | null;
  } | null;
  if (record?.eventSource !== 'aws:kinesis' || record.eventName !== 'aws:kinesis:record') {
    return ['its record is not a Kinesis record (eventSource aws:kinesis, eventName aws:kinesis:record)'];
  }
  if (typeof record.kinesis?.data !== 'string' || typeof record.kinesis.sequenceNumber !== 'string') {
    return ['its record has no kinesis.data or kinesis.sequenceNumber'];
  }
  let contact: ReturnType<typeof decodeContactRecord>;
  try {
    contact = decodeContactRecord(record.kinesis.data);
  } catch (error) {
    // A RecordParseError's message is a reason code and a field path, never a value.
    const reason = (error as Error)?.name === 'RecordParseError' ? (error as Error).message : 'unknown';
    return [`its contact record does not parse (${reason}): the function would write it to a dead letter`];
  }
  const problems: string[] = [];
  for (const field of MATCHED_ON) {
    if (contact[field] !== undefined && contact[field] !== null) {
      problems.push(`its contact record sets ${field}: a policy could match it`);
    }
  }
  if (contact.Attributes && Object.keys(contact.Attributes).length > 0) {
    problems.push('its contact record has attributes: a policy could match them');
  }
  if (
    (contact.Recording !== undefined && contact.Recording !== null) ||
    (contact.Recordings?.length ?? 0) > 0
  ) {
    problems.push('its contact record names a recording: forward-recordings could copy it');
  }
  return problems;
}

/** A stream case's event, refused unless it is inert (see `inertStreamEvent`). */
export async function streamSmokeEvent(
  smokeCase: StreamSmokeCase,
  eventsDir = EVENTS_DIR,
): Promise<Record<string, unknown>> {
  const event = await readEvent(smokeCase.event, eventsDir);
  const problems = inertStreamEvent(event);
  if (problems.length > 0) {
    throw new DeployError(
      `the smoke test's event ${smokeCase.event}.json could leave something in production, so it is not sent: ${problems.join('; ')}`,
    );
  }
  return event as Record<string, unknown>;
}

/**
 * What is wrong with a stream function's answer, in words that never repeat a value from it: it
 * must be Lambda's partial batch response with no item to resend, `{"batchItemFailures": []}`.
 */
export function checkStreamAnswer(invocation: Invocation): string[] {
  if (invocation.functionError) {
    return [
      `${thrown(invocation)}; a stream function throws when its policy or fingerprint key cannot be had (see its log group)`,
    ];
  }
  let answer: unknown;
  try {
    answer = JSON.parse(invocation.payload ?? '');
  } catch {
    return ['the answer is not JSON'];
  }
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
    return ['the answer is not a partial batch response ({"batchItemFailures": [...]})'];
  }
  const fields = answer as Record<string, unknown>;
  const problems: string[] = [];
  const extra = Object.keys(fields).filter((key) => key !== 'batchItemFailures');
  if (extra.length > 0) {
    const named = extra.filter((key) => KEY.test(key));
    const others = extra.length - named.length;
    problems.push(
      `keys outside the partial batch response: ${[...named, ...(others > 0 ? [`${others} other(s)`] : [])].join(', ')}`,
    );
  }
  const failures = fields.batchItemFailures;
  if (!Array.isArray(failures)) {
    problems.push('batchItemFailures is missing or not a list');
  } else if (failures.length > 0) {
    problems.push(
      `${failures.length} batch item failure(s): the new version did not finish the smoke record, which Lambda would send again (see its log group)`,
    );
  }
  return problems;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Header names lower-cased (HTTP's are case-insensitive), with how many times each is given. */
function headerNames(headers: Record<string, unknown>): Map<string, number> {
  const names = new Map<string, number>();
  for (const name of Object.keys(headers))
    names.set(name.toLowerCase(), (names.get(name.toLowerCase()) ?? 0) + 1);
  return names;
}

/**
 * What would take an HTTP smoke event past start-contact's first check, in words that never repeat a
 * value from it. It must be a Function URL request (payload format 2.0) with one `Origin` header,
 * exactly the probe origin, which no allow-list holds: the handler answers 403 before it reads the
 * method, the body or a token, and so before it screens (a count in the table), signs or asks
 * Connect. Should the origin ever be allowed, the request still must stop before screening: no
 * `Content-Type` and no body (a POST is then 415), no token, no cookie.
 */
export function inertHttpEvent(event: unknown): string[] {
  if (!isRecord(event) || event.version !== '2.0')
    return ['it is not a payload format 2.0 event (version "2.0")'];
  const context = event.requestContext;
  if (!isRecord(context) || !isRecord(context.http) || typeof context.http.method !== 'string') {
    return ['it has no requestContext.http.method'];
  }
  if (event.multiValueHeaders !== undefined || event.httpMethod !== undefined) {
    return ['it mixes in payload format 1.0 fields (httpMethod, multiValueHeaders)'];
  }
  const headers = isRecord(event.headers) ? event.headers : {};
  const names = headerNames(headers);
  const problems: string[] = [];
  const origins = Object.entries(headers).filter(([name]) => name.toLowerCase() === 'origin');
  if (origins.length !== 1 || origins[0]?.[1] !== SMOKE_ORIGIN) {
    problems.push(`its Origin header is not exactly ${SMOKE_ORIGIN}: an allowed origin would be served`);
  }
  for (const name of ['authorization', 'cookie']) {
    if (names.has(name))
      problems.push(`it sends ${name === 'cookie' ? 'a cookie' : 'an Authorization header'}`);
  }
  if (names.has('content-type')) {
    problems.push('it sends a Content-Type: a JSON body would be read if the origin were allowed');
  }
  if (event.body !== undefined && event.body !== null && event.body !== '') {
    problems.push('it has a body: it would be read if the origin were allowed');
  }
  return problems;
}

/** An HTTP case's event, refused unless it is inert (see `inertHttpEvent`). */
export async function httpSmokeEvent(
  smokeCase: HttpSmokeCase,
  eventsDir = EVENTS_DIR,
): Promise<Record<string, unknown>> {
  const event = await readEvent(smokeCase.event, eventsDir);
  const problems = inertHttpEvent(event);
  if (problems.length > 0) {
    throw new DeployError(
      `the smoke test's event ${smokeCase.event}.json could get past the origin check, so it is not sent: ${problems.join('; ')}`,
    );
  }
  return event as Record<string, unknown>;
}

/**
 * Why the HTTP probes must not be sent to a function with this configuration (a published
 * version's, or `$LATEST`'s before one is published), in words that never repeat a variable's
 * value: its `FLOWGUARD_EDGE_ALLOWED_ORIGINS` names the probe origin (matched loosely, in any case
 * or form, so nothing that could parse to it passes), or its variables could not be read.
 */
export function probeOriginProblem(config: Pick<FunctionConfiguration, 'Environment'>): string | undefined {
  const environment = config.Environment;
  if (environment?.Error) {
    const reason = environment.Error.ErrorCode ?? '';
    return (
      `its environment variables could not be read (${/^[A-Za-z][\w.]{0,63}$/.test(reason) ? reason : 'unknown error'}), ` +
      `so it is not known whether FLOWGUARD_EDGE_ALLOWED_ORIGINS allows the probe origin ${SMOKE_ORIGIN}: ` +
      "the deploying role must be able to read them (kms:Decrypt on the function's KMS key)"
    );
  }
  const origins = environment?.Variables?.FLOWGUARD_EDGE_ALLOWED_ORIGINS ?? '';
  if (/smoke\.invalid/i.test(origins)) {
    return `FLOWGUARD_EDGE_ALLOWED_ORIGINS allows the probe origin ${SMOKE_ORIGIN}, so the probes would get past the origin check: take it off the allow-list`;
  }
  return undefined;
}

/** Keys of the response object Lambda turns into an HTTP answer (Function URL, HTTP API). */
const HTTP_RESPONSE_KEYS = new Set(['statusCode', 'headers', 'body', 'isBase64Encoded']);

/**
 * What is wrong with an HTTP function's answer, in words that never repeat a value from it (a
 * status is a number, and printed only as one): it must be a response object, `statusCode`,
 * `headers` (strings), `body` (a string), `isBase64Encoded` false if given, nothing else, with
 * exactly the case's status, body and headers, and none of its absent headers.
 */
export function checkHttpAnswer(invocation: Invocation, smokeCase: HttpSmokeCase): string[] {
  if (invocation.functionError) {
    return [
      `${thrown(invocation)}; start-contact answers every request, so a throw is its initialisation failing (see its log group)`,
    ];
  }
  let answer: unknown;
  try {
    answer = JSON.parse(invocation.payload ?? '');
  } catch {
    return ['the answer is not JSON'];
  }
  if (!isRecord(answer) || !Object.hasOwn(answer, 'statusCode')) {
    return ['the answer is not an HTTP response (an object with statusCode, headers and body)'];
  }
  const problems: string[] = [];
  const extra = Object.keys(answer).filter((key) => !HTTP_RESPONSE_KEYS.has(key));
  if (extra.length > 0) {
    const named = extra.filter((key) => KEY.test(key));
    const others = extra.length - named.length;
    problems.push(
      `keys outside an HTTP response: ${[...named, ...(others > 0 ? [`${others} other(s)`] : [])].join(', ')}`,
    );
  }
  const status = answer.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    problems.push('statusCode is not an HTTP status (an integer 100 to 599)');
  } else if (status !== smokeCase.status) {
    problems.push(
      `answered ${status} where ${smokeCase.status} was expected` +
        (status >= 500
          ? ' (the function could not answer: see its log group)'
          : ' (the probe origin was not refused first)'),
    );
  }
  const headers = answer.headers;
  if (!isRecord(headers) || Object.values(headers).some((value) => typeof value !== 'string')) {
    problems.push('headers is missing or not a map of strings');
  } else {
    const byName = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
    for (const [name, value] of Object.entries(smokeCase.headers)) {
      if (byName.get(name.toLowerCase()) !== value)
        problems.push(`the ${name} header is missing or not ${value}`);
    }
    for (const name of smokeCase.absentHeaders ?? []) {
      if (byName.has(name.toLowerCase())) problems.push(`the ${name} header is there: it must not be`);
    }
  }
  if (typeof answer.body !== 'string') {
    problems.push('body is missing or not a string');
  } else if (answer.body !== smokeCase.body) {
    problems.push(`the body is not the fixed ${smokeCase.status} body`);
  }
  if (answer.isBase64Encoded !== undefined && answer.isBase64Encoded !== false) {
    problems.push('isBase64Encoded is not false');
  }
  return problems;
}

export interface SmokeFailure {
  /** `voice-inbound.json` */
  readonly event: string;
  readonly problems: readonly string[];
}

/** Sends each case's event through `invoke` and returns the cases whose answer failed. */
export async function runSmoke(
  invoke: (event: Record<string, unknown>) => Promise<Invocation>,
  spec: FunctionSmokeSpec,
  options: { eventsDir?: string; log?: (line: string) => void } = {},
): Promise<SmokeFailure[]> {
  const steps =
    spec.kind === 'stream'
      ? spec.cases.map((smokeCase) => ({
          smokeCase,
          event: () => streamSmokeEvent(smokeCase, options.eventsDir),
          check: checkStreamAnswer,
        }))
      : spec.kind === 'http'
        ? spec.cases.map((smokeCase) => ({
            smokeCase,
            event: () => httpSmokeEvent(smokeCase, options.eventsDir),
            check: (invocation: Invocation) => checkHttpAnswer(invocation, smokeCase),
          }))
        : spec.cases.map((smokeCase) => ({
            smokeCase,
            event: () => smokeEvent(smokeCase, options.eventsDir),
            check: (invocation: Invocation) => checkAnswer(invocation, spec, smokeCase),
          }));
  const failures: SmokeFailure[] = [];
  for (const { smokeCase, event, check } of steps) {
    const problems = check(await invoke(await event()));
    options.log?.(
      `  ${problems.length === 0 ? 'ok  ' : 'FAIL'} ${smokeCase.event}.json: ${smokeCase.proves}`,
    );
    if (problems.length > 0) failures.push({ event: `${smokeCase.event}.json`, problems });
  }
  return failures;
}
