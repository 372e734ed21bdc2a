import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoScreeningStore, type ScreeningStore } from '@flowguard/caller-screening';
import { createTableRequest } from '@flowguard/table';
import { type LocalDynamoDB, startLocalDynamoDB } from '@flowguard/testing';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type Io, run } from '../../../src/index.js';

/** A fixed "now" for every test that depends on time. */
export const NOW_MS = Date.parse('2025-06-01T12:00:00Z');
export const NOW = NOW_MS / 1000;

export interface Result {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs one command line in-process with captured output. */
export async function cli(argv: readonly string[], io: Partial<Io> = {}): Promise<Result> {
  let out = '';
  let err = '';
  const code = await run(argv, {
    env: {},
    now: () => NOW_MS,
    sleep: async () => {},
    ...io,
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

let tables = 0;

/** A store on a new, empty table on the given server: tests do not see each other's rows. */
export async function freshStore(client: DynamoDBClient): Promise<ScreeningStore> {
  const tableName = `cli-${process.pid}-${++tables}`;
  await client.send(new CreateTableCommand(createTableRequest(tableName)));
  return new DynamoScreeningStore({ client, tableName });
}

export async function liveKeys(store: ScreeningStore, nowSeconds = NOW): Promise<string[]> {
  const keys: string[] = [];
  for await (const state of store.listBlocked(nowSeconds)) keys.push(state.key);
  return keys.sort();
}

/**
 * One dynalite for the test file (started before its tests, stopped after them) and a new, empty
 * table before each test, handed to `onTable`. The server is read through the answer
 * (`local.client`, `local.endpoint`) once the file's tests run.
 */
export function localTables(
  onTable: (store: ScreeningStore) => void,
): Pick<LocalDynamoDB, 'client' | 'endpoint'> {
  let local: LocalDynamoDB | undefined;
  const server = () => {
    if (!local) throw new Error('the local DynamoDB is not started yet (read it inside a test or hook)');
    return local;
  };
  beforeAll(async () => {
    local = await startLocalDynamoDB();
  });
  afterAll(async () => {
    await local?.stop();
  });
  beforeEach(async () => {
    onTable(await freshStore(server().client));
  });
  return {
    get client() {
      return server().client;
    },
    get endpoint() {
      return server().endpoint;
    },
  };
}
