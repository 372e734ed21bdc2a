import { readFileSync } from 'node:fs';
import type { App, aws_lambda as lambda } from 'aws-cdk-lib';
import type { ContactRecordsProps } from './contact-records.js';
import { shippedFlows } from './flows.js';
import type { DeployableFunctionName, FunctionName } from './functions.js';
import { flowguardChecks } from './nag.js';
import { FlowguardStack } from './stack.js';

/** The context flags `pnpm synth -- -c <flag>=true` understands. */
export const CONTEXT_FLAGS = ['createVpc', 'logArchive', 'createTrail'] as const;

/**
 * The context values `-c <name>=<value>` that deploy forward-contact-records and
 * forward-recordings: the stream's ARN and the policy file together, the rest optional.
 */
export const CONTACT_RECORD_CONTEXT = [
  'contactRecordStreamArn',
  'contactRecordStreamKeyArn',
  'forwardPolicyFile',
  'forwardPolicySource',
  'deadLetterPrefix',
  'recordingsBucketArn',
  'recordingsPrefix',
  'recordingsKeyArn',
] as const;

/** The `contactRecords` prop from the app's context, or undefined when neither the stream nor a policy is given. */
export function contactRecordsFromContext(app: App): ContactRecordsProps | undefined {
  const value = (name: (typeof CONTACT_RECORD_CONTEXT)[number]) => {
    const v: unknown = app.node.tryGetContext(name);
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const streamArn = value('contactRecordStreamArn');
  const policyFile = value('forwardPolicyFile');
  if (!streamArn && !policyFile) return undefined;
  if (!streamArn || !policyFile) {
    throw new Error(
      'give -c contactRecordStreamArn=<stream ARN> and -c forwardPolicyFile=<policy JSON> together',
    );
  }
  const source = value('forwardPolicySource');
  if (source !== undefined && source !== 'inline' && source !== 'parameter') {
    throw new Error('-c forwardPolicySource takes inline (the default) or parameter');
  }
  return {
    streamArn,
    streamKeyArn: value('contactRecordStreamKeyArn'),
    policy: readFileSync(policyFile, 'utf8'),
    policySource: source,
    deadLetterPrefix: value('deadLetterPrefix'),
    recordingsBucketArn: value('recordingsBucketArn'),
    recordingsPrefix: value('recordingsPrefix'),
    recordingsKeyArn: value('recordingsKeyArn'),
  };
}

/**
 * The app's one stack, configured from the app's context (`-c createVpc=true`, ...), with the
 * cdk-nag checks on: what `pnpm synth` builds.
 */
export function flowguardApp(
  app: App,
  options: {
    functions: readonly FunctionName[];
    code: (name: DeployableFunctionName) => lambda.Code;
    flowsDir: URL;
  },
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
    contactRecords: contactRecordsFromContext(app),
  });
}
