import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoScreeningStore,
  type ScreeningStore,
  StoreUnavailableError,
} from '@flowguard/caller-screening';

/** Sockets per client: enough for `import --concurrency` up to its maximum. */
const MAX_SOCKETS = 256;

/**
 * The store on the real table: a DynamoDB client with the SDK's default credential chain and
 * region (AWS_PROFILE, AWS_REGION, ...; AWS_ENDPOINT_URL_DYNAMODB for a local endpoint), with
 * timeouts so a dead endpoint fails in seconds rather than hanging an admin's terminal.
 */
export function dynamoStore(table: string): { store: ScreeningStore; close: () => void } {
  const client = new DynamoDBClient({
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      throwOnRequestTimeout: true,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
    },
  });
  return { store: new DynamoScreeningStore({ client, tableName: table }), close: () => client.destroy() };
}

export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return (
    error instanceof StoreUnavailableError ||
    (error instanceof Error && error.name === 'StoreUnavailableError')
  );
}

/** Causes that another attempt cannot fix: retrying them only delays the message. */
const PERMANENT = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'MissingAuthenticationTokenException',
  'CredentialsProviderError',
  'ValidationException',
]);

function causeOf(error: Error): Error | null {
  return error.cause instanceof Error ? error.cause : null;
}

export function isPermanent(error: Error): boolean {
  const cause = causeOf(error);
  return cause !== null && (PERMANENT.has(cause.name) || /region is missing/i.test(cause.message));
}

/**
 * One line about a store failure. It names the operation and the cause's error name, and adds a
 * hint for the common causes; it never prints the cause's message, which can carry account ids,
 * ARNs or request details.
 */
export function describeStoreError(error: Error, table: string): string {
  const cause = causeOf(error);
  const name = cause?.name ?? '';
  let hint = '';
  if (name === 'ResourceNotFoundException')
    hint = `: table '${table}' not found (FLOWGUARD_TABLE_NAME, AWS_REGION)`;
  else if (cause && /region is missing/i.test(cause.message))
    hint = ': no AWS region (set AWS_REGION or AWS_PROFILE)';
  else if (name === 'CredentialsProviderError') hint = ': no AWS credentials found';
  else if (
    [
      'UnrecognizedClientException',
      'InvalidSignatureException',
      'ExpiredTokenException',
      'MissingAuthenticationTokenException',
    ].includes(name)
  )
    hint = ': AWS credentials not accepted';
  else if (name === 'AccessDeniedException') hint = `: access denied to table '${table}'`;
  else if (name === 'TimeoutError' || /timed out/.test(error.message))
    hint = ': no answer in time from DynamoDB';
  else if (['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'EHOSTUNREACH'].includes(codeOf(cause)))
    hint = `: cannot reach the DynamoDB endpoint (${codeOf(cause)})`;
  else if (name) hint = ` (${name})`;
  return `store unavailable: ${error.message}${hint}`;
}

function codeOf(error: Error | null): string {
  const code = error && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? code : '';
}
