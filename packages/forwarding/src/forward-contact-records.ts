// forward-contact-records: each contact record of a Kinesis batch through each policy; what a
// policy lets out goes to its destination, in shard order, with partial failures reported the
// way Lambda's Kinesis event source restarts a batch (see delivery.ts).

import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { errorAttributes } from '@flowguard/contact';
import { BatchMetrics } from './batch-metrics.js';
import { type ClientFactories, FORWARDING_CLIENT_OPTIONS, regionalClients } from './clients.js';
import type { CompiledPolicies, CompiledPolicy } from './compile.js';
import { FORWARD_CONTACT_RECORDS } from './contract.js';
import { arrivalMs, shardIdOf } from './dead-letter.js';
import { DeliveryLedger, deliverChunk, runInOrder, type Task } from './delivery.js';
import {
  accountOfFunctionArn,
  chunkEntries,
  type DestinationSender,
  type OutgoingEntry,
  senderFor,
} from './destinations.js';
import { PolicyError } from './errors.js';
import { type MinimisedEntry, minimiseBatch, type PolicyBatch } from './minimise.js';
import { firehoseAccountIssues } from './policy.js';
import { policySourceName } from './policy-source.js';
import {
  batchResponse,
  type DecodedRecord,
  deadLetterTask,
  decodeBatch,
  type ForwardingDeps,
  finish,
  type InvocationClock,
  invocationClock,
  type KinesisBatchHandler,
  keysOrThrow,
  policiesOrThrow,
  type Runtime,
  retryOptions,
  runtimeOf,
  undecodedTasks,
} from './runtime.js';

export interface ForwardContactRecordsDeps extends ForwardingDeps {
  /** What this instance delivered, by policy and record (default: one per handler, 20,000 keys). */
  readonly ledger?: DeliveryLedger;
  /**
   * The function's AWS account, which a Firehose stream named by ARN must be in. Default: the
   * account of the Lambda context's `invokedFunctionArn`; outside Lambda (no context) unchecked.
   */
  readonly account?: string;
}

/** Every destination (in this region and, for one named by ARN, in its own), the dead letters (S3), and the policy's and key's homes. */
const CLIENTS: ClientFactories = {
  firehose: () => new FirehoseClient(FORWARDING_CLIENT_OPTIONS),
  kinesis: () => new KinesisClient(FORWARDING_CLIENT_OPTIONS),
  eventBridge: () => new EventBridgeClient(FORWARDING_CLIENT_OPTIONS),
  regional: () =>
    regionalClients({
      firehose: (region) => new FirehoseClient({ ...FORWARDING_CLIENT_OPTIONS, region }),
      kinesis: (region) => new KinesisClient({ ...FORWARDING_CLIENT_OPTIONS, region }),
      eventBridge: (region) => new EventBridgeClient({ ...FORWARDING_CLIENT_OPTIONS, region }),
    }),
  s3: () => new S3Client(FORWARDING_CLIENT_OPTIONS),
  ssm: () => new SSMClient(FORWARDING_CLIENT_OPTIONS),
  secretsManager: () => new SecretsManagerClient(FORWARDING_CLIENT_OPTIONS),
};

function timeOf(lastUpdate: string | null): Date | undefined {
  if (!lastUpdate) return undefined;
  const date = new Date(lastUpdate);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function outgoing(entry: MinimisedEntry, decoded: readonly DecodedRecord[]): OutgoingEntry {
  const source = (decoded[entry.index] as DecodedRecord).source;
  return {
    index: entry.index,
    partitionKey: entry.contactId,
    json: entry.json,
    bytes: Buffer.from(entry.json, 'utf8'),
    time: timeOf(entry.lastUpdate),
    shardId: shardIdOf(source),
    sequenceNumber: source.kinesis.sequenceNumber,
    arrivedAt: arrivalMs(source),
  };
}

interface Invocation {
  readonly runtime: Runtime;
  readonly metrics: BatchMetrics;
  readonly decoded: readonly DecodedRecord[];
  readonly clock: InvocationClock;
  /** (policy, record index) pairs delivered in this invocation, for the ledger. */
  readonly delivered: { readonly policy: string; readonly index: number }[];
}

function chunkTask(
  inv: Invocation,
  policy: CompiledPolicy,
  sender: DestinationSender,
  chunk: OutgoingEntry[],
): Task {
  const { runtime, metrics } = inv;
  return {
    first: (chunk[0] as OutgoingEntry).index,
    async run(signal) {
      const result = await deliverChunk(sender, chunk, retryOptions(runtime, inv.clock), signal);
      metrics.addFor(policy.name, 'Forwarded', result.delivered.length);
      for (const entry of result.delivered) inv.delivered.push({ policy: policy.name, index: entry.index });
      const unhandled = result.failed.map((f) => f.entry.index);
      if (result.failed.length > 0) {
        metrics.addFor(policy.name, 'Failed', result.failed.length);
        runtime.logger.warn('destination refused entries', {
          policy: policy.name,
          destination: sender.type,
          entries: result.failed.length,
          errorCodes: [...new Set(result.failed.map((f) => f.code))],
        });
      }
      // Entries refused for what they are would block the shard for ever: set them aside.
      for (const refused of result.rejected) {
        const { index } = refused.entry;
        const letter = {
          reason: 'rejected' as const,
          detail: `${sender.type}: ${refused.code}`,
          policy: policy.name,
          record: (inv.decoded[index] as DecodedRecord).source,
        };
        unhandled.push(...(await deadLetterTask(runtime, metrics, index, letter).run(signal)));
      }
      return unhandled;
    },
  };
}

function policyTasks(inv: Invocation, batch: PolicyBatch, sender: DestinationSender): Task[] {
  const entries = batch.entries.map((entry) => outgoing(entry, inv.decoded));
  const { chunks, tooLarge } = chunkEntries(entries, sender);
  const oversized = tooLarge.map((entry) =>
    deadLetterTask(inv.runtime, inv.metrics, entry.index, {
      reason: 'too_large',
      detail: `${sender.type}: ${sender.entryBytes(entry)} bytes, at most ${sender.limits.maxEntryBytes}`,
      policy: batch.policy.name,
      record: (inv.decoded[entry.index] as DecodedRecord).source,
    }),
  );
  return [...oversized, ...chunks.map((chunk) => chunkTask(inv, batch.policy, sender, chunk))];
}

/**
 * The forward-contact-records logic as a Kinesis handler (with `ReportBatchItemFailures` on the
 * event source mapping). The handler file is `forwardContactRecords({ config:
 * readForwardingConfig() })`.
 */
export function forwardContactRecords(deps: ForwardContactRecordsDeps): KinesisBatchHandler {
  const runtime = runtimeOf(FORWARD_CONTACT_RECORDS, deps, true, CLIENTS);
  const ledger = deps.ledger ?? new DeliveryLedger();
  const senders = new WeakMap<CompiledPolicy, DestinationSender>();
  const senderOf = (policy: CompiledPolicy) => {
    let sender = senders.get(policy);
    if (!sender && policy.destination) {
      sender = senderFor(policy.destination, runtime.clients);
      senders.set(policy, sender);
    }
    return sender as DestinationSender;
  };
  // The account is known from the first invocation's context (Lambda gives no account at init): a
  // Firehose stream of another account is refused then, as a policy that does not validate is,
  // before anything is sent. Checked once per compiled policy.
  const accountChecked = new WeakMap<CompiledPolicies, PolicyError | null>();
  const checkAccount = (account: string | undefined) => (policies: CompiledPolicies) => {
    if (account === undefined) return;
    let problem = accountChecked.get(policies);
    if (problem === undefined) {
      const issues = firehoseAccountIssues(policies.document, account);
      problem = issues.length > 0 ? new PolicyError(policySourceName(runtime.config), issues) : null;
      accountChecked.set(policies, problem);
    }
    if (problem) throw problem;
  };

  return async (event, context) => {
    const clock = invocationClock(runtime, context);
    try {
      // A policy or key that cannot be had fails the invocation: the whole batch comes again.
      const account = deps.account ?? accountOfFunctionArn(context?.invokedFunctionArn);
      const policies = await policiesOrThrow(runtime, clock, checkAccount(account));
      const keys = policies.needsFingerprintKey ? await keysOrThrow(runtime, clock) : undefined;
      const decoded = decodeBatch(event);
      const metrics = new BatchMetrics();
      metrics.add('RecordsIn', decoded.length);
      const sourceOf = (index: number) => (decoded[index] as DecodedRecord).source;
      const ledgerKey = (policy: string, index: number) =>
        DeliveryLedger.key(
          policy,
          sourceOf(index).eventSourceARN ?? '',
          sourceOf(index).kinesis.sequenceNumber,
        );

      const batches = minimiseBatch(
        decoded.map((d) => d.record),
        policies,
        { keys, skip: (policy, index) => ledger.has(ledgerKey(policy.name, index)) },
      );
      const inv: Invocation = { runtime, metrics, decoded, clock, delivered: [] };
      const parsed = decoded.filter((d) => d.record).length;
      const tasks = undecodedTasks(runtime, metrics, decoded);
      for (const batch of batches) {
        const name = batch.policy.name;
        metrics.addFor(name, 'RecordsIn', parsed);
        metrics.addFor(name, 'Filtered', batch.filtered);
        if (batch.skipped > 0) metrics.addFor(name, 'AlreadyForwarded', batch.skipped);
        tasks.push(...policyTasks(inv, batch, senderOf(batch.policy)));
      }

      const stopAt = await runInOrder(tasks, {
        concurrency: runtime.concurrency,
        canStart: clock.inTime,
        signal: clock.signal,
        onError: (error) => runtime.logger.error('task failed', errorAttributes(error)),
      });
      // Records from `stopAt` on come again; what went out of them is skipped then. What went out
      // before it is noted too: a batch Lambda delivers again whole (after a crash) skips it as well.
      for (const { policy, index } of inv.delivered) ledger.add(ledgerKey(policy, index));
      finish(runtime, metrics, decoded, stopAt, context);
      return batchResponse(decoded, stopAt);
    } finally {
      clock.done();
    }
  };
}
