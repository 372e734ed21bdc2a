import { performance } from 'node:perf_hooks';
import { DynamoScreeningStore, type ScreeningStore } from '@flowguard/caller-screening';
import {
  countRequests,
  type LocalDynamoDB,
  type RequestCounter,
  startLocalDynamoDBProcess,
} from '@flowguard/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cli, liveKeys, NOW, NOW_MS } from './support/cli.js';
import { csvFile, removeCsvFiles, usNumber } from './support/csv.js';

// 100,000 rows through the real store: a conditional UpdateItem each, their blocks read 100 to a
// BatchGetItem first and their history entries written 25 to a BatchWriteItem (about 1.05
// requests a row). The server runs in a child process so the SDK client here and dynalite use
// both cores; on this project's 2-core machine the import takes one to three minutes, depending
// on what else runs. A re-run with --from finds every block in place and writes nothing.
const ROWS = 100_000;

let server: LocalDynamoDB;
let store: ScreeningStore;
let requests: RequestCounter;

beforeAll(async () => {
  server = await startLocalDynamoDBProcess();
  store = new DynamoScreeningStore({ client: server.client, tableName: server.tableName });
  requests = countRequests(server.client);
});
afterAll(async () => {
  await server?.stop();
  removeCsvFiles();
});

const rows = Array.from({ length: ROWS }, (_, i) => `${usNumber(i)},bulk import ${i},${1 + (i % 30)}d`);

it('checks all 100,000 rows first: one bad row at the end and nothing is written', async () => {
  const file = csvFile(['number,reason,duration', ...rows, '+1 555,bad,1d']);
  const started = performance.now();
  const r = await cli(['blocklist', 'import', file], { store });
  expect(r.code).toBe(1);
  expect(r.out).toBe(`line ${ROWS + 2}: bad number: '+1 555' is not a valid phone number\n`);
  expect(await liveKeys(store)).toEqual([]);
  console.log(`checked ${ROWS + 1} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}, 60_000);

it('imports 100,000 rows, and a re-run writes nothing', async () => {
  const file = csvFile(['number,reason,duration', ...rows]);
  requests.reset();
  const started = performance.now();
  const r = await cli(['blocklist', 'import', file, '--json'], { store });
  const seconds = (performance.now() - started) / 1000;
  console.log(`imported ${ROWS} rows in ${seconds.toFixed(1)} s (${Math.round(ROWS / seconds)} rows/s)`);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.out)).toMatchObject({ rows: ROWS, applied: ROWS, kept: 0, failed: 0, notAttempted: 0 });
  expect(Object.fromEntries(requests.byOperation)).toEqual({
    BatchGetItem: ROWS / 100,
    UpdateItem: ROWS,
    BatchWriteItem: ROWS / 25,
  });
  for (const i of [0, 1, 4_999, 50_000, 77_777, ROWS - 1]) {
    expect(await store.getState(`tel:${usNumber(i)}`)).toMatchObject({
      blockedUntil: NOW + (1 + (i % 30)) * 86_400,
      blockReason: `bulk import ${i}`,
    });
  }

  requests.reset();
  const again = await cli(['blocklist', 'import', file, '--from', '2025-06-01T12:00:00Z', '--json'], {
    store,
    now: () => NOW_MS + 3600_000,
  });
  expect(JSON.parse(again.out)).toMatchObject({ rows: ROWS, applied: 0, kept: ROWS, failed: 0 });
  expect(Object.fromEntries(requests.byOperation)).toEqual({ BatchGetItem: ROWS / 100 });
}, 600_000);
