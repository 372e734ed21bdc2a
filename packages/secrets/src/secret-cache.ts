import {
  GetSecretValueCommand,
  type GetSecretValueCommandInput,
  type GetSecretValueCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  SecretAccessDeniedError,
  type SecretError,
  SecretFormatError,
  SecretNotFoundError,
  SecretUnavailableError,
  secretErrorOf,
} from './errors.js';

/** What the cache reports to `onEvent` (see the README for when each fires). */
export type SecretCacheEvent =
  | 'hit'
  | 'miss'
  | 'refresh'
  | 'stale_served'
  | 'refresh_failed'
  | 'refresh_throttled'
  | 'error_served';

/** The one call of `SecretsManagerClient` the cache makes; tests pass a fake. */
export interface SecretsClient {
  send(
    command: GetSecretValueCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<GetSecretValueCommandOutput>;
}

/** Satisfied by contact's `Logger`. */
export interface SecretCacheLogger {
  warn(message: string, attributes?: Readonly<Record<string, unknown>>): void;
}

export interface SecretCacheOptions {
  /** Default: one `SecretsManagerClient` per process, created on first fetch. */
  client?: SecretsClient;
  /** Epoch milliseconds. Default `Date.now`. */
  clock?: () => number;
  ttlMs?: number;
  /**
   * How long one fetch (the SDK's retries included) may take before it is given up as failed:
   * then a stale value is served. 0: no limit.
   */
  fetchTimeoutMs?: number;
  /** Fraction of the TTL by which each entry's expiry is moved, up or down, at random. */
  jitter?: number;
  /** How old a value may be and still be served when its refresh fails. */
  maxStaleMs?: number;
  /** Backoff floor: forced refreshes (per reason), and retries after a failed fetch. */
  minRefreshIntervalMs?: number;
  /**
   * Most forced fetches of one cache key, whatever their reasons, inside one backoff interval:
   * the ceiling on what messages naming many different key ids can make the cache fetch.
   */
  maxForcedRefreshes?: number;
  maxBackoffMs?: number;
  /** In [0, 1]. Default `Math.random`. */
  random?: () => number;
  logger?: SecretCacheLogger;
  onEvent?: (event: SecretCacheEvent) => void;
}

export interface GetSecretOptions {
  /** Staging label. Default `AWSCURRENT`, unless `versionId` is given alone. */
  versionStage?: 'AWSCURRENT' | 'AWSPREVIOUS' | 'AWSPENDING' | (string & {});
  versionId?: string;
  /** Stops this caller's wait; the shared fetch is aborted once no caller waits for it. */
  signal?: AbortSignal;
}

export interface RefreshOptions extends GetSecretOptions {
  /**
   * Why the refresh is asked for, e.g. the key id a message named. Forced refreshes are
   * rate-limited per reason, so refreshes for one unknown key id do not hold back the refresh for
   * the next genuine one. Default: one reason for all.
   */
  reason?: string;
}

export interface Secret<T = string | Uint8Array> {
  readonly value: T;
  readonly versionId: string;
  /** The stage asked for; `undefined` when the version was asked for by id alone. */
  readonly stage: string | undefined;
  /** Epoch ms at which this value arrived from Secrets Manager. */
  readonly fetchedAt: number;
  /** True when a refresh failed (or is backing off) and this is the last value known. */
  readonly stale: boolean;
}

export const DEFAULT_TTL_MS = 300_000;
export const DEFAULT_JITTER = 0.1;
export const DEFAULT_MAX_STALE_MS = 3_600_000;
export const DEFAULT_MIN_REFRESH_INTERVAL_MS = 5_000;
export const DEFAULT_MAX_BACKOFF_MS = 60_000;
export const DEFAULT_FETCH_TIMEOUT_MS = 800;
export const DEFAULT_MAX_FORCED_REFRESHES = 4;
/** Reasons remembered per cache key; older ones are forgotten once past the longest interval. */
const MAX_REASONS = 64;

type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error };

interface Entry {
  readonly value: string | Uint8Array;
  readonly versionId: string;
  readonly stage: string | undefined;
  readonly fetchedAt: number;
  readonly expiresAt: number;
  /** The JSON reading of `value`, made on the first `getJson` of this version. */
  json?: Parsed;
}

interface Flight {
  readonly promise: Promise<Entry>;
  readonly controller: AbortController;
  /** Callers waiting; callers without a signal can never leave, so the fetch then always runs on. */
  waiters: number;
  /** The forced refreshes this fetch answers: it started after each of them was asked for. */
  readonly reasons: Set<string>;
}

/** A forced fetch that starts once the fetch in flight (which began before it was asked for) ends. */
interface QueuedFetch {
  readonly flight: Promise<Flight>;
  readonly reasons: Set<string>;
}

/** Everything known about one (secret id, stage, version id). */
interface Slot {
  entry: Entry | undefined;
  flight: Flight | undefined;
  /** Consecutive failed fetches; each doubles the backoff interval. */
  failures: number;
  lastError: SecretError | undefined;
  /** While a stale value can be served after a failure, `get` does not fetch before this. */
  retryAt: number;
  /** When the last forced fetch was started for each reason. */
  readonly forcedAt: Map<string, number>;
  /** When each recent forced fetch started, whatever its reason (for `maxForcedRefreshes`). */
  forcedTimes: number[];
  queued: QueuedFetch | undefined;
}

interface Request {
  readonly key: string;
  readonly secretId: string;
  readonly stage: string | undefined;
  readonly versionId: string | undefined;
}

interface Served {
  readonly entry: Entry;
  readonly stale: boolean;
}

let sharedClient: SecretsManagerClient | undefined;

/** Made on first use and kept: warm invocations reuse its connections. */
function defaultClient(): SecretsManagerClient {
  sharedClient ??= new SecretsManagerClient({});
  return sharedClient;
}

/**
 * A cache of Secrets Manager values for a Lambda's lifetime: TTL with jitter, one fetch in flight
 * per key, the last value served (flagged stale) while Secrets Manager fails, and forced refresh
 * with backoff for rotation.
 */
export class SecretCache {
  private readonly injectedClient: SecretsClient | undefined;
  private readonly clock: () => number;
  private readonly ttlMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly jitter: number;
  private readonly maxStaleMs: number;
  private readonly minRefreshIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxForcedRefreshes: number;
  private readonly random: () => number;
  private readonly logger: SecretCacheLogger | undefined;
  private readonly onEvent: ((event: SecretCacheEvent) => void) | undefined;
  private readonly slots = new Map<string, Slot>();

  constructor(options: SecretCacheOptions = {}) {
    this.injectedClient = options.client;
    this.clock = options.clock ?? Date.now;
    this.ttlMs = atLeastZero('ttlMs', options.ttlMs ?? DEFAULT_TTL_MS);
    this.fetchTimeoutMs = atLeastZero('fetchTimeoutMs', options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS);
    this.jitter = atLeastZero('jitter', options.jitter ?? DEFAULT_JITTER);
    if (this.jitter > 1) throw new RangeError('SecretCache jitter must be a fraction in [0, 1]');
    this.maxStaleMs = atLeastZero('maxStaleMs', options.maxStaleMs ?? DEFAULT_MAX_STALE_MS);
    this.minRefreshIntervalMs = atLeastZero(
      'minRefreshIntervalMs',
      options.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_INTERVAL_MS,
    );
    this.maxBackoffMs = atLeastZero('maxBackoffMs', options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS);
    if (this.maxBackoffMs < this.minRefreshIntervalMs) {
      throw new RangeError('SecretCache maxBackoffMs must be >= minRefreshIntervalMs');
    }
    this.maxForcedRefreshes = atLeastZero(
      'maxForcedRefreshes',
      options.maxForcedRefreshes ?? DEFAULT_MAX_FORCED_REFRESHES,
    );
    this.random = options.random ?? Math.random;
    this.logger = options.logger;
    this.onEvent = options.onEvent;
  }

  /** The secret's value: cached while fresh, fetched once for all callers otherwise. */
  async get(secretId: string, options: GetSecretOptions = {}): Promise<Secret> {
    return view(await this.serve(requestOf(secretId, options), options.signal));
  }

  /**
   * The secret parsed as JSON, once per version: callers share one object (treat it as
   * read-only). `T` is not checked.
   */
  async getJson<T = unknown>(secretId: string, options: GetSecretOptions = {}): Promise<Secret<T>> {
    const served = await this.serve(requestOf(secretId, options), options.signal);
    return { ...view(served), value: parsedValue(served.entry, secretId) as T };
  }

  /**
   * Fetches again now, whatever the TTL says (a decrypt failed with the cached key: rotation),
   * with a fetch that starts after this call: never one already in flight. At most one forced
   * fetch per reason per backoff interval, `maxForcedRefreshes` in all; inside it the cached value
   * is returned.
   */
  async refresh(secretId: string, options: RefreshOptions = {}): Promise<Secret> {
    return view(await this.force(requestOf(secretId, options), options.reason ?? '', options.signal));
  }

  private async serve(request: Request, signal: AbortSignal | undefined): Promise<Served> {
    const slot = this.slotOf(request.key);
    const now = this.clock();
    const { entry } = slot;
    if (entry && now < entry.expiresAt) {
      this.emit('hit');
      return { entry, stale: false };
    }
    const backingOff = !slot.flight && now < slot.retryAt;
    if (backingOff) {
      if (entry && this.servable(entry, now)) {
        this.emit('stale_served');
        return { entry, stale: true };
      }
      // Nothing to serve (a cold start while Secrets Manager is down): the last failure is the
      // answer until the backoff has passed, so an outage costs one fetch per interval, not per call.
      if (slot.lastError) {
        this.emit('error_served');
        throw slot.lastError;
      }
    }
    this.emit('miss');
    return this.wait(slot, request, signal);
  }

  private async force(request: Request, reason: string, signal: AbortSignal | undefined): Promise<Served> {
    const slot = this.slotOf(request.key);
    const now = this.clock();
    // Refreshes for the same reason while its fetch is queued or running share it: inside the
    // interval they would not fetch anyway.
    if (slot.flight?.reasons.has(reason)) return this.wait(slot, request, signal, slot.flight);
    if (slot.queued?.reasons.has(reason)) return this.waitQueued(slot, request, signal, slot.queued);
    if (this.forceThrottled(slot, reason, now)) return this.throttled(slot, request, signal, now);
    this.noteForced(slot, reason, now);
    if (!slot.entry) this.emit('miss');
    if (slot.queued) {
      slot.queued.reasons.add(reason);
      return this.waitQueued(slot, request, signal, slot.queued);
    }
    // A fetch in flight may have read the secret before what prompted this refresh (a rotation):
    // wait for one that starts after it.
    if (slot.flight) return this.waitQueued(slot, request, signal, this.queue(slot, request, reason));
    return this.wait(slot, request, signal, this.launch(slot, request, reason));
  }

  private forceThrottled(slot: Slot, reason: string, now: number): boolean {
    const interval = this.interval(slot.failures);
    const sameReason = now - (slot.forcedAt.get(reason) ?? Number.NEGATIVE_INFINITY) < interval;
    slot.forcedTimes = slot.forcedTimes.filter((at) => now - at < interval);
    const ceiling = slot.forcedTimes.length >= this.maxForcedRefreshes;
    // After a failed fetch, no forced fetch either until the backoff has passed.
    const failing = !slot.flight && now < slot.retryAt;
    return sameReason || ceiling || failing;
  }

  private noteForced(slot: Slot, reason: string, now: number): void {
    slot.forcedTimes.push(now);
    slot.forcedAt.delete(reason);
    slot.forcedAt.set(reason, now);
    if (slot.forcedAt.size <= MAX_REASONS) return;
    for (const [old, at] of slot.forcedAt) {
      if (slot.forcedAt.size <= MAX_REASONS) break;
      // Past the longest interval a reason no longer limits anything; the ceiling still holds.
      if (now - at >= this.maxBackoffMs || slot.forcedAt.size > 2 * MAX_REASONS) slot.forcedAt.delete(old);
    }
  }

  /** A forced fetch that starts when the one in flight has settled (whatever its outcome). */
  private queue(slot: Slot, request: Request, reason: string): QueuedFetch {
    const running = slot.flight?.promise ?? Promise.resolve();
    const reasons = new Set([reason]);
    const flight = running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        slot.queued = undefined;
        // A fetch started since then began after every queued refresh was asked for: it will do.
        const next = slot.flight ?? this.launch(slot, request, undefined);
        for (const queuedReason of reasons) next.reasons.add(queuedReason);
        return next;
      });
    const queued: QueuedFetch = { flight, reasons };
    slot.queued = queued;
    return queued;
  }

  private async waitQueued(
    slot: Slot,
    request: Request,
    signal: AbortSignal | undefined,
    queued: QueuedFetch,
  ): Promise<Served> {
    if (!signal) return this.wait(slot, request, signal, await queued.flight);
    if (signal.aborted) throw abortedError(request.secretId, signal);
    let onAbort = (): void => undefined;
    const left = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortedError(request.secretId, signal));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return this.wait(slot, request, signal, await Promise.race([queued.flight, left]));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async throttled(
    slot: Slot,
    request: Request,
    signal: AbortSignal | undefined,
    now: number,
  ): Promise<Served> {
    this.emit('refresh_throttled');
    const { entry } = slot;
    if (entry && now < entry.expiresAt) return { entry, stale: false };
    if (entry && this.servable(entry, now)) {
      this.emit('stale_served');
      return { entry, stale: true };
    }
    if (slot.lastError) throw slot.lastError;
    return this.serve(request, signal);
  }

  /** Joins the key's fetch (starting one if none runs); on failure serves the stale value if allowed. */
  private async wait(
    slot: Slot,
    request: Request,
    signal: AbortSignal | undefined,
    chosen?: Flight,
  ): Promise<Served> {
    if (signal?.aborted) throw abortedError(request.secretId, signal);
    const flight = chosen ?? slot.flight ?? this.launch(slot, request, undefined);
    try {
      return { entry: await this.join(slot, flight, request.secretId, signal), stale: false };
    } catch (error) {
      if (signal?.aborted || revokes(error)) throw error;
      const { entry } = slot;
      if (entry && this.servable(entry, this.clock())) {
        this.emit('stale_served');
        return { entry, stale: true };
      }
      throw error;
    }
  }

  private launch(slot: Slot, request: Request, reason: string | undefined): Flight {
    const controller = new AbortController();
    if (slot.entry) this.emit('refresh');
    // A fetch that hangs (a client without timeouts, a black-holed endpoint) is a failure too, in
    // time for a stale value to be served inside the caller's budget.
    let timedOut = false;
    const timer =
      this.fetchTimeoutMs > 0
        ? setTimeout(() => {
            if (controller.signal.aborted) return;
            timedOut = true;
            controller.abort(new SecretUnavailableError(request.secretId, 'timed out'));
          }, this.fetchTimeoutMs)
        : undefined;
    timer?.unref();
    const promise = this.fetch(request, controller.signal).then(
      (fresh) => {
        clearTimeout(timer);
        // Every caller left and the fetch was aborted: its outcome belongs to nobody.
        if (controller.signal.aborted && !timedOut) return fresh;
        if (slot.flight?.controller === controller) slot.flight = undefined;
        slot.entry = keepParsed(slot.entry, fresh);
        slot.failures = 0;
        slot.lastError = undefined;
        slot.retryAt = Number.NEGATIVE_INFINITY;
        return slot.entry;
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (controller.signal.aborted && !timedOut) throw error;
        if (slot.flight?.controller === controller) slot.flight = undefined;
        const failure = timedOut
          ? new SecretUnavailableError(request.secretId, 'timed out', { cause: error })
          : secretErrorOf(request.secretId, error);
        const now = this.clock();
        slot.failures += 1;
        slot.lastError = failure;
        slot.retryAt = now + this.interval(slot.failures);
        this.emit('refresh_failed');
        // Revocation must bite: a secret that is gone or no longer ours is not served stale.
        if (revokes(failure)) slot.entry = undefined;
        if (slot.entry && this.servable(slot.entry, now)) this.warnStale(request, failure);
        throw failure;
      },
    );
    // Waiters handle the outcome; this keeps an abandoned fetch from being an unhandled rejection.
    promise.catch(() => undefined);
    const reasons = new Set<string>(reason === undefined ? [] : [reason]);
    const flight: Flight = { promise, controller, waiters: 0, reasons };
    slot.flight = flight;
    return flight;
  }

  private join(
    slot: Slot,
    flight: Flight,
    secretId: string,
    signal: AbortSignal | undefined,
  ): Promise<Entry> {
    if (!signal) {
      flight.waiters += 1;
      return flight.promise;
    }
    if (signal.aborted) return Promise.reject(abortedError(secretId, signal));
    flight.waiters += 1;
    return new Promise<Entry>((resolve, reject) => {
      const onAbort = (): void => {
        flight.waiters -= 1;
        if (flight.waiters === 0) {
          flight.controller.abort(signal.reason);
          // Later callers start a fetch of their own rather than join a dying one.
          if (slot.flight === flight) slot.flight = undefined;
        }
        reject(abortedError(secretId, signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async fetch(request: Request, signal: AbortSignal): Promise<Entry> {
    const command = new GetSecretValueCommand(inputOf(request));
    const output = await this.client().send(command, { abortSignal: signal });
    const value = output.SecretString ?? output.SecretBinary;
    if (value === undefined) {
      throw new SecretFormatError(request.secretId, 'has neither SecretString nor SecretBinary');
    }
    if (!output.VersionId) throw new SecretFormatError(request.secretId, 'has no VersionId');
    const fetchedAt = this.clock();
    return {
      value,
      versionId: output.VersionId,
      stage: request.stage,
      fetchedAt,
      expiresAt: fetchedAt + this.jitteredTtl(),
    };
  }

  private client(): SecretsClient {
    return this.injectedClient ?? defaultClient();
  }

  private slotOf(key: string): Slot {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = {
        entry: undefined,
        flight: undefined,
        failures: 0,
        lastError: undefined,
        retryAt: Number.NEGATIVE_INFINITY,
        forcedAt: new Map(),
        forcedTimes: [],
        queued: undefined,
      };
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Spread over ttl × (1 ± jitter) so a fleet that started together does not refresh together. */
  private jitteredTtl(): number {
    const random = Math.min(1, Math.max(0, this.random()));
    return this.ttlMs * (1 + this.jitter * (2 * random - 1));
  }

  /** minRefreshIntervalMs after a success, doubled by each consecutive failure, capped. */
  private interval(failures: number): number {
    return Math.min(this.minRefreshIntervalMs * 2 ** failures, this.maxBackoffMs);
  }

  private servable(entry: Entry, now: number): boolean {
    return now - entry.fetchedAt <= this.maxStaleMs;
  }

  private warnStale(request: Request, failure: SecretError): void {
    const errorName = failure.cause instanceof Error ? failure.cause.name : failure.name;
    try {
      this.logger?.warn('secret refresh failed, serving the cached value', {
        secretId: request.secretId,
        errorName,
      });
    } catch {
      // Logging must never turn a served value into a failure.
    }
  }

  private emit(event: SecretCacheEvent): void {
    try {
      this.onEvent?.(event);
    } catch {
      // Same: an observer's bug must not break secret reads.
    }
  }
}

/** Failures that end stale-if-error at once; throttling, 5xx, timeouts and network keep it. */
function revokes(error: unknown): boolean {
  return error instanceof SecretAccessDeniedError || error instanceof SecretNotFoundError;
}

function atLeastZero(option: string, value: number): number {
  if (!(value >= 0)) throw new RangeError(`SecretCache ${option} must be a number >= 0`);
  return value;
}

function requestOf(secretId: string, options: GetSecretOptions): Request {
  if (typeof secretId !== 'string' || secretId === '') {
    throw new TypeError('secretId must be a non-empty string');
  }
  const { versionId } = options;
  const stage = options.versionStage ?? (versionId === undefined ? 'AWSCURRENT' : undefined);
  // Secret ids, stages and version ids never contain a newline.
  const key = `${secretId}\n${stage ?? ''}\n${versionId ?? ''}`;
  return { key, secretId, stage, versionId };
}

function inputOf(request: Request): GetSecretValueCommandInput {
  return {
    SecretId: request.secretId,
    ...(request.stage === undefined ? {} : { VersionStage: request.stage }),
    ...(request.versionId === undefined ? {} : { VersionId: request.versionId }),
  };
}

function abortedError(secretId: string, signal: AbortSignal): SecretUnavailableError {
  return new SecretUnavailableError(secretId, 'fetch aborted', { cause: signal.reason });
}

/** A copy of binary values: a caller that wipes its key bytes must not wipe the cache. */
function view({ entry, stale }: Served): Secret {
  const value = typeof entry.value === 'string' ? entry.value : new Uint8Array(entry.value);
  return { value, versionId: entry.versionId, stage: entry.stage, fetchedAt: entry.fetchedAt, stale };
}

function parsedValue(entry: Entry, secretId: string): unknown {
  entry.json ??= parseJson(entry.value, secretId);
  if (!entry.json.ok) throw entry.json.error;
  return entry.json.value;
}

function parseJson(value: string | Uint8Array, secretId: string): Parsed {
  try {
    const text = typeof value === 'string' ? value : new TextDecoder('utf-8', { fatal: true }).decode(value);
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, error: new SecretFormatError(secretId, 'not valid JSON') };
  }
}

/** A TTL refresh that brings back the same version keeps its parsed JSON (and its identity). */
function keepParsed(previous: Entry | undefined, fresh: Entry): Entry {
  if (previous?.json && previous.versionId === fresh.versionId && sameValue(previous.value, fresh.value)) {
    fresh.json = previous.json;
  }
  return fresh;
}

function sameValue(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
