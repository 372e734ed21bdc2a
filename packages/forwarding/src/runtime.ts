// What both forwarding functions share: their dependencies, built once at init; decoding a Kinesis
// batch; an invocation's clock; the dead-letter task; the closing log line and metrics.
import { errorAttributes, type LineSink, Logger, MetricsEmitter } from '@flowguard/contact';
import { SecretCache } from '@flowguard/secrets';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { BatchMetrics } from './batch-metrics.js';
import { type ClientFactories, type ForwardingClients, lazyClients } from './clients.js';
import type { CompiledPolicies } from './compile.js';
import type { ForwardingConfig } from './config.js';
import { type ContactRecord, decodeContactRecord } from './contact-record.js';
import { type DeadLetter, DeadLetterWriter } from './dead-letter.js';
import { defaultSleep, type RetryOptions, type Task } from './delivery.js';
import { RecordParseError } from './errors.js';
import {
  type FingerprintKeySource,
  type PolicySource,
  policySourceFor,
  secretFingerprintKeys,
} from './policy-source.js';

/** The parts of the Lambda context used: the time left, the function's ARN (its account). */
export interface LambdaContextLike {
  readonly awsRequestId?: string;
  readonly invokedFunctionArn?: string;
  getRemainingTimeInMillis?(): number;
}

/** What the handler file exports: Lambda's Kinesis event in, the partial batch response out. */
export type KinesisBatchHandler = (
  event: KinesisStreamEvent,
  context?: LambdaContextLike,
) => Promise<KinesisStreamBatchResponse>;

export interface ForwardingDeps {
  readonly config: ForwardingConfig;
  /** Clients not given are made on first use (`FORWARDING_CLIENT_OPTIONS`). */
  readonly clients?: Partial<ForwardingClients>;
  /** Default: from `config.policy`. */
  readonly policySource?: PolicySource;
  /** Default: the `FLOWGUARD_FINGERPRINT_SECRET_ID` secret. */
  readonly fingerprintKeys?: FingerprintKeySource;
  /** Default: one cache over `clients.secretsManager`, TTL `config.policyTtlMs`. */
  readonly secrets?: SecretCache;
  readonly logSink?: LineSink;
  readonly metricSink?: LineSink;
  /** Tasks in flight at once (default 4). */
  readonly concurrency?: number;
  /** Epoch ms (default `Date.now`). */
  readonly clock?: () => number;
  /** For backoff jitter, in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const DEFAULT_CONCURRENCY = 4;

/** Everything built once per instance. */
export interface Runtime {
  readonly functionName: string;
  readonly config: ForwardingConfig;
  readonly clients: ForwardingClients;
  readonly logger: Logger;
  readonly metrics: MetricsEmitter | undefined;
  readonly policies: PolicySource;
  readonly keys: FingerprintKeySource;
  readonly deadLetters: DeadLetterWriter;
  readonly concurrency: number;
  readonly clock: () => number;
  readonly random: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function runtimeOf(
  functionName: string,
  deps: ForwardingDeps,
  needsKey: boolean,
  factories: ClientFactories,
): Runtime {
  const { config } = deps;
  const clients = lazyClients(deps.clients ?? {}, factories);
  const logger = new Logger({ service: functionName, level: config.logLevel, sink: deps.logSink });
  const secrets =
    deps.secrets ??
    new SecretCache({
      client: { send: (command, options) => clients.secretsManager.send(command, options) },
      ttlMs: config.policyTtlMs,
      fetchTimeoutMs: 5000,
      logger,
    });
  return {
    functionName,
    config,
    clients,
    logger,
    metrics: config.metrics
      ? new MetricsEmitter({ namespace: config.metricsNamespace, sink: deps.metricSink })
      : undefined,
    policies:
      deps.policySource ??
      policySourceFor(
        config,
        {
          get ssm() {
            return clients.ssm;
          },
          secrets,
        },
        {
          needsKey,
          onStale: (error) =>
            logger.warn('policy read failed: the last good policy is used', {
              errorName: (error as Error)?.name,
            }),
        },
      ),
    keys: deps.fingerprintKeys ?? secretFingerprintKeys(secrets, config.fingerprintSecretId),
    deadLetters: new DeadLetterWriter(clients.s3, config.deadLetter, functionName),
    concurrency: deps.concurrency ?? DEFAULT_CONCURRENCY,
    clock: deps.clock ?? Date.now,
    random: deps.random ?? Math.random,
    sleep: deps.sleep ?? defaultSleep,
  };
}

/**
 * The policy for this invocation, put through `check` (what can be checked only once the function
 * runs); a failure is logged (paths and codes only) and thrown.
 */
export async function policiesOrThrow(
  runtime: Runtime,
  clock: InvocationClock,
  check?: (policies: CompiledPolicies) => void,
) {
  try {
    const policies = await runtime.policies.get(clock.signal);
    check?.(policies);
    return policies;
  } catch (error) {
    runtime.logger.error('no usable policy: the batch comes again', errorAttributes(error));
    throw error;
  }
}

/** The fingerprint keys, for policies that hash; a failure is logged and thrown. */
export async function keysOrThrow(runtime: Runtime, clock: InvocationClock) {
  try {
    return await runtime.keys.get(clock.signal);
  } catch (error) {
    runtime.logger.error('no fingerprint key: the batch comes again', errorAttributes(error));
    throw error;
  }
}

/** One Kinesis record, decoded or with the reason it could not be. */
export interface DecodedRecord {
  readonly source: KinesisStreamRecord;
  readonly record: ContactRecord | undefined;
  readonly problem: RecordParseError | undefined;
}

export function decodeBatch(event: KinesisStreamEvent): DecodedRecord[] {
  return (event?.Records ?? []).map((source) => {
    try {
      const data = source?.kinesis?.data;
      if (typeof data !== 'string') throw new RecordParseError('bad_base64', 'kinesis.data');
      return { source, record: decodeContactRecord(data), problem: undefined };
    } catch (error) {
      if (!(error instanceof RecordParseError)) throw error;
      return { source, record: undefined, problem: error };
    }
  });
}

/**
 * One invocation's time: no task or retry starts once the Lambda's remaining time falls to the
 * reserve (at most half of what there was at the start), and requests still in flight are
 * aborted halfway through the reserve, so the function always answers.
 */
export interface InvocationClock {
  readonly inTime: () => boolean;
  readonly signal: AbortSignal;
  done(): void;
}

export function invocationClock(runtime: Runtime, context: LambdaContextLike | undefined): InvocationClock {
  const controller = new AbortController();
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined || !Number.isFinite(remaining)) {
    return { inTime: () => true, signal: controller.signal, done: () => undefined };
  }
  const reserve = Math.min(runtime.config.reserveMs, Math.floor(remaining / 2));
  const stopAt = runtime.clock() + remaining - reserve;
  const timer = setTimeout(() => controller.abort(), Math.max(0, remaining - reserve / 2));
  timer.unref();
  return {
    inTime: () => runtime.clock() < stopAt,
    signal: controller.signal,
    done: () => clearTimeout(timer),
  };
}

export function retryOptions(runtime: Runtime, clock: InvocationClock): RetryOptions {
  return {
    maxAttempts: runtime.config.maxAttempts,
    random: runtime.random,
    sleep: runtime.sleep,
    inTime: clock.inTime,
  };
}

/** A task writing one dead letter; the record counts as handled once the letter is written. */
export function deadLetterTask(
  runtime: Runtime,
  metrics: BatchMetrics,
  index: number,
  letter: DeadLetter,
): Task {
  return {
    first: index,
    async run(signal) {
      try {
        await runtime.deadLetters.write(letter, signal);
      } catch (error) {
        runtime.logger.error('dead letter not written', {
          reason: letter.reason,
          policy: letter.policy,
          errorName: (error as Error)?.name,
        });
        return [index];
      }
      if (letter.policy) metrics.addFor(letter.policy, 'DeadLettered');
      else metrics.add('DeadLettered');
      return [];
    },
  };
}

/** The dead letters for the records that did not decode. */
export function undecodedTasks(
  runtime: Runtime,
  metrics: BatchMetrics,
  decoded: readonly DecodedRecord[],
): Task[] {
  return decoded.flatMap(({ source, problem }, index) =>
    problem
      ? [
          deadLetterTask(runtime, metrics, index, {
            reason: problem.problem,
            detail: problem.detail,
            record: source,
          }),
        ]
      : [],
  );
}

/** The Kinesis partial batch response: the one record to restart from, or none. */
export function batchResponse(decoded: readonly DecodedRecord[], stopAt: number | undefined) {
  const failed = stopAt === undefined ? undefined : decoded[stopAt]?.source.kinesis.sequenceNumber;
  return { batchItemFailures: failed === undefined ? [] : [{ itemIdentifier: failed }] };
}

/** The closing log line and EMF lines of an invocation: counts, policy names, the restart point. */
export function finish(
  runtime: Runtime,
  metrics: BatchMetrics,
  decoded: readonly DecodedRecord[],
  stopAt: number | undefined,
  context: LambdaContextLike | undefined,
): void {
  if (stopAt !== undefined) {
    metrics.add('BatchItemFailures');
    metrics.add('Deferred', decoded.length - stopAt);
  }
  if (runtime.metrics) metrics.emit(runtime.metrics, runtime.functionName);
  const summary = metrics.summary();
  const restart = stopAt === undefined ? undefined : decoded[stopAt]?.source.kinesis.sequenceNumber;
  const attributes = {
    requestId: context?.awsRequestId,
    records: decoded.length,
    ...summary,
    ...(restart === undefined ? {} : { restartAt: restart }),
  };
  if (restart === undefined) runtime.logger.info('batch forwarded', attributes);
  else runtime.logger.warn('batch partly forwarded: the rest comes again', attributes);
}
