// The smoke test a new version passes before `live` moves: recorded Connect events from
// test/events/ for the flow functions, a Kinesis event of one contact record no policy can match
// for the stream functions; the answer checked against the function's contract (docs/deploy.md).
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeContactRecord } from '@flowguard/forwarding';
import {
  type FlowFunctionName,
  type FunctionName,
  flowFunctionDefinition,
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

export type FunctionSmokeSpec = SmokeSpec | StreamSmokeSpec;

/**
 * A spec for every function in the registry: a function added without one does not compile, and
 * neither does one of a new kind of trigger (`never`) until the smoke test knows how to call it.
 */
export type SmokeSpecs = {
  readonly [Name in FunctionName]: Name extends FlowFunctionName
    ? SmokeSpec
    : Name extends StreamFunctionName
      ? StreamSmokeSpec
      : never;
};

/** The one stream event: a contact record that matches no valid policy and names no recording. */
export const STREAM_SMOKE_EVENT = 'kinesis-contact-record';

const DECISIONS = ['ALLOW', 'THROTTLE', 'BLOCK'];
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
