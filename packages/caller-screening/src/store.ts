import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { TABLE_KEYS } from '@flowguard/table';
import { StoreUnavailableError } from './errors.js';
import {
  type CallerState,
  type CountInput,
  counterName,
  priorName,
  remembered,
  slotName,
  slotOf,
  staleAttributes,
  stateOf,
} from './ledger.js';
import { bucketOf } from './limits.js';
import type { Rule } from './rules.js';

export type { CallerState, CountInput } from './ledger.js';

/**
 * `counted`: counted now (the returned counters hold its count). `duplicate`: counted before (a
 * retry or a transfer; the state remembers its counts). `blocked`: a live block refused the count.
 */
export interface CountOutcome {
  readonly kind: 'counted' | 'duplicate' | 'blocked';
  readonly state: CallerState;
}

export interface BlockInput {
  readonly key: string;
  readonly untilSeconds: number;
  readonly reason: string;
  readonly by: string;
  readonly nowSeconds: number;
  /** `auto` blocks apply only where no block is live; others extend a shorter one. */
  readonly action: 'block' | 'auto';
  /** Counters the block removes, so the caller is judged afresh when it ends (auto-blocks). */
  readonly reset?: readonly string[];
}

/** `applied`: the block now ends at `blockedUntil`. `kept`: a block at least as long was already there. */
export interface BlockOutcome {
  readonly result: 'applied' | 'kept';
  readonly blockedUntil: number;
}

/** A caller's result in `blockMany`: `block`'s outcome, or the store's error for that caller. */
export type BlockManyResult =
  | BlockOutcome
  | { readonly result: 'failed'; readonly error: StoreUnavailableError };

export interface BlockManyOptions {
  /** Conditional writes in flight; default 16. */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  /** Called once for each input (by its index) as soon as its result is known. */
  readonly onResult?: (index: number, result: BlockManyResult) => void;
}

export interface AuditEntry {
  readonly key: string;
  readonly action: 'block' | 'auto' | 'unblock';
  readonly at: number;
  readonly by: string;
  readonly reason: string;
  readonly until: number;
}

/** A signed identity's nonce claimed for a contact (`ScreeningStore.claim`). */
export interface ClaimInput {
  /** The nonce's token (`contactToken` of `edge:<nonce>`). */
  readonly nonce: string;
  /** The claiming contact's token (`contactToken` of its InitialContactId). */
  readonly contact: string;
  /** Epoch seconds after which no contact can present the nonce any more (TTL cleans up). */
  readonly expiresAt: number;
}

/** The shared aggregate item of one shard, flat: counters and surge state (aggregates.ts). */
export type AggregateItem = Readonly<Record<string, number | string>>;

/** One update of a shard's aggregate item (aggregates.ts): one request whatever it holds. */
export interface AggregateUpdate {
  readonly shard: number;
  /** Counters to add to (`ADD`). */
  readonly add?: Readonly<Record<string, number>>;
  readonly set?: Readonly<Record<string, number | string>>;
  /** Set only where the attribute is absent (`if_not_exists`). */
  readonly setIfAbsent?: Readonly<Record<string, number>>;
  readonly remove?: readonly string[];
  /** Applied only while `name` holds `equals` (`null`: while `name` is absent); else `null` is answered. */
  readonly onlyIf?: { readonly name: string; readonly equals: number | null };
  /** Answer the item as it was before the update (else as it is after). */
  readonly returnOld?: boolean;
}

export interface UnblockInput {
  readonly key: string;
  readonly by: string;
  readonly reason: string;
  readonly nowSeconds: number;
}

export interface ScreeningStore {
  /**
   * Counts a contact in one request: an atomic increment of each window's counter whose only
   * condition is the caller's own state (not blocked, not counted before), so no other contact's
   * write can make it fail; the contact is remembered with the counts before it.
   */
  count(input: CountInput, signal?: AbortSignal): Promise<CountOutcome>;
  getState(key: string, signal?: AbortSignal): Promise<CallerState | null>;
  /** Blocks a caller, never shortening a live block, and keeps a history entry. */
  block(input: BlockInput, signal?: AbortSignal): Promise<BlockOutcome>;
  /**
   * `block` for many callers (an import; keys distinct): the same conditional write for each
   * caller, so the same guarantees, but callers whose block already stands are found by batched
   * reads and not written, and the history entries are written in batches. `applied` means the
   * block and its history entry are written. A `failed` caller may have been written (its block,
   * not its entry): `blockMany` or `block` of the same input again then applies it, entry and all.
   */
  blockMany(inputs: readonly BlockInput[], options?: BlockManyOptions): Promise<BlockManyResult[]>;
  /**
   * Ends a live block early and resets the caller's counts, so the next contact is judged afresh;
   * returns false when there was no live block. Keeps a history entry.
   */
  unblock(input: UnblockInput, signal?: AbortSignal): Promise<boolean>;
  history(key: string, signal?: AbortSignal): Promise<AuditEntry[]>;
  /** Removes counters and lists that can no longer matter, once there are many. True when it wrote. */
  compact(state: CallerState, input: CountInput, signal?: AbortSignal): Promise<boolean>;
  /** Every caller with a live block (a table scan: an admin operation). */
  listBlocked(nowSeconds: number, signal?: AbortSignal): AsyncGenerator<CallerState>;
  loadRules(signal?: AbortSignal): Promise<Rule[]>;
  /**
   * Claims a signed identity's nonce for a contact in one request: the first contact to present it
   * owns it, and the same contact again (a Connect retry, a transfer: same InitialContactId) is
   * its owner; `replayed` when another contact claimed it first.
   */
  claim(input: ClaimInput, signal?: AbortSignal): Promise<'claimed' | 'replayed'>;
  putRule(rule: Rule, signal?: AbortSignal): Promise<void>;
  /**
   * Marks the caller verified until `untilSeconds` (an IVR challenge passed) in one request,
   * touching nothing else of its item, never shortening a later verification. Answers the
   * verification now in place: `untilSeconds`, or a later one that stands.
   */
  markVerified(key: string, untilSeconds: number, signal?: AbortSignal): Promise<number>;
  deleteRule(type: string, value: string, signal?: AbortSignal): Promise<boolean>;
  /**
   * Updates a shard's aggregate item in one request and answers it (after, or before with
   * `returnOld`); `null` when `onlyIf` did not hold, and nothing was written.
   */
  updateAggregates(update: AggregateUpdate, signal?: AbortSignal): Promise<AggregateItem | null>;
  /** A shard's aggregate item (`{}` when there is none), read consistently. */
  readAggregates(shard: number, signal?: AbortSignal): Promise<AggregateItem>;
}

/** The key of a shard's aggregate item: `pk=aggregate#<shard>` (caller keys all start `<type>:`). */
export function aggregateKey(shard: number): { readonly pk: string; readonly sk: string } {
  return { pk: `aggregate#${shard}`, sk: 'aggregate' };
}

/** The item's own key attributes are not part of what an aggregate update answers. */
function aggregateItemOf(attributes: Record<string, unknown> | undefined): AggregateItem {
  const item: Record<string, number | string> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (name === PK || name === SK) continue;
    if (typeof value === 'number' || typeof value === 'string') item[name] = value;
  }
  return item;
}

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_KEYS;
const STATE = 'state';
const RULES_PK = 'rules';
/** Claims of signed identities' nonces: `pk=claim#<token>`, `sk=claim` (caller keys all start `<type>:`). */
const CLAIM_PREFIX = 'claim#';
const CLAIM = 'claim';
const BLOCK_FIELDS = ['blockedUntil', 'blockReason', 'blockedBy', 'blockedAt'] as const;
/**
 * A block's item stays past the block's end by this much: past the longest window's counts too
 * (they expire at most twice the longest window, 31 days, after the last contact).
 */
const TTL_AFTER_BLOCK_SECONDS = 62 * 86_400;
/** Orders history entries written in the same second by this process. */
let auditSequence = 0;
/** DynamoDB's limits per BatchGetItem and per BatchWriteItem request. */
const READ_BATCH = 100;
const WRITE_BATCH = 25;
/**
 * Attempts of a batch's unprocessed keys or items (DynamoDB returns them when throttled), and the
 * backoff between attempts: full jitter, doubling from 50 ms to at most 2 s (about 6 s in all).
 */
const BATCH_ATTEMPTS = 8;
const BATCH_BACKOFF_MS = 50;
const BATCH_MAX_BACKOFF_MS = 2000;
const DEFAULT_CONCURRENCY = 16;

const auditTime = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();
const text = (item: Record<string, unknown>, name: string) =>
  typeof item[name] === 'string' ? (item[name] as string) : '';
const number = (item: Record<string, unknown>, name: string) =>
  typeof item[name] === 'number' ? (item[name] as number) : 0;

function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const batchBackoff = (attempt: number) =>
  Math.random() * Math.min(BATCH_MAX_BACKOFF_MS, BATCH_BACKOFF_MS * 2 ** (attempt - 1));

/** Abort options for a request; none without a signal, so a client's middleware cache applies. */
const sendOptions = (signal: AbortSignal | undefined) => (signal ? { abortSignal: signal } : undefined);

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The block fields of an item read back, as the conditions compare them. */
interface BlockFields {
  readonly blockedUntil: number;
  readonly blockedAt: number;
  readonly blockReason: string;
  readonly blockedBy: string;
}

const blockFields = (item: Record<string, unknown> | undefined): BlockFields | undefined =>
  item && {
    blockedUntil: number(item, 'blockedUntil'),
    blockedAt: number(item, 'blockedAt'),
    blockReason: text(item, 'blockReason'),
    blockedBy: text(item, 'blockedBy'),
  };

/** Whether the block in place is `input`'s own (same end, reason, author and second). */
const isSameBlock = (state: BlockFields | null | undefined, input: BlockInput) =>
  state?.blockedUntil === input.untilSeconds &&
  state.blockedAt === input.nowSeconds &&
  state.blockReason === input.reason &&
  state.blockedBy === input.by;

/** Whether `block`'s condition refuses `input` against `state`: a block at least as long stands. */
const refuses = (state: BlockFields | undefined, input: BlockInput) =>
  state !== undefined &&
  (input.action === 'auto'
    ? state.blockedUntil > input.nowSeconds
    : state.blockedUntil >= input.untilSeconds);

const auditEntryOf = (input: BlockInput): AuditEntry => ({
  key: input.key,
  action: input.action,
  at: input.nowSeconds,
  by: input.by,
  reason: input.reason,
  until: input.untilSeconds,
});

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** Builds expressions with placeholders; names are `[A-Za-z0-9_]` here, so each is its own. */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private count = 0;

  /** `#<attribute>`; a name a placeholder cannot spell (`0a.d:+1800…`) gets `#n<k>`. */
  name(attribute: string): string {
    const placeholder = /^\w+$/.test(attribute) ? `#${attribute}` : `#n${this.count++}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${this.count++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** `SET a, b REMOVE c`, leaving out empty clauses. */
  static update(clauses: { SET?: string[]; ADD?: string[]; REMOVE?: string[] }): string {
    return Object.entries(clauses)
      .filter(([, parts]) => parts.length > 0)
      .map(([clause, parts]) => `${clause} ${parts.join(', ')}`)
      .join(' ');
  }
}

export interface DynamoScreeningStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Waits between a batch's attempts at its unprocessed keys or items; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The DynamoDB implementation, through the DocumentClient: single-item atomic updates only (works
 * on dynalite too). Every decision's write is one `UpdateItem` whose condition can fail only for
 * a reason in the caller's own state (blocked, counted before, over a limit), never because
 * another contact wrote first.
 */
export class DynamoScreeningStore implements ScreeningStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: DynamoScreeningStoreOptions) {
    this.client = DynamoDBDocumentClient.from(options.client);
    this.table = options.tableName;
    this.sleep = options.sleep ?? sleep;
  }

  private async send<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      const timedOut = isAbort(error);
      throw new StoreUnavailableError(timedOut ? `${operation} (timed out)` : operation, {
        cause: error,
        timedOut,
      });
    }
  }

  private stateKey(key: string) {
    return { [PK]: key, [SK]: STATE };
  }

  /** The item a failed condition returned (DynamoDB does; an emulator may not: then it is read). */
  private async stateAfterFailure(
    key: string,
    error: ConditionalCheckFailedException,
    signal?: AbortSignal,
  ): Promise<CallerState> {
    if (error.Item) return stateOf(key, unmarshall(error.Item as Record<string, AttributeValue>));
    const state = await this.getState(key, signal);
    if (!state) throw new StoreUnavailableError('count (item vanished during a conditional update)');
    return state;
  }

  async count(input: CountInput, signal?: AbortSignal): Promise<CountOutcome> {
    const x = new Expression();
    const now = x.value(input.nowSeconds);
    const contact = x.value(input.contact);
    const blockedUntil = x.name('blockedUntil');
    const slot = slotOf(input.contact);
    const slotAttribute = x.name(slotName(slot));
    const zero = x.value(0);
    const one = x.value(1);
    const set = [`${slotAttribute} = ${contact}`];
    const remove: string[] = [];
    input.windows.forEach((window, i) => {
      const bucket = bucketOf(window, input.nowSeconds);
      const counter = x.name(counterName(window, bucket));
      const before = `if_not_exists(${counter}, ${zero})`;
      // Every action reads the item as it was before the update (DynamoDB developer guide,
      // "Using update expressions"): the contact's count in this window is `before` plus one.
      // SET, not ADD: dynalite lets an ADD alter a value another action has already read.
      set.push(`${counter} = ${before} + ${one}`, `${x.name(priorName(slot, i))} = ${before}`);
      // The previous bucket is kept: an instance whose clock lags may still count there.
      remove.push(x.name(counterName(window, bucket - 2)));
    });
    const longest = Math.max(...input.windows.map((w) => w.seconds));
    // No live block is a precondition of counting, so moving expiry here cannot cut one short.
    set.push(`${x.name(TTL)} = ${x.value(input.nowSeconds + 2 * longest)}`);
    const notBlocked = `(attribute_not_exists(${blockedUntil}) OR ${blockedUntil} <= ${now})`;
    const notSeen = `(attribute_not_exists(${slotAttribute}) OR ${slotAttribute} <> ${contact})`;
    try {
      const result = await this.send('count', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: this.stateKey(input.key),
            UpdateExpression: Expression.update({ SET: set, REMOVE: remove }),
            ConditionExpression: `${notBlocked} AND ${notSeen}`,
            ExpressionAttributeNames: x.names,
            ExpressionAttributeValues: x.values,
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          { abortSignal: signal },
        ),
      );
      return { kind: 'counted', state: stateOf(input.key, result.Attributes) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const state = await this.stateAfterFailure(input.key, error, signal);
      if (state.blockedUntil > input.nowSeconds) return { kind: 'blocked', state };
      if (remembered(state, input)) return { kind: 'duplicate', state };
      // The item changed between the failure and its read (only where the emulator reads it).
      throw new StoreUnavailableError('count (the condition failed for no reason the item shows)');
    }
  }

  async compact(state: CallerState, input: CountInput, signal?: AbortSignal): Promise<boolean> {
    const stale = staleAttributes(state, input);
    if (stale.length === 0) return false;
    const x = new Expression();
    await this.send('cleanup', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.stateKey(input.key),
          UpdateExpression: `REMOVE ${stale.map((name) => x.name(name)).join(', ')}`,
          ConditionExpression: `attribute_exists(${x.name(PK)})`,
          ExpressionAttributeNames: x.names,
        }),
        { abortSignal: signal },
      ),
    ).catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
    return true;
  }

  async claim(input: ClaimInput, signal?: AbortSignal): Promise<'claimed' | 'replayed'> {
    const x = new Expression();
    const contact = x.name('contact');
    const expires = x.name(TTL);
    const result = await this.send('claim', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [PK]: `${CLAIM_PREFIX}${input.nonce}`, [SK]: CLAIM },
          // Unconditional, so a claim never fails on a condition: the owner is whoever wrote first.
          UpdateExpression: `SET ${contact} = if_not_exists(${contact}, ${x.value(input.contact)}), ${expires} = if_not_exists(${expires}, ${x.value(input.expiresAt)})`,
          ExpressionAttributeNames: x.names,
          ExpressionAttributeValues: x.values,
          ReturnValues: 'ALL_NEW',
        }),
        { abortSignal: signal },
      ),
    );
    return result.Attributes?.contact === input.contact ? 'claimed' : 'replayed';
  }

  async updateAggregates(update: AggregateUpdate, signal?: AbortSignal): Promise<AggregateItem | null> {
    const x = new Expression();
    const expression = Expression.update({
      SET: [
        ...Object.entries(update.set ?? {}).map(([a, v]) => `${x.name(a)} = ${x.value(v)}`),
        ...Object.entries(update.setIfAbsent ?? {}).map(([a, v]) => {
          const placeholder = x.name(a);
          return `${placeholder} = if_not_exists(${placeholder}, ${x.value(v)})`;
        }),
      ],
      ADD: Object.entries(update.add ?? {}).map(([a, v]) => `${x.name(a)} ${x.value(v)}`),
      REMOVE: (update.remove ?? []).map((a) => x.name(a)),
    });
    const key = aggregateKey(update.shard);
    if (expression === '') return this.readAggregates(update.shard, signal);
    const condition = update.onlyIf
      ? update.onlyIf.equals === null
        ? `attribute_not_exists(${x.name(update.onlyIf.name)})`
        : `${x.name(update.onlyIf.name)} = ${x.value(update.onlyIf.equals)}`
      : undefined;
    try {
      const result = await this.send('aggregate', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { [PK]: key.pk, [SK]: key.sk },
            UpdateExpression: expression,
            ...(condition ? { ConditionExpression: condition } : {}),
            ExpressionAttributeNames: x.names,
            ...(Object.keys(x.values).length > 0 ? { ExpressionAttributeValues: x.values } : {}),
            ReturnValues: update.returnOld ? 'ALL_OLD' : 'ALL_NEW',
          }),
          sendOptions(signal),
        ),
      );
      return aggregateItemOf(result.Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return null;
      throw error;
    }
  }

  async readAggregates(shard: number, signal?: AbortSignal): Promise<AggregateItem> {
    const key = aggregateKey(shard);
    const result = await this.send('aggregate read', () =>
      this.client.send(
        new GetCommand({ TableName: this.table, Key: { [PK]: key.pk, [SK]: key.sk }, ConsistentRead: true }),
        sendOptions(signal),
      ),
    );
    return aggregateItemOf(result.Item);
  }

  async markVerified(key: string, untilSeconds: number, signal?: AbortSignal): Promise<number> {
    const x = new Expression();
    const verified = x.name('verifiedUntil');
    const expires = x.name(TTL);
    const until = x.value(untilSeconds);
    try {
      await this.send('verify', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: this.stateKey(key),
            // A new item gets a TTL at its verification's end; an item with one keeps it (a block
            // or counts set theirs, and a TTL write here could cut a block's item short).
            UpdateExpression: `SET ${verified} = ${until}, ${expires} = if_not_exists(${expires}, ${until})`,
            ConditionExpression: `attribute_not_exists(${verified}) OR ${verified} < ${until}`,
            ExpressionAttributeNames: x.names,
            ExpressionAttributeValues: x.values,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          { abortSignal: signal },
        ),
      );
      return untilSeconds;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A later verification stands (another contact's, or a clock ahead of this one's).
      const item = error.Item ? unmarshall(error.Item as Record<string, AttributeValue>) : undefined;
      return Math.max(untilSeconds, item ? number(item, 'verifiedUntil') : 0);
    }
  }

  async getState(key: string, signal?: AbortSignal): Promise<CallerState | null> {
    const result = await this.send('read', () =>
      this.client.send(
        new GetCommand({ TableName: this.table, Key: this.stateKey(key), ConsistentRead: true }),
        { abortSignal: signal },
      ),
    );
    return result.Item ? stateOf(key, result.Item) : null;
  }

  async block(input: BlockInput, signal?: AbortSignal): Promise<BlockOutcome> {
    const written = await this.writeBlock(input, signal);
    if (written.result === 'kept') return written;
    await this.audit(auditEntryOf(input), signal);
    return written;
  }

  /**
   * `block`'s conditional write, without the history entry. `applied`: the block is this input's
   * and needs its entry (written now, or before with the answer lost and no entry yet); `kept`: a
   * block at least as long stands (or this very one, with its entry).
   */
  private async writeBlock(input: BlockInput, signal?: AbortSignal): Promise<BlockOutcome> {
    const x = new Expression();
    const blockedUntil = x.name('blockedUntil');
    const until = x.value(input.untilSeconds);
    // Auto-blocks never touch a live block; explicit ones only lengthen. Clocks cannot shorten.
    // The condition is why this is one request per caller: BatchWriteItem carries none, and a
    // blind write could shorten a block or drop counts written since any read.
    const condition =
      input.action === 'auto'
        ? `attribute_not_exists(${blockedUntil}) OR ${blockedUntil} <= ${x.value(input.nowSeconds)}`
        : `attribute_not_exists(${blockedUntil}) OR ${blockedUntil} < ${until}`;
    const set = [
      `${blockedUntil} = ${until}`,
      `${x.name('blockReason')} = ${x.value(input.reason)}`,
      `${x.name('blockedBy')} = ${x.value(input.by)}`,
      `${x.name('blockedAt')} = ${x.value(input.nowSeconds)}`,
      `${x.name(TTL)} = ${x.value(input.untilSeconds + TTL_AFTER_BLOCK_SECONDS)}`,
    ];
    try {
      await this.send('block', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: this.stateKey(input.key),
            UpdateExpression: Expression.update({
              SET: set,
              REMOVE: (input.reset ?? []).map((name) => x.name(name)),
            }),
            ConditionExpression: condition,
            ExpressionAttributeNames: x.names,
            ExpressionAttributeValues: x.values,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          sendOptions(signal),
        ),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const state = error.Item
        ? stateOf(input.key, unmarshall(error.Item as Record<string, AttributeValue>))
        : await this.getState(input.key, signal);
      // The block in place may be this very one (same end, reason, author and second): this write
      // landed but its answer was lost, and the condition refused the SDK's retry of it. Then it
      // was applied, and needs its history entry, once.
      if (!isSameBlock(state, input) || (await this.hasAudit(auditEntryOf(input), signal))) {
        return { result: 'kept', blockedUntil: state?.blockedUntil ?? input.untilSeconds };
      }
    }
    return { result: 'applied', blockedUntil: input.untilSeconds };
  }

  async blockMany(inputs: readonly BlockInput[], options: BlockManyOptions = {}): Promise<BlockManyResult[]> {
    const { signal, onResult } = options;
    const results: BlockManyResult[] = new Array(inputs.length);
    const settle = (index: number, result: BlockManyResult) => {
      results[index] = result;
      onResult?.(index, result);
    };
    const failure = (error: unknown): BlockManyResult => {
      if (error instanceof StoreUnavailableError) return { result: 'failed', error };
      throw error;
    };
    // The blocks in place, read 100 callers a request just ahead of their writes: a caller whose
    // block already stands (a re-run) costs no write. Reading is only a shortcut: a block written
    // after the read is still met by the write's condition.
    const reads: Promise<Map<string, BlockFields> | { error: unknown }>[] = [];
    const statesFor = (index: number) => {
      const chunk = Math.floor(index / READ_BATCH);
      for (const ahead of [chunk, chunk + 1]) {
        if (reads[ahead] !== undefined || ahead * READ_BATCH >= inputs.length) continue;
        const keys = inputs.slice(ahead * READ_BATCH, (ahead + 1) * READ_BATCH).map((input) => input.key);
        reads[ahead] = this.readBlocks(keys, signal).catch((error: unknown) => ({ error }));
      }
      return reads[chunk] as (typeof reads)[number];
    };
    // History entries of applied callers, written 25 a request as they fill (the rest at the end),
    // enough of them in flight to keep up with the conditional writes and no more: a worker that
    // fills a batch while they are all out (DynamoDB throttling them) waits for one to finish.
    const concurrency = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, inputs.length));
    const historyInFlight = Math.ceil(concurrency / WRITE_BATCH) + 1;
    let pending: { index: number; entry: AuditEntry; outcome: BlockOutcome }[] = [];
    const flushes: Promise<void>[] = [];
    const writing = new Set<Promise<void>>();
    const flush = async () => {
      while (writing.size >= historyInFlight) await Promise.race(writing);
      const batch = pending;
      pending = [];
      if (batch.length === 0) return;
      const write = this.writeAudits(
        batch.map(({ entry }) => entry),
        signal,
      ).then(
        () => {
          for (const { index, outcome } of batch) settle(index, outcome);
        },
        (error: unknown) => {
          for (const { index } of batch) settle(index, failure(error));
        },
      );
      flushes.push(write);
      writing.add(write);
      const done = () => writing.delete(write);
      write.then(done, done);
    };
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < inputs.length; index = next++) {
        const input = inputs[index] as BlockInput;
        const states = await statesFor(index);
        if ('error' in states) {
          settle(index, failure(states.error));
          continue;
        }
        const state = states.get(input.key);
        // The same block as this input's goes through the write: it may still lack its entry.
        if (refuses(state, input) && !isSameBlock(state, input)) {
          settle(index, { result: 'kept', blockedUntil: state?.blockedUntil ?? input.untilSeconds });
          continue;
        }
        let written: BlockOutcome;
        try {
          written = await this.writeBlock(input, signal);
        } catch (error) {
          settle(index, failure(error));
          continue;
        }
        if (written.result === 'kept') settle(index, written);
        else {
          pending.push({ index, entry: auditEntryOf(input), outcome: written });
          if (pending.length >= WRITE_BATCH) await flush();
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await flush();
    await Promise.all(flushes);
    return results;
  }

  /** The block fields of up to 100 callers (absent: no item), with unprocessed keys read again. */
  private async readBlocks(keys: readonly string[], signal?: AbortSignal): Promise<Map<string, BlockFields>> {
    const states = new Map<string, BlockFields>();
    let wanted: Record<string, unknown>[] = [...new Set(keys)].map((key) => this.stateKey(key));
    for (let attempt = 1; wanted.length > 0; attempt++) {
      if (attempt > BATCH_ATTEMPTS)
        throw new StoreUnavailableError(
          `read (${wanted.length} keys unprocessed after ${BATCH_ATTEMPTS} attempts)`,
        );
      if (attempt > 1) await this.sleep(batchBackoff(attempt - 1));
      const page = await this.send('read', () =>
        this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.table]: {
                Keys: wanted,
                ConsistentRead: true,
                ProjectionExpression: ['#pk', ...BLOCK_FIELDS.map((name) => `#${name}`)].join(', '),
                ExpressionAttributeNames: Object.fromEntries([
                  ['#pk', PK],
                  ...BLOCK_FIELDS.map((name) => [`#${name}`, name]),
                ]),
              },
            },
          }),
          sendOptions(signal),
        ),
      );
      for (const item of page.Responses?.[this.table] ?? []) {
        const fields = blockFields(item);
        if (fields) states.set(text(item, PK), fields);
      }
      wanted = page.UnprocessedKeys?.[this.table]?.Keys ?? [];
    }
    return states;
  }

  /**
   * History entries, 25 a request. Items DynamoDB leaves unprocessed (throttling) are sent again
   * with backoff; still unwritten after BATCH_ATTEMPTS, the batch fails (never a silent loss).
   */
  private async writeAudits(entries: readonly AuditEntry[], signal?: AbortSignal): Promise<void> {
    for (const batch of chunks(entries, WRITE_BATCH)) {
      let requests = batch.map((entry) => ({ PutRequest: { Item: this.auditItem(entry) } }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > BATCH_ATTEMPTS) {
          throw new StoreUnavailableError(
            `history (${requests.length} entries unprocessed after ${BATCH_ATTEMPTS} attempts)`,
          );
        }
        if (attempt > 1) await this.sleep(batchBackoff(attempt - 1));
        const result = await this.send('history', () =>
          this.client.send(
            new BatchWriteCommand({ RequestItems: { [this.table]: requests } }),
            sendOptions(signal),
          ),
        );
        requests = (result.UnprocessedItems?.[this.table] ?? []) as typeof requests;
      }
    }
  }

  /** Whether the caller's history already holds `entry` (written at the same second). */
  private async hasAudit(entry: AuditEntry, signal?: AbortSignal): Promise<boolean> {
    const page = await this.send('history', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :at)',
          ConsistentRead: true,
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: { ':pk': entry.key, ':at': `audit#${auditTime(entry.at)}#` },
        }),
        { abortSignal: signal },
      ),
    );
    return (page.Items ?? []).some(
      (item) =>
        text(item, 'action') === entry.action &&
        text(item, 'by') === entry.by &&
        text(item, 'reason') === entry.reason &&
        number(item, 'until') === entry.until,
    );
  }

  async unblock(input: UnblockInput, signal?: AbortSignal): Promise<boolean> {
    const state = await this.getState(input.key, signal);
    if (!state || state.blockedUntil <= input.nowSeconds) return false;
    const x = new Expression();
    const blockedUntil = x.name('blockedUntil');
    // The counts go too: left in place, the very next contact would re-trigger an auto-block.
    const remove = [...BLOCK_FIELDS, ...state.counts.keys()].map((name) => x.name(name));
    try {
      await this.send('unblock', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: this.stateKey(input.key),
            UpdateExpression: `REMOVE ${remove.join(', ')}`,
            ConditionExpression: `${blockedUntil} > ${x.value(input.nowSeconds)}`,
            ExpressionAttributeNames: x.names,
            ExpressionAttributeValues: x.values,
          }),
          { abortSignal: signal },
        ),
      );
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
    await this.audit({ ...input, action: 'unblock', at: input.nowSeconds, until: input.nowSeconds }, signal);
    return true;
  }

  private async audit(entry: AuditEntry, signal?: AbortSignal): Promise<void> {
    await this.send('history', () =>
      this.client.send(new PutCommand({ TableName: this.table, Item: this.auditItem(entry) }), {
        abortSignal: signal,
      }),
    );
  }

  /** A history item: `sk=audit#<time>#<sequence><random>`, distinct for every entry written. */
  private auditItem(entry: AuditEntry): Record<string, unknown> {
    auditSequence = (auditSequence + 1) % 1_000_000;
    const id = `${String(auditSequence).padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`;
    return {
      [PK]: entry.key,
      [SK]: `audit#${auditTime(entry.at)}#${id}`,
      action: entry.action,
      at: entry.at,
      by: entry.by,
      reason: entry.reason,
      until: entry.until,
    };
  }

  async history(key: string, signal?: AbortSignal): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :audit)',
        ConsistentRead: true,
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': key, ':audit': 'audit#' },
      },
    );
    await this.send('history', async () => {
      for await (const page of pages) {
        signal?.throwIfAborted();
        for (const item of page.Items ?? []) {
          entries.push({
            key,
            action: text(item, 'action') as AuditEntry['action'],
            at: number(item, 'at'),
            by: text(item, 'by'),
            reason: text(item, 'reason'),
            until: number(item, 'until'),
          });
        }
      }
    });
    return entries;
  }

  async *listBlocked(nowSeconds: number, signal?: AbortSignal): AsyncGenerator<CallerState> {
    const pages = paginateScan(
      { client: this.client },
      {
        TableName: this.table,
        FilterExpression: '#sk = :state AND #until > :now',
        ConsistentRead: true,
        ExpressionAttributeNames: { '#sk': SK, '#until': 'blockedUntil' },
        ExpressionAttributeValues: { ':state': STATE, ':now': nowSeconds },
      },
    );
    const iterator = pages[Symbol.asyncIterator]();
    while (true) {
      signal?.throwIfAborted();
      const next = await this.send('scan', () => iterator.next());
      if (next.done) return;
      for (const item of next.value.Items ?? []) yield stateOf(text(item, PK), item);
    }
  }

  async loadRules(signal?: AbortSignal): Promise<Rule[]> {
    const rules: Rule[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.table,
        KeyConditionExpression: '#pk = :rules',
        ExpressionAttributeNames: { '#pk': PK },
        ExpressionAttributeValues: { ':rules': RULES_PK },
      },
    );
    await this.send('rules', async () => {
      for await (const page of pages) {
        signal?.throwIfAborted();
        for (const item of page.Items ?? []) {
          rules.push({
            type: text(item, 'type') as Rule['type'],
            value: text(item, 'value'),
            action: text(item, 'ruleAction') as Rule['action'],
            note: text(item, 'note'),
            createdBy: text(item, 'createdBy'),
            createdAt: number(item, 'createdAt'),
            expiresAt: number(item, 'ruleExpiresAt'),
            // Items written before monitor-only rules have no `monitor`: enforced.
            monitor: item.monitor === true,
          });
        }
      }
    });
    return rules;
  }

  async putRule(rule: Rule, signal?: AbortSignal): Promise<void> {
    await this.send('rule', () =>
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            [PK]: RULES_PK,
            [SK]: `${rule.type}#${rule.value}`,
            type: rule.type,
            value: rule.value,
            ruleAction: rule.action,
            note: rule.note,
            createdBy: rule.createdBy,
            createdAt: rule.createdAt,
            ruleExpiresAt: rule.expiresAt,
            ...(rule.monitor === true ? { monitor: true } : {}),
            // TTL cleans up expired rules eventually; the cache compares with now meanwhile.
            ...(rule.expiresAt > 0 ? { [TTL]: rule.expiresAt } : {}),
          },
        }),
        { abortSignal: signal },
      ),
    );
  }

  async deleteRule(type: string, value: string, signal?: AbortSignal): Promise<boolean> {
    const result = await this.send('rule', () =>
      this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { [PK]: RULES_PK, [SK]: `${type}#${value}` },
          ReturnValues: 'ALL_OLD',
        }),
        { abortSignal: signal },
      ),
    );
    return result.Attributes !== undefined;
  }
}
