export {
  type Access,
  FlowguardStack,
  type FlowguardStackProps,
  type FlowSpec,
  FUNCTION_SPECS,
  type FunctionSpec,
  shippedFlows,
} from './stack.js';
