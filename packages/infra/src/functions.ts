import {
  FLOW_FUNCTION_NAMES,
  FLOW_FUNCTIONS,
  type FlowFunctionName,
  type VariableSpec,
} from '@flowguard/functions/registry';

// The functions, their memory, concurrency, budgets, placeholders and variables come from the
// function registry (@flowguard/functions/registry); what is the stack's own is what each may touch.
// The stack deploys the functions flows invoke; the contact-record stream's functions
// (forward-contact-records, forward-recordings) are built and documented but not wired in it yet.
export const FUNCTION_NAMES = FLOW_FUNCTION_NAMES;
export type FunctionName = FlowFunctionName;

/** What a function may touch: each grant is listed by hand, no wildcard actions. */
export type Access = 'screening' | 'flag' | 'validate' | 'secure-input' | 'encrypt-input';

const ACCESS: Readonly<Record<FunctionName, Access>> = {
  'screen-caller': 'screening',
  'flag-caller': 'flag',
  'validate-input': 'validate',
  'secure-input': 'secure-input',
  'encrypt-input': 'encrypt-input',
};

/** A value the stack hands a function through its environment, from a resource it made. */
export type Setting = NonNullable<VariableSpec['stack']>;

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
  /** The variables the stack sets for it; every other keeps its default. */
  readonly settings: readonly Setting[];
}

/** The functions the stack deploys, in the registry's order. */
export const FUNCTION_SPECS: readonly FunctionSpec[] = FLOW_FUNCTIONS.map((f) => ({
  name: f.name,
  access: ACCESS[f.name],
  memoryMb: f.memoryMb,
  reservedConcurrency: f.reservedConcurrency,
  budgetMs: f.budgetMs,
  placeholder: f.placeholder,
  settings: f.variables.flatMap((v) => (v.stack ? [v.stack] : [])),
}));

/** The environment variable each setting is read from (the handlers' and config readers' names). */
export const SETTING_VARIABLES: Readonly<Record<Setting, string>> = Object.fromEntries(
  FLOW_FUNCTIONS.flatMap((f) => f.variables.flatMap((v) => (v.stack ? [[v.stack, v.name]] : []))),
) as Record<Setting, string>;

export function functionSpec(name: FunctionName): FunctionSpec {
  const spec = FUNCTION_SPECS.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown function ${name}`);
  return spec;
}

/** The alias Connect invokes: code is live only once `live` points at its version. */
export const LIVE_ALIAS = 'live';
