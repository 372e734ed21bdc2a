import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '@flowguard/table';
import { StoreUnavailableError } from './errors.js';
import { bucketOf, type Window } from './limits.js';
import type { Rule } from './rules.js';

/**
 * The caller's state item (`pk=<caller key>`, `sk=state`):
 * - `blockedUntil` (epoch s), `blockReason`, `blockedBy`, `blockedAt`: the block, if any;
 * - `w<seconds>_<bucket>`: the contacts counted in that window, in arrival order, so a contact's
 *   position is its count (and a retried contact finds its own position again);
 * - `d_<bucket>`: contacts seen recently, so a retry or a transfer is not counted twice;
 * - `expiresAt`: TTL cleanup only; every read compares expiry with now.
 * History items sit beside it (`sk=audit#<ISO time>#<id>`). Rules are under `pk=rules`.
 */
export interface CallerState {
  readonly key: string;
  /** Epoch seconds; 0 when never blocked. Compare with now. */
  readonly blockedUntil: number;
  readonly blockReason: string;
  readonly blockedBy: string;
  readonly blockedAt: number;
  /** Contact lists by attribute name (`w600_2891234`, `d_482`). */
  readonly lists: ReadonlyMap<string, readonly string[]>;
}

export interface RecordInput {
  readonly key: string;
  /** Compact contact id (see {@link contactToken}). */
  readonly contact: string;
  readonly nowSeconds: number;
  readonly windows: readonly Window[];
  /** How long a contact is remembered for deduplication (at least this, at most twice). */
  readonly dedupSeconds: number;
}

/** `recorded`: counted now. `duplicate`: counted before. `blocked`: a live block refused the count. */
export type RecordOutcome = {
  readonly kind: 'recorded' | 'duplicate' | 'blocked';
  readonly state: CallerState;
};

export interface BlockInput {
  readonly key: string;
  readonly untilSeconds: number;
  readonly reason: string;
  readonly by: string;
  readonly nowSeconds: number;
  /** `auto` blocks apply only where no block is live; others extend a shorter one. */
  readonly action: 'block' | 'auto';
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

export interface ScreeningStore {
  /** Counts a contact for a caller in one request, unless it was counted before or is blocked. */
  record(input: RecordInput, signal?: AbortSignal): Promise<RecordOutcome>;
  getState(key: string, signal?: AbortSignal): Promise<CallerState | null>;
  /** Blocks a caller, never shortening a live block, and keeps a history entry. */
  block(input: BlockInput, signal?: AbortSignal): Promise<BlockOutcome>;
  /** Ends a block early; returns false when there was no live block. Keeps a history entry. */
  unblock(
    input: { key: string; by: string; reason: string; nowSeconds: number },
    signal?: AbortSignal,
  ): Promise<boolean>;
  history(key: string, signal?: AbortSignal): Promise<AuditEntry[]>;
  /**
   * Removes lists of buckets that can no longer matter once there are many of them (a caller who
   * comes back after gaps leaves one behind per gap). Returns true when it wrote.
   */
  compact(state: CallerState, input: RecordInput, signal?: AbortSignal): Promise<boolean>;
  /** Every caller with a live block (a table scan: an admin operation). */
  listBlocked(nowSeconds: number, signal?: AbortSignal): AsyncGenerator<CallerState>;
  loadRules(signal?: AbortSignal): Promise<Rule[]>;
  putRule(rule: Rule, signal?: AbortSignal): Promise<void>;
  deleteRule(type: string, value: string, signal?: AbortSignal): Promise<boolean>;
}

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_KEYS;
const STATE = 'state';
const RULES_PK = 'rules';
const LIST_NAME = /^(w\d+|d)_(\d+)$/;
/**
 * A block's item stays past the block's end by this much: past the longest window's counts too
 * (they expire at most twice the longest window, 31 days, after the last contact).
 */
const TTL_AFTER_BLOCK_SECONDS = 62 * 86_400;
/** Orders history entries written in the same second by this process. */
let auditSequence = 0;
/** Stale lists beyond this many trigger a cleanup write (see `record`). */
const STALE_LIST_LIMIT = 24;

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });
const auditTime = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

function str(item: Record<string, AttributeValue>, name: string): string {
  return item[name]?.S ?? '';
}

function num(item: Record<string, AttributeValue>, name: string): number {
  const value = Number(item[name]?.N ?? '0');
  return Number.isFinite(value) ? value : 0;
}

function stateOf(key: string, item: Record<string, AttributeValue> | undefined): CallerState {
  const lists = new Map<string, string[]>();
  if (item) {
    for (const [name, value] of Object.entries(item)) {
      if (value.L && LIST_NAME.test(name))
        lists.set(
          name,
          value.L.map((v) => v.S ?? ''),
        );
    }
  }
  return {
    key,
    blockedUntil: item ? num(item, 'blockedUntil') : 0,
    blockReason: item ? str(item, 'blockReason') : '',
    blockedBy: item ? str(item, 'blockedBy') : '',
    blockedAt: item ? num(item, 'blockedAt') : 0,
    lists,
  };
}

/** A contact id in 16 hex characters: UUIDs keep 64 of their bits; anything else is hashed. */
export function contactToken(contactId: string): string {
  const hex = contactId.replace(/-/g, '').toLowerCase();
  if (/^[0-9a-f]{32}$/.test(hex)) return hex.slice(0, 16);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < contactId.length; i++) {
    const c = contactId.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return `${h1.toString(16).padStart(8, '0')}${h2.toString(16).padStart(8, '0')}`;
}

export function windowListName(window: Window, bucket: number): string {
  return `w${window.seconds}_${bucket}`;
}

export function dedupListName(bucket: number): string {
  return `d_${bucket}`;
}

/** Lists from buckets that can no longer matter, once there are more than a few of them. */
export function staleLists(
  state: CallerState,
  input: Pick<RecordInput, 'nowSeconds' | 'windows' | 'dedupSeconds'>,
): string[] {
  const stale: string[] = [];
  for (const name of state.lists.keys()) {
    const match = LIST_NAME.exec(name);
    if (!match?.[1] || !match[2]) continue;
    const seconds = match[1] === 'd' ? input.dedupSeconds : Number(match[1].slice(1));
    const bucket = Number(match[2]);
    const current = Math.floor(input.nowSeconds / seconds);
    const known = match[1] === 'd' || input.windows.some((w) => w.seconds === seconds);
    if (!known || bucket < current - 1) stale.push(name);
  }
  return stale.length > STALE_LIST_LIMIT ? stale : [];
}

function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** Builds update expressions with numbered placeholders. */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  private count = 0;

  name(attribute: string): string {
    const placeholder = `#${attribute.replace(/[^A-Za-z0-9_]/g, '_')}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: AttributeValue): string {
    const placeholder = `:v${this.count++}`;
    this.values[placeholder] = value;
    return placeholder;
  }
}

export interface DynamoScreeningStoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

/** The DynamoDB implementation: single-item atomic updates only (works on dynalite too). */
export class DynamoScreeningStore implements ScreeningStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;

  constructor(options: DynamoScreeningStoreOptions) {
    this.client = options.client;
    this.table = options.tableName;
  }

  private async send<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw new StoreUnavailableError(isAbort(error) ? `${operation} (timed out)` : operation, {
        cause: error,
      });
    }
  }

  async record(input: RecordInput, signal?: AbortSignal): Promise<RecordOutcome> {
    const x = new Expression();
    const now = x.value(n(input.nowSeconds));
    const contact = x.value({ L: [s(input.contact)] });
    const contactId = x.value(s(input.contact));
    const empty = x.value({ L: [] });
    const sets: string[] = [];
    const removes: string[] = [];
    const appendTo = (list: string) => {
      const name = x.name(list);
      sets.push(`${name} = list_append(if_not_exists(${name}, ${empty}), ${contact})`);
    };

    for (const window of input.windows) {
      const bucket = bucketOf(window, input.nowSeconds);
      appendTo(windowListName(window, bucket));
      // Fixed windows: the previous bucket is kept (a retry may find its position there).
      removes.push(x.name(windowListName(window, bucket - 2)));
    }
    const dedupWindow = { limit: 0, seconds: input.dedupSeconds };
    const dedupBucket = bucketOf(dedupWindow, input.nowSeconds);
    const seenNow = x.name(dedupListName(dedupBucket));
    const seenBefore = x.name(dedupListName(dedupBucket - 1));
    appendTo(dedupListName(dedupBucket));
    removes.push(x.name(dedupListName(dedupBucket - 2)));

    const longest = Math.max(input.dedupSeconds, ...input.windows.map((w) => w.seconds));
    // No live block is a precondition of counting, so moving expiry here cannot cut one short.
    sets.push(`${x.name(TTL)} = ${x.value(n(input.nowSeconds + 2 * longest))}`);

    const blockedUntil = x.name('blockedUntil');
    const notBlocked = `(attribute_not_exists(${blockedUntil}) OR ${blockedUntil} <= ${now})`;
    const notSeen = `NOT contains(${seenNow}, ${contactId}) AND NOT contains(${seenBefore}, ${contactId})`;

    try {
      const result = await this.send('record', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { [PK]: s(input.key), [SK]: s(STATE) },
            UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
            ConditionExpression: `${notBlocked} AND ${notSeen}`,
            ExpressionAttributeNames: x.names,
            ExpressionAttributeValues: x.values,
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          { abortSignal: signal },
        ),
      );
      return { kind: 'recorded', state: stateOf(input.key, result.Attributes) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Real DynamoDB returns the item with the failure; dynalite does not: read it then.
      const state = error.Item ? stateOf(input.key, error.Item) : await this.getState(input.key, signal);
      if (state && state.blockedUntil > input.nowSeconds) return { kind: 'blocked', state };
      if (state) return { kind: 'duplicate', state };
      throw new StoreUnavailableError('record (item vanished during a conditional update)');
    }
  }

  async compact(state: CallerState, input: RecordInput, signal?: AbortSignal): Promise<boolean> {
    const stale = staleLists(state, input);
    if (stale.length === 0) return false;
    await this.removeLists(input.key, stale, signal);
    return true;
  }

  private async removeLists(key: string, lists: readonly string[], signal?: AbortSignal): Promise<void> {
    if (lists.length === 0) return;
    const x = new Expression();
    const names = lists.map((list) => x.name(list));
    await this.send('cleanup', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [PK]: s(key), [SK]: s(STATE) },
          UpdateExpression: `REMOVE ${names.join(', ')}`,
          ConditionExpression: `attribute_exists(${x.name(PK)})`,
          ExpressionAttributeNames: x.names,
        }),
        { abortSignal: signal },
      ),
    ).catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
  }

  async getState(key: string, signal?: AbortSignal): Promise<CallerState | null> {
    const result = await this.send('read', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.table,
          Key: { [PK]: s(key), [SK]: s(STATE) },
          ConsistentRead: true,
        }),
        { abortSignal: signal },
      ),
    );
    return result.Item ? stateOf(key, result.Item) : null;
  }

  async block(input: BlockInput, signal?: AbortSignal): Promise<BlockOutcome> {
    const x = new Expression();
    const blockedUntil = x.name('blockedUntil');
    const expiresAt = x.name(TTL);
    const until = x.value(n(input.untilSeconds));
    // Auto-blocks never touch a live block; explicit ones only lengthen. Clocks cannot shorten.
    const bound = input.action === 'auto' ? x.value(n(input.nowSeconds)) : until;
    const condition = `attribute_not_exists(${blockedUntil}) OR ${blockedUntil} ${input.action === 'auto' ? '<=' : '<'} ${bound}`;
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
          new UpdateItemCommand({
            TableName: this.table,
            Key: { [PK]: s(input.key), [SK]: s(STATE) },
            UpdateExpression: `SET ${blockedUntil} = ${until}, ${x.name('blockReason')} = ${x.value(s(input.reason))}, ${x.name('blockedBy')} = ${x.value(s(input.by))}, ${x.name('blockedAt')} = ${x.value(n(input.nowSeconds))}, ${expiresAt} = ${x.value(n(input.untilSeconds + TTL_AFTER_BLOCK_SECONDS))}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: x.names,
            ExpressionAttributeValues: x.values,
          }),
          { abortSignal: signal },
        ),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const state = error.Item ? stateOf(input.key, error.Item) : await this.getState(input.key, signal);
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
          ExpressionAttributeValues: { ':pk': s(entry.key), ':at': s(`audit#${auditTime(entry.at)}#`) },
        }),
        { abortSignal: signal },
      ),
    );
    return (page.Items ?? []).some(
      (item) =>
        str(item, 'action') === entry.action &&
        str(item, 'by') === entry.by &&
        str(item, 'reason') === entry.reason &&
        num(item, 'until') === entry.until,
    );
  }

  async unblock(
    input: { key: string; by: string; reason: string; nowSeconds: number },
    signal?: AbortSignal,
  ): Promise<boolean> {
    const x = new Expression();
    const blockedUntil = x.name('blockedUntil');
    try {
      await this.send('unblock', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { [PK]: s(input.key), [SK]: s(STATE) },
            UpdateExpression: `REMOVE ${blockedUntil}, ${x.name('blockReason')}, ${x.name('blockedBy')}, ${x.name('blockedAt')}`,
            ConditionExpression: `${blockedUntil} > ${x.value(n(input.nowSeconds))}`,
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
        new PutItemCommand({
          TableName: this.table,
          Item: {
            [PK]: s(entry.key),
            [SK]: s(`audit#${at}#${id}`),
            action: s(entry.action),
            at: n(entry.at),
            by: s(entry.by),
            reason: s(entry.reason),
            until: n(entry.until),
          },
        }),
        { abortSignal: signal },
      ),
    );
  }

  async history(key: string, signal?: AbortSignal): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.send('history', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :audit)',
            ConsistentRead: true,
            ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
            ExpressionAttributeValues: { ':pk': s(key), ':audit': s('audit#') },
            ExclusiveStartKey: start,
          }),
          { abortSignal: signal },
        ),
      );
      for (const item of page.Items ?? []) {
        entries.push({
          key,
          action: str(item, 'action') as AuditEntry['action'],
          at: num(item, 'at'),
          by: str(item, 'by'),
          reason: str(item, 'reason'),
          until: num(item, 'until'),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return entries;
  }

  async *listBlocked(nowSeconds: number, signal?: AbortSignal): AsyncGenerator<CallerState> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.send('scan', () =>
        this.client.send(
          new ScanCommand({
            TableName: this.table,
            FilterExpression: '#sk = :state AND #until > :now',
            ConsistentRead: true,
            ExpressionAttributeNames: { '#sk': SK, '#until': 'blockedUntil' },
            ExpressionAttributeValues: { ':state': s(STATE), ':now': n(nowSeconds) },
            ExclusiveStartKey: start,
          }),
          { abortSignal: signal },
        ),
      );
      for (const item of page.Items ?? []) yield stateOf(str(item, PK), item);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async loadRules(signal?: AbortSignal): Promise<Rule[]> {
    const rules: Rule[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.send('rules', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: '#pk = :rules',
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ':rules': s(RULES_PK) },
            ExclusiveStartKey: start,
          }),
          { abortSignal: signal },
        ),
      );
      for (const item of page.Items ?? []) {
        rules.push({
          type: str(item, 'type') as Rule['type'],
          value: str(item, 'value'),
          action: str(item, 'ruleAction') as Rule['action'],
          note: str(item, 'note'),
          createdBy: str(item, 'createdBy'),
          createdAt: num(item, 'createdAt'),
          expiresAt: num(item, 'ruleExpiresAt'),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return rules;
  }

  async putRule(rule: Rule, signal?: AbortSignal): Promise<void> {
    await this.send('rule', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            [PK]: s(RULES_PK),
            [SK]: s(`${rule.type}#${rule.value}`),
            type: s(rule.type),
            value: s(rule.value),
            ruleAction: s(rule.action),
            note: s(rule.note),
            createdBy: s(rule.createdBy),
            createdAt: n(rule.createdAt),
            ruleExpiresAt: n(rule.expiresAt),
            // TTL cleans up expired rules eventually; the cache compares with now meanwhile.
            ...(rule.expiresAt > 0 ? { [TTL]: n(rule.expiresAt) } : {}),
          },
        }),
        { abortSignal: signal },
      ),
    );
  }

  async deleteRule(type: string, value: string, signal?: AbortSignal): Promise<boolean> {
    const result = await this.send('rule', () =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { [PK]: s(RULES_PK), [SK]: s(`${type}#${value}`) },
          ReturnValues: 'ALL_OLD',
        }),
        { abortSignal: signal },
      ),
    );
    return result.Attributes !== undefined;
  }
}
