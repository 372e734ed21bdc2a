// `pnpm synth`: the CloudFormation template, offline, from the bundles `pnpm build` made.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, aws_lambda as lambda } from 'aws-cdk-lib';
import { FlowguardStack, FUNCTION_SPECS, shippedFlows } from '../src/index.js';

const root = new URL('../../../', import.meta.url);
const dist = (name: string) => fileURLToPath(new URL(`packages/functions/dist/${name}.zip`, root));
const functions = FUNCTION_SPECS.map((spec) => spec.name).filter((name) => existsSync(dist(name)));
if (functions.length === 0) {
  console.error('synth: no function bundles in packages/functions/dist: run pnpm build first');
  process.exit(1);
}

const app = new App({ outdir: fileURLToPath(new URL('cdk.out', new URL('../', import.meta.url))) });
new FlowguardStack(app, 'Flowguard', {
  functions,
  code: (name) => lambda.Code.fromAsset(dist(name)),
  flows: shippedFlows(new URL('flows/', root)),
  logArchive: app.node.tryGetContext('logArchive') === 'true',
});
const assembly = app.synth();
console.log(
  `synthesized ${assembly.stacks.map((s) => s.stackName).join(', ')} with ${functions.join(', ')} to ${assembly.directory}`,
);
