// `pnpm deploy:function <name> [--alias live] [--dry-run]`: builds one function and puts it live.
import { parseArgs } from 'node:util';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DeployError, deployFunction } from './lib/deploy.js';

const usage = 'usage: pnpm deploy:function <name> [--alias <alias>] [--dry-run]';

try {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: { alias: { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(usage);
  } else {
    const [name, ...extra] = positionals;
    if (!name || extra.length > 0) throw new DeployError(usage, 2);
    const dryRun = values['dry-run'] === true;
    await deployFunction(dryRun ? undefined : new LambdaClient({}), {
      name,
      alias: values.alias,
      dryRun,
      prefix: process.env.FLOWGUARD_FUNCTION_PREFIX ?? 'flowguard-',
      log: (line) => console.log(line),
    });
  }
} catch (error) {
  const known = error instanceof DeployError;
  console.error(
    `deploy: ${known ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
  );
  process.exitCode = known ? error.exitCode : 2;
}
