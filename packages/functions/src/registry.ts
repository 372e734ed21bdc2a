// The function registry: every deployable function once, with its entry, its variables, its flow
// placeholder, its answers, the AWS clients it builds and its fail mode. The bundler, the CDK
// stack, `flowguard flows render`/`lint`, `flowguard local`, the fuzz harness, the cold-import
// bench and docs/configuration.md all read it; none keeps a list of its own.
//
// Data only: it imports the capabilities' contract modules (answers, budgets, variables), never
// their code, so the CDK stack and the docs generator load it without the SDKs.
import {
  FLAG_CALLER_OUTPUTS,
  SCREEN_CALLER_OUTPUTS,
  SCREENING_BUDGET_MS,
  SCREENING_VARIABLES,
  TABLE_VARIABLE,
} from '@flowguard/caller-screening/contract';
import { HANDLER_VARIABLES, type VariableSpec } from '@flowguard/contact';
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

/** The functions flowguard deploys, in the order the stack creates them. */
export const FUNCTION_NAMES = [
  'screen-caller',
  'flag-caller',
  'validate-input',
  'secure-input',
  'encrypt-input',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** The AWS SDK clients a function builds (its IAM grants and cold-import floor follow from them). */
export type AwsClient = 'dynamodb' | 'secrets-manager' | 'kms';

/** The bundle a function's cold import is measured against: the least code its clients need. */
export type ColdImportFloor = 'floor-empty' | 'floor-dynamodb' | 'floor-secrets-manager';

export interface FunctionDefinition {
  readonly name: FunctionName;
  /** One line: what a flow gets from it. */
  readonly summary: string;
  /** Its documentation, relative to the repository root. */
  readonly doc: string;
  /** The handler module (exports `handler`), relative to packages/functions. */
  readonly entry: string;
  /** The flows' placeholder its ARN fills (`${ScreenCallerFunctionArn}`). */
  readonly placeholder: string;
  /** Keys of its flat answer besides `error`: what a flow may read from `$.External`. */
  readonly outputs: readonly string[];
  /**
   * Answers that carry a personal or secret value (a date of birth): a flow must not keep them in
   * contact attributes, which land in every contact record (`flowguard flows lint` warns).
   */
  readonly sensitiveOutputs: readonly string[];
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

const handlerVariables = (budgetMs: number): VariableSpec[] =>
  HANDLER_VARIABLES.map((v) => (v.name === 'FLOWGUARD_BUDGET_MS' ? { ...v, default: `\`${budgetMs}\`` } : v));

const screening = [...handlerVariables(SCREENING_BUDGET_MS), TABLE_VARIABLE, ...SCREENING_VARIABLES];

export const FUNCTIONS: readonly FunctionDefinition[] = [
  {
    name: 'screen-caller',
    summary: "ALLOW / THROTTLE / BLOCK for the contact's caller: blocklist, allowlist, rules, rate limits",
    doc: 'docs/screening.md',
    entry: 'src/handlers/screen-caller.ts',
    placeholder: 'ScreenCallerFunctionArn',
    outputs: SCREEN_CALLER_OUTPUTS,
    sensitiveOutputs: [],
    variables: screening,
    clients: ['dynamodb'],
    failMode:
      'store down: `FLOWGUARD_FAIL_MODE=open` (default) answers from in-memory limits, `closed` answers `BLOCK`; a bad event answers by the fail mode with its `error`',
    budgetMs: SCREENING_BUDGET_MS,
    memoryMb: 512,
    reservedConcurrency: 100,
    coldImport: { floor: 'floor-dynamodb', maxRatio: 1.2 },
  },
  {
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
];

/** The definition of a function; throws naming the known ones for any other name. */
export function functionDefinition(name: string): FunctionDefinition {
  const found = FUNCTIONS.find((f) => f.name === name);
  if (!found) throw new Error(`unknown function '${name}'; functions: ${FUNCTION_NAMES.join(', ')}`);
  return found;
}

export function isFunctionName(name: string): name is FunctionName {
  return (FUNCTION_NAMES as readonly string[]).includes(name);
}

/** The outputs of each function by its flow placeholder (what flow lint checks `$.External` against). */
export const OUTPUTS_BY_PLACEHOLDER: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  FUNCTIONS.map((f) => [f.placeholder, f.outputs]),
);
