/**
 * The one definition of flowguard's DynamoDB table, shared by the functions, the tests, the CLI
 * and the CDK stack. Plain data: no AWS SDK here, so every consumer can afford to import it.
 */

export const TABLE_NAME_VARIABLE = 'FLOWGUARD_TABLE_NAME';
export const DEFAULT_TABLE_NAME = 'flowguard';

/** Partition key, sort key and TTL attribute (epoch seconds; TTL only cleans up). */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;

/** DynamoDB's rule for table names. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

export class TableNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TableNameError';
  }
}

/** Checks a table name against DynamoDB's rules; returns it. */
export function validTableName(name: string): string {
  if (!TABLE_NAME.test(name)) {
    throw new TableNameError(
      `${TABLE_NAME_VARIABLE} must be 3 to 255 characters of letters, digits, '_', '-' and '.'`,
    );
  }
  return name;
}

/** The table name from `FLOWGUARD_TABLE_NAME`, or `flowguard`. */
export function tableName(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const value = env[TABLE_NAME_VARIABLE]?.trim();
  return validTableName(value === undefined || value === '' ? DEFAULT_TABLE_NAME : value);
}

/** The `CreateTable` request for the table, on-demand. */
export function createTableRequest(name: string) {
  return {
    TableName: validTableName(name),
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' as const },
      { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' as const },
    ],
    BillingMode: 'PAY_PER_REQUEST' as const,
  };
}

/** The `UpdateTimeToLive` request that turns on expiry cleanup. */
export function timeToLiveRequest(name: string) {
  return {
    TableName: validTableName(name),
    TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
  };
}
