import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalDynamoDB, localDynamoEnv } from './local-dynamodb.js';

const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));
const SERVER = fileURLToPath(new URL('./dynalite-server.ts', import.meta.url));

/**
 * startLocalDynamoDB() in a child process (through tsx), and a client for it here: for suites
 * whose own work would otherwise share one core with the server (a burst, a 100k-row import).
 */
export async function startLocalDynamoDBProcess(
  options: { tableName?: string } = {},
): Promise<LocalDynamoDB> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    cwd: PACKAGE_DIR,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      FLOWGUARD_TABLE_NAME: options.tableName ?? '',
    },
  });
  const lines = createInterface({ input: child.stdout });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`dynalite process exited with ${String(code)}`);
    }),
  ])) as [string];
  lines.close();
  const { endpoint, tableName } = JSON.parse(first) as { endpoint: string; tableName: string };
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    tableName,
    client,
    env: localDynamoEnv(endpoint, tableName),
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
