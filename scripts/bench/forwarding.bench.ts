// Forwarding benchmarks (`pnpm bench`): a 500-record batch through a 10-policy document
// (decode, check, match, minimise, hash, serialise) next to a floor of decoding and JSON-parsing
// the same batch in the same run; the heap over 100 batches; and the cold-import cost of checking
// the policy with ajv compiled at load against the standalone validator generated at build time.
//
// @flowguard/forwarding is read from its sources by path: scripts/package.json does not list it yet.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  type CompiledPolicies,
  compilePolicies,
  decodeContactRecord,
  minimiseBatch,
  validatePolicyDocument,
} from '@flowguard/forwarding';
import { type FingerprintKeys, fingerprintKeysOf } from '@flowguard/secure-input';
import { build } from 'esbuild';
import { printAndReport } from '../lib/bench-rows.js';
import { coldImports } from '../lib/cold-import.js';

const FORWARDING = fileURLToPath(new URL('../../packages/forwarding/', import.meta.url));
const DIST = join(import.meta.dirname, 'dist', 'forwarding');
const BATCH = 500;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const rows: string[][] = [];
let failed = false;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const QUEUES = ['Cards', 'Cards Chat', 'Mortgages', 'Loans', 'Savings', 'Fraud', 'Collections', 'Business'];
const UNITS = ['cards', 'mortgages', 'loans', 'savings', 'business'];

/** A contact record shaped like the documented sample, varied by `i`. */
function contactRecord(i: number): Record<string, unknown> {
  const queue = QUEUES[i % QUEUES.length] ?? 'Cards';
  return {
    AWSAccountId: '123456789012',
    AWSContactTraceRecordFormatVersion: '2017-03-10',
    Agent: {
      ARN: `arn:aws:connect:us-east-1:123456789012:instance/aaaaaaaa-bbbb-cccc-dddd-111111111111/agent/${i % 40}`,
      AfterContactWorkDuration: 60 + (i % 200),
      AgentInteractionDuration: 120 + (i % 600),
      ConnectedToAgentTimestamp: '2026-01-15T09:09:22Z',
      HierarchyGroups: {
        Level1: {
          ARN: 'arn:aws:connect:us-east-1:123456789012:instance/x/agent-group/l1',
          GroupName: 'Retail Banking',
        },
        Level2: {
          ARN: `arn:aws:connect:us-east-1:123456789012:instance/x/agent-group/${queue}`,
          GroupName: queue,
        },
      },
      RoutingProfile: {
        ARN: `arn:aws:connect:us-east-1:123456789012:instance/x/routing-profile/${i % 5}`,
        Name: `${queue} Agents`,
      },
      Username: `agent${i % 40}`,
    },
    AgentConnectionAttempts: 1,
    Attributes: {
      businessUnit: UNITS[i % UNITS.length] ?? 'cards',
      customerId: `C-${String(100000 + i).padStart(9, '0')}`,
      accountNumber: `${10000000000000 + i}`,
      dateOfBirth: '1980-02-29',
      greetingPlayed: 'true',
    },
    Channel: i % 3 === 0 ? 'CHAT' : 'VOICE',
    ContactId: `5ca32fbd-8f92-46af-92a5-${String(i).padStart(12, '0')}`,
    CustomerEndpoint:
      i % 3 === 0
        ? null
        : { Address: `+1415555${String(i % 10000).padStart(4, '0')}`, Type: 'TELEPHONE_NUMBER' },
    DisconnectTimestamp: '2026-01-15T09:09:51Z',
    InitialContactId: null,
    InitiationMethod: 'INBOUND',
    InitiationTimestamp: '2026-01-15T09:08:52Z',
    InstanceARN: 'arn:aws:connect:us-east-1:123456789012:instance/aaaaaaaa-bbbb-cccc-dddd-111111111111',
    LastUpdateTimestamp: '2026-01-15T09:15:42Z',
    MediaStreams: [{ Type: i % 3 === 0 ? 'CHAT' : 'AUDIO' }],
    Queue: {
      ARN: `arn:aws:connect:us-east-1:123456789012:instance/x/queue/${queue}`,
      DequeueTimestamp: '2026-01-15T09:09:22Z',
      Duration: 21,
      EnqueueTimestamp: '2026-01-15T09:09:01Z',
      Name: queue,
    },
    Recordings: [
      {
        Location: `amazon-connect-recordings/connect/x/CallRecordings/2026/01/15/${i}.wav`,
        MediaStreamType: 'AUDIO',
        Status: 'AVAILABLE',
        StorageType: 'S3',
      },
    ],
    SystemEndpoint: { Address: '+18005550100', Type: 'TELEPHONE_NUMBER' },
  };
}

/** Ten policies, one per kind of match and of output, three of them hashing. */
function tenPolicies(): CompiledPolicies {
  const kinesis = (stream: string) => ({ type: 'kinesis', stream });
  const fields = [
    'Queue.Name',
    'Agent.RoutingProfile.Name',
    'InitiationTimestamp',
    'DisconnectTimestamp',
    'Channel',
  ];
  const document = validatePolicyDocument({
    version: 1,
    policies: [
      {
        name: 'cards',
        match: { attributes: { businessUnit: ['cards'] } },
        fields,
        attributes: ['businessUnit'],
        hash: ['customerId'],
        destination: kinesis('a'),
      },
      {
        name: 'mortgages',
        match: { queues: ['Mortgages'] },
        fields,
        hash: ['customerId'],
        destination: kinesis('b'),
      },
      {
        name: 'chat',
        match: { channels: ['CHAT'] },
        fields: ['Channel', 'Queue.Name'],
        mask: ['accountNumber'],
        destination: kinesis('c'),
      },
      {
        name: 'retail',
        match: { hierarchyGroups: ['Retail Banking'] },
        fields: ['ContactId', 'Agent.HierarchyGroups'],
        destination: kinesis('d'),
      },
      {
        name: 'fraud',
        match: { queues: ['Fraud'], channels: ['VOICE'] },
        fields,
        hash: ['customerId', 'accountNumber'],
        destination: kinesis('e'),
      },
      {
        name: 'loans',
        match: { routingProfiles: ['Loans Agents'] },
        fields: ['Queue', 'Agent.Username'],
        destination: kinesis('f'),
      },
      {
        name: 'savings',
        match: { attributes: { businessUnit: ['savings'], greetingPlayed: ['true'] } },
        fields,
        destination: kinesis('g'),
      },
      {
        name: 'recordings',
        match: { queues: ['Cards', 'Cards Chat'] },
        fields: ['Recordings.Location', 'Recordings.MediaStreamType'],
        destination: kinesis('h'),
      },
      {
        name: 'business',
        match: { queues: ['Business', 'Collections'] },
        fields,
        attributes: ['businessUnit', 'greetingPlayed'],
        destination: kinesis('i'),
      },
      { name: 'none', match: { queues: ['No Such Queue'] }, fields, destination: kinesis('j') },
    ],
  });
  return compilePolicies(document);
}

const batch = Array.from({ length: BATCH }, (_, i) =>
  Buffer.from(JSON.stringify(contactRecord(i))).toString('base64'),
);
const policies = tenPolicies();
const keys: FingerprintKeys = fingerprintKeysOf({ key: Buffer.alloc(32, 7).toString('base64') });

/** The floor: what any consumer of the stream must do, decode and parse each record. */
function parseOnly(): number {
  let n = 0;
  for (const data of batch) n += (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as object) ? 1 : 0;
  return n;
}

/** The forwarding work for one batch: decode and check each record, then every policy. */
function forwardBatch(): number {
  const records = batch.map((data) => decodeContactRecord(data));
  return minimiseBatch(records, policies, { keys }).reduce((sum, b) => sum + b.entries.length, 0);
}

function timeBatches(run: () => number, batches: number): number {
  const samples: number[] = [];
  let sink = 0;
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    sink += run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  if (sink === 0) throw new Error('nothing processed');
  return median(samples);
}

function throughput(): void {
  for (let i = 0; i < 20; i++) {
    parseOnly();
    forwardBatch();
  }
  const floorMs = timeBatches(parseOnly, 60);
  const forwardMs = timeBatches(forwardBatch, 60);
  const entries = forwardBatch();
  const ratio = forwardMs / floorMs;
  const ok = ratio <= 4;
  if (!ok) failed = true;
  rows.push([
    `decode + JSON.parse, ${BATCH}-record batch (floor), records/s`,
    Math.round((BATCH / floorMs) * 1000).toLocaleString('en-US'),
    '',
    `${floorMs.toFixed(2)} ms a batch`,
    '',
  ]);
  rows.push([
    `forward: decode, check, 10 policies, minimise, hash, serialise (${entries} records out), records/s`,
    Math.round((BATCH / forwardMs) * 1000).toLocaleString('en-US'),
    '<= 4x floor',
    `${forwardMs.toFixed(2)} ms a batch, ${ratio.toFixed(2)}x floor`,
    ok ? 'ok' : 'MISSED',
  ]);
}

/** heapUsed after a full GC at batch 10 and at batch 100: the work keeps nothing between batches. */
function memory(): void {
  const heapAt = new Map<number, number>();
  for (let b = 1; b <= 100; b++) {
    forwardBatch();
    if (b === 10 || b === 100) {
      gc();
      gc();
      heapAt.set(b, process.memoryUsage().heapUsed);
    }
  }
  const at10 = heapAt.get(10) ?? 0;
  const at100 = heapAt.get(100) ?? 0;
  const growth = at100 - at10;
  const ok = growth < 1024 * 1024;
  if (!ok) failed = true;
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
  rows.push([
    'heap after GC at batch 10 / 100, MB',
    `${mb(at10)} / ${mb(at100)}`,
    '< 1 MB growth',
    `${growth >= 0 ? '+' : ''}${(growth / 1024).toFixed(0)} KB`,
    ok ? 'ok' : 'MISSED',
  ]);
}

/** Cold import of the policy check: ajv compiling the schema at load, or the generated validator. */
async function policyCheckColdImport(): Promise<void> {
  mkdirSync(DIST, { recursive: true });
  const document = JSON.stringify({
    version: 1,
    policies: [{ name: 'p', match: { channels: ['VOICE'] }, destination: { type: 'kinesis', stream: 's' } }],
  });
  const entries = {
    empty: 'export const x = 1;',
    'ajv-at-load': `import Ajv from 'ajv';
      import schema from './schema/policy.schema.json' with { type: 'json' };
      const validate = new Ajv.default({ allErrors: true }).compile(schema);
      if (!validate(${document})) throw new Error('invalid');`,
    generated: `import { validate } from './src/generated/policy-validator.ts';
      if (!validate(${document})) throw new Error('invalid');`,
  };
  const files: Record<string, string> = {};
  const sizes: Record<string, number> = {};
  for (const [name, contents] of Object.entries(entries)) {
    const result = await build({
      stdin: { contents, resolveDir: FORWARDING, loader: 'ts' },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      minify: true,
      mainFields: ['module', 'main'],
      banner: { js: "import{createRequire as __r}from'node:module';const require=__r(import.meta.url);" },
      logLevel: 'silent',
    });
    const file = join(DIST, `${name}.mjs`);
    writeFileSync(file, result.outputFiles[0]?.text ?? '');
    files[name] = file;
    sizes[name] = result.outputFiles[0]?.contents.length ?? 0;
  }
  const ms = coldImports(files, 15);
  const floor = ms.empty ?? 0;
  const kb = (name: string) => `${((sizes[name] ?? 0) / 1024).toFixed(1)} KB`;
  rows.push([
    'cold import, empty module (floor), ms median',
    (ms.empty ?? 0).toFixed(1),
    '',
    kb('empty'),
    '',
  ]);
  rows.push([
    'cold import, policy check with ajv compiling the schema at load, ms median',
    (ms['ajv-at-load'] ?? 0).toFixed(1),
    '',
    `${kb('ajv-at-load')}, +${((ms['ajv-at-load'] ?? 0) - floor).toFixed(1)} ms over the floor`,
    '',
  ]);
  const generatedCost = (ms.generated ?? 0) - floor;
  const ok = generatedCost <= 10;
  if (!ok) failed = true;
  rows.push([
    'cold import, policy check with the generated standalone validator (chosen), ms median',
    (ms.generated ?? 0).toFixed(1),
    '<= +10 ms over the floor',
    `${kb('generated')}, +${generatedCost.toFixed(1)} ms over the floor`,
    ok ? 'ok' : 'MISSED',
  ]);
}

throughput();
memory();
await policyCheckColdImport();

printAndReport('forwarding', rows);
if (failed) process.exitCode = 1;
