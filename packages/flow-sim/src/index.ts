export { type Action, type Flow, FlowFormatError, parseFlow, unwrapFlow } from './flow.js';
export { flowGraph, layoutFlow, type Position } from './graph.js';
export { type Finding, type LintOptions, lintFlow } from './lint.js';
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
