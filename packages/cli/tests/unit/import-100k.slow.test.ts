import { performance } from 'node:perf_hooks';
import { DynamoScreeningStore, type ScreeningStore } from '@flowguard/caller-screening';
import { type LocalDynamoDB, startLocalDynamoDBProcess } from '@flowguard/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cli, liveKeys, NOW } from './support/cli.js';
import { csvFile, removeCsvFiles, usNumber } from './support/csv.js';

// 100,000 rows through the real store: two requests each (the conditional UpdateItem and the
// history PutItem). The server runs in a child process so the SDK client here and dynalite use
// both cores; on this project's 2-core machine the import takes about three minutes.
const ROWS = 100_000;

let server: LocalDynamoDB;
let store: ScreeningStore;

beforeAll(async () => {
  server = await startLocalDynamoDBProcess();
  store = new DynamoScreeningStore({ client: server.client, tableName: server.tableName });
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

it('imports 100,000 rows', async () => {
  const file = csvFile(['number,reason,duration', ...rows]);
  const started = performance.now();
  const r = await cli(['blocklist', 'import', file, '--json'], { store });
  const seconds = (performance.now() - started) / 1000;
  console.log(`imported ${ROWS} rows in ${seconds.toFixed(1)} s (${Math.round(ROWS / seconds)} rows/s)`);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.out)).toMatchObject({ rows: ROWS, applied: ROWS, kept: 0, failed: 0, notAttempted: 0 });
  for (const i of [0, 1, 4_999, 50_000, 77_777, ROWS - 1]) {
    expect(await store.getState(`tel:${usNumber(i)}`)).toMatchObject({
      blockedUntil: NOW + (1 + (i % 30)) * 86_400,
      blockReason: `bulk import ${i}`,
    });
  }
}, 420_000);
