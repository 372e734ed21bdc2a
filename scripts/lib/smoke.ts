// The smoke test a new version passes before `live` moves: recorded Connect events from
// test/events/, the answer checked against the function's contract (docs/deploy.md).
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FlowFunctionName, flowFunctionDefinition } from '@flowguard/functions/registry';
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

export interface SmokeSpec {
  /** The keys the function may answer with (the function registry's `outputs`), besides `error`. */
  readonly outputs: readonly string[];
  /** The keys every answer carries, fail-mode answers included. */
  readonly required: readonly string[];
  readonly cases: readonly SmokeCase[];
}

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
 * chat, email; a task has no caller); the other functions get one or two events with the
 * parameters their flow blocks pass.
 */
export const SMOKE_SPECS: Readonly<Record<FlowFunctionName, SmokeSpec>> = {
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

/** The recorded event for a case, with the case's parameters in place of the recorded ones. */
export async function smokeEvent(
  smokeCase: SmokeCase,
  eventsDir = EVENTS_DIR,
): Promise<Record<string, unknown>> {
  const file = join(eventsDir, `${smokeCase.event}.json`);
  let event: { Details?: Record<string, unknown> };
  try {
    event = JSON.parse(await readFile(file, 'utf8')) as typeof event;
  } catch {
    throw new DeployError(
      `the smoke test's event ${smokeCase.event}.json is missing or not JSON (${eventsDir})`,
    );
  }
  if (smokeCase.parameters !== undefined && event.Details) {
    const parameters =
      typeof smokeCase.parameters === 'function' ? await smokeCase.parameters() : smokeCase.parameters;
    event.Details.Parameters = { ...parameters };
  }
  return event;
}

export interface SmokeFailure {
  /** `voice-inbound.json` */
  readonly event: string;
  readonly problems: readonly string[];
}

/** Sends each case's event through `invoke` and returns the cases whose answer failed. */
export async function runSmoke(
  invoke: (event: Record<string, unknown>) => Promise<Invocation>,
  spec: SmokeSpec,
  options: { eventsDir?: string; log?: (line: string) => void } = {},
): Promise<SmokeFailure[]> {
  const failures: SmokeFailure[] = [];
  for (const smokeCase of spec.cases) {
    const event = await smokeEvent(smokeCase, options.eventsDir);
    const problems = checkAnswer(await invoke(event), spec, smokeCase);
    options.log?.(
      `  ${problems.length === 0 ? 'ok  ' : 'FAIL'} ${smokeCase.event}.json: ${smokeCase.proves}`,
    );
    if (problems.length > 0) failures.push({ event: `${smokeCase.event}.json`, problems });
  }
  return failures;
}
