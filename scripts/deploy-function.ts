// `pnpm deploy:function <name>`: builds one function and puts it live through its alias, with a
// smoke test, an optional canary and rollback (docs/deploy.md, "Deploy one function").
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DeployError, deployFunction, rollbackFunction } from './lib/deploy.js';
import { DEPLOY_USAGE, parseDeployCommand } from './lib/deploy-command.js';

// Ctrl-C stops the run; during a canary's bake the canary is rolled back first. A second one quits.
const interrupt = new AbortController();
const onInterrupt = () => {
  if (interrupt.signal.aborted) process.exit(130);
  console.error('deploy: interrupted (Ctrl-C again to quit at once)');
  interrupt.abort();
};
process.on('SIGINT', onInterrupt);

try {
  const command = parseDeployCommand(process.argv.slice(2));
  if (command.help) {
    console.log(DEPLOY_USAGE);
  } else {
    const lambda = new LambdaClient({});
    const shared = {
      name: command.name,
      alias: command.alias,
      dryRun: command.dryRun,
      prefix: process.env.FLOWGUARD_FUNCTION_PREFIX ?? 'flowguard-',
      signal: interrupt.signal,
      log: (line: string) => console.log(line),
    };
    if (command.rollback) {
      await rollbackFunction(lambda, shared);
    } else {
      const cloudWatch = command.canary ? new CloudWatchClient({}) : undefined;
      await deployFunction({ lambda, cloudWatch }, { ...shared, canary: command.canary });
    }
  }
} catch (error) {
  const known = error instanceof DeployError;
  console.error(
    `deploy: ${known ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
  );
  process.exitCode = known ? error.exitCode : 1;
}
process.off('SIGINT', onInterrupt);
