import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDB, startLocalDynamoDB } from '../../src/index.js';
import { portAcceptsConnections } from '../support.js';

describe('startLocalDynamoDB', () => {
  let local: LocalDynamoDB;

  beforeAll(async () => {
    local = await startLocalDynamoDB();
  });

  afterAll(async () => {
    await local.stop();
  });

  it('listens on a loopback port', () => {
    expect(local.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(local.port).toBeGreaterThan(0);
  });

  it('creates the flowguard table keyed by pk (hash) and sk (range)', async () => {
    const { Table } = await local.client.send(new DescribeTableCommand({ TableName: 'flowguard' }));

    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });

  it('enables TTL on expiresAt', async () => {
    const { TimeToLiveDescription } = await local.client.send(
      new DescribeTimeToLiveCommand({ TableName: 'flowguard' }),
    );

    expect(TimeToLiveDescription).toEqual({ AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' });
  });

  it('keeps expired items readable, as DynamoDB does until its TTL sweep', async () => {
    const key = { pk: { S: 'tel:+14155550123' }, sk: { S: 'state' } };
    await local.client.send(
      new PutItemCommand({ TableName: 'flowguard', Item: { ...key, expiresAt: { N: '1000' } } }),
    );

    const { Item } = await local.client.send(new GetItemCommand({ TableName: 'flowguard', Key: key }));

    expect(Item?.expiresAt).toEqual({ N: '1000' });
  });

  it('is reached by a default SDK client through AWS_ENDPOINT_URL_DYNAMODB', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, local.env);
    try {
      const client = new DynamoDBClient({});
      const { TableNames } = await client.send(new ListTablesCommand({}));
      client.destroy();

      expect(TableNames).toEqual(['flowguard']);
    } finally {
      for (const key of Object.keys(local.env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});

describe('several local servers', () => {
  it('start side by side on distinct ports, with separate data, and stop cleanly', async () => {
    const servers = await Promise.all([
      startLocalDynamoDB(),
      startLocalDynamoDB({ tableName: 'other-table' }),
      startLocalDynamoDB({ createTable: false }),
    ]);
    const [first, second, third] = servers as [LocalDynamoDB, LocalDynamoDB, LocalDynamoDB];
    try {
      expect(new Set(servers.map((s) => s.port)).size).toBe(3);
      await first.client.send(
        new PutItemCommand({ TableName: 'flowguard', Item: { pk: { S: 'a' }, sk: { S: 'b' } } }),
      );

      expect((await second.client.send(new ListTablesCommand({}))).TableNames).toEqual(['other-table']);
      expect((await third.client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
      expect(second.env.FLOWGUARD_TABLE_NAME).toBe('other-table');
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }

    for (const server of servers) expect(await portAcceptsConnections(server.port)).toBe(false);
  });

  it('refuses an invalid table name before listening', async () => {
    await expect(startLocalDynamoDB({ tableName: 'x' })).rejects.toThrow(/FLOWGUARD_TABLE_NAME/);
  });
});
