import type { App, aws_lambda as lambda } from 'aws-cdk-lib';
import { shippedFlows } from './flows.js';
import type { FunctionName } from './functions.js';
import { flowguardChecks } from './nag.js';
import { FlowguardStack } from './stack.js';

/** The context flags `pnpm synth -- -c <flag>=true` understands. */
export const CONTEXT_FLAGS = ['createVpc', 'logArchive', 'createTrail'] as const;

/**
 * The app's one stack, configured from the app's context (`-c createVpc=true`, ...), with the
 * cdk-nag checks on: what `pnpm synth` builds.
 */
export function flowguardApp(
  app: App,
  options: { functions: readonly FunctionName[]; code: (name: FunctionName) => lambda.Code; flowsDir: URL },
): FlowguardStack {
  const flag = (name: (typeof CONTEXT_FLAGS)[number]) => {
    const value: unknown = app.node.tryGetContext(name);
    return value === true || value === 'true';
  };
  flowguardChecks(app);
  return new FlowguardStack(app, 'Flowguard', {
    functions: options.functions,
    code: options.code,
    flows: shippedFlows(options.flowsDir),
    createVpc: flag('createVpc'),
    logArchive: flag('logArchive'),
    createTrail: flag('createTrail'),
  });
}
