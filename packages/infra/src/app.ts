import { readFileSync } from 'node:fs';
import type { App, aws_lambda as lambda } from 'aws-cdk-lib';
import type { ContactRecordsProps } from './contact-records.js';
import type { EdgeFrontDoor, EdgeProps, EdgeTokens } from './edge.js';
import { shippedFlows } from './flows.js';
import type { DeployableFunctionName, FunctionName } from './functions.js';
import { flowguardChecks } from './nag.js';
import { FlowguardStack } from './stack.js';
import type { SurgeProps } from './surge.js';

/** The context flags `pnpm synth -- -c <flag>=true` understands. */
export const CONTEXT_FLAGS = ['createVpc', 'logArchive', 'createTrail', 'edge', 'edgeWaf'] as const;

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

/**
 * The context values that configure start-contact with `-c edge=true` (docs/deploy.md,
 * "start-contact"): lists are comma-separated, flows `name=contactFlowId`.
 */
export const EDGE_CONTEXT = [
  'edgeFlows',
  'edgeAllowedOrigins',
  'edgeAttributes',
  'edgeFrontDoor',
  'edgeRateLimit',
  'edgeBurstLimit',
  'edgeWafRateLimit',
  'edgeJwksUrl',
  'edgeJwtSecretArn',
  'edgeJwtSecretKeyArn',
  'edgeJwtIssuer',
  'edgeJwtAudience',
  'edgeTokenRequired',
] as const;

/**
 * The context values that configure screen-caller's surge mode (docs/deploy.md): thresholds as
 * FLOWGUARD_SURGE_THRESHOLDS takes them, `true`/`false`, a shard count.
 */
export const SURGE_CONTEXT = ['surgeThresholds', 'surgeMonitor', 'aggregateShards'] as const;

/** The `surge` prop from the app's context, or undefined when none of {@link SURGE_CONTEXT} is given. */
export function surgeFromContext(app: App): SurgeProps | undefined {
  const value = (name: (typeof SURGE_CONTEXT)[number]) => {
    const v: unknown = app.node.tryGetContext(name);
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  };
  const thresholds = value('surgeThresholds');
  const monitor = value('surgeMonitor');
  const shards = value('aggregateShards');
  if (thresholds === undefined && monitor === undefined && shards === undefined) return undefined;
  if (monitor !== undefined && monitor !== 'true' && monitor !== 'false')
    throw new Error('-c surgeMonitor takes true or false');
  if (shards !== undefined && !/^\d{1,2}$/.test(shards))
    throw new Error('-c aggregateShards takes a whole number from 1 to 16');
  // The values themselves are checked as screen-caller reads them (surge.ts), with the rest.
  return {
    thresholds,
    monitor: monitor === undefined ? undefined : monitor === 'true',
    aggregateShards: shards === undefined ? undefined : Number(shards),
  };
}

/** The `edge` prop from the app's context, or undefined without `-c edge=true`. */
export function edgeFromContext(app: App): EdgeProps | undefined {
  const raw = (name: string): unknown => app.node.tryGetContext(name);
  const on = (name: string) => raw(name) === true || raw(name) === 'true';
  const value = (name: (typeof EDGE_CONTEXT)[number]) => {
    const v = raw(name);
    return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
  };
  const list = (name: (typeof EDGE_CONTEXT)[number]) =>
    (value(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const number = (name: (typeof EDGE_CONTEXT)[number]) => {
    const v = value(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`-c ${name} takes a positive integer`);
    return Number(v);
  };
  if (!on('edge')) {
    const given = EDGE_CONTEXT.filter((name) => value(name) !== undefined);
    if (given.length > 0 || on('edgeWaf')) {
      throw new Error(
        `-c ${[...given, ...(on('edgeWaf') ? ['edgeWaf'] : [])].join(', ')} without -c edge=true`,
      );
    }
    return undefined;
  }
  const flows: Record<string, string> = {};
  for (const pair of list('edgeFlows')) {
    const [name, flowId, ...rest] = pair.split('=');
    if (!name || !flowId || rest.length > 0)
      throw new Error(`-c edgeFlows: ${pair}: write name=contactFlowId`);
    flows[name] = flowId;
  }
  if (Object.keys(flows).length === 0) {
    throw new Error(
      '-c edge=true needs -c edgeFlows=<name>=<contact flow id>,... and -c edgeAllowedOrigins=<origin>,...',
    );
  }
  const frontDoor = value('edgeFrontDoor');
  if (frontDoor !== undefined && !['http-api', 'rest-api', 'function-url'].includes(frontDoor)) {
    throw new Error('-c edgeFrontDoor takes http-api (the default), rest-api or function-url');
  }
  const issuer = value('edgeJwtIssuer');
  const audience = list('edgeJwtAudience');
  const jwksUrl = value('edgeJwksUrl');
  const secretArn = value('edgeJwtSecretArn');
  let tokens: EdgeTokens | undefined;
  if (jwksUrl || secretArn) {
    if (jwksUrl && secretArn) throw new Error('-c edgeJwksUrl and -c edgeJwtSecretArn: give one');
    if (!issuer || audience.length === 0) {
      throw new Error('tokens need -c edgeJwtIssuer=<iss> and -c edgeJwtAudience=<aud>,...');
    }
    const required = on('edgeTokenRequired');
    tokens = jwksUrl
      ? { jwksUrl, issuer, audience, required }
      : {
          secretArn: secretArn as string,
          secretKeyArn: value('edgeJwtSecretKeyArn'),
          issuer,
          audience,
          required,
        };
  }
  const attributes = list('edgeAttributes');
  return {
    flows,
    allowedOrigins: list('edgeAllowedOrigins'),
    attributes: attributes.length > 0 ? attributes : undefined,
    frontDoor: frontDoor as EdgeFrontDoor | undefined,
    rateLimit: number('edgeRateLimit'),
    burstLimit: number('edgeBurstLimit'),
    waf: on('edgeWaf'),
    wafRateLimit: number('edgeWafRateLimit'),
    tokens,
  };
}

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
    edge: edgeFromContext(app),
    surge: surgeFromContext(app),
  });
}
