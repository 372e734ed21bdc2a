import { createServer, type Server, type Socket } from 'node:net';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { type FlowFunction, flowHandler } from '@flowguard/contact';
import { TABLE_KEYS } from '@flowguard/table';
import { chatEvent, LOCAL_CREDENTIALS, LOCAL_REGION, voiceEvent } from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readScreeningConfig } from '../../src/config.js';
import { flagCaller, screenCaller, screeningDynamoClient } from '../../src/functions.js';
import { Screener } from '../../src/screener.js';
import { DynamoScreeningStore } from '../../src/store.js';
import { type Rig, startRig, T0 } from './helpers.js';

const quiet = { config: { logLevel: 'silent' as const, metrics: false }, env: {} };

function handlerFor(fn: FlowFunction, logs?: string[]) {
  return flowHandler(fn, {
    env: {},
    config: { logLevel: 'info', metrics: true },
    logSink: (line) => logs?.push(line),
    metricSink: (line) => logs?.push(line),
  });
}

/** A TCP server that accepts connections and never answers: a store that hangs. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function screenerAt(endpoint: string, env: Record<string, string>) {
  const config = readScreeningConfig(env);
  const client = screeningDynamoClient(config, {
    region: LOCAL_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  return new Screener({ store: new DynamoScreeningStore({ client, tableName: 'flowguard' }), config });
}

describe('screen-caller', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig();
  });

  afterAll(async () => {
    await rig.local.stop();
  });

  it('answers a flat map the flow can branch on', async () => {
    const handler = handlerFor(screenCaller(rig.screener));

    const response = await handler(voiceEvent('+14155550123'));

    expect(response).toEqual({
      decision: 'ALLOW',
      reason: 'ok',
      callerType: 'phone',
      lineType: 'fixed_line_or_mobile',
      callerCountry: 'US',
      retryAfterSeconds: '0',
      blockedUntil: '',
      rule: '',
      signals: '',
      monitoredDecision: '',
      monitoredRule: '',
      error: '',
    });
  });

  it('gives a blocked caller the block end in ISO 8601', async () => {
    await rig.store.block({
      key: 'tel:+14155550188',
      untilSeconds: T0 / 1000 + 7200,
      reason: 'fraud',
      by: 'analyst',
      nowSeconds: T0 / 1000,
      action: 'block',
    });

    const response = await handlerFor(screenCaller(rig.screener))(voiceEvent('+14155550188'));

    expect(response).toMatchObject({
      decision: 'BLOCK',
      reason: 'blocklisted',
      blockedUntil: '2026-03-02T12:00:00Z',
    });
    expect(response.retryAfterSeconds).toBe('7200');
  });

  it.each([
    ['null', null],
    ['a string', 'event'],
    ['no Details', { Name: 'ContactFlowEvent' }],
    ['a numeric ContactId', { Details: { ContactData: { ContactId: 7 } } }],
  ])('answers %s with the fail-open decision and error=bad_event', async (_, event) => {
    const response = await handlerFor(screenCaller(rig.screener))(event);

    expect(response).toMatchObject({ decision: 'ALLOW', reason: 'bad_event', error: 'bad_event' });
  });

  it('answers an unknown policy with error=unknown_policy', async () => {
    const response = await handlerFor(screenCaller(rig.screener))(
      voiceEvent('+14155550123', { parameters: { policy: 'gold' } }),
    );

    expect(response).toMatchObject({ error: 'unknown_policy', reason: 'unknown_policy' });
  });

  it('throttles a chat whose IP attribute is there but unusable, and counts the refusal as a metric without the value', async () => {
    const lines: string[] = [];
    const handler = handlerFor(screenCaller(rig.screener), lines);

    const leadingZero = await handler(chatEvent({ attributes: { customerIp: '010.0.0.1' } }));
    const garbage = await handler(chatEvent({ attributes: { customerIp: 'not-an-ip' } }));
    const emf = lines.map((line) => JSON.parse(line)).filter((entry) => entry._aws);

    expect(leadingZero).toMatchObject({
      decision: 'THROTTLE',
      reason: 'no_identity',
      callerType: 'unidentified',
    });
    expect(garbage).toMatchObject({ decision: 'THROTTLE', reason: 'no_identity' });
    expect(emf[0]?.Identity_ipv4_leading_zero).toBe(1);
    expect(JSON.stringify(emf)).not.toContain('010.0.0.1');
  });

  it('answers an unidentified caller as the flow parameter unidentified says, and refuses a bad value', async () => {
    const handler = handlerFor(screenCaller(rig.screener));
    const noAddress = (unidentified?: string) =>
      chatEvent({ attributes: {}, parameters: unidentified === undefined ? {} : { unidentified } });

    const byDefault = await handler(noAddress());
    const blocked = await handler(noAddress('BLOCK'));
    const allowed = await handler(
      chatEvent({ attributes: { customerIp: '1.2.3' }, parameters: { unidentified: 'allow' } }),
    );
    const bad = await handler(noAddress('sometimes'));

    expect(byDefault).toMatchObject({ decision: 'ALLOW', reason: 'no_identity' });
    expect(blocked).toMatchObject({ decision: 'BLOCK', reason: 'no_identity' });
    expect(allowed).toMatchObject({ decision: 'ALLOW', reason: 'no_identity' });
    expect(bad).toMatchObject({ error: 'bad_parameter' });
  });

  it('reads SIP signals from parameters', async () => {
    const rule = { note: '', createdBy: 'test', createdAt: 0, expiresAt: 0, action: 'BLOCK' as const };
    await rig.store.putRule({ ...rule, type: 'signal', value: 'oli:29' });
    const screener = rig.instance();

    const prison = await handlerFor(screenCaller(screener))(
      voiceEvent('+14155550166', { parameters: { isupOli: '29' } }),
    );
    const ordinary = await handlerFor(screenCaller(screener))(
      voiceEvent('+14155550167', { parameters: { isupOli: '00', pAssertedIdentity: '' } }),
    );

    expect(prison).toMatchObject({ decision: 'BLOCK', reason: 'rule', rule: 'signal:oli:29' });
    expect(ordinary.decision).toBe('ALLOW');
  });

  it('screens and counts a caller whose SIP headers cannot be read, rather than answering the fail mode', async () => {
    const rule = { note: '', createdBy: 'test', createdAt: 0, expiresAt: 0, action: 'BLOCK' as const };
    await rig.store.putRule({ ...rule, type: 'signal', value: 'pai_mismatch' });
    const screener = rig.instance();
    const lines: string[] = [];
    const hostile = [
      { pAssertedIdentity: `<sip:+14155550199@${'x'.repeat(600)}>` },
      { isupOli: '123456789' },
      { isupOli: { nested: true } },
      { sipPAssertedIdentity: ['<sip:+14155550199@gw>'] },
    ];
    for (const [i, parameters] of hostile.entries()) {
      const caller = `+1415555017${i}`;
      const answer = await handlerFor(screenCaller(screener), lines)(voiceEvent(caller, { parameters }));
      expect(answer, JSON.stringify(Object.keys(parameters))).toMatchObject({
        decision: 'ALLOW',
        reason: 'ok',
      });
      expect(answer.error ?? '').toBe('');
      const state = await rig.store.getState(`tel:${caller}`);
      expect([...(state?.counts.values() ?? [])].some((n) => n === 1)).toBe(true);
    }
    expect(lines.join('\n')).toContain('Signal_unreadable_pAssertedIdentity');
    expect(lines.join('\n')).toContain('Signal_unreadable_isupOli');
  });

  it('keeps caller numbers and contact ids out of metric dimensions', async () => {
    const lines: string[] = [];
    const event = voiceEvent('+14155550123');

    await handlerFor(screenCaller(rig.screener), lines)(event);
    const emf = lines.map((line) => JSON.parse(line)).find((entry) => entry._aws);

    expect(emf.function).toBe('screen-caller');
    expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([['function', 'outcome']]);
    expect(JSON.stringify(emf)).not.toContain('4155550123');
    expect(JSON.stringify(emf)).not.toContain(event.Details.ContactData.ContactId);
    expect(emf.Allow).toBe(1);
  });
});

describe('screen-caller when the store fails', () => {
  it('fails open with reason store_unavailable when the store refuses connections', async () => {
    const closed = await silentServer();
    const endpoint = `http://127.0.0.1:${closed.port}`;
    await closed.close();
    const handler = flowHandler(
      screenCaller(screenerAt(endpoint, { FLOWGUARD_STORE_TIMEOUT_MS: '200' })),
      quiet,
    );

    const response = await handler(voiceEvent('+14155550123'));

    expect(response).toMatchObject({
      decision: 'ALLOW',
      reason: 'store_unavailable',
      error: 'store_unavailable',
    });
  });

  it('fails closed when configured to', async () => {
    const closed = await silentServer();
    const endpoint = `http://127.0.0.1:${closed.port}`;
    await closed.close();
    const screener = screenerAt(endpoint, {
      FLOWGUARD_FAIL_MODE: 'closed',
      FLOWGUARD_STORE_TIMEOUT_MS: '200',
    });

    const response = await flowHandler(screenCaller(screener), quiet)(voiceEvent('+14155550123'));

    expect(response).toMatchObject({ decision: 'BLOCK', reason: 'store_unavailable' });
  });

  it('answers inside the budget when the store hangs (client timeouts)', async () => {
    const hanging = await silentServer();
    try {
      const screener = screenerAt(`http://127.0.0.1:${hanging.port}`, {
        FLOWGUARD_STORE_TIMEOUT_MS: '150',
        FLOWGUARD_STORE_ATTEMPTS: '2',
      });
      const started = Date.now();

      const response = await flowHandler(screenCaller(screener), quiet)(voiceEvent('+14155550123'));

      expect(response).toMatchObject({ decision: 'ALLOW', reason: 'store_unavailable' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await hanging.close();
    }
  });

  it('answers at the time budget when the store hangs longer than the client waits', async () => {
    const hanging = await silentServer();
    try {
      const screener = screenerAt(`http://127.0.0.1:${hanging.port}`, { FLOWGUARD_STORE_TIMEOUT_MS: '5000' });
      const handler = flowHandler(screenCaller(screener), {
        ...quiet,
        config: { ...quiet.config, budgetMs: 300 },
      });
      const started = Date.now();

      const response = await handler(voiceEvent('+14155550123'));

      expect(response).toMatchObject({ decision: 'ALLOW', reason: 'store_unavailable', error: 'timeout' });
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await hanging.close();
    }
  });
});

describe('flag-caller', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ FLOWGUARD_FLAG_DURATION: '7d' });
  });

  afterAll(async () => {
    await rig.local.stop();
  });

  it('blocks the current caller with the reason and the default duration', async () => {
    const handler = handlerFor(flagCaller(rig.screener));

    const response = await handler(
      voiceEvent('+14155550190', { parameters: { reason: 'abusive', by: 'agent-7' } }),
    );
    const history = await rig.store.history('tel:+14155550190');

    expect(response).toEqual({
      flagged: 'true',
      blockedUntil: '2026-03-09T10:00:00Z',
      callerType: 'phone',
      error: '',
    });
    expect(history[0]).toMatchObject({ action: 'block', by: 'agent-7', reason: 'abusive' });
  });

  it('blocks a given number, typed in national format, for a given duration', async () => {
    const response = await handlerFor(flagCaller(rig.screener))(
      voiceEvent('+14155550100', {
        parameters: { reason: 'reported', number: '(415) 555-0191', duration: '2h' },
      }),
    );
    const state = await rig.store.getState('tel:+14155550191');

    expect(response).toMatchObject({ flagged: 'true', blockedUntil: '2026-03-02T12:00:00Z' });
    expect(state?.blockedUntil).toBe(T0 / 1000 + 7200);
  });

  it('refuses a withheld caller with error=no_caller_id', async () => {
    const response = await handlerFor(flagCaller(rig.screener))(
      voiceEvent('anonymous', { parameters: { reason: 'abusive' } }),
    );

    expect(response).toEqual({ flagged: 'false', blockedUntil: '', callerType: '', error: 'no_caller_id' });
  });

  it.each([
    [{}, 'missing_parameter'],
    [{ reason: '   ' }, 'missing_parameter'],
    [{ reason: 'x', duration: 'forever' }, 'bad_parameter'],
    [{ reason: 'x', duration: '400d' }, 'bad_parameter'],
    [{ reason: 'x', number: '12' }, 'invalid_number'],
    [{ reason: { nested: true } }, 'bad_parameter'],
  ])('refuses parameters %j with error=%s and flagged=false', async (parameters, code) => {
    const response = await handlerFor(flagCaller(rig.screener))(voiceEvent('+14155550192', { parameters }));

    expect(response).toMatchObject({ flagged: 'false', error: code });
  });

  it('flags a chat customer by IP', async () => {
    const response = await handlerFor(flagCaller(rig.screener))(
      chatEvent({ attributes: { customerIp: '203.0.113.9' }, parameters: { reason: 'spam' } }),
    );

    expect(response).toMatchObject({ flagged: 'true', callerType: 'ip' });
    expect((await rig.store.getState('ip:203.0.113.9'))?.blockReason).toBe('spam');
  });
});

describe('screen-caller spoofing signals, from the headers a flow passes', () => {
  const rule = { note: '', createdBy: 'test', createdAt: 0, expiresAt: 0, action: 'BLOCK' as const };
  /** AWS's example values ("Telephony call metadata attributes") and RFC 3325 / RFC 3261 shapes. */
  const SPOOFED = '+14155550199';

  async function countsOf(rig: Rig, key: string): Promise<number> {
    const state = await rig.store.getState(key);
    return Math.max(0, ...(state?.counts.values() ?? []));
  }

  describe('signal rules', () => {
    let rig: Rig;
    beforeAll(async () => {
      rig = await startRig();
      for (const value of ['from_mismatch', 'calling_party_mismatch', 'charge_info_mismatch', 'oli_payphone'])
        await rig.store.putRule({ ...rule, type: 'signal', value });
    });
    afterAll(async () => {
      await rig.local.stop();
    });

    it.each([
      ['sipFrom', `"Bank" <sip:${SPOOFED}@sip.carrier.example;user=phone>;tag=9fxced76sl`, 'from_mismatch'],
      ['callingPartyAddress', '14155550199;noa=4', 'calling_party_mismatch'],
      ['pChargeInfo', `<sip:${SPOOFED}@pbx.example.com>;npi=ISDN;noa=3`, 'charge_info_mismatch'],
      ['isupOli', '70', 'oli_payphone'],
      ['isupOli', 27, 'oli_payphone'],
    ])('blocks on %s %j with rule signal:%s and names it', async (parameter, value, signal) => {
      const caller = `+1415555${String(Math.floor(Math.random() * 9000) + 1000)}`;
      const answer = await handlerFor(screenCaller(rig.instance()))(
        voiceEvent(caller, { parameters: { [parameter]: value } }),
      );
      expect(answer).toMatchObject({ decision: 'BLOCK', reason: 'rule', rule: `signal:${signal}` });
      expect(String(answer.signals).split(',')).toContain(signal);
    });

    it('changes nothing when the headers are absent, empty or name the caller', async () => {
      const caller = '+14155550321';
      const same = {
        sipFrom: `<sip:${caller}@sip.carrier.example>;tag=1`,
        callingPartyAddress: '4155550321;noa=3',
        pChargeInfo: `<tel:${caller}>`,
        pAssertedIdentity: '',
        isupOli: '00',
      };
      const handler = handlerFor(screenCaller(rig.instance()));
      const bare = await handler(voiceEvent('+14155550322'));
      const matching = await handler(voiceEvent(caller, { parameters: same }));
      expect(bare).toMatchObject({ decision: 'ALLOW', reason: 'ok', signals: '' });
      expect(matching).toMatchObject({ decision: 'ALLOW', reason: 'ok', rule: '', signals: 'oli_other' });
      expect(await countsOf(rig, `tel:${caller}`)).toBe(1);
    });

    it('never fails on, or skips counting for, a hostile header, and says which it dropped', async () => {
      const lines: string[] = [];
      const handler = handlerFor(screenCaller(rig.instance()), lines);
      const hostile: Record<string, unknown>[] = [
        { sipFrom: `<sip:${SPOOFED}@${'x'.repeat(2000)}>` },
        { sipFrom: '<sip:+14155550199@a>, <sip:+14155550198@b>, <sip:1@c>, <sip:2@d>, <sip:3@e>' },
        { callingPartyAddress: '"\u0000<sip:' },
        { pChargeInfo: { nested: [1, 2] } },
        { isupOli: true },
        { isupOli: -1 },
        { sipFrom: '<<<>>>"', pChargeInfo: 'sip:\u0000@' },
      ];
      for (const [i, parameters] of hostile.entries()) {
        const caller = `+1415555024${i}`;
        const answer = await handler(voiceEvent(caller, { parameters }));
        expect(answer, JSON.stringify(parameters).slice(0, 80)).toMatchObject({
          decision: 'ALLOW',
          reason: 'ok',
        });
        expect(answer.error ?? '').toBe('');
        expect(answer.signals).toBe('');
        expect(await countsOf(rig, `tel:${caller}`)).toBe(1);
      }
      const metrics = lines.join('\n');
      for (const field of ['from', 'callingPartyAddress', 'pChargeInfo', 'isupOli'])
        expect(metrics).toContain(`Signal_unreadable_${field}`);
      expect(metrics).not.toContain('14155550199');
    });
  });

  describe('score thresholds', () => {
    let rig: Rig;
    beforeAll(async () => {
      rig = await startRig({
        FLOWGUARD_SIGNAL_THROTTLE_SCORE: '30',
        FLOWGUARD_SIGNAL_BLOCK_SCORE: '60',
        FLOWGUARD_SIGNAL_WEIGHTS: 'from_mismatch=30',
      });
      await rig.store.putRule({ ...rule, type: 'caller', value: 'tel:+14155550333', action: 'ALLOW' });
    });
    afterAll(async () => {
      await rig.local.stop();
    });

    const from = `<sip:${SPOOFED}@sip.carrier.example>;tag=1`;

    it('throttles at the throttle score and blocks at the block score, uncounted, naming the score', async () => {
      const handler = handlerFor(screenCaller(rig.instance()));
      const below = await handler(voiceEvent('+14155550330', { parameters: { pChargeInfo: from } }));
      const throttled = await handler(voiceEvent('+14155550331', { parameters: { sipFrom: from } }));
      const blocked = await handler(
        voiceEvent('+14155550332', { parameters: { sipFrom: from, pAssertedIdentity: `<tel:${SPOOFED}>` } }),
      );
      expect(below).toMatchObject({ decision: 'ALLOW', reason: 'ok', signals: 'charge_info_mismatch' });
      expect(throttled).toMatchObject({
        decision: 'THROTTLE',
        reason: 'signals',
        rule: 'score:30',
        signals: 'from_mismatch',
      });
      expect(blocked).toMatchObject({
        decision: 'BLOCK',
        reason: 'signals',
        rule: 'score:60',
        signals: 'pai_mismatch,from_mismatch',
      });
      expect(await countsOf(rig, 'tel:+14155550330')).toBe(1);
      expect(await countsOf(rig, 'tel:+14155550331')).toBe(0);
      expect(await countsOf(rig, 'tel:+14155550332')).toBe(0);
    });

    it('lets an allowlisted caller pass and an explicit block win over a score throttle', async () => {
      await rig.store.block({
        key: 'tel:+14155550334',
        untilSeconds: T0 / 1000 + 3600,
        reason: 'fraud',
        by: 'analyst',
        nowSeconds: T0 / 1000,
        action: 'block',
      });
      const handler = handlerFor(screenCaller(rig.instance()));
      const allowed = await handler(
        voiceEvent('+14155550333', { parameters: { sipFrom: from, pAssertedIdentity: `<tel:${SPOOFED}>` } }),
      );
      const listed = await handler(voiceEvent('+14155550334', { parameters: { sipFrom: from } }));
      expect(allowed).toMatchObject({ decision: 'ALLOW', reason: 'allowlisted' });
      expect(listed).toMatchObject({ decision: 'BLOCK', reason: 'blocklisted' });
    });

    it('weighs the caller number itself: caller_is_dialed alone reaches the throttle score', async () => {
      const answer = await handlerFor(screenCaller(rig.instance()))(voiceEvent('+18005550100'));
      expect(answer).toMatchObject({ decision: 'BLOCK', reason: 'signals', rule: 'score:70' });
      expect(answer.signals).toBe('caller_is_dialed,toll_free');
    });
  });

  describe('withheld callers with a P-Asserted-Identity', () => {
    const pai = '<sip:+14155550444@ims.carrier.example;user=phone>, <tel:+14155550444>';
    const withheld = (parameters: Record<string, unknown> = { pAssertedIdentity: pai }) =>
      voiceEvent('anonymous', { parameters });

    it('are keyed pai: and counted with their own limits when FLOWGUARD_WITHHELD_KEY_BY=pai', async () => {
      const rig = await startRig({ FLOWGUARD_WITHHELD_KEY_BY: 'pai', FLOWGUARD_ASSERTED_LIMITS: '2/10m' });
      try {
        const handler = handlerFor(screenCaller(rig.instance()));
        const answers = [];
        for (let i = 0; i < 3; i++) answers.push(await handler(withheld()));
        expect(answers.map((a) => a.decision)).toEqual(['ALLOW', 'ALLOW', 'THROTTLE']);
        expect(answers[0]).toMatchObject({ callerType: 'asserted', reason: 'ok', callerCountry: 'US' });
        expect(await countsOf(rig, 'pai:+14155550444')).toBe(3);
        // Never the budget of the caller who presents the number.
        expect(await countsOf(rig, 'tel:+14155550444')).toBe(0);
        const presenting = await handler(voiceEvent('+14155550444'));
        expect(presenting).toMatchObject({ decision: 'ALLOW', callerType: 'phone' });

        // Without a usable PAI a withheld caller stays withheld and uncounted.
        for (const parameters of [
          {},
          { pAssertedIdentity: 'sip:anonymous@anonymous.invalid' },
          { pAssertedIdentity: 7 },
        ]) {
          expect(await handler(withheld(parameters))).toMatchObject({
            callerType: 'withheld',
            reason: 'withheld',
          });
        }

        // An agent can flag it, and the block holds.
        const flag = handlerFor(flagCaller(rig.instance()));
        expect(
          await flag(withheld({ pAssertedIdentity: '<tel:+14155550445>', reason: 'abuse' })),
        ).toMatchObject({ flagged: 'true', callerType: 'asserted' });
        expect(
          await handlerFor(screenCaller(rig.instance()))(
            withheld({ pAssertedIdentity: '<tel:+14155550445>' }),
          ),
        ).toMatchObject({
          decision: 'BLOCK',
          reason: 'blocklisted',
          callerType: 'asserted',
        });
      } finally {
        await rig.local.stop();
      }
    });

    it('go uncounted as before without FLOWGUARD_WITHHELD_KEY_BY', async () => {
      const rig = await startRig();
      try {
        const handler = handlerFor(screenCaller(rig.instance()));
        for (let i = 0; i < 3; i++)
          expect(await handler(withheld())).toMatchObject({
            decision: 'ALLOW',
            reason: 'withheld',
            callerType: 'withheld',
          });
        expect(await countsOf(rig, 'pai:+14155550444')).toBe(0);
      } finally {
        await rig.local.stop();
      }
    });
  });
});

describe('screen-caller monitor-only mode', () => {
  const rule = { note: '', createdBy: 'test', createdAt: 0, expiresAt: 0, action: 'BLOCK' as const };

  async function countsOf(rig: Rig, key: string): Promise<number> {
    const state = await rig.store.getState(key);
    return Math.max(0, ...(state?.counts.values() ?? []));
  }

  /** The EMF entry and the monitor-only log entry among a handler's lines. */
  function linesOf(lines: string[]) {
    const entries = lines.map((line) => JSON.parse(line));
    return {
      emf: entries.find((entry) => entry._aws),
      monitored: entries.filter((entry) => entry.message === 'monitor-only verdict'),
    };
  }

  describe('rules', () => {
    let rig: Rig;
    beforeAll(async () => {
      rig = await startRig();
      await rig.store.putRule({ ...rule, type: 'prefix', value: '+1212555', monitor: true });
      // An enforced prefix, with monitored rules of higher precedence over it.
      await rig.store.putRule({ ...rule, type: 'prefix', value: '+1646555' });
      await rig.store.putRule({
        ...rule,
        type: 'caller',
        value: 'tel:+16465550100',
        action: 'ALLOW',
        monitor: true,
      });
      await rig.store.putRule({ ...rule, type: 'prefix', value: '+16465551', monitor: true });
    });
    afterAll(async () => {
      await rig.local.stop();
    });

    it('answers as if a monitored BLOCK rule were not there, counts the contact, and reports it', async () => {
      const lines: string[] = [];
      const answer = await handlerFor(screenCaller(rig.instance()), lines)(voiceEvent('+12125550100'));

      expect(answer).toMatchObject({
        decision: 'ALLOW',
        reason: 'ok',
        rule: '',
        monitoredDecision: 'BLOCK',
        monitoredRule: 'prefix:+1212555',
      });
      expect(await countsOf(rig, 'tel:+12125550100')).toBe(1);
      const { emf, monitored } = linesOf(lines);
      expect(emf.Allow).toBe(1);
      expect(emf.WouldBlock).toBe(1);
      expect(emf.Block).toBeUndefined();
      expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([['function', 'outcome']]);
      expect(monitored).toHaveLength(1);
      expect(monitored[0]).toMatchObject({ monitoredDecision: 'BLOCK', monitoredRule: 'prefix:+1212555' });
    });

    it('throttles by the limits as without the monitored rule', async () => {
      const handler = handlerFor(screenCaller(rig.instance()));
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await handler(voiceEvent('+12125550101')));
      expect(answers.map((a) => a.decision)).toEqual(['ALLOW', 'ALLOW', 'ALLOW', 'THROTTLE']);
      expect(answers[3]).toMatchObject({ reason: 'rate_limited', monitoredDecision: 'BLOCK' });
      expect(await countsOf(rig, 'tel:+12125550101')).toBe(4);
    });

    it('still enforces a rule below a monitored one, and names a monitored caller rule only as caller', async () => {
      const lines: string[] = [];
      const handler = handlerFor(screenCaller(rig.instance()), lines);
      const allowRule = await handler(voiceEvent('+16465550100'));
      const longerPrefix = await handler(voiceEvent('+16465551000'));

      expect(allowRule).toMatchObject({
        decision: 'BLOCK',
        reason: 'rule',
        rule: 'prefix:+1646555',
        monitoredDecision: 'ALLOW',
        monitoredRule: 'caller',
      });
      // The monitored prefix would have blocked too: nothing would have changed, nothing to report.
      expect(longerPrefix).toMatchObject({
        decision: 'BLOCK',
        rule: 'prefix:+1646555',
        monitoredDecision: '',
        monitoredRule: '',
      });
      expect(lines.join('\n')).not.toContain('6465550100');
      expect(linesOf(lines).emf.WouldAllow).toBe(1);
    });

    it("reports a monitored rule on a request's other identity (screenRequest's customer id)", async () => {
      await rig.store.putRule({ ...rule, type: 'caller', value: 'cust:c-monitored', monitor: true });
      const keyed = (cls: 'ip' | 'customer', key: string) =>
        ({ class: cls, key, number: null, valid: false, lineType: 'unknown', country: '' }) as const;
      const result = await rig.instance().screenIdentity(keyed('ip', 'ip:203.0.113.77'), 'edge:monitored', {
        alsoRuledOut: keyed('customer', 'cust:c-monitored'),
      });
      expect(result).toMatchObject({
        decision: 'ALLOW',
        reason: 'ok',
        monitored: { decision: 'BLOCK', rule: 'caller:cust:c-monitored', monitor: true },
      });
    });

    it('stores the flag, and reads a rule stored without it as enforced', async () => {
      await rig.local.client.send(
        new PutItemCommand({
          TableName: rig.local.tableName,
          Item: {
            [TABLE_KEYS.partitionKey]: { S: 'rules' },
            [TABLE_KEYS.sortKey]: { S: 'country#KP' },
            type: { S: 'country' },
            value: { S: 'KP' },
            ruleAction: { S: 'BLOCK' },
            note: { S: 'before monitor mode' },
            createdBy: { S: 'old' },
            createdAt: { N: '1' },
            ruleExpiresAt: { N: '0' },
          },
        }),
      );
      const stored = await rig.store.loadRules();
      expect(stored.find((r) => r.value === 'KP')).toMatchObject({ action: 'BLOCK', monitor: false });
      expect(stored.find((r) => r.value === '+1212555')).toMatchObject({ monitor: true });
      expect(stored.find((r) => r.value === '+1646555')).toMatchObject({ monitor: false });
      const item = await rig.local.client.send(
        new GetItemCommand({
          TableName: rig.local.tableName,
          Key: { [TABLE_KEYS.partitionKey]: { S: 'rules' }, [TABLE_KEYS.sortKey]: { S: 'prefix#+1646555' } },
        }),
      );
      expect(item.Item?.monitor).toBeUndefined();
    });
  });

  describe('score thresholds (FLOWGUARD_SIGNAL_SCORE_MONITOR)', () => {
    let rig: Rig;
    beforeAll(async () => {
      rig = await startRig({
        FLOWGUARD_SIGNAL_THROTTLE_SCORE: '30',
        FLOWGUARD_SIGNAL_BLOCK_SCORE: '60',
        FLOWGUARD_SIGNAL_WEIGHTS: 'from_mismatch=30,oli_prison=60',
        FLOWGUARD_SIGNAL_SCORE_MONITOR: 'true',
      });
      await rig.store.putRule({ ...rule, type: 'signal', value: 'oli_payphone' });
    });
    afterAll(async () => {
      await rig.local.stop();
    });

    const from = '<sip:+14155550199@sip.carrier.example>;tag=1';

    it('reports the score decision, answers and counts as without it; an enforced signal rule still blocks', async () => {
      const lines: string[] = [];
      const handler = handlerFor(screenCaller(rig.instance()), lines);
      const throttled = await handler(voiceEvent('+14155550431', { parameters: { sipFrom: from } }));
      const blocked = await handler(
        voiceEvent('+14155550432', {
          parameters: { sipFrom: from, pAssertedIdentity: '<tel:+14155550199>' },
        }),
      );
      const ruled = await handler(voiceEvent('+14155550433', { parameters: { isupOli: '70' } }));

      expect(throttled).toMatchObject({
        decision: 'ALLOW',
        reason: 'ok',
        rule: '',
        monitoredDecision: 'THROTTLE',
        monitoredRule: 'score:30',
      });
      expect(blocked).toMatchObject({
        decision: 'ALLOW',
        reason: 'ok',
        monitoredDecision: 'BLOCK',
        monitoredRule: 'score:60',
      });
      expect(ruled).toMatchObject({ decision: 'BLOCK', reason: 'rule', rule: 'signal:oli_payphone' });
      expect(await countsOf(rig, 'tel:+14155550431')).toBe(1);
      expect(await countsOf(rig, 'tel:+14155550432')).toBe(1);
      const emfs = lines.map((line) => JSON.parse(line)).filter((entry) => entry._aws);
      expect(emfs[0].WouldThrottle).toBe(1);
      expect(emfs[1].WouldBlock).toBe(1);
    });

    it('reports the score decision for a withheld caller too, answering its withheld action', async () => {
      const answer = await handlerFor(screenCaller(rig.instance()))(
        voiceEvent('anonymous', { parameters: { isupOli: '29' } }),
      );
      expect(answer).toMatchObject({
        decision: 'ALLOW',
        reason: 'withheld',
        monitoredDecision: 'BLOCK',
        monitoredRule: 'score:60',
      });
    });
  });
});
