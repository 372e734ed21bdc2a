/** The exported flow language (connect-facts.md §4), as far as the simulator and linter read it. */

export interface Condition {
  readonly NextAction: string;
  readonly Condition: { readonly Operator: string; readonly Operands: readonly string[] };
}

export interface ErrorBranch {
  readonly NextAction: string;
  readonly ErrorType: string;
}

export interface Transitions {
  readonly NextAction?: string;
  readonly Errors?: readonly ErrorBranch[];
  readonly Conditions?: readonly Condition[];
}

export interface Action {
  readonly Identifier: string;
  readonly Type: string;
  readonly Parameters: Readonly<Record<string, unknown>>;
  readonly Transitions: Transitions;
}

export interface Flow {
  readonly Version: string;
  readonly StartAction: string;
  readonly Metadata?: unknown;
  readonly Actions: readonly Action[];
}

export class FlowFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlowFormatError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Connect's limit on a flow's `Content` (API reference, CreateContactFlow: 256,000 characters). */
const MAX_CONTENT_LENGTH = 256_000;

/**
 * The flow-language document inside what Connect and its APIs hand out (an object, or the JSON
 * text of one):
 * - the bare flow language (`{Version, StartAction, Actions, ...}`);
 * - `DescribeContactFlow` / `DescribeContactFlowModule` output: `{"ContactFlow": {..., "Content":
 *   "<flow as a JSON string>"}}`, `{"ContactFlowModule": {...}}` (Connect API reference);
 * - a `{Name, Type, Content}` envelope, as CloudFormation's `AWS::Connect::ContactFlow` properties
 *   and the CLI's create/update input hold it, with `Content` a string or an object.
 * The legacy designer format (`modules`) is refused with a message naming it.
 */
export function unwrapFlow(document: unknown): unknown {
  let current = document;
  for (let depth = 0; depth < 4; depth++) {
    if (typeof current === 'string') {
      if (current.length > MAX_CONTENT_LENGTH)
        throw new FlowFormatError(`flow Content is over ${MAX_CONTENT_LENGTH} characters, Connect's limit`);
      try {
        current = JSON.parse(current) as unknown;
      } catch {
        throw new FlowFormatError('flow Content is not valid JSON');
      }
      continue;
    }
    if (!isObject(current)) return current;
    if (Array.isArray(current.modules) && current.Actions === undefined) {
      throw new FlowFormatError(
        'this is the legacy flow format (modules), which the flow language replaced: open the flow in the Connect flow designer and export it again (or read it with DescribeContactFlow) to get the flow language',
      );
    }
    const described = isObject(current.ContactFlow)
      ? current.ContactFlow
      : isObject(current.ContactFlowModule)
        ? current.ContactFlowModule
        : undefined;
    if (described) {
      if (described.Content === undefined) throw new FlowFormatError('ContactFlow has no Content');
      current = described.Content;
      continue;
    }
    if (current.Content !== undefined && current.Actions === undefined) {
      current = current.Content;
      continue;
    }
    return current;
  }
  throw new FlowFormatError('a flow nested in too many envelopes');
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Checks an action's transitions: each branch names its next action; conditions have operands. */
function checkTransitions(transitions: Record<string, unknown>, where: string): void {
  if (transitions.NextAction !== undefined && !nonEmptyString(transitions.NextAction))
    throw new FlowFormatError(`${where}.NextAction must name an action`);
  if (transitions.Errors !== undefined) {
    if (!Array.isArray(transitions.Errors)) throw new FlowFormatError(`${where}.Errors must be a list`);
    for (const [i, branch] of transitions.Errors.entries()) {
      const at = `${where}.Errors[${i}]`;
      if (!isObject(branch)) throw new FlowFormatError(`${at} is not an object`);
      if (!nonEmptyString(branch.NextAction))
        throw new FlowFormatError(`${at}.NextAction must name an action`);
      if (!nonEmptyString(branch.ErrorType)) throw new FlowFormatError(`${at}.ErrorType must be a string`);
    }
  }
  if (transitions.Conditions !== undefined) {
    if (!Array.isArray(transitions.Conditions))
      throw new FlowFormatError(`${where}.Conditions must be a list`);
    for (const [i, branch] of transitions.Conditions.entries()) {
      const at = `${where}.Conditions[${i}]`;
      if (!isObject(branch)) throw new FlowFormatError(`${at} is not an object`);
      if (!nonEmptyString(branch.NextAction))
        throw new FlowFormatError(`${at}.NextAction must name an action`);
      const condition = branch.Condition;
      if (!isObject(condition) || !nonEmptyString(condition.Operator))
        throw new FlowFormatError(`${at}.Condition must have an Operator`);
      if (
        !Array.isArray(condition.Operands) ||
        condition.Operands.length === 0 ||
        !condition.Operands.every((o) => typeof o === 'string')
      )
        throw new FlowFormatError(`${at}.Condition.Operands must be a non-empty list of strings`);
    }
  }
}

/**
 * Checks the shape of a flow document (not its logic: that is the linter's job). Takes the flow
 * language itself or any envelope {@link unwrapFlow} reads; every problem is a FlowFormatError
 * naming the action and the path, never a TypeError.
 */
export function parseFlow(input: unknown): Flow {
  const document = unwrapFlow(input);
  if (!isObject(document)) throw new FlowFormatError('a flow is a JSON object');
  if (document.Version !== '2019-10-30') {
    const found = typeof document.Version === 'string' ? ` (found "${document.Version.slice(0, 20)}")` : '';
    throw new FlowFormatError(`Version must be "2019-10-30", the flow language's${found}`);
  }
  if (typeof document.StartAction !== 'string') throw new FlowFormatError('StartAction must name an action');
  if (!Array.isArray(document.Actions)) throw new FlowFormatError('Actions must be a list');
  if (document.Actions.length > 250) throw new FlowFormatError('a flow has at most 250 actions');
  for (const [index, action] of document.Actions.entries()) {
    if (!isObject(action)) throw new FlowFormatError(`Actions[${index}] is not an object`);
    if (typeof action.Identifier !== 'string' || action.Identifier === '' || action.Identifier.length > 50) {
      throw new FlowFormatError(`Actions[${index}].Identifier must be 1 to 50 characters`);
    }
    const where = `Actions[${index}] (${action.Identifier})`;
    if (typeof action.Type !== 'string') throw new FlowFormatError(`${where}.Type must be a string`);
    if (action.Parameters !== undefined && !isObject(action.Parameters)) {
      throw new FlowFormatError(`${where}.Parameters must be an object`);
    }
    if (!isObject(action.Transitions)) throw new FlowFormatError(`${where}.Transitions must be an object`);
    checkTransitions(action.Transitions, `${where}.Transitions`);
  }
  return {
    ...(document as unknown as Flow),
    Actions: (document.Actions as Record<string, unknown>[]).map((action) => ({
      ...(action as unknown as Action),
      Parameters: (action.Parameters as Record<string, unknown> | undefined) ?? {},
    })),
  };
}

/** A JSONPath reference as flows write them: the whole value is `$.Something.path`. */
export function isReference(value: unknown): value is string {
  return typeof value === 'string' && /^\$\.[A-Za-z]/.test(value);
}
