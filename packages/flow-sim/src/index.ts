export { type Action, type Flow, FlowFormatError, parseFlow, unwrapFlow } from './flow.js';
export { flowGraph, layoutFlow, type Position } from './graph.js';
export { type Finding, LINT_RULES, type LintOptions, lintFlow, type RuleId, type Severity } from './lint.js';
export { placeholders, RenderError, renderFlow } from './render.js';
export {
  type CallerInput,
  type Ending,
  FlowSimulator,
  type Invocation,
  type LambdaHandler,
  type SimulatedContact,
  type SimulationOptions,
  type Step,
  type Trace,
  validateResponse,
} from './simulator.js';
