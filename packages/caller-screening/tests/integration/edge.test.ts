// Screening at the edge on dynalite: screenRequest counts a web request once, by the same limits,
// rules and blocks as a flow; the flow's screen-caller trusts the identity start-contact signed,
// once per contact, with a real Secrets Manager (local) holding the signing key.
import { randomBytes, randomUUID } from 'node:crypto';
import { flowHandler } from '@flowguard/contact';
import { chatEvent, type LocalSecretsManager, startLocalAws, transferEvent } from '@flowguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readScreeningConfig } from '../../src/config.js';
import { screenRequest } from '../../src/edge.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { screenCaller } from '../../src/functions.js';
import { Screener } from '../../src/screener.js';
import {
  SIGNED_IDENTITY_ATTRIBUTES as A,
  newNonce,
  SigningKeys,
  type SigningSecretSource,
  signIdentity,
} from '../../src/signed-identity.js';
import { DynamoScreeningStore } from '../../src/store.js';
import { type Rig, startRig, T0 } from './helpers.js';

const SECRET_ID = 'flowguard/edge-signing';

/** One call of the local Secrets Manager's JSON protocol (this package has no Secrets Manager SDK). */
async function secretsCall(
  operation: string,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await fetch(secrets.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `secretsmanager.${operation}`,
    },
    body: JSON.stringify(input),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${operation}: ${String(body.__type)}`);
  return body;
}

/** Secrets Manager itself (local), uncached: what @flowguard/secrets' cache reads in production. */
const source = (): SigningSecretSource => ({
  async get(secretId, options) {
    const answer = await secretsCall('GetSecretValue', {
      SecretId: secretId,
      VersionStage: options?.versionStage,
    });
    return { value: String(answer.SecretString ?? '') };
  },
});

let rig: Rig;
let secrets: LocalSecretsManager;
let signingKey: Buffer;

beforeAll(async () => {
  rig = await startRig({ FLOWGUARD_IP_LIMITS: '10/10m,50/1d', FLOWGUARD_CUSTOMER_LIMITS: '3/10m' });
  const local = await startLocalAws({ secretsManager: true });
  secrets = local.secretsManager;
  signingKey = randomBytes(32);
  await secretsCall('CreateSecret', { Name: SECRET_ID, SecretString: signingKey.toString('base64') });
});

afterAll(async () => {
  await rig.local.stop();
  await secrets.stop();
});

beforeEach(() => {
  rig.clock.ms = T0;
});

let address = 0;
/** A documentation address no other test has used. */
const nextIp = () => {
  address += 1;
  return `198.51.${Math.floor(address / 250)}.${(address % 250) + 1}`;
};

describe('screenRequest', () => {
  it('admits exactly the limit of 50 concurrent requests from one address, one store request each', async () => {
    const ip = nextIp();
    const before = rig.counter.total();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => screenRequest(rig.screener, { ip }, { requestId: newNonce() })),
    );
    const decisions = results.map((r) => r.decision);
    expect(decisions.filter((d) => d === 'ALLOW')).toHaveLength(10);
    // The 30th over the limit reaches 3 x 10 and auto-blocks; the rest see the block.
    expect(decisions.filter((d) => d === 'THROTTLE').length).toBeGreaterThan(0);
    expect(results.every((r) => r.key === `ip:${ip}`)).toBe(true);
    const throttled = results.filter((r) => r.decision === 'THROTTLE');
    expect(throttled.every((r) => r.reason === 'rate_limited' && r.retryAfterSeconds > 0)).toBe(true);
    // One count each, one auto-block (and its history entry), the rules read once; no other request.
    expect(rig.counter.total() - before).toBeLessThanOrEqual(50 + 3);
  });

  it('counts a request screened twice (the same requestId) once', async () => {
    const ip = nextIp();
    const requestId = newNonce();
    for (let i = 0; i < 3; i++) await screenRequest(rig.screener, { ip }, { requestId });
    const state = await rig.store.getState(`ip:${ip}`);
    expect([...(state?.counts.values() ?? [])]).toEqual([1, 1]);
  });

  it('counts every address of one IPv6 /64 as one caller', async () => {
    const answers: string[] = [];
    for (let i = 1; i <= 12; i++) {
      const result = await screenRequest(
        rig.screener,
        { ip: `2001:db8:77:1:${i.toString(16)}::${i}` },
        { requestId: newNonce() },
      );
      answers.push(result.decision);
    }
    expect(answers.slice(0, 10).every((d) => d === 'ALLOW')).toBe(true);
    expect(answers.slice(10)).toEqual(['THROTTLE', 'THROTTLE']);
  });

  it('counts a verified customer by its id when asked, across addresses', async () => {
    const customerId = `customer-${randomUUID()}`;
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) {
      const result = await screenRequest(
        rig.screener,
        { ip: nextIp(), customerId },
        { requestId: newNonce(), keyBy: 'customer' },
      );
      expect(result.key).toBe(`cust:${customerId}`);
      answers.push(result.decision);
    }
    expect(answers).toEqual(['ALLOW', 'ALLOW', 'ALLOW', 'THROTTLE']);
  });

  it('blocks a request whose other identity is on the blocklist, with no store request for it', async () => {
    const customerId = `customer-${randomUUID()}`;
    await rig.store.putRule({
      type: 'caller',
      value: `cust:${customerId}`,
      action: 'BLOCK',
      note: 'test',
      createdBy: 'test',
      createdAt: T0 / 1000,
      expiresAt: 0,
    });
    const screener = rig.instance();
    const ip = nextIp();
    const result = await screenRequest(screener, { ip, customerId }, { requestId: newNonce() });
    expect(result).toMatchObject({ decision: 'BLOCK', reason: 'rule', key: `ip:${ip}` });
    expect(await rig.store.getState(`ip:${ip}`)).toBeNull();
  });

  it('answers a request with no usable identity by the unidentified actions', async () => {
    const none = await screenRequest(rig.screener, {}, { requestId: newNonce() });
    expect(none).toMatchObject({ decision: 'ALLOW', reason: 'no_identity', key: null });
    const bad = await screenRequest(rig.screener, { ip: '300.1.1.1' }, { requestId: newNonce() });
    expect(bad).toMatchObject({
      decision: 'THROTTLE',
      reason: 'no_identity',
      key: null,
      warning: 'ip_unparseable',
    });
  });

  it('refuses an empty requestId', async () => {
    await expect(screenRequest(rig.screener, { ip: nextIp() }, { requestId: '' })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('screen-caller with trustSignedIdentity', () => {
  const quiet = { config: { logLevel: 'silent' as const, metrics: false }, env: {} };
  let metrics: string[];

  function handler(screener: Screener = rig.screener) {
    const keys = new SigningKeys(source(), SECRET_ID);
    metrics = [];
    return flowHandler(screenCaller(screener, { keys, maxAgeSeconds: 120 }), {
      ...quiet,
      config: { logLevel: 'silent', metrics: true },
      metricSink: (line) => metrics.push(line),
    });
  }

  /** What start-contact does: screen the request, then sign what it counted. */
  async function edgeStart(ip: string) {
    const nonce = newNonce();
    const result = await screenRequest(rig.screener, { ip }, { requestId: nonce });
    expect(result.decision).toBe('ALLOW');
    const attributes = signIdentity(signingKey, {
      key: result.key as string,
      customerId: '',
      issuedAt: Math.floor(rig.clock.ms / 1000),
      nonce,
    });
    return { nonce, attributes };
  }

  const trusted = { trustSignedIdentity: 'true' };

  it('trusts the edge: ALLOW without counting the contact again, retries and transfers included', async () => {
    const ip = nextIp();
    const { attributes } = await edgeStart(ip);
    const before = [...((await rig.store.getState(`ip:${ip}`))?.counts ?? [])];
    const event = chatEvent({ attributes, parameters: trusted });
    const invoke = handler();
    const first = await invoke(event);
    expect(first).toMatchObject({ decision: 'ALLOW', reason: 'edge_screened', callerType: 'ip' });
    expect(await invoke(event)).toMatchObject({ decision: 'ALLOW', reason: 'edge_screened' });
    expect(await invoke(transferEvent(event, { parameters: trusted }))).toMatchObject({
      decision: 'ALLOW',
      reason: 'edge_screened',
    });
    expect([...((await rig.store.getState(`ip:${ip}`))?.counts ?? [])]).toEqual(before);
    expect(before.map(([, n]) => n)).toEqual([1, 1]);
  });

  it('refuses a replay on another contact: it is screened as a contact with no identity', async () => {
    const { attributes } = await edgeStart(nextIp());
    const invoke = handler();
    expect(await invoke(chatEvent({ attributes, parameters: trusted }))).toMatchObject({
      reason: 'edge_screened',
    });
    const replay = await invoke(chatEvent({ attributes, parameters: { ...trusted, unidentified: 'block' } }));
    expect(replay).toMatchObject({ decision: 'BLOCK', reason: 'no_identity' });
    expect(metrics.join('\n')).toContain('Identity_signature_replayed');
  });

  it('treats a forged, stale or malformed signature as no identity, with a metric for each', async () => {
    const invoke = handler();
    const { attributes } = await edgeStart(nextIp());
    const forged = { ...attributes, [A.key]: `ip:${nextIp()}` };
    const parameters = { ...trusted, unidentified: 'throttle' };
    expect(await invoke(chatEvent({ attributes: forged, parameters }))).toMatchObject({
      decision: 'THROTTLE',
      reason: 'no_identity',
    });
    expect(metrics.join('\n')).toContain('Identity_signature_forged');

    const old = await edgeStart(nextIp());
    rig.clock.advance(121);
    expect(await invoke(chatEvent({ attributes: old.attributes, parameters }))).toMatchObject({
      reason: 'no_identity',
    });
    expect(metrics.join('\n')).toContain('Identity_signature_stale');

    expect(
      await invoke(chatEvent({ attributes: { ...attributes, [A.nonce]: 'x' }, parameters })),
    ).toMatchObject({ reason: 'no_identity' });
    expect(metrics.join('\n')).toContain('Identity_signature_malformed');
  });

  it('screens a contact as before when the flow does not ask for trust, signature or not', async () => {
    const ip = nextIp();
    const { attributes } = await edgeStart(ip);
    const result = await handler()(chatEvent({ attributes: { ...attributes, customerIp: ip } }));
    expect(result).toMatchObject({ decision: 'ALLOW', reason: 'ok', callerType: 'ip' });
  });

  it('still blocks a caller blocked since the edge admitted it (a rule)', async () => {
    const ip = nextIp();
    const { attributes } = await edgeStart(ip);
    await rig.store.putRule({
      type: 'caller',
      value: `ip:${ip}`,
      action: 'BLOCK',
      note: 'test',
      createdBy: 'test',
      createdAt: T0 / 1000,
      expiresAt: 0,
    });
    const result = await handler(rig.instance())(chatEvent({ attributes, parameters: trusted }));
    expect(result).toMatchObject({ decision: 'BLOCK', reason: 'rule' });
  });

  it('verifies with the previous key after a rotation moved AWSCURRENT', async () => {
    const { attributes } = await edgeStart(nextIp());
    const rotated = randomBytes(32);
    await secretsCall('PutSecretValue', { SecretId: SECRET_ID, SecretString: rotated.toString('base64') });
    try {
      const result = await handler()(chatEvent({ attributes, parameters: trusted }));
      expect(result).toMatchObject({ decision: 'ALLOW', reason: 'edge_screened' });
    } finally {
      signingKey = rotated;
    }
  });

  it('answers not_configured when trust is asked of a function without a signing key', async () => {
    const invoke = flowHandler(screenCaller(rig.screener), quiet);
    const { attributes } = await edgeStart(nextIp());
    expect(await invoke(chatEvent({ attributes, parameters: trusted }))).toMatchObject({
      error: 'not_configured',
    });
  });

  it('answers key_unavailable when the signing secret cannot be read', async () => {
    const keys = new SigningKeys(source(), 'flowguard/no-such-secret');
    const invoke = flowHandler(screenCaller(rig.screener, { keys, maxAgeSeconds: 120 }), quiet);
    const { attributes } = await edgeStart(nextIp());
    expect(await invoke(chatEvent({ attributes, parameters: trusted }))).toMatchObject({
      error: 'key_unavailable',
    });
  });

  it('claims with one store request on the memory of a fresh instance', async () => {
    const { attributes } = await edgeStart(nextIp());
    const screener = new Screener({
      store: new DynamoScreeningStore({ client: rig.local.client, tableName: rig.local.tableName }),
      config: readScreeningConfig({}),
      clock: rig.clock.now,
    });
    await screener.currentRules();
    const before = rig.counter.total();
    await handler(screener)(chatEvent({ attributes, parameters: trusted }));
    expect(rig.counter.total() - before).toBe(1);
  });
});

describe('a signed identity while the store is down', () => {
  const signed = () => ({ key: 'ip:203.0.113.99', customerId: '', issuedAt: T0 / 1000, nonce: newNonce() });

  function downStore(): DynamoScreeningStore {
    const store = new DynamoScreeningStore({ client: rig.local.client, tableName: rig.local.tableName });
    store.claim = async () => {
      throw new StoreUnavailableError('claim');
    };
    return store;
  }

  it('fails open within the in-memory limits, counted under the nonce', async () => {
    const screener = new Screener({
      store: downStore(),
      config: readScreeningConfig({ FLOWGUARD_IP_LIMITS: '2/10m' }),
      clock: rig.clock.now,
    });
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(await screener.screenSigned(signed(), randomUUID(), { maxAgeSeconds: 120 }));
    expect(answers.map((a) => `${a?.decision}/${a?.error}`)).toEqual([
      'ALLOW/store_unavailable',
      'ALLOW/store_unavailable',
      'THROTTLE/store_unavailable',
    ]);
  });

  it('blocks when the fail mode is closed', async () => {
    const screener = new Screener({
      store: downStore(),
      config: readScreeningConfig({ FLOWGUARD_FAIL_MODE: 'closed' }),
      clock: rig.clock.now,
    });
    const answer = await screener.screenSigned(signed(), randomUUID(), { maxAgeSeconds: 120 });
    expect(answer).toMatchObject({ decision: 'BLOCK', reason: 'store_unavailable' });
  });
});
