import { TABLE_NAME_VARIABLE } from '@flowguard/table';

/** The functions flowguard deploys, in the order the stack creates them. */
export const FUNCTION_NAMES = [
  'screen-caller',
  'flag-caller',
  'validate-input',
  'secure-input',
  'encrypt-input',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** What a function may touch: each grant is listed by hand, no wildcard actions. */
export type Access = 'screening' | 'flag' | 'validate' | 'secure-input' | 'encrypt-input';

/** A value the stack hands a function through its environment. */
export type Setting = 'table' | 'connectKeysSecret' | 'fingerprintSecret' | 'tokenKey' | 'metricsNamespace';

/** The environment variable each setting is read from (the handlers' and config readers' names). */
export const SETTING_VARIABLES: Readonly<Record<Setting, string>> = {
  table: TABLE_NAME_VARIABLE,
  connectKeysSecret: 'FLOWGUARD_CONNECT_KEYS_SECRET_ID',
  fingerprintSecret: 'FLOWGUARD_FINGERPRINT_SECRET_ID',
  tokenKey: 'FLOWGUARD_TOKEN_KMS_KEY_ID',
  metricsNamespace: 'FLOWGUARD_METRICS_NAMESPACE',
};

export interface FunctionSpec {
  readonly name: FunctionName;
  readonly access: Access;
  readonly memoryMb: number;
  /** Concurrency reserved by default: a flood on one function cannot starve the others. */
  readonly reservedConcurrency: number;
  /** The function's own time budget (ms): it answers, fail mode at worst, by then. */
  readonly budgetMs: number;
  /** The flows' placeholder its ARN fills. */
  readonly placeholder: string;
  /** What it reads from its environment, nothing more. */
  readonly settings: readonly Setting[];
}

/** The functions the stack deploys when they exist in packages/functions/src/handlers. */
export const FUNCTION_SPECS: readonly FunctionSpec[] = [
  {
    name: 'screen-caller',
    access: 'screening',
    memoryMb: 512,
    reservedConcurrency: 100,
    budgetMs: 2000,
    placeholder: 'ScreenCallerFunctionArn',
    settings: ['table', 'metricsNamespace'],
  },
  {
    name: 'flag-caller',
    access: 'flag',
    memoryMb: 256,
    reservedConcurrency: 10,
    budgetMs: 2000,
    placeholder: 'FlagCallerFunctionArn',
    settings: ['table', 'metricsNamespace'],
  },
  {
    name: 'validate-input',
    access: 'validate',
    memoryMb: 256,
    reservedConcurrency: 50,
    budgetMs: 1000,
    placeholder: 'ValidateInputFunctionArn',
    settings: ['metricsNamespace'],
  },
  {
    name: 'secure-input',
    access: 'secure-input',
    // RSA-4096 decrypt is CPU-bound: more memory buys a faster CPU share.
    memoryMb: 1024,
    reservedConcurrency: 50,
    budgetMs: 2500,
    placeholder: 'SecureInputFunctionArn',
    settings: ['connectKeysSecret', 'fingerprintSecret', 'tokenKey', 'metricsNamespace'],
  },
  {
    name: 'encrypt-input',
    access: 'encrypt-input',
    memoryMb: 512,
    reservedConcurrency: 20,
    budgetMs: 2500,
    placeholder: 'EncryptInputFunctionArn',
    settings: ['tokenKey', 'metricsNamespace'],
  },
];

export function functionSpec(name: FunctionName): FunctionSpec {
  const spec = FUNCTION_SPECS.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown function ${name}`);
  return spec;
}

/** The alias Connect invokes: code is live only once `live` points at its version. */
export const LIVE_ALIAS = 'live';
