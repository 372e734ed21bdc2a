import { randomUUID } from 'node:crypto';
import { BLOCKS, type BlockSpec } from './blocks.js';
import { type Action, type Flow, isReference } from './flow.js';

/** A Lambda handler as Connect invokes it. */
export type LambdaHandler = (event: unknown) => Promise<unknown>;

/** What the caller does at a Get customer input block: keys (a `#` ends them) or nothing. */
export type CallerInput = string | { readonly timeout: true };

export interface SimulatedContact {
  /** The caller's number (`CustomerEndpoint.Address`); null for no endpoint. */
  readonly caller?: string | null;
  readonly dialed?: string;
  readonly channel?: string;
  readonly initiationMethod?: string;
  /** A new UUID for each run unless given: every run is a new contact. */
  readonly contactId?: string;
  readonly initialContactId?: string;
  readonly attributes?: Readonly<Record<string, string>>;
  /** `$.Media.Sip.Headers.<Name>` values. */
  readonly sipHeaders?: Readonly<Record<string, string>>;
}

/** What a Transfer to flow or Invoke module block names: the id or ARN, and the designer's label. */
export interface FlowReference {
  readonly kind: 'flow' | 'module';
  /** `ContactFlowId` / `FlowModuleId` as the block holds it (an id, an ARN or a placeholder). */
  readonly id: string;
  /** The name the flow designer shows for the target, when the export records it. */
  readonly name?: string;
}

export interface SimulationOptions {
  readonly contact?: SimulatedContact;
  /**
   * Handlers by function ARN or by function name (the part of the ARN after `function:`): a flow
   * that names `arn:aws:lambda:...:function:lookup` finds a handler filed under `lookup`.
   */
  readonly functions?: Readonly<Record<string, LambdaHandler>>;
  readonly inputs?: readonly CallerInput[];
  /** Encrypts stored input the way Connect does, for blocks with InputEncryption. */
  readonly encrypt?: (digits: string, keyId: string, certificate: string) => Promise<string>;
  /** Connect retries a function that fails (throws) within the block's time limit; default 3 retries. */
  readonly retries?: number;
  /**
   * The branch to take at blocks whose outcome depends on the outside world (hours, staffing,
   * metrics, Lex, views, random distribution, waits), by action identifier or by block type:
   * `next`, a condition operand or an error type. Blocks not named take their documented default.
   */
  readonly outcomes?: Readonly<Record<string, string>>;
  /** Finds the target of Transfer to flow / Invoke module; without it the run ends there. */
  readonly resolveFlow?: (reference: FlowReference) => Flow | undefined;
  /**
   * Once the scripted inputs are used up, the caller stays silent at this many more prompts that
   * wait for them (input, Lex), then hangs up at the next one; default 5. A flow that re-prompts
   * for ever thus ends as a real call would.
   */
  readonly patience?: number;
  readonly maxSteps?: number;
}

export interface Step {
  readonly action: string;
  readonly type: string;
  /** Which way the flow went: `next`, a condition's operand, or an error type. */
  readonly branch: string;
  readonly note?: string;
  /** The flow or module the action belongs to, when the run has left the first flow. */
  readonly flow?: string;
}

export interface Invocation {
  readonly action: string;
  readonly arn: string;
  readonly attempts: number;
  readonly response?: Readonly<Record<string, unknown>>;
  readonly error?: string;
}

export interface Ending {
  /**
   * How the run ended: the contact was queued, disconnected by the flow, the flow ended, control
   * went to a flow not at hand, the caller hung up (asked for input more times than the script and
   * `patience` cover), an error, or the step limit.
   */
  readonly kind: 'queue' | 'disconnect' | 'end' | 'transfer-to-flow' | 'hang-up' | 'error' | 'step_limit';
  /** For `transfer-to-flow`: the flow it goes to (its id or ARN, as the block names it). */
  readonly flow?: string;
  readonly action: string;
  readonly queue?: string;
  readonly note?: string;
}

export interface Trace {
  readonly steps: Step[];
  /** What the caller heard, in order. */
  readonly heard: string[];
  readonly invocations: Invocation[];
  /** Contact attributes at the end: what the agent sees. */
  readonly attributes: Record<string, string>;
  /** Flow logging at each action (true: on). */
  readonly logging: { action: string; enabled: boolean }[];
  ending: Ending;
}

interface Outcome {
  readonly next?: string;
  readonly branch: string;
  readonly end?: Ending;
  readonly note?: string;
}

/** Connect caps a run of Lambda blocks without a prompt between them at 20 s in all. */
const CHAIN_LIMIT_MS = 20_000;
const MAX_RESPONSE_BYTES = 32 * 1024;
/** Connect's limit on all of a contact's user-defined attributes together (keys and values). */
export const MAX_ATTRIBUTES_BYTES = 32 * 1024;

class FunctionFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FunctionFailure('timeout')), Math.max(0, ms));
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The function name of a Lambda ARN (`arn:aws:lambda:r:a:function:name[:qualifier]`), or the text. */
export function functionName(arn: string): string {
  const match = /:function:([^:]+)/.exec(arn);
  return match?.[1] ?? arn;
}

/** The designer's label for the target of a Transfer to flow / Invoke module action, if exported. */
function targetLabel(flow: Flow, actionId: string, id: string): string | undefined {
  const metadata = (flow.Metadata as { ActionMetadata?: Record<string, unknown> } | undefined)
    ?.ActionMetadata?.[actionId];
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  // An Invoke module block as the designer exports it: `contactFlowModuleName`, and
  // `parameters.FlowModuleId.displayName`.
  const designer = metadata as {
    contactFlowModuleName?: unknown;
    parameters?: { FlowModuleId?: { displayName?: unknown } };
  };
  const moduleName = designer.contactFlowModuleName ?? designer.parameters?.FlowModuleId?.displayName;
  if (typeof moduleName === 'string' && moduleName !== '') return moduleName;
  for (const value of Object.values(metadata)) {
    if (typeof value !== 'object' || value === null) continue;
    const entry = value as { id?: unknown; text?: unknown; name?: unknown };
    const label = typeof entry.text === 'string' ? entry.text : entry.name;
    if (typeof label === 'string' && label !== '' && (entry.id === undefined || entry.id === id))
      return label;
  }
  return undefined;
}

/** Runs a flow as Connect would, against scripted caller input and in-process functions. */
export class FlowSimulator {
  constructor(private readonly flow: Flow) {}

  async run(options: SimulationOptions = {}): Promise<Trace> {
    return new Run(this.flow, options).execute();
  }
}

interface Frame {
  readonly flow: Flow;
  readonly actions: ReadonlyMap<string, Action>;
  /** How steps name this flow ('' for the flow the run started in). */
  readonly name: string;
  /** Flow attributes (`$.FlowAttributes.x`): they live as long as the flow does. */
  readonly flowAttributes: Record<string, string>;
  /** For a module: where the invoking flow goes on when the module ends. */
  readonly resume?: { readonly frame: Frame; readonly next?: string; readonly action: string };
  /** Loop counts by action, reset when the loop is done. */
  readonly loops: Map<string, number>;
}

const frameOf = (flow: Flow, name: string, resume?: Frame['resume']): Frame => ({
  flow,
  actions: new Map(flow.Actions.map((action) => [action.Identifier, action])),
  name,
  flowAttributes: {},
  resume,
  loops: new Map(),
});

class Run {
  private readonly contact: SimulatedContact;
  private readonly attributes: Record<string, string>;
  private external: Record<string, unknown> = {};
  private stored = '';
  private queue = '';
  private callbackNumber = '';
  private loggingEnabled = true;
  private inputIndex = 0;
  private silentPrompts = 0;
  private chainMs = 0;
  private frame: Frame;
  private readonly trace: Trace;

  constructor(
    flow: Flow,
    private readonly options: SimulationOptions,
  ) {
    this.frame = frameOf(flow, '');
    this.contact = { ...options.contact, contactId: options.contact?.contactId ?? randomUUID() };
    this.attributes = { ...this.contact.attributes };
    this.trace = {
      steps: [],
      heard: [],
      invocations: [],
      attributes: this.attributes,
      logging: [],
      ending: { kind: 'end', action: '' },
    };
  }

  /** The value of a JSONPath reference; what Connect has nothing for reads as empty. */
  resolve(path: string): string {
    const parts = path.slice(2).split('.');
    const [root, ...rest] = parts;
    const key = rest.join('.');
    const contact = this.contact;
    switch (root) {
      case 'External': {
        let value: unknown = this.external;
        for (const part of rest) value = (value as Record<string, unknown> | undefined)?.[part];
        return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : '';
      }
      case 'Attributes':
        return this.attributes[key] ?? '';
      case 'FlowAttributes':
        return this.frame.flowAttributes[key] ?? '';
      case 'StoredCustomerInput':
        return this.stored;
      case 'CustomerEndpoint':
        return key === 'Address' ? (contact.caller ?? '') : key === 'Type' ? 'TELEPHONE_NUMBER' : '';
      case 'SystemEndpoint':
        return key === 'Address' ? (contact.dialed ?? '') : '';
      case 'ContactId':
        return contact.contactId ?? '';
      case 'InitialContactId':
        return contact.initialContactId ?? contact.contactId ?? '';
      case 'Channel':
        return contact.channel ?? 'VOICE';
      case 'InitiationMethod':
        return contact.initiationMethod ?? 'INBOUND';
      case 'Queue':
        return key === 'Name' || key === 'ARN' ? this.queue : '';
      case 'CustomerCallbackNumber':
        return this.callbackNumber;
      case 'Media':
        return rest[0] === 'Sip' && rest[1] === 'Headers'
          ? (contact.sipHeaders?.[rest.slice(2).join('.')] ?? '')
          : '';
      default:
        return '';
    }
  }

  private value(raw: unknown): string {
    if (isReference(raw)) return this.resolve(raw);
    return typeof raw === 'string' ? raw : raw === undefined || raw === null ? '' : String(raw);
  }

  /** Text with `$.` references filled in, as Connect's text-to-speech does. */
  private fillText(text: string): string {
    // A sentence may end right after a reference: its full stop is not part of the path.
    return text.replace(/\$\.[A-Za-z][A-Za-z0-9_.-]*/g, (path) =>
      path.endsWith('.') ? `${this.resolve(path.slice(0, -1))}.` : this.resolve(path),
    );
  }

  /** Plays a prompt (`Text`, `SSML` or a recorded prompt) to the caller. */
  private speak(parameters: Readonly<Record<string, unknown>>): string | undefined {
    const text =
      parameters.Text ??
      parameters.SSML ??
      (parameters.PromptId ? `[prompt ${String(parameters.PromptId)}]` : undefined) ??
      (parameters.Media ? '[audio from S3]' : undefined);
    if (typeof text !== 'string') return undefined;
    const spoken = this.fillText(text);
    this.trace.heard.push(spoken);
    this.chainMs = 0;
    return spoken;
  }

  private errorTarget(action: Action, errorType: string): string | undefined {
    return action.Transitions.Errors?.find((e) => e.ErrorType === errorType)?.NextAction;
  }

  private error(action: Action, type: string, note?: string): Outcome {
    return { next: this.errorTarget(action, type), branch: type, ...(note ? { note } : {}) };
  }

  async execute(): Promise<Trace> {
    let current: string | undefined = this.frame.flow.StartAction;
    const maxSteps = this.options.maxSteps ?? 500;
    for (let step = 0; current !== undefined; step++) {
      if (step >= maxSteps) {
        this.trace.ending = {
          kind: 'step_limit',
          action: current,
          note: `stopped after ${maxSteps} actions`,
        };
        return this.trace;
      }
      const frame = this.frame;
      const action = frame.actions.get(current);
      if (!action) {
        this.trace.ending = {
          kind: 'error',
          action: current,
          note: `no action with this identifier${frame.name ? ` in ${frame.name}` : ''}`,
        };
        return this.trace;
      }
      this.trace.logging.push({ action: action.Identifier, enabled: this.loggingEnabled });
      const outcome = await this.perform(action);
      this.trace.steps.push({
        action: action.Identifier,
        type: action.Type,
        branch: outcome.branch,
        ...(outcome.note ? { note: outcome.note } : {}),
        ...(frame.name ? { flow: frame.name } : {}),
      });
      if (outcome.end) {
        this.trace.ending = outcome.end;
        return this.trace;
      }
      current = outcome.next;
      if (current === undefined) {
        this.trace.ending = {
          kind: 'error',
          action: action.Identifier,
          note: `its ${outcome.branch} branch goes nowhere: connect it in the flow designer`,
        };
        return this.trace;
      }
    }
    return this.trace;
  }

  /** The branch named: `next`, a condition operand, or an error type. */
  private take(action: Action, branch: string, note?: string): Outcome {
    const extra = note ? { note } : {};
    if (branch === 'next') return { next: action.Transitions.NextAction, branch, ...extra };
    const condition = action.Transitions.Conditions?.find((c) => c.Condition.Operands.includes(branch));
    if (condition) return { next: condition.NextAction, branch, ...extra };
    return { next: this.errorTarget(action, branch), branch, ...extra };
  }

  /** The branches a block may take: its spec's, and any the flow itself defines. */
  private branchesOf(action: Action, spec: BlockSpec | undefined): string[] {
    const t = action.Transitions;
    return [
      ...new Set([
        ...(spec?.next || t.NextAction ? ['next'] : []),
        ...(spec && spec.conditions !== 'any' ? spec.conditions : []),
        ...(t.Conditions ?? []).flatMap((c) => c.Condition.Operands),
        ...(spec?.errors ?? []),
        ...(t.Errors ?? []).map((e) => e.ErrorType),
      ]),
    ];
  }

  /** A block whose outcome the outside world decides: the scripted branch, or the default. */
  private outcome(action: Action, spec: BlockSpec | undefined, note?: string): Outcome {
    const scripted = this.options.outcomes?.[action.Identifier] ?? this.options.outcomes?.[action.Type];
    const fallback =
      spec?.defaultOutcome ??
      (action.Transitions.NextAction ? 'next' : action.Transitions.Conditions?.[0]?.Condition.Operands[0]);
    const branch = scripted ?? fallback ?? 'NoMatchingError';
    const branches = this.branchesOf(action, spec);
    if (scripted !== undefined && !branches.includes(scripted)) {
      return {
        branch: 'unsupported',
        end: {
          kind: 'error',
          action: action.Identifier,
          note: `the outcome ${scripted} is not a branch of this ${action.Type} block (it has ${branches.join(', ')})`,
        },
      };
    }
    const how = scripted !== undefined ? 'scripted' : 'default outcome';
    return this.take(action, branch, [note, how].filter(Boolean).join('; '));
  }

  /** A block that changes a setting only: passes on, the setting recorded in the trace. */
  private setting(action: Action, spec: BlockSpec): Outcome {
    const recorded = (spec.settings ?? [])
      .filter((name) => action.Parameters[name] !== undefined)
      .map((name) => {
        const raw = action.Parameters[name];
        const shown =
          typeof raw === 'object'
            ? JSON.stringify(raw, (_key, v: unknown) => (isReference(v) ? this.resolve(v) : v))
            : this.value(raw);
        return `${name}=${shown}`;
      });
    return {
      next: action.Transitions.NextAction,
      branch: 'next',
      ...(recorded.length > 0 ? { note: recorded.join(' ').slice(0, 200) } : {}),
    };
  }

  private async perform(action: Action): Promise<Outcome> {
    const p = action.Parameters;
    const next = action.Transitions.NextAction;
    const spec = BLOCKS[action.Type];
    switch (action.Type) {
      case 'MessageParticipant':
        this.speak(p);
        return { next, branch: 'next' };
      case 'MessageParticipantIteratively':
        return this.messageIteratively(action, spec);
      case 'UpdateFlowLoggingBehavior':
        this.loggingEnabled = p.FlowLoggingBehavior !== 'Disabled';
        return { next, branch: 'next', note: `logging ${this.loggingEnabled ? 'on' : 'off'}` };
      case 'UpdateContactAttributes':
        return this.updateAttributes(action);
      case 'UpdateFlowAttributes': {
        const attributes = (p.FlowAttributes ?? {}) as Record<string, unknown>;
        for (const [key, raw] of Object.entries(attributes)) {
          const entry = raw as { Value?: unknown } | string;
          this.frame.flowAttributes[key] = this.value(typeof entry === 'object' ? entry?.Value : entry);
        }
        return { next, branch: 'next' };
      }
      case 'UpdateContactCallbackNumber': {
        const number = this.value(p.CallbackNumber);
        if (!/^\+[1-9]\d{6,14}$/.test(number))
          return this.error(action, 'InvalidCallbackNumber', 'not E.164');
        this.callbackNumber = number;
        return { next, branch: 'next' };
      }
      case 'UpdateContactTargetQueue':
        this.queue = this.value(p.QueueId);
        return { next, branch: 'next' };
      case 'TransferContactToQueue':
        if (!this.queue) return this.error(action, 'NoMatchingError', 'no target queue set');
        return { branch: 'queue', end: { kind: 'queue', action: action.Identifier, queue: this.queue } };
      case 'CheckHoursOfOperation':
        return this.outcome(action, spec, 'hours');
      case 'Compare':
        return this.compareWith(action, this.value(p.ComparisonValue));
      case 'GetParticipantInput':
        return this.getInput(action);
      case 'InvokeLambdaFunction':
        return this.invoke(action);
      case 'Loop':
        return this.loop(action);
      case 'TransferToFlow':
        return this.transferToFlow(action);
      case 'InvokeFlowModule':
        return this.invokeModule(action);
      case 'ConnectParticipantWithLexBot': {
        if (this.options.outcomes?.[action.Identifier] ?? this.options.outcomes?.[action.Type])
          return this.outcome(action, spec);
        const hangUp = this.hangsUp(action);
        if (hangUp) return hangUp;
        this.speak(p);
        return this.outcome(action, spec);
      }
      case 'EndFlowModuleExecution':
        return this.endModule(action);
      default:
        break;
    }
    const scripted = this.options.outcomes?.[action.Identifier] ?? this.options.outcomes?.[action.Type];
    if (scripted !== undefined) return this.outcome(action, spec);
    if (!spec) {
      return {
        branch: 'unsupported',
        end: {
          kind: 'error',
          action: action.Identifier,
          note: `${action.Type} is not a block type flow-sim knows: give its branch with --outcome ${action.Identifier}=<branch>`,
        },
      };
    }
    switch (spec.kind) {
      case 'ending':
        return {
          branch: 'end',
          end: {
            kind: action.Type === 'DisconnectParticipant' ? 'disconnect' : 'end',
            action: action.Identifier,
            ...(action.Type === 'DisconnectParticipant' || action.Type === 'EndFlowExecution'
              ? {}
              : { note: spec.summary }),
          },
        };
      case 'setting':
        return this.setting(action, spec);
      default:
        return this.outcome(action, spec);
    }
  }

  private async messageIteratively(action: Action, spec: BlockSpec | undefined): Promise<Outcome> {
    const messages = action.Parameters.Messages;
    if (Array.isArray(messages))
      for (const message of messages) this.speak(message as Record<string, unknown>);
    const count = Array.isArray(messages) ? messages.length : 0;
    const note = `${count} message${count === 1 ? '' : 's'}`;
    const outcome = this.outcome(action, spec, note);
    const scripted = this.options.outcomes?.[action.Identifier] ?? this.options.outcomes?.[action.Type];
    if (outcome.next !== undefined || outcome.end || scripted !== undefined) return outcome;
    // Without an interruption branch the messages repeat until the contact leaves the queue
    // (an agent answers): the flow ends here.
    return {
      branch: 'repeat',
      end: {
        kind: 'end',
        action: action.Identifier,
        note: `${note} repeat until an agent takes the contact`,
      },
    };
  }

  private updateAttributes(action: Action): Outcome {
    const attributes = (action.Parameters.Attributes ?? {}) as Record<string, unknown>;
    const updated = { ...this.attributes };
    for (const [key, raw] of Object.entries(attributes)) updated[key] = this.value(raw);
    const size = Object.entries(updated).reduce(
      (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
      0,
    );
    // Past the limit Connect takes the Error branch and sets none of them.
    if (size > MAX_ATTRIBUTES_BYTES)
      return this.error(action, 'NoMatchingError', `attributes would be ${size} bytes, over 32 KB`);
    Object.assign(this.attributes, updated);
    return { next: action.Transitions.NextAction, branch: 'next' };
  }

  private loop(action: Action): Outcome {
    const count = Number(this.value(action.Parameters.LoopCount ?? '0'));
    const done = this.frame.loops.get(action.Identifier) ?? 0;
    if (Number.isInteger(count) && done < count) {
      this.frame.loops.set(action.Identifier, done + 1);
      return this.take(action, 'ContinueLooping', `loop ${done + 1} of ${count}`);
    }
    this.frame.loops.delete(action.Identifier);
    return this.take(action, 'DoneLooping', `done after ${Number.isInteger(count) ? count : 0}`);
  }

  private reference(action: Action, kind: FlowReference['kind']): FlowReference {
    const raw = kind === 'flow' ? action.Parameters.ContactFlowId : action.Parameters.FlowModuleId;
    const id = this.value(raw);
    const name = targetLabel(this.frame.flow, action.Identifier, id);
    return { kind, id, ...(name ? { name } : {}) };
  }

  private transferToFlow(action: Action): Outcome {
    const reference = this.reference(action, 'flow');
    const target = this.options.resolveFlow?.(reference);
    const label = reference.name ?? reference.id;
    if (!target) {
      // Execution goes to the start of another flow (flow-language reference, TransferToFlow):
      // without that flow at hand, the run ends there, naming it.
      return {
        branch: 'transfer',
        end: { kind: 'transfer-to-flow', action: action.Identifier, flow: reference.id },
      };
    }
    // The contact, its attributes and $.External go with it; flow attributes and modules do not.
    this.frame = frameOf(target, label);
    return { next: target.StartAction, branch: 'transfer', note: `to ${label}` };
  }

  private invokeModule(action: Action): Outcome {
    // A scripted branch stands for what the module did without running it: `next` (it returned)
    // or `NoMatchingError` (Connect could not run it: missing, unpublished, failing).
    if (this.options.outcomes?.[action.Identifier] ?? this.options.outcomes?.[action.Type])
      return this.outcome(action, BLOCKS[action.Type], 'module not run');
    const reference = this.reference(action, 'module');
    const target = this.options.resolveFlow?.(reference);
    const label = reference.name ?? reference.id;
    if (!target) {
      return {
        branch: 'module',
        end: {
          kind: 'transfer-to-flow',
          action: action.Identifier,
          flow: reference.id,
          note: 'flow module not followed: no flow at hand for it',
        },
      };
    }
    const depth = (frame: Frame | undefined): number => (frame?.resume ? 1 + depth(frame.resume.frame) : 0);
    if (depth(this.frame) >= 10) return this.error(action, 'NoMatchingError', 'modules nested too deeply');
    this.frame = frameOf(target, label, {
      frame: this.frame,
      next: action.Transitions.NextAction,
      action: action.Identifier,
    });
    return { next: target.StartAction, branch: 'module', note: `into ${label}` };
  }

  private endModule(action: Action): Outcome {
    const resume = this.frame.resume;
    if (!resume)
      return { branch: 'end', end: { kind: 'end', action: action.Identifier, note: 'module ended' } };
    this.frame = resume.frame;
    return { next: resume.next, branch: 'return', note: `back to ${resume.action}` };
  }

  private compareWith(action: Action, value: string): Outcome {
    for (const condition of action.Transitions.Conditions ?? []) {
      const operand = condition.Condition.Operands[0] ?? '';
      if (matches(condition.Condition.Operator, value, operand))
        return { next: condition.NextAction, branch: operand };
    }
    return { next: this.errorTarget(action, 'NoMatchingCondition'), branch: 'NoMatchingCondition' };
  }

  private nextInput(): CallerInput {
    const input = this.options.inputs?.[this.inputIndex];
    this.inputIndex++;
    return input ?? { timeout: true };
  }

  /** A prompt that waits for the caller: past the script and their patience, they hang up. */
  private hangsUp(action: Action): Outcome | undefined {
    if (this.inputIndex < (this.options.inputs?.length ?? 0)) return undefined;
    this.silentPrompts++;
    const patience = this.options.patience ?? 5;
    if (this.silentPrompts <= patience) return undefined;
    return {
      branch: 'hang-up',
      end: {
        kind: 'hang-up',
        action: action.Identifier,
        note: `the caller hung up: asked again after ${patience} silent prompts past the script`,
      },
    };
  }

  private async getInput(action: Action): Promise<Outcome> {
    const p = action.Parameters;
    if ((this.contact.channel ?? 'VOICE') !== 'VOICE' && p.StoreInput === 'True') {
      return this.error(action, 'NoMatchingError', 'stored input is voice only');
    }
    const hangUp = this.hangsUp(action);
    if (hangUp) return hangUp;
    this.speak(p);
    const input = this.nextInput();
    if (typeof input !== 'string') {
      if (p.StoreInput !== 'True') return this.error(action, 'InputTimeLimitExceeded', 'no input');
      // A stored-input block has no timeout branch: Connect takes the success branch and stores
      // the literal `Timeout` (flow-language reference, GetParticipantInput; connect-facts.md §3-4).
      this.stored = 'Timeout';
      return { next: action.Transitions.NextAction, branch: 'next', note: 'no input: stored Timeout' };
    }
    if (p.StoreInput !== 'True') {
      const key = input.replace(/#$/, '').slice(0, 1);
      for (const condition of action.Transitions.Conditions ?? []) {
        if (condition.Condition.Operands[0] === key)
          return { next: condition.NextAction, branch: key, note: `pressed ${key}` };
      }
      return this.error(action, 'NoMatchingCondition', `pressed ${key || '#'}`);
    }
    const value = storedKeys(input, p);
    const typed = /^[0-9*#]+$/.test(value) && !/^#+$/.test(value);
    const encryption = p.InputEncryption as { EncryptionKeyId?: string; Key?: string } | undefined;
    if (encryption && typed) {
      if (!this.options.encrypt) return this.error(action, 'NoMatchingError', 'no encryption helper');
      this.stored = await this.options.encrypt(
        value,
        String(encryption.EncryptionKeyId ?? ''),
        String(encryption.Key ?? ''),
      );
      return {
        next: action.Transitions.NextAction,
        branch: 'next',
        note: `stored ${value.length} keys, encrypted`,
      };
    }
    this.stored = value;
    return {
      next: action.Transitions.NextAction,
      branch: 'next',
      note: typed ? `stored ${value.length} keys` : `nothing typed: stored ${value}`,
    };
  }

  private event(parameters: Record<string, string>) {
    const contactId = this.contact.contactId ?? '';
    return {
      Name: 'ContactFlowEvent',
      Details: {
        ContactData: {
          ContactId: contactId,
          InitialContactId: this.contact.initialContactId ?? contactId,
          Channel: this.contact.channel ?? 'VOICE',
          InitiationMethod: this.contact.initiationMethod ?? 'INBOUND',
          CustomerEndpoint:
            this.contact.caller === null || this.contact.caller === undefined
              ? null
              : { Address: this.contact.caller, Type: 'TELEPHONE_NUMBER' },
          SystemEndpoint: this.contact.dialed
            ? { Address: this.contact.dialed, Type: 'TELEPHONE_NUMBER' }
            : null,
          Attributes: { ...this.attributes },
          Queue: this.queue ? { ARN: this.queue, Name: this.queue } : null,
        },
        Parameters: parameters,
      },
    };
  }

  private handlerFor(arn: string): LambdaHandler | undefined {
    const functions = this.options.functions ?? {};
    if (Object.hasOwn(functions, arn)) return functions[arn];
    const name = functionName(arn);
    if (Object.hasOwn(functions, name)) return functions[name];
    const key = Object.keys(functions).find((k) => functionName(k) === name);
    return key === undefined ? undefined : functions[key];
  }

  private async invoke(action: Action): Promise<Outcome> {
    const p = action.Parameters;
    const arn = this.value(p.LambdaFunctionARN);
    const limit = Number(this.value(p.InvocationTimeLimitSeconds ?? '3'));
    if (!Number.isInteger(limit) || limit < 1 || limit > 8)
      return this.error(action, 'NoMatchingError', 'time limit outside 1..8 s');
    const handler = this.handlerFor(arn);
    if (!handler) {
      this.trace.invocations.push({ action: action.Identifier, arn, attempts: 0, error: 'no_stand_in' });
      return this.error(
        action,
        'NoMatchingError',
        `no stand-in for ${functionName(arn) || '(no function named)'}: script its answer with --lambda`,
      );
    }
    const parameters: Record<string, string> = {};
    for (const [key, raw] of Object.entries(
      (p.LambdaInvocationAttributes ?? {}) as Record<string, unknown>,
    )) {
      parameters[key] = this.value(raw);
    }
    const responseType =
      (p.ResponseValidation as { ResponseType?: string } | undefined)?.ResponseType ?? 'STRING_MAP';
    let attempts = 0;
    let failure = 'function_error';
    const started = performance.now();
    // Retries happen within the block's time limit: the limit is for the block, not each attempt.
    const deadline = started + limit * 1000;
    while (attempts <= (this.options.retries ?? 3)) {
      attempts++;
      try {
        const response = await withTimeout(handler(this.event(parameters)), deadline - performance.now());
        this.chainMs += performance.now() - started;
        if (this.chainMs > CHAIN_LIMIT_MS) failure = 'chain_limit';
        else {
          const invalid = validateResponse(response, responseType);
          if (!invalid) {
            this.external = response as Record<string, unknown>;
            this.trace.invocations.push({
              action: action.Identifier,
              arn,
              attempts,
              response: this.external,
            });
            return { next: action.Transitions.NextAction, branch: 'next' };
          }
          failure = invalid;
        }
        this.trace.invocations.push({ action: action.Identifier, arn, attempts, error: failure });
        return this.error(action, 'NoMatchingError', failure);
      } catch (caught) {
        failure = caught instanceof FunctionFailure ? caught.reason : 'function_error';
        // A timeout is not retried: the block's time is up.
        if (failure === 'timeout' || performance.now() >= deadline) break;
      }
    }
    this.chainMs += performance.now() - started;
    this.trace.invocations.push({ action: action.Identifier, arn, attempts, error: failure });
    return this.error(action, 'NoMatchingError', failure);
  }
}

/**
 * The keys a stored-input block keeps from what the caller typed: up to the end-of-input sequence
 * (`#` unless `DTMFConfiguration.InputTerminationSequence` says otherwise, e.g. `##`), at most the
 * maximum length; the cancel key `*` clears what was typed so far unless `DisableCancelKey` is
 * set, when `*` is a key like any other. The end sequence alone is stored as itself, nothing at all
 * as `Timeout`.
 */
export function storedKeys(input: string, parameters: Readonly<Record<string, unknown>>): string {
  const dtmf = (parameters.DTMFConfiguration ?? {}) as {
    InputTerminationSequence?: string;
    DisableCancelKey?: string;
  };
  const validation = (parameters.InputValidation ?? {}) as { CustomValidation?: { MaximumLength?: string } };
  const maximum = Number(validation.CustomValidation?.MaximumLength ?? 20);
  const terminator = dtmf.InputTerminationSequence || '#';
  const cancel = dtmf.DisableCancelKey !== 'True';
  let typed = '';
  let terminated = false;
  for (let i = 0; i < input.length; i++) {
    if (input.startsWith(terminator, i)) {
      terminated = true;
      break;
    }
    const key = input[i] ?? '';
    if (key === '*' && cancel) typed = '';
    else typed += key;
    // Connect stops collecting at the maximum length.
    if (typed.length >= maximum) break;
  }
  // The end key alone arrives as itself (connect-facts.md §3); nothing at all as Timeout.
  return typed !== '' ? typed : terminated ? terminator : 'Timeout';
}

/** Why Connect would reject a function's answer, or undefined when it accepts it. */
export function validateResponse(response: unknown, responseType: string): string | undefined {
  if (typeof response !== 'object' || response === null || Array.isArray(response)) return 'not_an_object';
  if (Buffer.byteLength(JSON.stringify(response)) > MAX_RESPONSE_BYTES) return 'too_large';
  if (responseType === 'STRING_MAP') {
    for (const value of Object.values(response)) if (typeof value !== 'string') return 'not_a_string_map';
  }
  return undefined;
}

function matches(operator: string, value: string, operand: string): boolean {
  const a = Number(value);
  const b = Number(operand);
  const numeric = value.trim() !== '' && operand.trim() !== '' && Number.isFinite(a) && Number.isFinite(b);
  switch (operator) {
    case 'Equals':
      return value === operand;
    case 'TextStartsWith':
      return value.startsWith(operand);
    case 'TextEndsWith':
      return value.endsWith(operand);
    case 'TextContains':
      return value.includes(operand);
    case 'NumberGreaterThan':
      return numeric && a > b;
    case 'NumberGreaterOrEqualTo':
      return numeric && a >= b;
    case 'NumberLessThan':
      return numeric && a < b;
    case 'NumberLessOrEqualTo':
      return numeric && a <= b;
    default:
      return false;
  }
}
