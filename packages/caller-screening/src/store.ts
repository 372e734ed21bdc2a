import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
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

export interface AuditEntry {
  readonly key: string;
  readonly action: 'block' | 'auto' | 'unblock';
  readonly at: number;
  readonly by: string;
  readonly reason: string;
  readonly until: number;
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
  putRule(rule: Rule, signal?: AbortSignal): Promise<void>;
  deleteRule(type: string, value: string, signal?: AbortSignal): Promise<boolean>;
}

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_KEYS;
const STATE = 'state';
const RULES_PK = 'rules';
const BLOCK_FIELDS = ['blockedUntil', 'blockReason', 'blockedBy', 'blockedAt'] as const;
/**
 * A block's item stays past the block's end by this much: past the longest window's counts too
 * (they expire at most twice the longest window, 31 days, after the last contact).
 */
const TTL_AFTER_BLOCK_SECONDS = 62 * 86_400;
/** Orders history entries written in the same second by this process. */
let auditSequence = 0;

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

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** Builds expressions with placeholders; names are `[A-Za-z0-9_]` here, so each is its own. */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private count = 0;

  name(attribute: string): string {
    const placeholder = `#${attribute}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${this.count++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** `SET a, b REMOVE c`, leaving out empty clauses. */
  static update(clauses: { SET?: string[]; REMOVE?: string[] }): string {
    return Object.entries(clauses)
      .filter(([, parts]) => parts.length > 0)
      .map(([clause, parts]) => `${clause} ${parts.join(', ')}`)
      .join(' ');
  }
}

export interface DynamoScreeningStoreOptions {
  client: DynamoDBClient;
  tableName: string;
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

  constructor(options: DynamoScreeningStoreOptions) {
    this.client = DynamoDBDocumentClient.from(options.client);
    this.table = options.tableName;
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
    const x = new Expression();
    const blockedUntil = x.name('blockedUntil');
    const until = x.value(input.untilSeconds);
    // Auto-blocks never touch a live block; explicit ones only lengthen. Clocks cannot shorten.
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
    const entry: AuditEntry = {
      key: input.key,
      action: input.action,
      at: input.nowSeconds,
      by: input.by,
      reason: input.reason,
      until: input.untilSeconds,
    };
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
          { abortSignal: signal },
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
      const same =
        state?.blockedUntil === input.untilSeconds &&
        state.blockedAt === input.nowSeconds &&
        state.blockReason === input.reason &&
        state.blockedBy === input.by;
      if (!same || (await this.hasAudit(entry, signal))) {
        return { result: 'kept', blockedUntil: state?.blockedUntil ?? input.untilSeconds };
      }
    }
    await this.audit(entry, signal);
    return { result: 'applied', blockedUntil: input.untilSeconds };
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
    const at = auditTime(entry.at);
    auditSequence = (auditSequence + 1) % 1_000_000;
    const id = `${String(auditSequence).padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`;
    await this.send('history', () =>
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            [PK]: entry.key,
            [SK]: `audit#${at}#${id}`,
            action: entry.action,
            at: entry.at,
            by: entry.by,
            reason: entry.reason,
            until: entry.until,
          },
        }),
        { abortSignal: signal },
      ),
    );
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
