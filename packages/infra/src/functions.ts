import {
  FLOW_FUNCTION_NAMES,
  FLOW_FUNCTIONS,
  type FlowFunctionName,
  HTTP_FUNCTIONS,
  type HttpFunctionName,
  STREAM_FUNCTION_NAMES,
  STREAM_FUNCTIONS,
  type StreamFunctionName,
  type VariableSpec,
} from '@flowguard/functions/registry';

// The functions, their memory, concurrency, budgets, placeholders and variables come from the
// function registry (@flowguard/functions/registry); what is the stack's own is what each may touch.
// The stack deploys the functions flows invoke (FUNCTION_NAMES); the contact-record stream's
// functions (forward-contact-records, forward-recordings) only with the `contactRecords` prop.
export const FUNCTION_NAMES = FLOW_FUNCTION_NAMES;
export type FunctionName = FlowFunctionName;
export { type HttpFunctionName, STREAM_FUNCTION_NAMES, type StreamFunctionName };
/** Any function the stack can deploy: the code prop is asked for each by this name. */
export type DeployableFunctionName = FunctionName | StreamFunctionName | HttpFunctionName;

/** What a function may touch: each grant is listed by hand, no wildcard actions. */
export type Access =
  | 'screening'
  | 'flag'
  | 'validate'
  | 'secure-input'
  | 'encrypt-input'
  | 'challenge'
  | 'forward-contact-records'
  | 'forward-recordings';

const ACCESS: Readonly<Record<DeployableFunctionName, Access>> = {
  'screen-caller': 'screening',
  'flag-caller': 'flag',
  'validate-input': 'validate',
  'secure-input': 'secure-input',
  'encrypt-input': 'encrypt-input',
  // Claims a challenge's nonce and marks the caller verified: two UpdateItems, nothing else.
  challenge: 'challenge',
  'forward-contact-records': 'forward-contact-records',
  'forward-recordings': 'forward-recordings',
  // The same store requests as screen-caller: screenRequest counts, reads rules and blocks, and
  // auto-blocks with its history item.
  'start-contact': 'screening',
};

/** A value the stack hands a function through its environment, from a resource it made. */
export type Setting = NonNullable<VariableSpec['stack']>;

export interface FunctionSpec<N extends DeployableFunctionName = FunctionName> {
  readonly name: N;
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

/** A registry definition as the stack deploys it; `placeholder` is `''` for a function no flow invokes. */
function specOf<N extends DeployableFunctionName>(
  f: {
    name: N;
    memoryMb: number;
    reservedConcurrency: number;
    budgetMs: number;
    variables: readonly { stack?: Setting }[];
  },
  placeholder: string,
): FunctionSpec<N> {
  return {
    name: f.name,
    access: ACCESS[f.name],
    memoryMb: f.memoryMb,
    reservedConcurrency: f.reservedConcurrency,
    budgetMs: f.budgetMs,
    placeholder,
    settings: f.variables.flatMap((v) => (v.stack ? [v.stack] : [])),
  };
}

/** The functions the stack deploys, in the registry's order. */
export const FUNCTION_SPECS: readonly FunctionSpec[] = FLOW_FUNCTIONS.map((f) => specOf(f, f.placeholder));

/** The contact-record stream's functions, deployed with the `contactRecords` prop (no placeholder). */
export const STREAM_FUNCTION_SPECS: readonly FunctionSpec<StreamFunctionName>[] = STREAM_FUNCTIONS.map((f) =>
  specOf(f, ''),
);

/** start-contact, deployed with the `edge` prop behind an HTTP front door (no placeholder). */
export const EDGE_FUNCTION_SPECS: readonly FunctionSpec<HttpFunctionName>[] = HTTP_FUNCTIONS.map((f) =>
  specOf(f, ''),
);

/** The names of the variables a function reads (the registry's): what the stack may set for it. */
export function variableNames(name: DeployableFunctionName): ReadonlySet<string> {
  const found = [...FLOW_FUNCTIONS, ...STREAM_FUNCTIONS, ...HTTP_FUNCTIONS].find((f) => f.name === name);
  return new Set(found?.variables.map((v) => v.name));
}

/** The environment variable each setting is read from (the handlers' and config readers' names). */
export const SETTING_VARIABLES: Readonly<Record<Setting, string>> = Object.fromEntries(
  [...FLOW_FUNCTIONS, ...STREAM_FUNCTIONS, ...HTTP_FUNCTIONS].flatMap((f) =>
    f.variables.flatMap((v) => (v.stack ? [[v.stack, v.name]] : [])),
  ),
) as Record<Setting, string>;

export function functionSpec(name: FunctionName): FunctionSpec {
  const spec = FUNCTION_SPECS.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown function ${name}`);
  return spec;
}

/** The alias Connect invokes: code is live only once `live` points at its version. */
export const LIVE_ALIAS = 'live';
