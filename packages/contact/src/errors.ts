/**
 * Errors of the contact package. Every error a flow can learn about carries a stable `code`
 * (the value of `error` in the flat response). Messages never contain input values: they name
 * fields, never what was in them.
 */
export class FlowguardError extends Error {
  /** Stable, flow-facing code: `[a-z0-9_]+`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FlowguardError';
    this.code = code;
  }
}

/** The event is not a Connect contact-flow event, or a field has the wrong type. */
export class EventParseError extends FlowguardError {
  /** Dotted path of the offending field, e.g. `Details.ContactData.ContactId`. */
  readonly path: string;
  /** What is wrong with it: `missing`, `not_an_object`, `not_a_string`, ... */
  readonly problem: string;

  constructor(path: string, problem: string) {
    super('bad_event', `${path}: ${problem.replaceAll('_', ' ')}`);
    this.name = 'EventParseError';
    this.path = path;
    this.problem = problem;
  }
}

/** A flow parameter is missing or unusable. */
export class ParameterError extends FlowguardError {
  readonly parameter: string;

  constructor(parameter: string, problem: string, code = 'bad_parameter') {
    super(code, `parameter ${parameter}: ${problem}`);
    this.name = 'ParameterError';
    this.parameter = parameter;
  }
}

/** The function tried to answer with something Connect would reject. A programming error. */
export class ResponseError extends FlowguardError {
  constructor(code: 'bad_response' | 'response_too_large', message: string) {
    super(code, message);
    this.name = 'ResponseError';
  }
}

/** The function did not answer inside its time budget. */
export class BudgetExceededError extends FlowguardError {
  constructor(budgetMs: number) {
    super('timeout', `no answer within the ${budgetMs} ms budget`);
    this.name = 'BudgetExceededError';
  }
}

/** An environment variable is missing or invalid. Thrown at init, so deploys fail loudly. */
export class ConfigError extends FlowguardError {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super('bad_config', `${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}
