import { writeFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoScreeningStore, type ScreeningStore } from '@flowguard/caller-screening';
import { createTableRequest } from '@flowguard/table';
import { countRequests, LOCAL_CREDENTIALS, LOCAL_REGION } from '@flowguard/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, freshStore, liveKeys, localTables, NOW, NOW_MS } from './support/cli.js';
import { csvFile, removeCsvFiles, usNumber } from './support/csv.js';
import { FaultyStore } from './support/stores.js';

let store: ScreeningStore;
const local = localTables((fresh) => {
  store = fresh;
});
afterAll(() => {
  removeCsvFiles();
});

const DAY = 86_400;

function goodRows(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${usNumber(i)},bulk ${i},${1 + (i % 30)}d`);
}

describe('blocklist import: checking', () => {
  it('rejects a file with bad rows, lists them by line number, and writes nothing', async () => {
    const rows = goodRows(40);
    // Lines are 1-based and the header is line 1, so rows[i] is on line i + 2.
    rows[3] = '12345,bad number,1d'; // line 5
    rows[7] = '+14155550123,,1d'; // line 9: missing reason
    rows[10] = '+14155550124,ok,3 weeks'; // line 12
    rows[11] = `(415) 200-0000,same caller as line 2,1d`; // line 13: usNumber(0) in national format
    rows[20] = '+14155550125,fraud, reported,1d'; // line 22: unquoted comma
    rows[25] = '+14155550126,"a ""quoted"" reason, with a comma",1d'; // line 27: fine
    rows[30] = ',no number,1d'; // line 32
    rows[31] = 'anonymous,,0d'; // line 33: three problems
    const file = csvFile(['number,reason,duration', ...rows]);

    const r = await cli(['blocklist', 'import', file], { store });
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      [
        "line 5: bad number: '12345' is not a valid phone number for country US",
        'line 9: missing reason',
        "line 12: bad duration '3 weeks': a duration is <n><s|m|h|d>, e.g. 30m or 7d",
        'line 13: duplicate of line 2 (tel:+14152000000)',
        'line 22: 4 fields but the header has 3 (quote a reason that contains a comma)',
        'line 32: missing number',
        "line 33: bad number: 'anonymous' is a withheld caller ID, which has no key; missing reason; bad duration '0d': a duration must be 1s to 3650d",
        '',
      ].join('\n'),
    );
    expect(r.err).toBe('flowguard: import refused: 7 of 40 rows rejected; nothing was written\n');
    expect(await liveKeys(store)).toEqual([]);
  });

  it('reads quoted cells across lines as spreadsheets write them, and counts lines from where a row starts', async () => {
    const file = csvFile([
      'number,reason,duration',
      '+14155550123,"fraud,',
      'reported ""twice""",7d',
      '+1 555,bad,1d', // line 4
      '"+14155550124","chat',
      '',
      'spam",12h',
      '12345,"x",1d', // line 8
    ]);

    const r = await cli(['blocklist', 'import', file], { store });

    expect(r.out).toBe(
      [
        "line 4: bad number: '+1 555' is not a valid phone number",
        "line 8: bad number: '12345' is not a valid phone number for country US",
        '',
      ].join('\n'),
    );
    expect(r.err).toBe('flowguard: import refused: 2 of 4 rows rejected; nothing was written\n');
  });

  it('writes a multi-line reason on one line', async () => {
    const file = csvFile(['number,reason,duration', '+14155550123,"fraud,', ' reported ""twice""\r', '",7d']);

    const r = await cli(['blocklist', 'import', file], { store });

    expect(r.code).toBe(0);
    expect(await store.getState('tel:+14155550123')).toMatchObject({
      blockReason: 'fraud, reported "twice"',
    });
  });

  it.each([
    ['+14155550126,"unterminated,1d', 'line 3: unterminated quoted field'],
    ['+14155550126,"closed"then,1d', 'line 3: text after a closing quote'],
    ['+14155550126,a "quote",1d', 'line 3: a quote inside an unquoted field'],
  ])('stops checking at text that is not CSV: %j', async (bad, message) => {
    const file = csvFile(['number,reason,duration', '+14155550123,ok,1d', bad, '+1 555,never read,1d']);

    const r = await cli(['blocklist', 'import', file], { store });

    expect(r.out).toBe(`${message}\n`);
    expect(r.err).toBe('flowguard: import refused: 1 of 2 rows rejected; nothing was written\n');
    expect(await liveKeys(store)).toEqual([]);
  });

  it('reports rejections as JSON with --json', async () => {
    const file = csvFile(['number,reason,duration', '+14155550123,ok,1d', '+1 555,bad,1d']);
    const r = await cli(['blocklist', 'import', file, '--json'], { store });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual({
      file,
      rows: 2,
      written: 0,
      rejected: [{ line: 3, number: '+1 555', problem: "bad number: '+1 555' is not a valid phone number" }],
    });
    expect(await liveKeys(store)).toEqual([]);
  });

  it.each([
    [[], 'line 1: the file is empty: the first line must name the columns: number,reason[,duration][,by]'],
    [
      ['+14155550123,fraud,1d'],
      "line 1: the first line must name the columns: number,reason[,duration][,by] (unknown column '+14155550123')",
    ],
    [
      ['number,duration', '+14155550123,1d'],
      'line 1: the first line must name the columns: number,reason[,duration][,by] (no reason column)',
    ],
    [
      ['number,reason,reasn'],
      "line 1: the first line must name the columns: number,reason[,duration][,by] (unknown column 'reasn')",
    ],
  ])('rejects a file without a usable header: %j', async (lines, message) => {
    const r = await cli(['blocklist', 'import', csvFile(lines)], { store });
    expect(r.code).toBe(1);
    expect(r.out).toBe(`${message}\n`);
    expect(r.err).toMatch(/^flowguard: import refused: .*; nothing was written\n$/);
  });

  it('fails with one line on a missing file or a directory', async () => {
    const missing = await cli(['blocklist', 'import', '/nonexistent/blocks.csv'], { store });
    expect(missing).toEqual({
      code: 1,
      out: '',
      err: "flowguard: cannot read '/nonexistent/blocks.csv': no such file\n",
    });
    const dir = await cli(['blocklist', 'import', '/tmp'], { store });
    expect(dir).toEqual({ code: 1, out: '', err: "flowguard: cannot read '/tmp': it is a directory\n" });
  });

  it('checks without writing on --dry-run', async () => {
    const r = await cli(
      ['blocklist', 'import', csvFile(['number,reason,duration', ...goodRows(5)]), '--dry-run'],
      {
        store,
      },
    );
    expect(r).toEqual({ code: 0, out: 'dry run: all 5 rows are valid; nothing was written\n', err: '' });
    expect(await liveKeys(store)).toEqual([]);
  });

  it.each([
    [['--concurrency', '0'], "flowguard: --concurrency must be a whole number from 1 to 256, not '0'"],
    [['--concurrency', 'many'], "flowguard: --concurrency must be a whole number from 1 to 256, not 'many'"],
    [['--from', 'yesterday'], 'flowguard: --from must be an ISO time such as 2025-01-31T09:00:00Z'],
    [['--from', '2030-01-01T00:00:00Z'], 'flowguard: --from cannot be in the future'],
    [
      ['--duration', 'forever'],
      "flowguard: --duration 'forever': a duration is <n><s|m|h|d>, e.g. 30m or 7d",
    ],
  ])('refuses options %j with exit 2', async (args, message) => {
    const r = await cli(['blocklist', 'import', csvFile(['number,reason', '+14155550123,x']), ...args], {
      store,
    });
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(message);
  });
});

describe('blocklist import: writing', () => {
  it('applies a good file: quoting, by column, default duration, CRLF, BOM, blank lines', async () => {
    const path = csvFile([]);
    const text = [
      '\uFEFFNumber, Reason ,Duration,By',
      '(415) 555-0123,"fraud, reported ""twice""",7d,alice',
      '',
      'ip:203.0.113.7,chat spam,,',
      'email:Mallory@Example.com,phishing,12h,bob',
      'cust:C-1,chargebacks,90d,',
    ].join('\r\n');
    writeFileSync(path, `${text}\r\n`);
    const r = await cli(['blocklist', 'import', path, '--by', 'fraud-team', '--duration', '2d'], { store });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^applied 4, kept 0, failed 0 of 4 rows in \d+\.\d s\n/);
    expect(r.out).toContain(
      'durations counted from 2025-06-01T12:00:00Z (to re-run without lengthening blocks: --from 2025-06-01T12:00:00Z)\n',
    );
    expect(await store.getState('tel:+14155550123')).toMatchObject({
      blockedUntil: NOW + 7 * DAY,
      blockReason: 'fraud, reported "twice"',
      blockedBy: 'alice',
    });
    expect(await store.getState('ip:203.0.113.7')).toMatchObject({
      blockedUntil: NOW + 2 * DAY,
      blockedBy: 'fraud-team',
    });
    expect(await store.getState('email:mallory@example.com')).toMatchObject({
      blockedUntil: NOW + 12 * 3600,
    });
    expect(await store.getState('cust:C-1')).toMatchObject({
      blockedUntil: NOW + 90 * DAY,
      blockedBy: 'fraud-team',
    });
    expect((await store.history('tel:+14155550123')).map((h) => h.action)).toEqual(['block']);
  });

  it('is idempotent: a re-run keeps every row; --from keeps them at a later time too', async () => {
    const file = csvFile(['number,reason,duration', ...goodRows(200)]);
    const first = await cli(['blocklist', 'import', file, '--json'], { store });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({
      rows: 200,
      applied: 200,
      kept: 0,
      failed: 0,
      from: '2025-06-01T12:00:00Z',
    });

    const again = await cli(['blocklist', 'import', file, '--json'], { store });
    expect(JSON.parse(again.out)).toMatchObject({ applied: 0, kept: 200, failed: 0 });

    // An hour later durations would count from then (every block a little longer) ...
    const later = () => NOW_MS + 3600_000;
    const resumed = await cli(['blocklist', 'import', file, '--from', '2025-06-01T12:00:00Z', '--json'], {
      store,
      now: later,
    });
    // ... unless they count from the first run's time.
    expect(JSON.parse(resumed.out)).toMatchObject({ applied: 0, kept: 200, ended: 0, failed: 0 });
    expect(await store.history(`tel:${usNumber(0)}`)).toHaveLength(1);

    const extended = await cli(['blocklist', 'import', file, '--json'], { store, now: later });
    expect(JSON.parse(extended.out)).toMatchObject({ applied: 200, kept: 0 });
    expect((await store.getState(`tel:${usNumber(0)}`))?.blockedUntil).toBe(NOW + 3600 + DAY);
  });

  it('with --from, skips rows whose block would already have ended', async () => {
    const file = csvFile(['number,reason,duration', `${usNumber(1)},short,1h`, `${usNumber(2)},long,2d`]);
    const r = await cli(['blocklist', 'import', file, '--from', '2025-06-01T10:00:00Z', '--json'], { store });
    expect(JSON.parse(r.out)).toMatchObject({
      applied: 1,
      kept: 0,
      ended: 1,
      failed: 0,
      from: '2025-06-01T10:00:00Z',
    });
    expect(await liveKeys(store)).toEqual([`tel:${usNumber(2)}`]);
    expect((await store.getState(`tel:${usNumber(2)}`))?.blockedUntil).toBe(NOW - 7200 + 2 * DAY);
  });

  it('never shortens a longer block that is already there', async () => {
    await cli(['blocklist', 'add', usNumber(0), '--reason', 'long', '--duration', '365d'], { store });
    const r = await cli(
      ['blocklist', 'import', csvFile(['number,reason,duration', ...goodRows(3)]), '--json'],
      { store },
    );
    expect(JSON.parse(r.out)).toMatchObject({ applied: 2, kept: 1 });
    expect(await store.getState(`tel:${usNumber(0)}`)).toMatchObject({
      blockedUntil: NOW + 365 * DAY,
      blockReason: 'long',
    });
  });

  it('retries a row while the store is unavailable, with growing backoff', async () => {
    const faulty = new FaultyStore(store, (key, call) => (key.endsWith('0') && call <= 3 ? 'before' : null));
    const sleeps: number[] = [];
    const file = csvFile(['number,reason,duration', ...goodRows(20)]);
    const r = await cli(['blocklist', 'import', file, '--json', '--concurrency', '1'], {
      store: faulty,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ applied: 20, kept: 0, failed: 0, warnings: [] });
    // Two rows (…0 and …10) failed three times each, retried together: 100-200, 200-400, 400-800 ms.
    expect(faulty.calls.get(`tel:${usNumber(10)}`)).toBe(4);
    expect(sleeps).toHaveLength(3);
    for (const [i, ms] of sleeps.entries()) {
      const base = 200 * 2 ** i;
      expect(ms).toBeGreaterThanOrEqual(base / 2);
      expect(ms).toBeLessThanOrEqual(base);
    }
    expect(await liveKeys(store)).toHaveLength(20);
  });

  it('counts a row whose write landed before the failure as applied, with a warning', async () => {
    const faulty = new FaultyStore(store, (key, call) =>
      key === `tel:${usNumber(1)}` && call === 1 ? 'after' : null,
    );
    const r = await cli(
      ['blocklist', 'import', csvFile(['number,reason,duration', ...goodRows(3)]), '--json'],
      {
        store: faulty,
      },
    );
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary).toMatchObject({ applied: 3, kept: 0, failed: 0 });
    expect(summary.warnings).toEqual([
      {
        line: 3,
        key: `tel:${usNumber(1)}`,
        problem: 'applied, but its history entry may be missing (the store failed after the write)',
      },
    ]);
  });

  it('reports rows that still fail after every attempt, and exits 1', async () => {
    const faulty = new FaultyStore(store, (key) => (key === `tel:${usNumber(2)}` ? 'before' : null));
    const r = await cli(['blocklist', 'import', csvFile(['number,reason,duration', ...goodRows(5)])], {
      store: faulty,
    });
    expect(r.code).toBe(1);
    expect(faulty.calls.get(`tel:${usNumber(2)}`)).toBe(5);
    expect(r.out).toMatch(/^applied 4, kept 0, failed 1 of 5 rows in /);
    expect(r.out).toContain(
      `line 4: tel:${usNumber(2)}: failed: store unavailable: store block failed: no answer in time from DynamoDB (5 attempts)\n`,
    );
    expect(r.err.split('\n').at(-2)).toBe('flowguard: 1 rows failed; re-run the import to retry them');
    // The re-run finishes the job: the others are kept.
    const again = await cli(
      ['blocklist', 'import', csvFile(['number,reason,duration', ...goodRows(5)]), '--json'],
      { store },
    );
    expect(JSON.parse(again.out)).toMatchObject({ applied: 1, kept: 4 });
  });

  it('stops at once when the table does not exist', async () => {
    const missing = new DynamoScreeningStore({ client: local.client, tableName: 'no-such-table' });
    const sleeps: number[] = [];
    const r = await cli(['blocklist', 'import', csvFile(['number,reason,duration', ...goodRows(50)])], {
      store: missing,
      env: { FLOWGUARD_TABLE_NAME: 'no-such-table' },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(r.code).toBe(1);
    expect(sleeps).toEqual([]);
    expect(r.err.split('\n').at(-2)).toBe(
      "flowguard: import stopped: store unavailable: store read failed: table 'no-such-table' not found (FLOWGUARD_TABLE_NAME, AWS_REGION); re-run it to finish (rows already written are kept)",
    );
    expect(r.out).toMatch(/^applied 0, kept 0, failed 0, not attempted 50 of 50 rows/);
  });

  it('prints a plain progress line at most every 5% when stderr is not a terminal', async () => {
    const r = await cli(['blocklist', 'import', csvFile(['number,reason,duration', ...goodRows(300)])], {
      store,
    });
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toMatch(/^checked 300 rows in \d+\.\d s; writing with concurrency 16$/);
    const progress = lines.slice(1);
    expect(progress).toHaveLength(20);
    expect(progress[0]).toBe('import: 5% (15/300) applied 15, kept 0, failed 0');
    expect(progress.at(-1)).toBe('import: 100% (300/300) applied 300, kept 0, failed 0');
  });

  it('draws a progress bar when stderr is a terminal', async () => {
    const r = await cli(['blocklist', 'import', csvFile(['number,reason,duration', ...goodRows(50)])], {
      store,
      stderrIsTTY: true,
    });
    expect(r.err).toContain('\r[##############################] 100% 50/50 applied 50, kept 0, failed 0');
    expect(r.err.endsWith('\n')).toBe(true);
    expect(r.err).not.toContain('import: ');
  });
});

/** A client of its own (for middleware) and a store on a new table through it. */
async function ownStore(options: { sleep?: (ms: number) => Promise<void> } = {}) {
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const tableName = `import-${process.pid}-${++ownTables}`;
  await client.send(new CreateTableCommand(createTableRequest(tableName)));
  return { client, tableName, store: new DynamoScreeningStore({ client, tableName, ...options }) };
}
let ownTables = 0;

type Requests = Record<string, unknown>[];
type Next = (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>;

/**
 * DynamoDB's answer to throttling at the client's edge: each BatchWriteItem writes only the first
 * `limit(call)` of its items and returns the rest as UnprocessedItems (each BatchGetItem reads the
 * first `limit(call)` of its keys, the rest in UnprocessedKeys).
 */
function throttle(
  client: DynamoDBClient,
  command: 'BatchWriteItem' | 'BatchGetItem',
  limit: (call: number) => number,
) {
  let calls = 0;
  const items = (table: Record<string, unknown>) =>
    command === 'BatchWriteItem'
      ? (table as unknown as Requests)
      : ((table as { Keys: Requests }).Keys ?? []);
  const withItems = (table: Record<string, unknown>, list: Requests) =>
    command === 'BatchWriteItem' ? list : { ...table, Keys: list };
  const leftover = command === 'BatchWriteItem' ? 'UnprocessedItems' : 'UnprocessedKeys';
  client.middlewareStack.add(
    ((next: Next, context: { commandName?: string }) => async (args: { input: Record<string, unknown> }) => {
      if (context.commandName !== `${command}Command`) return next(args);
      const [[name, table]] = Object.entries(
        args.input.RequestItems as Record<string, Record<string, unknown>>,
      ) as [[string, Record<string, unknown>]];
      const all = items(table);
      const n = limit(++calls);
      const sent = all.slice(0, n);
      const left = all.slice(n);
      const unprocessed = left.length > 0 ? { [name]: withItems(table, left) } : {};
      // DynamoDB refuses an empty request: a fully throttled one is answered here.
      if (sent.length === 0) return { output: { [leftover]: unprocessed, $metadata: {} }, response: {} };
      const result = await next({
        ...args,
        input: { ...args.input, RequestItems: { [name]: withItems(table, sent) } },
      });
      result.output[leftover] = unprocessed;
      return result;
    }) as never,
    { step: 'initialize', name: `throttle${command}` },
  );
}

describe('blocklist import: batched writes', () => {
  it('writes each row with one conditional request and the history 25 entries a request; a re-run writes nothing', async () => {
    const { client, store: counted } = await ownStore();
    const requests = countRequests(client);
    const file = csvFile(['number,reason,duration', ...goodRows(60)]);
    const r = await cli(['blocklist', 'import', file, '--json'], { store: counted });
    expect(JSON.parse(r.out)).toMatchObject({ applied: 60, kept: 0, failed: 0 });
    expect(Object.fromEntries(requests.byOperation)).toEqual({
      BatchGetItem: 1,
      UpdateItem: 60,
      BatchWriteItem: 3,
    });
    for (const i of [0, 24, 25, 59]) {
      expect(await counted.history(`tel:${usNumber(i)}`)).toMatchObject([
        { action: 'block', at: NOW, by: 'cli', reason: `bulk ${i}`, until: NOW + (1 + (i % 30)) * DAY },
      ]);
    }

    // A re-run an hour later, durations from the first run's time: read, nothing written.
    requests.reset();
    const again = await cli(['blocklist', 'import', file, '--from', '2025-06-01T12:00:00Z', '--json'], {
      store: counted,
      now: () => NOW_MS + 3600_000,
    });
    expect(JSON.parse(again.out)).toMatchObject({ applied: 0, kept: 60, failed: 0 });
    expect(Object.fromEntries(requests.byOperation)).toEqual({ BatchGetItem: 1 });
    client.destroy();
  });

  it('writes every history entry and reads every key when DynamoDB leaves some unprocessed', async () => {
    const waits: number[] = [];
    const { client, store: throttled } = await ownStore({
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    throttle(client, 'BatchWriteItem', () => 4);
    throttle(client, 'BatchGetItem', () => 30);
    const r = await cli(
      ['blocklist', 'import', csvFile(['number,reason,duration', ...goodRows(120)]), '--json'],
      {
        store: throttled,
      },
    );
    expect(JSON.parse(r.out)).toMatchObject({ applied: 120, kept: 0, failed: 0, warnings: [] });
    for (let i = 0; i < 120; i++) expect(await throttled.history(`tel:${usNumber(i)}`)).toHaveLength(1);
    // Each attempt after the first waits: full jitter, at most 50 ms doubling to 2 s.
    expect(waits.length).toBeGreaterThan(0);
    for (const ms of waits) expect(ms).toBeLessThanOrEqual(2000);
    // The keys read in pieces still found every block: a re-run keeps them all.
    const again = await cli(
      [
        'blocklist',
        'import',
        csvFile(['number,reason,duration', ...goodRows(120)]),
        '--from',
        '2025-06-01T12:00:00Z',
        '--json',
      ],
      { store: throttled, now: () => NOW_MS + 60_000 },
    );
    expect(JSON.parse(again.out)).toMatchObject({ applied: 0, kept: 120 });
    client.destroy();
  });

  it('fails rows whose history stays unprocessed past the bound; their retry writes it once', async () => {
    const waits: number[] = [];
    const { client, store: throttled } = await ownStore({
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    // Eight attempts (the bound) write nothing; DynamoDB takes the ninth.
    throttle(client, 'BatchWriteItem', (call) => (call <= 8 ? 0 : 25));
    const sleeps: number[] = [];
    const r = await cli(
      ['blocklist', 'import', csvFile(['number,reason,duration', ...goodRows(10)]), '--json'],
      {
        store: throttled,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ applied: 10, kept: 0, failed: 0, warnings: [] });
    expect(waits).toHaveLength(7);
    expect(sleeps).toHaveLength(1);
    for (let i = 0; i < 10; i++) {
      expect(await throttled.history(`tel:${usNumber(i)}`)).toMatchObject([
        { action: 'block', reason: `bulk ${i}` },
      ]);
    }
    client.destroy();
  });

  it('reports rows whose history is never written as failed, and a re-run at the same time writes it', async () => {
    const { client, tableName, store: throttled } = await ownStore({ sleep: async () => {} });
    throttle(client, 'BatchWriteItem', () => 0);
    const file = csvFile(['number,reason,duration', ...goodRows(3)]);
    const r = await cli(['blocklist', 'import', file, '--json'], { store: throttled });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ applied: 0, kept: 0, failed: 3 });
    expect(JSON.parse(r.out).failures[0].problem).toBe(
      'store unavailable: store history (3 entries unprocessed after 8 attempts) failed (5 attempts)',
    );
    // The blocks are written, their entries are not: a re-run (the same --from) finishes them.
    const fixed = new DynamoScreeningStore({ client: local.client, tableName });
    const again = await cli(['blocklist', 'import', file, '--json'], { store: fixed });
    expect(JSON.parse(again.out)).toMatchObject({ applied: 3, kept: 0, failed: 0 });
    for (let i = 0; i < 3; i++) expect(await fixed.history(`tel:${usNumber(i)}`)).toHaveLength(1);
    client.destroy();
  });

  it('never shortens a block written between its read and its write', async () => {
    const { client, store: raced } = await ownStore();
    // An admin blocks one of the callers for a year just after the import has read it.
    let raced1 = false;
    client.middlewareStack.add(
      ((next: Next, context: { commandName?: string }) =>
        async (args: { input: Record<string, unknown> }) => {
          const result = await next(args);
          if (context.commandName === 'BatchGetItemCommand' && !raced1) {
            raced1 = true;
            await cli(
              ['blocklist', 'add', usNumber(1), '--reason', 'long', '--duration', '365d', '--by', 'admin'],
              {
                store: raced,
              },
            );
          }
          return result;
        }) as never,
      { step: 'initialize', name: 'race' },
    );
    const r = await cli(
      ['blocklist', 'import', csvFile(['number,reason,duration', ...goodRows(3)]), '--json'],
      {
        store: raced,
      },
    );
    expect(JSON.parse(r.out)).toMatchObject({ applied: 2, kept: 1, failed: 0 });
    expect(await raced.getState(`tel:${usNumber(1)}`)).toMatchObject({
      blockedUntil: NOW + 365 * DAY,
      blockReason: 'long',
      blockedBy: 'admin',
    });
    expect((await raced.history(`tel:${usNumber(1)}`)).map((h) => h.by)).toEqual(['admin']);
    client.destroy();
  });

  it('keeps at most --concurrency conditional writes in flight, and a few history writes', async () => {
    const { client, store: watched } = await ownStore();
    const inFlight = new Map<string, number>();
    const most = new Map<string, number>();
    client.middlewareStack.add(
      ((next: Next, context: { commandName?: string }) =>
        async (args: { input: Record<string, unknown> }) => {
          const name = String(context.commandName);
          inFlight.set(name, (inFlight.get(name) ?? 0) + 1);
          most.set(name, Math.max(most.get(name) ?? 0, inFlight.get(name) ?? 0));
          try {
            // Slow history writes, as when DynamoDB is throttling them: they must not pile up.
            if (name === 'BatchWriteItemCommand') await new Promise((resolve) => setTimeout(resolve, 500));
            return await next(args);
          } finally {
            inFlight.set(name, (inFlight.get(name) ?? 0) - 1);
          }
        }) as never,
      { step: 'initialize', name: 'inFlight' },
    );
    const r = await cli(
      [
        'blocklist',
        'import',
        csvFile(['number,reason,duration', ...goodRows(150)]),
        '--concurrency',
        '25',
        '--json',
      ],
      { store: watched },
    );
    expect(JSON.parse(r.out)).toMatchObject({ applied: 150 });
    expect(most.get('UpdateItemCommand')).toBe(25);
    // One 25-entry batch a conditional write in flight keeps up with, and one more.
    expect(most.get('BatchWriteItemCommand')).toBeLessThanOrEqual(2);
    for (const i of [0, 99, 149]) expect(await watched.history(`tel:${usNumber(i)}`)).toHaveLength(1);
    client.destroy();
  });
});

describe('blocklist export', () => {
  it('writes live blocks as CSV that imports back to the same blocks', async () => {
    const add = (input: string, reason: string, duration: string, by = 'alice') =>
      cli(['blocklist', 'add', input, '--reason', reason, '--duration', duration, '--by', by], { store });
    await add('(415) 555-0123', 'fraud, "reported"', '7d');
    await add('+44 20 7946 0000', 'abuse', '90m', 'bob');
    await add('ip:2001:db8::1', 'spam', '400d');
    await add('tel:+123', 'auto', '1d', 'auto');
    await add('cust:C,1', 'chargebacks', '1h');
    await add('+14155550188', 'ended', '1s');

    const exportedAt = () => NOW_MS + 30_000;
    const r = await cli(['blocklist', 'export'], { store, now: exportedAt });
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'number,reason,duration,until,by',
        '"cust:C,1",chargebacks,3570s,2025-06-01T13:00:00Z,alice',
        'ip:2001:db8:0:0::/64,spam,576000m,2026-07-06T12:00:00Z,alice',
        'tel:+123,auto,86370s,2025-06-02T12:00:00Z,auto',
        '+14155550123,"fraud, ""reported""",604770s,2025-06-08T12:00:00Z,alice',
        '+442079460000,abuse,5370s,2025-06-01T13:30:00Z,bob',
        '',
      ].join('\n'),
    );

    const json = await cli(['blocklist', 'export', '--json'], { store, now: exportedAt });
    expect(JSON.parse(json.out)[0]).toEqual({
      number: 'cust:C,1',
      reason: 'chargebacks',
      duration: '3570s',
      until: '2025-06-01T13:00:00Z',
      by: 'alice',
    });

    // Import the export into another table at the time of the export: the same blocks (the
    // 400-day one rounded up to the minute, never shorter).
    const copy = await freshStore(local.client);
    const file = csvFile(r.out.trimEnd().split('\n'));
    const imported = await cli(['blocklist', 'import', file, '--country', 'GB', '--json'], {
      store: copy,
      now: exportedAt,
    });
    expect(JSON.parse(imported.out)).toMatchObject({ rows: 5, applied: 5, failed: 0 });
    const blocks = async (s: ScreeningStore) => {
      const out: Record<string, unknown> = {};
      for await (const b of s.listBlocked(NOW + 30))
        out[b.key] = [b.blockedUntil, b.blockReason, b.blockedBy];
      return out;
    };
    const original = await blocks(store);
    const copied = await blocks(copy);
    expect(Object.keys(copied).sort()).toEqual(Object.keys(original).sort());
    expect(copied['ip:2001:db8:0:0::/64']).toEqual([NOW + 400 * DAY + 30, 'spam', 'alice']);
    expect({ ...copied, 'ip:2001:db8:0:0::/64': null }).toEqual({
      ...original,
      'ip:2001:db8:0:0::/64': null,
    });

    // And into the same table: nothing changes.
    const same = await cli(['blocklist', 'import', file, '--json'], { store, now: exportedAt });
    expect(JSON.parse(same.out)).toMatchObject({ applied: 1, kept: 4 });
  });
});
