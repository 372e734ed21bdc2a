import { BLOCKS } from './blocks.js';
import { type Action, type Flow, isReference } from './flow.js';

export type Severity = 'error' | 'warning' | 'info';

/**
 * Every rule, its severity and what it means. Errors are kept for what breaks in Connect or leaks
 * sensitive data; what Connect runs happily but a designer may want to look at is a warning.
 */
export const LINT_RULES = {
  'duplicate-id': { severity: 'error', summary: 'two actions share an Identifier; Connect refuses the flow' },
  'missing-start': { severity: 'error', summary: 'StartAction names no action of the flow' },
  'dangling-transition': { severity: 'error', summary: 'a branch goes to an action the flow does not have' },
  'branch-not-allowed': {
    severity: 'error',
    summary:
      "a branch the block type does not have in Connect's flow-language reference (stored-input blocks: NoMatchingError only)",
  },
  'time-limit': { severity: 'error', summary: "a Lambda time limit outside Connect's 1..8 seconds" },
  'logging-during-secure-input': {
    severity: 'error',
    summary: 'encrypted input is collected while flow logging may be on',
  },
  'stored-input-leak': {
    severity: 'error',
    summary: '$.StoredCustomerInput is sent somewhere other than secure-input',
  },
  'sensitive-attribute-kept': {
    severity: 'error',
    summary: 'an attribute holding stored input is never overwritten, so it reaches the contact record',
  },
  'unknown-output': {
    severity: 'error',
    summary: "$.External.x read after one of flowguard's functions that never returns x",
  },
  'missing-error-branch': {
    severity: 'warning',
    summary: 'an error branch goes nowhere: the contact ends there if it is taken',
  },
  'missing-next': { severity: 'warning', summary: 'the success branch goes nowhere: the contact ends there' },
  unreachable: { severity: 'warning', summary: 'no path from the start reaches this action' },
  'unknown-type': {
    severity: 'warning',
    summary: 'a block type flowguard does not check (it may be fine in Connect)',
  },
  'external-before-invoke': {
    severity: 'warning',
    summary: '$.External read before any function in this flow answered (legal after Transfer to flow)',
  },
  'sensitive-external-kept': {
    severity: 'warning',
    summary:
      '$.External.x kept in a contact attribute or tag (the contact record) when the function before marks x sensitive',
  },
  'unchecked-function': {
    severity: 'info',
    summary: 'a function flowguard has no contract for: its outputs are not checked, flow-sim needs --lambda',
  },
  'instance-arn': {
    severity: 'info',
    summary: 'an ARN of one account or instance is written in: another instance needs it replaced',
  },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

export type RuleId = keyof typeof LINT_RULES;

export interface Finding {
  readonly rule: RuleId;
  readonly severity: Severity;
  /** The action the finding is about ('' for the whole flow). */
  readonly action: string;
  readonly message: string;
}

/** What a function answers: its output keys, and those a flow must not keep in the contact record. */
export interface FunctionContract {
  /** Keys of its flat answer; `error` is implied. */
  readonly outputs: readonly string[];
  /** Output keys that carry a value the contact record must not hold (a date of birth, ...). */
  readonly sensitiveOutputs?: readonly string[];
}

export interface LintOptions {
  /**
   * Each function's contract (or its output keys alone), by the ARN the flow names (a
   * `${Placeholder}` or a rendered ARN). Functions not listed are not checked.
   */
  readonly contracts?: Readonly<Record<string, readonly string[] | FunctionContract>>;
  /** ARNs (or placeholders) of the secure-input function: the only place stored input may go. */
  readonly secureInputArns?: readonly string[];
}

/** Error branches each action type must route somewhere (AWS asks for every one). */
const REQUIRED_ERRORS: Readonly<Record<string, readonly string[]>> = {
  InvokeLambdaFunction: ['NoMatchingError'],
  Compare: ['NoMatchingCondition'],
  UpdateContactAttributes: ['NoMatchingError'],
  GetParticipantInput: ['NoMatchingError', 'InputTimeLimitExceeded'],
  // A prompt without an error branch is what Connect's designer exports routinely: no finding.
  UpdateContactTargetQueue: ['NoMatchingError'],
  TransferContactToQueue: ['QueueAtCapacity', 'NoMatchingError'],
  CheckHoursOfOperation: ['NoMatchingError'],
};
/** The error branches of a GetParticipantInput block that plays a menu (StoreInput not "True"). */
const MENU_ERRORS: readonly string[] = ['NoMatchingCondition', 'NoMatchingError', 'InputTimeLimitExceeded'];
/** The only error branch of a GetParticipantInput block with StoreInput "True". */
const STORED_INPUT_ERRORS: readonly string[] = ['NoMatchingError'];
const STORED = '$.StoredCustomerInput';

/**
 * The parameters of each block type whose values land in the contact record: user-defined contact
 * attributes (of this contact or the related one) and contact tags. Flow attributes
 * (UpdateFlowAttributes) stay in their flow and are not recorded.
 */
const RECORDED: Readonly<Record<string, string>> = {
  UpdateContactAttributes: 'Attributes',
  TagContact: 'Tags',
};

function contractOf(
  contract: readonly string[] | FunctionContract | undefined,
): FunctionContract | undefined {
  if (contract === undefined) return undefined;
  return 'outputs' in contract ? contract : { outputs: contract as readonly string[] };
}

/** Every `$.` reference an action reads, anywhere in its parameters (text prompts included). */
function references(action: Action): string[] {
  return paths(action.Parameters);
}

/** Every `$.` reference in a parameter value, at any depth. */
function paths(value: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (typeof node === 'string') {
      for (const match of node.matchAll(/\$\.[A-Za-z][A-Za-z0-9_.-]*/g))
        out.push(match[0].replace(/[.]$/, ''));
    } else if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) Object.values(node).forEach(walk);
  };
  walk(value);
  return out;
}

/** The services and accounts of the ARNs written into an action's parameters (not placeholders). */
function instanceArns(action: Action): string[] {
  const found = new Set<string>();
  const walk = (node: unknown) => {
    if (typeof node === 'string') {
      for (const match of node.matchAll(/arn:aws[a-z-]*:([a-z0-9-]+):[a-z0-9-]*:(\d{12}):/g))
        found.add(`${match[1]} ARNs of account ${match[2]}`);
    } else if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) Object.values(node).forEach(walk);
  };
  walk(action.Parameters);
  return [...found];
}

interface Edge {
  readonly to: string;
  /** The error type for an error edge; undefined for a normal one. */
  readonly error?: string;
}

function edges(action: Action): Edge[] {
  const t = action.Transitions;
  return [
    ...(t.NextAction ? [{ to: t.NextAction }] : []),
    ...(t.Conditions ?? []).map((c) => ({ to: c.NextAction })),
    ...(t.Errors ?? []).map((e) => ({ to: e.NextAction, error: e.ErrorType })),
  ];
}

interface State {
  logging: Set<boolean>;
  /** ARNs whose answer `$.External` may hold here; '' = no function called yet. */
  external: Set<string>;
}

/** Forward data flow: which logging states and last functions can reach each action. */
function flowStates(flow: Flow, byId: ReadonlyMap<string, Action>): Map<string, State> {
  const states = new Map<string, State>();
  const queue: [string, State][] = [
    [flow.StartAction, { logging: new Set([true]), external: new Set(['']) }],
  ];
  while (queue.length > 0) {
    const [id, incoming] = queue.shift() as [string, State];
    const action = byId.get(id);
    if (!action) continue;
    const state = states.get(id) ?? { logging: new Set<boolean>(), external: new Set<string>() };
    const before = state.logging.size + state.external.size;
    for (const value of incoming.logging) state.logging.add(value);
    for (const value of incoming.external) state.external.add(value);
    states.set(id, state);
    if (state.logging.size + state.external.size === before && before > 0) continue;
    for (const edge of edges(action)) {
      let logging = state.logging;
      let external = state.external;
      if (action.Type === 'UpdateFlowLoggingBehavior') {
        logging = new Set([action.Parameters.FlowLoggingBehavior !== 'Disabled']);
      }
      // A function that answered replaces $.External; one that failed leaves it as it was.
      if (action.Type === 'InvokeLambdaFunction' && edge.error === undefined) {
        external = new Set([String(action.Parameters.LambdaFunctionARN ?? '')]);
      }
      queue.push([edge.to, { logging: new Set(logging), external: new Set(external) }]);
    }
  }
  return states;
}

/**
 * Checks a flow's structure (dangling transitions, duplicate ids, unreachable actions, unknown
 * types, missing error branches, time limits), its handling of secure input (collection while
 * logging is on, stored input passed to anything but secure-input, sensitive attributes kept)
 * and its contracts with the functions (`$.External.x` that the function before never returns, or
 * marks sensitive and the flow keeps in the contact record).
 */
export function lintFlow(flow: Flow, options: LintOptions = {}): Finding[] {
  const findings: Finding[] = [];
  const add = (rule: RuleId, action: string, message: string) =>
    findings.push({ rule, severity: LINT_RULES[rule].severity, action, message });
  const byId = new Map<string, Action>();
  for (const action of flow.Actions) {
    if (byId.has(action.Identifier))
      add('duplicate-id', action.Identifier, 'two actions share this identifier');
    byId.set(action.Identifier, action);
  }
  if (!byId.has(flow.StartAction)) add('missing-start', flow.StartAction, 'StartAction names no action');

  for (const action of flow.Actions) {
    const id = action.Identifier;
    const spec = BLOCKS[action.Type];
    if (!spec) add('unknown-type', id, `unknown action type ${action.Type}`);
    for (const edge of edges(action)) {
      if (!byId.has(edge.to))
        add('dangling-transition', id, `transition to ${edge.to}, which does not exist`);
    }
    const errors = new Set((action.Transitions.Errors ?? []).map((e) => e.ErrorType));
    const storesInput = action.Type === 'GetParticipantInput' && action.Parameters.StoreInput === 'True';
    const required = storesInput ? STORED_INPUT_ERRORS : (REQUIRED_ERRORS[action.Type] ?? []);
    for (const branch of required) {
      if (!errors.has(branch)) add('missing-error-branch', id, `the ${branch} branch goes nowhere`);
    }
    if (storesInput) {
      // The flow-language reference allows only NoMatchingError on a stored-input block (and
      // InvalidPhoneNumber with phone validation): a caller who types nothing takes the success
      // branch with $.StoredCustomerInput = Timeout, and no key is matched against conditions.
      const validation = (action.Parameters.InputValidation ?? {}) as Record<string, unknown>;
      const allowed = new Set([
        'NoMatchingError',
        ...(validation.PhoneNumberValidation ? ['InvalidPhoneNumber'] : []),
      ]);
      for (const branch of errors) {
        if (!allowed.has(branch))
          add('branch-not-allowed', id, `a stored-input block has no ${branch} branch in Connect`);
      }
      if ((action.Transitions.Conditions ?? []).length > 0)
        add('branch-not-allowed', id, 'a stored-input block matches no conditions in Connect');
    } else if (spec) {
      // Every other known block: only the error types and condition results its reference lists.
      const allowed = new Set(action.Type === 'GetParticipantInput' ? MENU_ERRORS : spec.errors);
      for (const branch of errors) {
        if (!allowed.has(branch))
          add('branch-not-allowed', id, `${action.Type} has no ${branch} branch in Connect`);
      }
      const conditions = action.Transitions.Conditions ?? [];
      if (spec.conditions !== 'any') {
        const results = new Set(spec.conditions);
        for (const c of conditions) {
          const operand = c.Condition.Operands[0] ?? '';
          if (!results.has(operand))
            add(
              'branch-not-allowed',
              id,
              results.size === 0
                ? `${action.Type} has no conditions in Connect`
                : `${action.Type} has no ${operand} result in Connect (it has ${[...results].join(', ')})`,
            );
        }
      }
    }
    const menu = action.Type === 'GetParticipantInput' && !storesInput;
    if (spec?.next && !menu && !action.Transitions.NextAction) add('missing-next', id, 'no NextAction');
    if (action.Type === 'InvokeLambdaFunction') {
      const limit = Number(action.Parameters.InvocationTimeLimitSeconds ?? '3');
      if (!Number.isInteger(limit) || limit < 1 || limit > 8) {
        add('time-limit', id, 'InvocationTimeLimitSeconds must be a whole number from 1 to 8');
      }
    }
  }

  const states = flowStates(flow, byId);
  for (const action of flow.Actions) {
    if (!states.has(action.Identifier) && action.Identifier !== flow.StartAction) {
      add('unreachable', action.Identifier, 'no path from the start reaches this action');
    }
  }

  const encrypted = flow.Actions.some(
    (a) => a.Type === 'GetParticipantInput' && a.Parameters.InputEncryption,
  );
  const secureArns = new Set(options.secureInputArns ?? ['${SecureInputFunctionArn}']);
  const sensitiveAttributes = new Map<string, string>();
  for (const action of flow.Actions) {
    const id = action.Identifier;
    const state = states.get(id);
    if (
      action.Type === 'GetParticipantInput' &&
      action.Parameters.InputEncryption &&
      state?.logging.has(true)
    ) {
      add('logging-during-secure-input', id, 'encrypted input is collected while flow logging may be on');
    }
    const reads = references(action);
    if (action.Type === 'InvokeLambdaFunction') {
      const arn = String(action.Parameters.LambdaFunctionARN ?? '');
      if (options.contracts && !options.contracts[arn] && !secureArns.has(arn))
        add(
          'unchecked-function',
          id,
          `no contract for ${arn || 'this function'}: its outputs are not checked`,
        );
    }
    const accounts = instanceArns(action);
    if (accounts.length > 0)
      add('instance-arn', id, `names ${accounts.join(', ')}: another instance or account needs its own`);
    const toSecureInput =
      action.Type === 'InvokeLambdaFunction' &&
      secureArns.has(String(action.Parameters.LambdaFunctionARN ?? ''));
    if (encrypted && reads.includes(STORED) && !toSecureInput) {
      add('stored-input-leak', id, '$.StoredCustomerInput goes somewhere other than secure-input');
    }
    if (action.Type === 'UpdateContactAttributes') {
      for (const [key, value] of Object.entries(
        (action.Parameters.Attributes ?? {}) as Record<string, unknown>,
      )) {
        if (value === STORED) sensitiveAttributes.set(key, id);
      }
    }
    const externals = [...new Set(reads.filter((r) => r.startsWith('$.External.')))];
    if (externals.length > 0 && state?.external.has('')) {
      const shown = externals.slice(0, 3).join(', ');
      const more = externals.length > 3 ? ` and ${externals.length - 3} more` : '';
      add('external-before-invoke', id, `${shown}${more} read before any function in this flow answered`);
    }
    for (const ref of externals) {
      const key = ref.slice('$.External.'.length).split('.')[0] ?? '';
      for (const arn of state?.external ?? []) {
        if (arn === '') continue;
        const contract = contractOf(options.contracts?.[arn]);
        if (contract && key !== 'error' && !contract.outputs.includes(key)) {
          add('unknown-output', id, `${ref}: the function before (${arn}) never returns ${key}`);
        }
      }
    }
    for (const finding of sensitiveKept(action, state, options)) add('sensitive-external-kept', id, finding);
  }
  // Only encrypted stored input is sensitive here: a callback number typed in the clear is not.
  for (const [key, setter] of encrypted ? sensitiveAttributes : new Map<string, string>()) {
    const overwritten = flow.Actions.some(
      (a) =>
        a.Type === 'UpdateContactAttributes' &&
        a.Identifier !== setter &&
        Object.hasOwn((a.Parameters.Attributes ?? {}) as object, key) &&
        !isReference(((a.Parameters.Attributes ?? {}) as Record<string, unknown>)[key]),
    );
    if (!overwritten)
      add('sensitive-attribute-kept', setter, `attribute ${key} holds stored input and is never overwritten`);
  }
  return dedupe(findings);
}

/**
 * The messages of sensitive-external-kept for one action: each attribute or tag it sets from
 * `$.External.<key>` where a function that may have answered last marks `<key>` sensitive.
 */
function sensitiveKept(action: Action, state: State | undefined, options: LintOptions): string[] {
  const parameter = RECORDED[action.Type];
  if (!parameter || !state) return [];
  const kind = action.Type === 'TagContact' ? 'tag' : 'attribute';
  const messages: string[] = [];
  const values = (action.Parameters[parameter] ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(values)) {
    for (const ref of paths(value).filter((r) => r.startsWith('$.External.'))) {
      const key = ref.slice('$.External.'.length).split('.')[0] ?? '';
      for (const arn of state.external) {
        if (!contractOf(options.contracts?.[arn])?.sensitiveOutputs?.includes(key)) continue;
        messages.push(
          `${kind} ${name} keeps ${ref}, which ${arn} marks sensitive: it reaches every contact record; keep a fact (${name}Verified=true) or a masked form instead`,
        );
      }
    }
  }
  return messages;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.rule}|${f.action}|${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
