import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RequestCounter } from '@flowguard/local';

/**
 * Counts the requests a DynamoDB client sends, by operation, with SDK middleware: what the
 * screening functions promise ("one request per decision") is measured, not assumed.
 */
export function countRequests(client: DynamoDBClient): RequestCounter {
  const byOperation = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      byOperation.set(operation, (byOperation.get(operation) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'flowguardRequestCounter' },
  );
  return {
    byOperation,
    total: () => [...byOperation.values()].reduce((sum, count) => sum + count, 0),
    reset: () => byOperation.clear(),
  };
}
