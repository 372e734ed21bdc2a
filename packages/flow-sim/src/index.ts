export { BLOCKS, type BlockKind, type BlockSpec } from './blocks.js';
export { type Action, type Flow, FlowFormatError, parseFlow, unwrapFlow } from './flow.js';
export { flowGraph, layoutFlow, type Position } from './graph.js';
export { type Finding, LINT_RULES, type LintOptions, lintFlow, type RuleId, type Severity } from './lint.js';
export { placeholders, RenderError, renderFlow } from './render.js';
export {
  type CallerInput,
  type Ending,
  type FlowReference,
  FlowSimulator,
  functionName,
  type Invocation,
  type LambdaHandler,
  MAX_ATTRIBUTES_BYTES,
  type SimulatedContact,
  type SimulationOptions,
  type Step,
  storedKeys,
  type Trace,
  validateResponse,
} from './simulator.js';
