import { randomUUID } from 'node:crypto';
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

export interface SimulationOptions {
  readonly contact?: SimulatedContact;
  /** Handlers by function ARN (as the flow names them after rendering). */
  readonly functions?: Readonly<Record<string, LambdaHandler>>;
  readonly inputs?: readonly CallerInput[];
  /** Encrypts stored input the way Connect does, for blocks with InputEncryption. */
  readonly encrypt?: (digits: string, keyId: string, certificate: string) => Promise<string>;
  /** Connect retries a function that fails (throws); default 3 retries. */
  readonly retries?: number;
  readonly inHours?: boolean;
  readonly maxSteps?: number;
}

export interface Step {
  readonly action: string;
  readonly type: string;
  /** Which way the flow went: `next`, a condition's operand, or an error type. */
  readonly branch: string;
  readonly note?: string;
}

export interface Invocation {
  readonly action: string;
  readonly arn: string;
  readonly attempts: number;
  readonly response?: Readonly<Record<string, unknown>>;
  readonly error?: string;
}

export interface Ending {
  readonly kind: 'queue' | 'disconnect' | 'end' | 'transfer-to-flow' | 'error' | 'step_limit';
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

/** Connect caps a run of Lambda blocks without a prompt between them at 20 s in all. */
const CHAIN_LIMIT_MS = 20_000;
const MAX_RESPONSE_BYTES = 32 * 1024;

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
      timer = setTimeout(() => reject(new FunctionFailure('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs a flow as Connect would, against scripted caller input and in-process functions. */
export class FlowSimulator {
  private readonly actions: ReadonlyMap<string, Action>;

  constructor(private readonly flow: Flow) {
    this.actions = new Map(flow.Actions.map((action) => [action.Identifier, action]));
  }

  async run(options: SimulationOptions = {}): Promise<Trace> {
    return new Run(this.flow, this.actions, options).execute();
  }
}

class Run {
  private readonly contact: SimulatedContact;
  private readonly attributes: Record<string, string>;
  private external: Record<string, unknown> = {};
  private stored = '';
  private queue = '';
  private loggingEnabled = true;
  private inputIndex = 0;
  private chainMs = 0;
  private readonly trace: Trace;

  constructor(
    private readonly flow: Flow,
    private readonly actions: ReadonlyMap<string, Action>,
    private readonly options: SimulationOptions,
  ) {
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
        return key === 'Name' ? this.queue : '';
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

  /** Prompt text with `$.` references filled in, as Connect's text-to-speech does. */
  private speak(parameters: Readonly<Record<string, unknown>>): string | undefined {
    const text =
      parameters.Text ??
      parameters.SSML ??
      (parameters.PromptId ? `[prompt ${String(parameters.PromptId)}]` : undefined);
    if (typeof text !== 'string') return undefined;
    // A sentence may end right after a reference: its full stop is not part of the path.
    const spoken = text.replace(/\$\.[A-Za-z][A-Za-z0-9_.-]*/g, (path) =>
      path.endsWith('.') ? `${this.resolve(path.slice(0, -1))}.` : this.resolve(path),
    );
    this.trace.heard.push(spoken);
    this.chainMs = 0;
    return spoken;
  }

  private errorTarget(action: Action, errorType: string): string | undefined {
    return action.Transitions.Errors?.find((e) => e.ErrorType === errorType)?.NextAction;
  }

  async execute(): Promise<Trace> {
    let current: string | undefined = this.flow.StartAction;
    const maxSteps = this.options.maxSteps ?? 250;
    for (let step = 0; current !== undefined; step++) {
      if (step >= maxSteps) {
        this.trace.ending = {
          kind: 'step_limit',
          action: current,
          note: `stopped after ${maxSteps} actions`,
        };
        return this.trace;
      }
      const action = this.actions.get(current);
      if (!action) {
        this.trace.ending = { kind: 'error', action: current, note: 'no action with this identifier' };
        return this.trace;
      }
      this.trace.logging.push({ action: action.Identifier, enabled: this.loggingEnabled });
      const outcome = await this.perform(action);
      this.trace.steps.push({
        action: action.Identifier,
        type: action.Type,
        branch: outcome.branch,
        ...(outcome.note ? { note: outcome.note } : {}),
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
          note: `no transition for ${outcome.branch}`,
        };
        return this.trace;
      }
    }
    return this.trace;
  }

  private async perform(
    action: Action,
  ): Promise<{ next?: string; branch: string; end?: Ending; note?: string }> {
    const p = action.Parameters;
    const next = action.Transitions.NextAction;
    const error = (type: string, note?: string) => ({
      next: this.errorTarget(action, type),
      branch: type,
      note,
    });
    switch (action.Type) {
      case 'MessageParticipant':
        this.speak(p);
        return { next, branch: 'next' };
      case 'UpdateFlowLoggingBehavior':
        this.loggingEnabled = p.FlowLoggingBehavior !== 'Disabled';
        return { next, branch: 'next' };
      case 'UpdateContactAttributes': {
        const attributes = (p.Attributes ?? {}) as Record<string, unknown>;
        for (const [key, raw] of Object.entries(attributes)) this.attributes[key] = this.value(raw);
        return { next, branch: 'next' };
      }
      case 'UpdateContactTargetQueue':
        this.queue = this.value(p.QueueId);
        return { next, branch: 'next' };
      case 'TransferContactToQueue':
        if (!this.queue) return error('NoMatchingError', 'no target queue set');
        return { branch: 'queue', end: { kind: 'queue', action: action.Identifier, queue: this.queue } };
      case 'DisconnectParticipant':
        return { branch: 'disconnect', end: { kind: 'disconnect', action: action.Identifier } };
      case 'CheckHoursOfOperation':
        return this.compareWith(action, (this.options.inHours ?? true) ? 'True' : 'False');
      case 'Compare':
        return this.compareWith(action, this.value(p.ComparisonValue));
      case 'GetParticipantInput':
        return this.getInput(action);
      case 'InvokeLambdaFunction':
        return this.invoke(action);
      case 'EndFlowExecution':
        return { branch: 'end', end: { kind: 'end', action: action.Identifier } };
      case 'TransferToFlow':
        // Execution jumps to the start of another flow (flow-language reference, TransferToFlow):
        // this run ends there, naming it.
        return {
          branch: 'transfer',
          end: { kind: 'transfer-to-flow', action: action.Identifier, flow: this.value(p.ContactFlowId) },
        };
      case 'UpdateContactEventHooks':
        // A setting only (reference: no results, NoMatchingError): recorded in the trace.
        return {
          next,
          branch: 'next',
          note: `event hooks ${Object.keys((p.EventHooks ?? {}) as object).join(', ')}`,
        };
      default:
        return {
          branch: 'unsupported',
          end: { kind: 'error', action: action.Identifier, note: `${action.Type} is not simulated` },
        };
    }
  }

  private compareWith(action: Action, value: string): { next?: string; branch: string } {
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

  private async getInput(action: Action): Promise<{ next?: string; branch: string; note?: string }> {
    const p = action.Parameters;
    const error = (type: string, note?: string) => ({
      next: this.errorTarget(action, type),
      branch: type,
      note,
    });
    if ((this.contact.channel ?? 'VOICE') !== 'VOICE' && p.StoreInput === 'True') {
      return error('NoMatchingError', 'stored input is voice only');
    }
    this.speak(p);
    const input = this.nextInput();
    if (typeof input !== 'string') {
      if (p.StoreInput !== 'True') return error('InputTimeLimitExceeded', 'no input');
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
      return error('NoMatchingCondition', `pressed ${key || '#'}`);
    }
    const validation = (p.InputValidation ?? {}) as { CustomValidation?: { MaximumLength?: string } };
    const maximum = Number(validation.CustomValidation?.MaximumLength ?? 20);
    const digits = input.split('#')[0] ?? '';
    // Connect stops collecting at the terminator or at the maximum length.
    const entered = input.includes('#') ? digits : digits.slice(0, maximum);
    const value = entered === '' && input.includes('#') ? '#' : entered;
    const encryption = p.InputEncryption as { EncryptionKeyId?: string; Key?: string } | undefined;
    if (encryption && value !== '#') {
      if (!this.options.encrypt) return error('NoMatchingError', 'no encryption helper');
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
    return { next: action.Transitions.NextAction, branch: 'next', note: `stored ${value.length} keys` };
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

  private async invoke(action: Action): Promise<{ next?: string; branch: string; note?: string }> {
    const p = action.Parameters;
    const arn = this.value(p.LambdaFunctionARN);
    const error = (type: string, note: string) => ({
      next: this.errorTarget(action, type),
      branch: type,
      note,
    });
    const limit = Number(p.InvocationTimeLimitSeconds ?? '3');
    if (!Number.isInteger(limit) || limit < 1 || limit > 8)
      return error('NoMatchingError', 'time limit outside 1..8 s');
    const handler = this.options.functions?.[arn];
    const parameters: Record<string, string> = {};
    for (const [key, raw] of Object.entries(
      (p.LambdaInvocationAttributes ?? {}) as Record<string, unknown>,
    )) {
      parameters[key] = this.value(raw);
    }
    const responseType =
      (p.ResponseValidation as { ResponseType?: string } | undefined)?.ResponseType ?? 'STRING_MAP';
    let attempts = 0;
    let failure = 'unreachable';
    const started = performance.now();
    while (handler && attempts <= (this.options.retries ?? 3)) {
      attempts++;
      try {
        const response = await withTimeout(handler(this.event(parameters)), limit * 1000);
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
        break;
      } catch (caught) {
        failure = caught instanceof FunctionFailure ? caught.reason : 'function_error';
        // Connect retries a function that errors; a timeout is not retried.
        if (failure === 'timeout') break;
      }
    }
    this.chainMs += performance.now() - started;
    this.trace.invocations.push({ action: action.Identifier, arn, attempts, error: failure });
    return error('NoMatchingError', failure);
  }
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
