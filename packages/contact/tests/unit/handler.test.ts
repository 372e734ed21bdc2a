import { describe, expect, it, vi } from 'vitest';
import {
  BudgetExceededError,
  ConfigError,
  type Contact,
  type FlowFunction,
  FlowguardError,
  flowHandler,
  type HandlerConfig,
  type InvocationContext,
  type LambdaContext,
  REDACTED,
  type ResponseFields,
  stringParameter,
} from '../../src/index.js';

type Fields = Record<string, unknown>;
interface ConnectEvent {
  Name: string;
  Details: { ContactData: Fields; Parameters: Fields };
}

const CONTACT_ID = '5ca32fbd-8f92-46af-92a5-6b0f970f0efe';
const INITIAL_CONTACT_ID = '0d9b8f3e-6a1f-4c55-9b0e-3f1b7e2c9a41';
const CALLER = '+14155550123';
const INSTANCE_ARN = 'arn:aws:connect:us-east-1:123456789012:instance/9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa';
const CARD = '4111111111111111';

const VOICE_EVENT: ConnectEvent = {
  Name: 'ContactFlowEvent',
  Details: {
    ContactData: {
      ContactId: CONTACT_ID,
      InitialContactId: INITIAL_CONTACT_ID,
      Channel: 'VOICE',
      InitiationMethod: 'INBOUND',
      CustomerEndpoint: { Address: CALLER, Type: 'TELEPHONE_NUMBER' },
      SystemEndpoint: { Address: '+18005550100', Type: 'TELEPHONE_NUMBER' },
      Attributes: { language: 'en-US' },
      Queue: { ARN: `${INSTANCE_ARN}/queue/6f4e2a17-3c1d-4b8e-9f20-5a7c1e0d3b92`, Name: 'BasicQueue' },
      InstanceARN: INSTANCE_ARN,
    },
    Parameters: { policy: 'default' },
  },
};

function voiceEvent(parameters: Fields = VOICE_EVENT.Details.Parameters): ConnectEvent {
  const event = structuredClone(VOICE_EVENT);
  event.Details.Parameters = structuredClone(parameters);
  return event;
}

function lambdaContext(remainingMs = 30_000): LambdaContext {
  return {
    awsRequestId: 'b3c1e0d2-7a44-4f6e-8d1a-2e9f0c5b7a13',
    getRemainingTimeInMillis: () => remainingMs,
  };
}

const FAIL_OPEN = { decision: 'allow', reason: 'fail_open' };

/** A screening function (answers `decision`, `reason`) wrapped with sinks captured in arrays. */
function setup(fn: Partial<FlowFunction> = {}, config: Partial<HandlerConfig> = {}) {
  const logLines: string[] = [];
  const metricLines: string[] = [];
  const failMode = vi.fn((_code: string) => FAIL_OPEN);
  const handler = flowHandler(
    {
      name: 'screen-caller',
      outputKeys: ['decision', 'reason'],
      failMode,
      handle: () => ({ decision: 'block', reason: 'listed' }),
      ...fn,
    },
    { env: {}, config, logSink: (l) => logLines.push(l), metricSink: (l) => metricLines.push(l) },
  );
  const parse = (lines: string[]) => lines.map((line) => JSON.parse(line) as Fields);
  return {
    handler,
    failMode,
    logLines,
    metricLines,
    logs: () => parse(logLines),
    metrics: () => parse(metricLines),
  };
}

/** Logic that never answers by itself: a 2 s timer, cleared by the test afterwards. */
function slowLogic() {
  const seen: { signal?: AbortSignal; deadline?: number; timer?: NodeJS.Timeout } = {};
  const handle = (_contact: Contact, context: InvocationContext) => {
    seen.signal = context.signal;
    seen.deadline = context.deadline;
    return new Promise<ResponseFields>((resolve) => {
      seen.timer = setTimeout(() => resolve({ decision: 'block' }), 2000);
    });
  };
  return { seen, handle };
}

describe('flowHandler', () => {
  describe('a normal answer', () => {
    it('returns the logic answer as strings with error set to empty', async () => {
      const { handler } = setup({ handle: () => ({ decision: 'block', reason: null }) });

      const response = await handler(voiceEvent(), lambdaContext());

      expect(response).toEqual({ decision: 'block', reason: '', error: '' });
    });

    it('hands the parsed contact to the logic', async () => {
      const handle = vi.fn((contact: Contact) => ({ decision: stringParameter(contact, 'policy') }));
      const { handler } = setup({ handle });

      const response = await handler(voiceEvent({ policy: 'strict' }));

      expect(response.decision).toBe('strict');
      expect(handle).toHaveBeenCalledOnce();
      expect(handle.mock.calls[0]?.[0]).toMatchObject({
        contactId: CONTACT_ID,
        initialContactId: INITIAL_CONTACT_ID,
        customerEndpoint: { address: CALLER },
      });
    });

    it('logs one invocation line with outcome ok and the response', async () => {
      const { handler, logs } = setup();

      await handler(voiceEvent(), lambdaContext());

      const invocation = logs().filter((l) => l.message === 'invocation');
      expect(invocation).toHaveLength(1);
      expect(invocation[0]).toMatchObject({
        level: 'INFO',
        service: 'screen-caller',
        outcome: 'ok',
        response: { decision: 'block', reason: 'listed', error: '' },
      });
      expect(typeof invocation[0]?.latencyMs).toBe('number');
    });
  });

  describe('fail-mode answers', () => {
    it('answers bad_response when the logic returns an undeclared key', async () => {
      const { handler, failMode, logs } = setup({ handle: () => ({ decision: 'block', score: 0.9 }) });

      const response = await handler(voiceEvent(), lambdaContext());

      expect(response).toEqual({ ...FAIL_OPEN, error: 'bad_response' });
      expect(failMode).toHaveBeenCalledWith('bad_response');
      expect(logs().find((l) => l.message === 'fail-mode answer')?.level).toBe('ERROR');
    });

    it('answers bad_response when the logic returns a nested value', async () => {
      const { handler } = setup({
        handle: () => ({ decision: { nested: true } }) as unknown as ResponseFields,
      });

      const response = await handler(voiceEvent());

      expect(response.error).toBe('bad_response');
    });

    it('answers with the code of a thrown FlowguardError, logged as a warning', async () => {
      const { handler, logs } = setup({
        handle: () => {
          throw new FlowguardError('store_unavailable', 'limits table did not answer');
        },
      });

      const response = await handler(voiceEvent(), lambdaContext());

      expect(response).toEqual({ ...FAIL_OPEN, error: 'store_unavailable' });
      expect(logs().find((l) => l.message === 'fail-mode answer')).toMatchObject({
        level: 'WARN',
        errorCode: 'store_unavailable',
        errorMessage: 'limits table did not answer',
      });
    });

    it('answers internal for a plain Error, without logging its message', async () => {
      const { handler, logs, logLines } = setup({
        handle: async () => {
          throw new Error(`card ${CARD} declined`);
        },
      });

      const response = await handler(voiceEvent(), lambdaContext());

      expect(response).toEqual({ ...FAIL_OPEN, error: 'internal' });
      expect(logs().find((l) => l.message === 'fail-mode answer')?.level).toBe('ERROR');
      expect(logLines.join('\n')).not.toContain(CARD);
    });

    it.each([
      ['no answer', () => undefined],
      ['a thrown string', () => Promise.reject('nope')],
    ])('answers internal for %s', async (_, handle) => {
      const { handler } = setup({ handle: handle as FlowFunction['handle'] });

      const response = await handler(voiceEvent());

      expect(response).toEqual({ ...FAIL_OPEN, error: 'internal' });
    });

    it.each([
      ['null', null],
      ['an empty object', {}],
      ['Details without ContactData', { Name: 'ContactFlowEvent', Details: { Parameters: {} } }],
    ])('answers bad_event for %s, with the fail-mode fields', async (_, event) => {
      const { handler, failMode } = setup();

      const response = await handler(event, lambdaContext());

      expect(response).toEqual({ ...FAIL_OPEN, error: 'bad_event' });
      expect(failMode).toHaveBeenCalledWith('bad_event');
    });

    it('does not run the logic for a malformed event', async () => {
      const handle = vi.fn(() => ({ decision: 'block' }));
      const { handler } = setup({ handle });

      await handler({ Details: {} });

      expect(handle).not.toHaveBeenCalled();
    });

    it('still answers with the code when failMode itself throws', async () => {
      const { handler } = setup({
        failMode: () => {
          throw new Error('fail mode broken');
        },
      });

      const response = await handler(null, lambdaContext());

      expect(response).toEqual({ error: 'bad_event' });
    });

    it('still answers with the code when failMode returns an unusable answer', async () => {
      const { handler } = setup({
        failMode: () => ({ decision: ['allow'] }) as unknown as ResponseFields,
        handle: () => {
          throw new FlowguardError('store_unavailable', 'down');
        },
      });

      const response = await handler(voiceEvent());

      expect(response).toEqual({ error: 'store_unavailable' });
    });
  });

  describe('time budget', () => {
    // On a fake clock: when the answer comes is a fact of the code, not of how busy the machine is.
    it('answers timeout at the budget and aborts the signal given to the logic', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const { seen, handle } = slowLogic();
      const { handler, metrics } = setup({ handle }, { budgetMs: 50 });

      try {
        let settled = false;
        const answer = handler(voiceEvent(), lambdaContext()).finally(() => {
          settled = true;
        });
        await vi.advanceTimersByTimeAsync(49);
        expect(settled).toBe(false);
        expect(seen.signal?.aborted).toBe(false);
        await vi.advanceTimersByTimeAsync(1);
        const response = await answer;

        expect(response).toEqual({ ...FAIL_OPEN, error: 'timeout' });
        expect(seen.signal?.aborted).toBe(true);
        expect(seen.signal?.reason).toBeInstanceOf(BudgetExceededError);
        expect(metrics()[0]?.outcome).toBe('timeout');
      } finally {
        clearTimeout(seen.timer);
        vi.useRealTimers();
      }
    });

    it('shortens the budget to the time Lambda has left', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const { seen, handle } = slowLogic();
      const { handler } = setup({ handle }, { budgetMs: 5000 });
      const started = Date.now();

      try {
        let settled = false;
        // 160 ms left, less the 100 ms kept for Lambda to send the answer: 60 ms.
        const answer = handler(voiceEvent(), lambdaContext(160)).finally(() => {
          settled = true;
        });
        await vi.advanceTimersByTimeAsync(59);
        expect(settled).toBe(false);
        await vi.advanceTimersByTimeAsync(1);
        const response = await answer;

        expect(response.error).toBe('timeout');
        expect(seen.deadline).toBe(started + 60);
      } finally {
        clearTimeout(seen.timer);
        vi.useRealTimers();
      }
    });

    it('leaves no unhandled rejection when the logic fails after the budget', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      let failed: () => void = () => {};
      const lateFailure = new Promise<void>((resolve) => {
        failed = resolve;
      });
      const { handler } = setup(
        {
          handle: () =>
            new Promise<ResponseFields>((_, reject) => {
              setTimeout(() => {
                reject(new Error('late'));
                failed();
              }, 40);
            }),
        },
        { budgetMs: 10 },
      );

      try {
        const response = await handler(voiceEvent());
        await lateFailure;
        await new Promise((resolve) => setTimeout(resolve, 10));

        expect(response.error).toBe('timeout');
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('gives the logic a deadline at the configured budget', async () => {
      let budget = 0;
      const { handler } = setup(
        {
          handle: (_contact, context) => {
            budget = context.deadline - Date.now();
            return { decision: 'block' };
          },
        },
        { budgetMs: 1500 },
      );

      await handler(voiceEvent(), lambdaContext(30_000));

      expect(budget).toBeGreaterThan(1400);
      expect(budget).toBeLessThanOrEqual(1500);
    });

    it("uses the function's own budget when the environment sets none", async () => {
      let budget = 0;
      const { handler } = setup({
        budgetMs: 1234,
        handle: (_contact, context) => {
          budget = context.deadline - Date.now();
          return { decision: 'block' };
        },
      });

      await handler(voiceEvent());

      expect(budget).toBeGreaterThan(1134);
      expect(budget).toBeLessThanOrEqual(1234);
    });

    it('never aborts the signal once the logic has answered in time', async () => {
      let signal: AbortSignal | undefined;
      const { handler } = setup(
        {
          handle: (_contact, context) => {
            signal = context.signal;
            return { decision: 'block' };
          },
        },
        { budgetMs: 20 },
      );

      const response = await handler(voiceEvent());
      await new Promise((resolve) => setTimeout(resolve, 50));

      expect(response.error).toBe('');
      expect(signal?.aborted).toBe(false);
    });
  });

  describe('logging', () => {
    it('puts the contact id and request id on the lines of an invocation', async () => {
      const { handler, logs } = setup(
        {
          handle: (_contact, context) => {
            context.logger.info('screening');
            return { decision: 'block' };
          },
        },
        { logLevel: 'debug' },
      );

      await handler(voiceEvent(), lambdaContext());

      const lines = logs();
      expect(lines.map((l) => l.message)).toEqual(['parameters', 'screening', 'invocation']);
      for (const line of lines) {
        expect(line).toMatchObject({
          contactId: CONTACT_ID,
          initialContactId: INITIAL_CONTACT_ID,
          requestId: 'b3c1e0d2-7a44-4f6e-8d1a-2e9f0c5b7a13',
        });
      }
    });

    it('puts the request id on the lines of a malformed event', async () => {
      const { handler, logs } = setup();

      await handler({}, lambdaContext());

      const lines = logs();
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line.requestId).toBe('b3c1e0d2-7a44-4f6e-8d1a-2e9f0c5b7a13');
    });

    it('never writes a declared sensitive parameter to a log or metric line', async () => {
      const { handler, logLines, metricLines, logs } = setup(
        {
          sensitiveKeys: ['cardNumber'],
          handle: (contact, context) => {
            const card = stringParameter(contact, 'cardNumber', { required: true });
            context.logger.debug('read card', { cardNumber: card, parameters: contact.parameters });
            return { decision: 'allow', reason: `last4_${card.slice(-4)}` };
          },
        },
        { logLevel: 'debug', logEvent: true },
      );

      const response = await handler(voiceEvent({ cardNumber: CARD, policy: 'pci' }), lambdaContext());

      expect(response).toEqual({ decision: 'allow', reason: 'last4_1111', error: '' });
      const messages = logs().map((l) => l.message);
      expect(messages).toEqual(['event', 'parameters', 'read card', 'invocation']);
      expect(logLines.join('\n')).toContain(REDACTED);
      for (const line of [...logLines, ...metricLines]) expect(line).not.toContain(CARD);
    });

    it('never writes a sensitive parameter when the logic fails', async () => {
      const { handler, logLines, metricLines } = setup(
        {
          sensitiveKeys: ['cardNumber'],
          handle: (contact) => {
            throw new Error(`bad card ${String(contact.parameters.cardNumber)}`);
          },
        },
        { logLevel: 'debug', logEvent: true },
      );

      const response = await handler(voiceEvent({ cardNumber: CARD }), lambdaContext());

      expect(response.error).toBe('internal');
      expect(logLines.length).toBeGreaterThan(0);
      for (const line of [...logLines, ...metricLines]) expect(line).not.toContain(CARD);
    });

    it('logs the event at debug when configured to', async () => {
      const { handler, logs } = setup({}, { logLevel: 'debug', logEvent: true });

      await handler(voiceEvent());

      const event = logs().find((l) => l.message === 'event');
      expect(event?.level).toBe('DEBUG');
      expect(event?.event).toMatchObject({ Name: 'ContactFlowEvent' });
    });

    it('does not log the event by default', async () => {
      const { handler, logs } = setup({}, { logLevel: 'debug' });

      await handler(voiceEvent());

      expect(logs().some((l) => l.message === 'event')).toBe(false);
    });

    it('never logs the event of a function marked neverLogEvent', async () => {
      const { handler, logs, logLines } = setup(
        { neverLogEvent: true },
        { logLevel: 'debug', logEvent: true },
      );

      await handler(voiceEvent());

      expect(logs().some((l) => l.message === 'event')).toBe(false);
      expect(logLines.join('\n')).not.toContain(CALLER);
    });

    it('never logs the parameters of a function marked neverLogEvent, even at debug', async () => {
      const { handler, logLines, logs } = setup(
        { neverLogEvent: true, handle: () => ({ decision: 'allow' }) },
        { logLevel: 'debug', logEvent: true },
      );

      await handler(voiceEvent({ storedCustomerInput: CARD }), lambdaContext());

      expect(logs().map((l) => l.message)).toEqual(['invocation']);
      expect(logLines.join('\n')).not.toContain(CARD);
    });
  });

  describe('metrics', () => {
    it('writes an EMF line with dimensions function and outcome and no contact data', async () => {
      const { handler, metricLines, metrics } = setup();

      await handler(voiceEvent(), lambdaContext());

      expect(metricLines).toHaveLength(1);
      const [line] = metrics();
      expect(line).toMatchObject({
        _aws: { CloudWatchMetrics: [{ Namespace: 'Flowguard', Dimensions: [['function', 'outcome']] }] },
        function: 'screen-caller',
        outcome: 'ok',
        Invocations: 1,
      });
      expect(typeof line?.Latency).toBe('number');
      for (const value of [CONTACT_ID, INITIAL_CONTACT_ID, CALLER, 'b3c1e0d2']) {
        expect(metricLines[0]).not.toContain(value);
      }
    });

    it('writes an error code the logic answered with as the outcome', async () => {
      const lines: string[] = [];
      const handler = flowHandler(
        {
          name: 'validate-input',
          outputKeys: ['valid'],
          failMode: () => ({ valid: false }),
          handle: () => ({ valid: false, error: 'unknown_schema' }),
        },
        { env: {}, config: { logLevel: 'silent' }, metricSink: (line) => lines.push(line) },
      );

      const response = await handler(voiceEvent());

      expect(response).toEqual({ valid: 'false', error: 'unknown_schema' });
      expect(JSON.parse(lines[0] ?? '{}').outcome).toBe('unknown_schema');
    });

    it('writes the fail-mode code as the outcome', async () => {
      const { handler, metrics } = setup();

      await handler({ Details: {} });

      expect(metrics()[0]?.outcome).toBe('bad_event');
    });

    it('counts the function’s fail-mode metric with a fail-mode answer, and only then', async () => {
      const failing = setup({ failModeMetric: 'FailOpen', handle: () => Promise.reject(new Error('boom')) });
      const answering = setup({ failModeMetric: 'FailOpen' });

      await failing.handler(voiceEvent());
      await answering.handler(voiceEvent());

      expect(failing.metrics()[0]).toMatchObject({ outcome: 'internal', FailOpen: 1 });
      expect(answering.metrics()[0]).toMatchObject({ outcome: 'ok' });
      expect(answering.metrics()[0]).not.toHaveProperty('FailOpen');
    });

    it('adds the metrics of the logic to the EMF line', async () => {
      const { handler, metrics } = setup({
        handle: (_contact, context) => {
          context.addMetric('Blocked');
          context.addMetric('Blocked');
          context.addMetric('StoreLatency', 12, 'Milliseconds');
          return { decision: 'block' };
        },
      });

      await handler(voiceEvent());

      const [line] = metrics();
      expect(line).toMatchObject({ Blocked: 2, StoreLatency: 12 });
      const aws = line?._aws as { CloudWatchMetrics: { Metrics: unknown[] }[] };
      expect(aws.CloudWatchMetrics[0]?.Metrics).toEqual(
        expect.arrayContaining([
          { Name: 'Blocked', Unit: 'Count' },
          { Name: 'StoreLatency', Unit: 'Milliseconds' },
        ]),
      );
    });

    it('writes no EMF line when metrics are off', async () => {
      const { handler, metricLines, logLines } = setup({}, { metrics: false });

      await handler(voiceEvent());

      expect(metricLines).toEqual([]);
      expect(logLines.length).toBeGreaterThan(0);
    });
  });

  describe('configuration', () => {
    it('reads FLOWGUARD_ variables once, failing loudly at wrap time', () => {
      const wrap = () =>
        flowHandler(
          { name: 'f', outputKeys: [], failMode: () => ({}), handle: () => ({}) },
          { env: { FLOWGUARD_BUDGET_MS: 'soon' } },
        );

      expect(wrap).toThrow(ConfigError);
      expect(wrap).toThrow(/FLOWGUARD_BUDGET_MS/);
    });

    it('applies FLOWGUARD_LOG_LEVEL from the environment', async () => {
      const logLines: string[] = [];
      const handler = flowHandler(
        { name: 'f', outputKeys: [], failMode: () => ({}), handle: () => ({}) },
        { env: { FLOWGUARD_LOG_LEVEL: 'silent' }, logSink: (l) => logLines.push(l), metricSink: () => {} },
      );

      const response = await handler(voiceEvent());

      expect(response).toEqual({ error: '' });
      expect(logLines).toEqual([]);
    });
  });

  describe('never rejects', () => {
    it.each([
      ['undefined', undefined],
      ['a number', 42],
      ['a string', 'ContactFlowEvent'],
      ['an array', []],
      ['Details as an array', { Details: [] }],
      ['ContactData as null', { Details: { ContactData: null } }],
      ['a 1000-character ContactId', { Details: { ContactData: { ContactId: 'x'.repeat(1000) } } }],
      ['a numeric ContactId', { Details: { ContactData: { ContactId: 7 } } }],
      ['Parameters as a string', { Details: { ContactData: { ContactId: CONTACT_ID }, Parameters: 'x' } }],
    ])('answers bad_event for %s', async (_, event) => {
      const { handler } = setup();

      const response = await handler(event, lambdaContext());

      expect(response).toEqual({ ...FAIL_OPEN, error: 'bad_event' });
    });

    it('answers even when the log and metric sinks throw', async () => {
      const handler = flowHandler(
        { name: 'f', outputKeys: ['decision'], failMode: () => FAIL_OPEN, handle: () => ({ decision: 'x' }) },
        {
          env: {},
          config: { logLevel: 'debug', logEvent: true },
          logSink: () => {
            throw new Error('closed');
          },
          metricSink: () => {
            throw new Error('closed');
          },
        },
      );

      await expect(handler(voiceEvent())).resolves.toEqual({ decision: 'x', error: '' });
    });
  });
});
