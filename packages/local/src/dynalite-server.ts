// Runs startLocalDynamoDB() in its own process, so a heavy test's client and the server use
// different cores. Prints {endpoint, tableName} as one JSON line; stops when stdin closes.
import { startLocalDynamoDB } from './local-dynamodb.js';

const local = await startLocalDynamoDB({ tableName: process.env.FLOWGUARD_TABLE_NAME || undefined });
process.stdout.write(`${JSON.stringify({ endpoint: local.endpoint, tableName: local.tableName })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void local.stop().then(() => process.exit(0));
});
