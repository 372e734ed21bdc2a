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

/** Checks the shape of a flow document (not its logic: that is the linter's job). */
export function parseFlow(document: unknown): Flow {
  if (!isObject(document)) throw new FlowFormatError('a flow is a JSON object');
  if (document.Version !== '2019-10-30') throw new FlowFormatError('Version must be "2019-10-30"');
  if (typeof document.StartAction !== 'string') throw new FlowFormatError('StartAction must name an action');
  if (!Array.isArray(document.Actions)) throw new FlowFormatError('Actions must be a list');
  if (document.Actions.length > 250) throw new FlowFormatError('a flow has at most 250 actions');
  for (const [index, action] of document.Actions.entries()) {
    const where = `Actions[${index}]`;
    if (!isObject(action)) throw new FlowFormatError(`${where} is not an object`);
    if (typeof action.Identifier !== 'string' || action.Identifier === '' || action.Identifier.length > 50) {
      throw new FlowFormatError(`${where}.Identifier must be 1 to 50 characters`);
    }
    if (typeof action.Type !== 'string') throw new FlowFormatError(`${where}.Type must be a string`);
    if (action.Parameters !== undefined && !isObject(action.Parameters)) {
      throw new FlowFormatError(`${where}.Parameters must be an object`);
    }
    if (!isObject(action.Transitions)) throw new FlowFormatError(`${where}.Transitions must be an object`);
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
