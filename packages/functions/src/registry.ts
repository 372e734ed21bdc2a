// The function registry: every deployable function once, with its entry, its variables, its flow
// placeholder, its answers, the AWS clients it builds and its fail mode. The bundler, the CDK
// stack, `flowguard flows render`/`lint`, `flowguard local`, the fuzz harness, the cold-import
// bench and docs/configuration.md all read it; none keeps a list of its own.
//
// Data only: it imports the capabilities' contract modules (answers, budgets, variables), never
// their code, so the CDK stack and the docs generator load it without the SDKs.
import {
  CHALLENGE_BUDGET_MS,
  CHALLENGE_OUTPUTS,
  CHALLENGE_SENSITIVE_OUTPUTS,
  CHALLENGE_VARIABLES,
  FLAG_CALLER_OUTPUTS,
  SCREEN_CALLER_OUTPUTS,
  SCREENING_BUDGET_MS,
  SCREENING_VARIABLES,
  SIGNED_IDENTITY_VARIABLES,
  TABLE_VARIABLE,
} from '@flowguard/caller-screening/contract';
import { HANDLER_VARIABLES, type VariableSpec } from '@flowguard/contact';
import { EDGE_VARIABLES, START_CONTACT, START_CONTACT_BUDGET_MS } from '@flowguard/edge/contract';
import {
  FORWARD_CONTACT_RECORDS,
  FORWARD_CONTACT_RECORDS_VARIABLES,
  FORWARD_RECORDINGS,
  FORWARD_RECORDINGS_VARIABLES,
  FORWARDING_BUDGET_MS,
} from '@flowguard/forwarding/contract';
import {
  VALIDATE_INPUT_BUDGET_MS,
  VALIDATE_INPUT_OUTPUTS,
  VALIDATE_INPUT_SENSITIVE_OUTPUTS,
  VALIDATION_VARIABLES,
} from '@flowguard/input-validation/contract';
import {
  ENCRYPT_INPUT_OUTPUTS,
  ENCRYPT_INPUT_VARIABLES,
  SECURE_INPUT_BUDGET_MS,
  SECURE_INPUT_OUTPUTS,
  SECURE_INPUT_VARIABLES,
} from '@flowguard/secure-input/contract';

export type { VariableSpec };

/** The functions Connect flows invoke, in the order the stack creates them. */
export const FLOW_FUNCTION_NAMES = [
  'screen-caller',
  'flag-caller',
  'validate-input',
  'secure-input',
  'encrypt-input',
  'challenge',
] as const;
export type FlowFunctionName = (typeof FLOW_FUNCTION_NAMES)[number];

/** The functions on Connect's contact-record stream (docs/data-minimisation.md). */
export const STREAM_FUNCTION_NAMES = [FORWARD_CONTACT_RECORDS, FORWARD_RECORDINGS] as const;
export type StreamFunctionName = (typeof STREAM_FUNCTION_NAMES)[number];

/** The functions a website calls over HTTP (a Function URL or an API Gateway HTTP API). */
export const HTTP_FUNCTION_NAMES = [START_CONTACT] as const;
export type HttpFunctionName = (typeof HTTP_FUNCTION_NAMES)[number];

/** Every function flowguard builds. */
export const FUNCTION_NAMES = [
  ...FLOW_FUNCTION_NAMES,
  ...STREAM_FUNCTION_NAMES,
  ...HTTP_FUNCTION_NAMES,
] as const;
export type FunctionName = FlowFunctionName | StreamFunctionName | HttpFunctionName;

/** The AWS SDK clients a function builds (its IAM grants and cold-import floor follow from them). */
export type AwsClient =
  | 'dynamodb'
  | 'secrets-manager'
  | 'kms'
  | 'ssm'
  | 's3'
  | 'kinesis'
  | 'firehose'
  | 'eventbridge'
  | 'connect';

/** The bundle a function's cold import is measured against: the least code its clients need. */
export type ColdImportFloor = 'floor-empty' | 'floor-dynamodb' | 'floor-secrets-manager';

interface CommonDefinition {
  /** One line: what it does. */
  readonly summary: string;
  /** Its documentation, relative to the repository root. */
  readonly doc: string;
  /** The handler module (exports `handler`), relative to packages/functions. */
  readonly entry: string;
  /** Every variable it reads, the wrapper's first. */
  readonly variables: readonly VariableSpec[];
  readonly clients: readonly AwsClient[];
  /** The answer when it cannot decide (bad event, timeout, a dependency down). */
  readonly failMode: string;
  /** Its own time budget (ms): it answers, fail mode at worst, by then. */
  readonly budgetMs: number;
  /** Lambda memory the stack gives it. */
  readonly memoryMb: number;
  /** Concurrency reserved by default: a flood on one function cannot starve the others. */
  readonly reservedConcurrency: number;
  readonly coldImport: { readonly floor: ColdImportFloor; readonly maxRatio?: number };
}

/** A function a flow invokes (Invoke AWS Lambda function block): a flat answer the flow branches on. */
export interface FlowFunctionDefinition extends CommonDefinition {
  readonly trigger: 'connect-flow';
  readonly name: FlowFunctionName;
  /** The flows' placeholder its ARN fills (`${ScreenCallerFunctionArn}`). */
  readonly placeholder: string;
  /** Keys of its flat answer besides `error`: what a flow may read from `$.External`. */
  readonly outputs: readonly string[];
  /**
   * Answers that carry a personal or secret value (a date of birth): a flow must not keep them in
   * contact attributes, which land in every contact record (`flowguard flows lint` warns).
   */
  readonly sensitiveOutputs: readonly string[];
}

/** A function on a Kinesis stream (an event source mapping with ReportBatchItemFailures). */
export interface StreamFunctionDefinition extends CommonDefinition {
  readonly trigger: 'kinesis';
  readonly name: StreamFunctionName;
}

/**
 * A function behind an HTTP endpoint (Lambda Function URL, or API Gateway HTTP API with payload
 * format 2.0 or 1.0): status codes, not a flat answer.
 */
export interface HttpFunctionDefinition extends CommonDefinition {
  readonly trigger: 'http';
  readonly name: HttpFunctionName;
  /** The HTTP answers it gives, for the docs: `status: meaning`. */
  readonly answers: readonly string[];
}

export type FunctionDefinition = FlowFunctionDefinition | StreamFunctionDefinition | HttpFunctionDefinition;

const handlerVariables = (budgetMs: number): VariableSpec[] =>
  HANDLER_VARIABLES.map((v) => (v.name === 'FLOWGUARD_BUDGET_MS' ? { ...v, default: `\`${budgetMs}\`` } : v));

const screening = [...handlerVariables(SCREENING_BUDGET_MS), TABLE_VARIABLE, ...SCREENING_VARIABLES];
const screenCallerVariables = [...screening, ...SIGNED_IDENTITY_VARIABLES];

export const FLOW_FUNCTIONS: readonly FlowFunctionDefinition[] = [
  {
    trigger: 'connect-flow',
    name: 'screen-caller',
    summary: "ALLOW / THROTTLE / BLOCK for the contact's caller: blocklist, allowlist, rules, rate limits",
    doc: 'docs/screening.md',
    entry: 'src/handlers/screen-caller.ts',
    placeholder: 'ScreenCallerFunctionArn',
    outputs: SCREEN_CALLER_OUTPUTS,
    sensitiveOutputs: [],
    variables: screenCallerVariables,
    // Secrets Manager only with FLOWGUARD_EDGE_SIGNING_SECRET_ID, and loaded only then.
    clients: ['dynamodb', 'secrets-manager'],
    failMode:
      'store down: `FLOWGUARD_FAIL_MODE=open` (default) answers from in-memory limits, `closed` answers `BLOCK`; a bad event answers by the fail mode with its `error`',
    budgetMs: SCREENING_BUDGET_MS,
    memoryMb: 512,
    reservedConcurrency: 100,
    coldImport: { floor: 'floor-dynamodb', maxRatio: 1.2 },
  },
  {
    trigger: 'connect-flow',
    name: 'flag-caller',
    summary: 'an agent blocks the current caller, or a given number, with a reason',
    doc: 'docs/screening.md',
    entry: 'src/handlers/flag-caller.ts',
    placeholder: 'FlagCallerFunctionArn',
    outputs: FLAG_CALLER_OUTPUTS,
    sensitiveOutputs: [],
    variables: screening,
    clients: ['dynamodb'],
    failMode: '`flagged=false`: nothing was written',
    budgetMs: SCREENING_BUDGET_MS,
    memoryMb: 256,
    reservedConcurrency: 10,
    coldImport: { floor: 'floor-dynamodb', maxRatio: 1.2 },
  },
  {
    trigger: 'connect-flow',
    name: 'validate-input',
    summary: 'checks flow input against a JSON Schema compiled at build time; normalised values back',
    doc: 'docs/validation.md',
    entry: 'src/handlers/validate-input.ts',
    placeholder: 'ValidateInputFunctionArn',
    outputs: VALIDATE_INPUT_OUTPUTS,
    sensitiveOutputs: VALIDATE_INPUT_SENSITIVE_OUTPUTS,
    variables: [...handlerVariables(VALIDATE_INPUT_BUDGET_MS), ...VALIDATION_VARIABLES],
    clients: [],
    failMode: '`valid=false` with the code in `errorCode`',
    budgetMs: VALIDATE_INPUT_BUDGET_MS,
    memoryMb: 256,
    reservedConcurrency: 50,
    coldImport: { floor: 'floor-empty' },
  },
  {
    trigger: 'connect-flow',
    name: 'secure-input',
    summary: 'decrypts Connect-encrypted input, validates it, answers derived facts and a token',
    doc: 'docs/secure-input.md',
    entry: 'src/handlers/secure-input.ts',
    placeholder: 'SecureInputFunctionArn',
    outputs: SECURE_INPUT_OUTPUTS,
    // Derived facts only: last four, brand, length, a keyed fingerprint, a token.
    sensitiveOutputs: [],
    variables: [...handlerVariables(SECURE_INPUT_BUDGET_MS), ...SECURE_INPUT_VARIABLES],
    clients: ['secrets-manager', 'kms'],
    failMode: '`valid=false` with the code in `errorCode`; never the input',
    budgetMs: SECURE_INPUT_BUDGET_MS,
    // RSA-4096 decrypt is CPU-bound: more memory buys a faster CPU share.
    memoryMb: 1024,
    reservedConcurrency: 50,
    coldImport: { floor: 'floor-secrets-manager' },
  },
  {
    trigger: 'connect-flow',
    name: 'encrypt-input',
    summary: 'validates plaintext input and returns a token for downstream systems and a mask',
    doc: 'docs/secure-input.md',
    entry: 'src/handlers/encrypt-input.ts',
    placeholder: 'EncryptInputFunctionArn',
    outputs: ENCRYPT_INPUT_OUTPUTS,
    sensitiveOutputs: [],
    variables: [...handlerVariables(SECURE_INPUT_BUDGET_MS), ...ENCRYPT_INPUT_VARIABLES],
    clients: ['kms'],
    failMode: '`valid=false`, no token, no mask',
    budgetMs: SECURE_INPUT_BUDGET_MS,
    memoryMb: 512,
    reservedConcurrency: 20,
    coldImport: { floor: 'floor-secrets-manager' },
  },
  {
    trigger: 'connect-flow',
    name: 'challenge',
    summary:
      'the IVR challenge: issues digits for the caller to press, bound to the contact; verifies them once and marks the caller verified',
    doc: 'docs/screening.md',
    entry: 'src/handlers/challenge.ts',
    placeholder: 'ChallengeFunctionArn',
    outputs: CHALLENGE_OUTPUTS,
    sensitiveOutputs: CHALLENGE_SENSITIVE_OUTPUTS,
    variables: [
      ...handlerVariables(CHALLENGE_BUDGET_MS),
      TABLE_VARIABLE,
      ...SCREENING_VARIABLES,
      ...CHALLENGE_VARIABLES,
    ],
    clients: ['dynamodb', 'secrets-manager'],
    failMode:
      'key or store down: `FLOWGUARD_CHALLENGE_FAIL_MODE=open` (default) still checks the digits where the key is there and passes a right answer unclaimed (`passed=true` with no key at all), `closed` answers `passed=false`; a bad event, parameter or missing configuration: `passed=false`',
    budgetMs: CHALLENGE_BUDGET_MS,
    memoryMb: 256,
    reservedConcurrency: 50,
    coldImport: { floor: 'floor-dynamodb' },
  },
];

/** The contact-record stream's functions: nothing answers a flow, failures are per record. */
export const STREAM_FUNCTIONS: readonly StreamFunctionDefinition[] = [
  {
    trigger: 'kinesis',
    name: FORWARD_CONTACT_RECORDS,
    summary:
      'sends each contact record a policy matches, minimised (allow-listed fields and attributes, hashed or masked), to Firehose, Kinesis, EventBridge or S3',
    doc: 'docs/data-minimisation.md',
    entry: `src/handlers/${FORWARD_CONTACT_RECORDS}.ts`,
    variables: FORWARD_CONTACT_RECORDS_VARIABLES,
    clients: ['kinesis', 'firehose', 'eventbridge', 's3', 'secrets-manager', 'ssm'],
    failMode:
      'a record not delivered after retries is reported as the batch item failure (Lambda resends from it); one that does not parse goes to the dead-letter bucket with its reason',
    budgetMs: FORWARDING_BUDGET_MS,
    memoryMb: 512,
    reservedConcurrency: 10,
    coldImport: { floor: 'floor-empty' },
  },
  {
    trigger: 'kinesis',
    name: FORWARD_RECORDINGS,
    summary:
      "copies the recordings and transcripts of the contacts a policy matches to the policy's bucket, server-side, under its KMS key, tagged",
    doc: 'docs/data-minimisation.md',
    entry: `src/handlers/${FORWARD_RECORDINGS}.ts`,
    variables: FORWARD_RECORDINGS_VARIABLES,
    clients: ['s3', 'secrets-manager', 'ssm'],
    failMode:
      'a copy that fails after retries is reported as the batch item failure; a recording that is not there goes to the dead-letter bucket with its reason',
    budgetMs: FORWARDING_BUDGET_MS,
    memoryMb: 256,
    reservedConcurrency: 10,
    coldImport: { floor: 'floor-empty' },
  },
];

/** The functions websites call. */
export const HTTP_FUNCTIONS: readonly HttpFunctionDefinition[] = [
  {
    trigger: 'http',
    name: START_CONTACT,
    summary:
      "starts a website's chat, web call or task after screening its client IP or verified customer id by the flows' rules, limits and blocklist",
    doc: 'docs/screening.md',
    entry: `src/handlers/${START_CONTACT}.ts`,
    answers: ['200', '400', '401', '403', '405', '413', '415', '429', '502', '503'],
    variables: [
      ...handlerVariables(START_CONTACT_BUDGET_MS),
      TABLE_VARIABLE,
      ...SCREENING_VARIABLES,
      ...EDGE_VARIABLES,
    ],
    clients: ['dynamodb', 'secrets-manager', 'connect'],
    failMode:
      'store down: `FLOWGUARD_EDGE_FAIL_MODE=open` (default) follows the in-memory limits, `closed` answers 503 with `Retry-After`; any other failure 502 or 503 with a generic body, never 500',
    budgetMs: START_CONTACT_BUDGET_MS,
    memoryMb: 512,
    reservedConcurrency: 50,
    coldImport: { floor: 'floor-dynamodb' },
  },
];

export const FUNCTIONS: readonly FunctionDefinition[] = [
  ...FLOW_FUNCTIONS,
  ...STREAM_FUNCTIONS,
  ...HTTP_FUNCTIONS,
];

/** The definition of a function; throws naming the known ones for any other name. */
export function functionDefinition(name: string): FunctionDefinition {
  const found = FUNCTIONS.find((f) => f.name === name);
  if (!found) throw new Error(`unknown function '${name}'; functions: ${FUNCTION_NAMES.join(', ')}`);
  return found;
}

/** The definition of a flow function; throws for any other name. */
export function flowFunctionDefinition(name: string): FlowFunctionDefinition {
  const found = FLOW_FUNCTIONS.find((f) => f.name === name);
  if (!found)
    throw new Error(`unknown flow function '${name}'; flow functions: ${FLOW_FUNCTION_NAMES.join(', ')}`);
  return found;
}

export function isFunctionName(name: string): name is FunctionName {
  return (FUNCTION_NAMES as readonly string[]).includes(name);
}

export function isFlowFunctionName(name: string): name is FlowFunctionName {
  return (FLOW_FUNCTION_NAMES as readonly string[]).includes(name);
}
