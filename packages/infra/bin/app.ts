// `pnpm synth`: the CloudFormation template, offline, from the bundles `pnpm build` made. The
// AWS Solutions and NIST 800-53 rev 5 checks run on every synth: an unacknowledged finding fails it.
//   -c createVpc=true    functions in a new VPC of isolated subnets, with the endpoints they need
//   -c logArchive=true   every function log line archived to S3 through Firehose
//   -c createTrail=true  a multi-region CloudTrail trail, for an account without one
//   -c contactRecordStreamArn=<ARN> -c forwardPolicyFile=<path>  forward-contact-records and
//      forward-recordings on the contact-record stream (also recordingsBucketArn, recordingsPrefix,
//      recordingsKeyArn, contactRecordStreamKeyArn, forwardPolicySource=inline|parameter,
//      deadLetterPrefix; docs/data-minimisation.md)
//   -c edge=true -c edgeFlows=<name>=<contact flow id>,... -c edgeAllowedOrigins=<origin>,...
//      start-contact behind an HTTP API (edgeFrontDoor=rest-api|function-url, edgeWaf=true, tokens
//      and limits: docs/deploy.md, "start-contact")
//   -c surgeThresholds=all:60/10s,withheld:20/1m -c surgeMonitor=true -c aggregateShards=2
//      screen-caller's surge mode (checked at synth: a bad value fails it; docs/deploy.md)
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, aws_lambda as lambda } from 'aws-cdk-lib';
import { CONTEXT_FLAGS, FUNCTION_NAMES, flowguardApp } from '../src/index.js';

const root = new URL('../../../', import.meta.url);
const dist = (name: string) => fileURLToPath(new URL(`packages/functions/dist/${name}.zip`, root));
const functions = FUNCTION_NAMES.filter((name) => existsSync(dist(name)));
if (functions.length === 0) {
  console.error('synth: no function bundles in packages/functions/dist: run pnpm build first');
  process.exit(1);
}

/** `-c name=value` / `--context name=value`, as the CDK CLI takes them (it passes its own through CDK_CONTEXT_JSON). */
function contextFromArgs(args: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  args.forEach((arg, i) => {
    const pair = arg === '-c' || arg === '--context' ? args[i + 1] : undefined;
    const match = pair ? /^([A-Za-z][\w-]*)=(.*)$/.exec(pair) : null;
    if (match?.[1]) context[match[1]] = match[2] ?? '';
  });
  return context;
}

const app = new App({
  outdir: fileURLToPath(new URL('cdk.out', new URL('../', import.meta.url))),
  context: contextFromArgs(process.argv.slice(2)),
});
flowguardApp(app, {
  functions,
  code: (name) => {
    if (!existsSync(dist(name))) throw new Error(`synth: no bundle for ${name}: run pnpm build first`);
    return lambda.Code.fromAsset(dist(name));
  },
  flowsDir: new URL('flows/', root),
});
const assembly = app.synth();
const options = () => {
  const on = CONTEXT_FLAGS.filter((flag) => String(app.node.tryGetContext(flag)) === 'true');
  return on.length > 0 ? ` (${on.join(', ')})` : '';
};
console.log(
  `synthesized ${assembly.stacks.map((s) => s.stackName).join(', ')} with ${functions.join(', ')}${options()} to ${assembly.directory} (cdk-nag AwsSolutions and NIST.800.53.R5: no unacknowledged finding)`,
);
