// CHALLENGE at the edge: a surge challenges voice callers only (screenRequest passes no `voice`), and
// were a CHALLENGE ever to reach start-contact, a web client has no keypad: refused, never started.
import {
  type CallerIdentity,
  MemoryScreeningStore,
  readScreeningConfig,
  Screener,
  type ScreeningResult,
} from '@flowguard/caller-screening';
import { parseContactEvent } from '@flowguard/contact';
import { voiceEvent } from '@flowguard/testing';
import { describe, expect, it } from 'vitest';
import { readEdgeConfig } from '../../src/config.js';
import type { ConnectStarter, StartInput } from '../../src/connect.js';
import { startContact } from '../../src/handler.js';
import type { TokenVerifier } from '../../src/token.js';

const ORIGIN = 'https://www.example.com';
const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);
const config = readEdgeConfig({
  FLOWGUARD_CONNECT_INSTANCE_ID: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  FLOWGUARD_EDGE_FLOWS: 'support=11111111-2222-4333-8444-555555555555',
  FLOWGUARD_EDGE_ALLOWED_ORIGINS: ORIGIN,
  FLOWGUARD_EDGE_SIGNING_SECRET_ID: 'edge/signing',
});

/** A chat request from 203.0.113.7 as a Function URL (payload 2.0) hands it to the handler. */
const chatRequest = (sourceIp = '203.0.113.7') => ({
  version: '2.0',
  routeKey: '$default',
  rawPath: '/',
  rawQueryString: '',
  headers: { origin: ORIGIN, 'content-type': 'application/json' },
  requestContext: { http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp } },
  body: JSON.stringify({ kind: 'chat', flow: 'support', displayName: 'Ada' }),
  isBase64Encoded: false,
});

/** start-contact over `screener`, with Connect, the signing key and tokens standing in. */
function rig(screener: Screener) {
  const started: StartInput[] = [];
  const connect: ConnectStarter = {
    start: async (input) => {
      started.push(input);
      return { ContactId: `contact-${started.length}`, ParticipantToken: 'pt' };
    },
  };
  const tokens = { verify: async () => ({ ok: true, customerId: undefined }) } as unknown as TokenVerifier;
  const metrics: string[] = [];
  const logs: string[] = [];
  const handler = startContact({
    config,
    screener,
    connect,
    signingKeys: { current: async () => new Uint8Array(32).fill(7) },
    tokens,
    env: {},
    handlerConfig: { metrics: true },
    clock: () => T0,
    logSink: (line) => logs.push(line),
    metricSink: (line) => metrics.push(line),
  });
  /** The metric names emitted (the EMF lines' CloudWatchMetrics names). */
  const names = () =>
    metrics.flatMap((line) =>
      (
        JSON.parse(line) as { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } }
      )._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((metric) => metric.Name)),
    );
  return { handler, started, names, logs };
}

describe('start-contact and CHALLENGE', () => {
  it('is never challenged by a surge: a manual surge challenges a voice caller, not a chat request', async () => {
    const store = new MemoryScreeningStore();
    const screening = readScreeningConfig({});
    expect(screening.aggregates.enabled).toBe(true);
    // `flowguard surge on --for 10m`: the manual surge's end on every shard item.
    for (let shard = 0; shard < screening.aggregates.shards; shard++)
      await store.updateAggregates({ shard, set: { m: T0 / 1000 + 600, mby: 'ops' } });
    const screener = new Screener({ store, config: screening, clock: () => T0 });
    // The surge is on for this screener: a voice caller not verified lately is challenged.
    const voice = await screener.screen(parseContactEvent(voiceEvent('+14155550123')), { voice: {} });
    expect(voice).toMatchObject({ decision: 'CHALLENGE', reason: 'surge', rule: 'surge:manual' });
    const { handler, started, names } = rig(screener);

    const response = await handler(chatRequest());

    expect(response.statusCode).toBe(200);
    expect(started).toHaveLength(1);
    expect(names()).toContain('Allow');
    expect(names()).not.toContain('Challenge');
  });

  it('refuses a CHALLENGE (403, metric Challenge) and starts no contact', async () => {
    // A screener answering CHALLENGE to whatever reaches it: the decision start-contact must map.
    class ChallengingScreener extends Screener {
      override async screenIdentity(identity: CallerIdentity): Promise<ScreeningResult> {
        return {
          decision: 'CHALLENGE',
          reason: 'surge',
          rule: 'surge:manual',
          callerType: identity.class,
          lineType: 'unknown',
          callerCountry: '',
          retryAfterSeconds: 0,
          blockedUntil: 0,
        };
      }
    }
    const screener = new ChallengingScreener({
      store: new MemoryScreeningStore(),
      config: readScreeningConfig({}),
      clock: () => T0,
    });
    const { handler, started, names, logs } = rig(screener);

    const response = await handler(chatRequest());

    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ error: 'forbidden' });
    expect(started).toEqual([]);
    expect(names()).toContain('Challenge');
    expect(names()).not.toContain('Allow');
    const request = logs.map((l) => JSON.parse(l)).find((l) => l.message === 'request');
    expect(request).toMatchObject({
      outcome: 'blocked',
      status: 403,
      decision: 'CHALLENGE',
      reason: 'surge',
    });
  });
});
