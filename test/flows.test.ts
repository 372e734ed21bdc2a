// The shipped flows, end to end through flow-sim, calling the real function logic in-process
// against local DynamoDB, with input encrypted exactly the way Connect does.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  challengeFunction,
  MemoryScreeningStore,
  newNonce,
  readChallengeConfig,
  readScreeningConfig,
  Screener,
  SigningKeys,
  screenCaller,
  signIdentity,
  signingKeyOf,
} from '@flowguard/caller-screening';
import {
  LOCAL_PLACEHOLDERS,
  type LocalContactCenter,
  startLocalContactCenter,
  usesLocalContactCenter,
} from '@flowguard/cli';
import { flowHandler } from '@flowguard/contact';
import {
  type Flow,
  FlowSimulator,
  type LambdaHandler,
  lintFlow,
  parseFlow,
  renderFlow,
} from '@flowguard/flow-sim';
import { FLOW_FUNCTIONS } from '@flowguard/functions/registry';
import { VALIDATE_INPUT_SENSITIVE_OUTPUTS } from '@flowguard/input-validation/contract';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FLOWS = new URL('../flows/', import.meta.url);
/**
 * The challenge module as the stack fills `${ChallengeModuleArn}` (the module's ARN); its last part
 * names flows/challenge.json, as `flowguard flows simulate --flows-dir flows` finds it.
 */
const CHALLENGE_MODULE_ARN = 'arn:aws:connect:us-east-1:000000000000:instance/local/flow-module/challenge';

describe('shipped flows', () => {
  let center: LocalContactCenter;
  let functions: LocalContactCenter['functions'];
  let VALUES: Readonly<Record<string, string>>;
  const encrypt = (digits: string, keyId: string, certificate: string) =>
    center.encrypt(digits, keyId, certificate);
  const load = (name: string): Flow =>
    renderFlow(parseFlow(JSON.parse(readFileSync(new URL(`${name}.json`, FLOWS), 'utf8'))), VALUES);

  beforeAll(async () => {
    center = await startLocalContactCenter({
      env: { FLOWGUARD_LIMITS: '2/10m,10/1d', FLOWGUARD_AUTO_BLOCK_FACTOR: '0' },
    });
    functions = center.functions;
    VALUES = { ...center.values, ChallengeModuleArn: CHALLENGE_MODULE_ARN };
  });

  afterAll(async () => {
    await center.stop();
  });

  it('fills exactly the placeholders flowguard simulate starts it for, and every shipped flow needs it', () => {
    expect(Object.keys(center.values).sort()).toEqual([...LOCAL_PLACEHOLDERS].sort());
    // The one other placeholder: the module the stack deploys beside the flow that invokes it.
    expect(Object.keys(VALUES).filter((name) => !LOCAL_PLACEHOLDERS.includes(name))).toEqual([
      'ChallengeModuleArn',
    ]);
    for (const name of [
      'caller-screening',
      'secure-payment',
      'validate-account',
      'agent-flag-caller',
      'web-chat',
    ]) {
      const document: unknown = JSON.parse(readFileSync(new URL(`${name}.json`, FLOWS), 'utf8'));
      expect(usesLocalContactCenter(document), name).toBe(true);
      expect(usesLocalContactCenter(JSON.parse(JSON.stringify(load(name)))), `${name} rendered`).toBe(true);
    }
    // A team's own flow, calling only its own function, runs on scripted answers alone.
    expect(
      usesLocalContactCenter({
        Actions: [
          { Parameters: { LambdaFunctionARN: 'arn:aws:lambda:us-east-1:111122223333:function:tier-lookup' } },
        ],
      }),
    ).toBe(false);
  });

  // What `flowguard flows lint` checks against: each function's outputs and those it marks sensitive.
  const contracts = () =>
    Object.fromEntries(
      FLOW_FUNCTIONS.map((f) => [
        VALUES[f.placeholder] ?? f.placeholder,
        {
          outputs: f.outputs,
          sensitiveOutputs: f.sensitiveOutputs,
        },
      ]),
    );

  it.each(['caller-screening', 'secure-payment', 'validate-account', 'agent-flag-caller', 'web-chat'])(
    '%s lints clean against the functions’ declared outputs, once rendered, keeping no sensitive answer',
    (name) => {
      const findings = lintFlow(load(name), {
        contracts: contracts(),
        secureInputArns: [VALUES.SecureInputFunctionArn ?? ''],
      });

      expect(findings.filter((f) => f.rule === 'sensitive-external-kept')).toEqual([]);
      expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
      // Rendered, the flows name the local functions' ARNs: a note for portability, nothing more.
      expect(new Set(findings.map((f) => f.rule))).toEqual(new Set(['instance-arn']));
    },
  );

  describe('the IVR challenge module (flows/challenge.json)', () => {
    /** A flow that invokes the module, then greets the caller: reaching the greeting is passing. */
    const host = (): Flow =>
      parseFlow({
        Version: '2019-10-30',
        StartAction: 'challenge',
        Metadata: {},
        Actions: [
          {
            Identifier: 'challenge',
            Type: 'InvokeFlowModule',
            Parameters: { FlowModuleId: 'challenge-module' },
            Transitions: {
              NextAction: 'welcome',
              Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }],
            },
          },
          {
            Identifier: 'welcome',
            Type: 'MessageParticipant',
            Parameters: { Text: 'Welcome.' },
            Transitions: { NextAction: 'end', Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }] },
          },
          { Identifier: 'end', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
        ],
      });
    const challengeArn = () => VALUES.ChallengeFunctionArn as string;

    /** Runs the host flow; `press` turns the digits issued into what the caller types (null: nothing). */
    async function call(number: string, press: (digits: string) => string | null) {
      const inputs: string[] = [];
      const issued: { digits: string; token: string }[] = [];
      const challenge = functions[challengeArn()] as (event: unknown) => Promise<Record<string, unknown>>;
      const trace = await new FlowSimulator(host()).run({
        contact: { caller: number },
        functions: {
          ...functions,
          [challengeArn()]: async (event: unknown) => {
            const answer = await challenge(event);
            if (answer.reason === 'issued') {
              issued.push({ digits: String(answer.digits), token: String(answer.challengeToken) });
              const keys = press(String(answer.digits));
              if (keys !== null) inputs.push(keys);
            }
            return answer;
          },
        },
        inputs,
        resolveFlow: (reference) => (reference.id === 'challenge-module' ? load('challenge') : undefined),
      });
      return { trace, issued, challenge };
    }

    it('lets a caller who presses the digit through, and marks the caller verified for a day', async () => {
      const { trace, issued } = await call('+14155550171', (digits) => digits);

      expect(issued).toHaveLength(1);
      expect(trace.heard).toEqual([
        // The digits are spoken one by one: "4 7".
        `To continue, please press ${String(issued[0]?.digits).split('').join(' ')} on your keypad.`,
        'Welcome.',
      ]);
      expect(trace.invocations.map((i) => i.response?.reason)).toEqual(['issued', 'ok']);
      const state = await center.store.getState('tel:+14155550171');
      expect(state?.verifiedUntil).toBeGreaterThan(Date.now() / 1000 + 86_000);
      // Nothing of the challenge lands in the contact's attributes.
      expect(JSON.stringify(trace.attributes)).not.toContain(String(issued[0]?.token));
    });

    it('ends the call of a bot that presses a wrong key, or nothing', async () => {
      const wrong = await call('+14155550172', (digits) => (digits === '5' ? '6' : '5'));
      expect(wrong.trace.ending.kind).toBe('disconnect');
      expect(wrong.trace.heard.at(-1)).toBe('Sorry, we could not verify this call. Goodbye.');
      expect(wrong.trace.invocations.at(-1)?.response).toMatchObject({
        passed: 'false',
        reason: 'wrong_input',
      });

      const silent = await call('+14155550173', () => null);
      expect(silent.trace.ending.kind).toBe('disconnect');
      expect(silent.trace.invocations.at(-1)?.response).toMatchObject({
        passed: 'false',
        reason: 'no_input',
      });
      expect((await center.store.getState('tel:+14155550172'))?.verifiedUntil ?? 0).toBe(0);
    });

    it("refuses a passed challenge's token to another contact (a bot that captured it)", async () => {
      const contactId = randomUUID();
      const { issued, challenge } = await call('+14155550174', (digits) => digits);
      const token = String(issued[0]?.token);
      const verify = (id: string, input: string) =>
        challenge({
          Name: 'ContactFlowEvent',
          Details: {
            ContactData: {
              ContactId: id,
              InitialContactId: id,
              Channel: 'VOICE',
              InitiationMethod: 'INBOUND',
              CustomerEndpoint: { Address: '+14155550174', Type: 'TELEPHONE_NUMBER' },
              Attributes: {},
            },
            Parameters: { action: 'verify', challengeToken: token, input },
          },
        });
      // Another contact (a bot that captured the token): bound to the first contact, refused.
      expect(await verify(contactId, String(issued[0]?.digits))).toMatchObject({
        passed: 'false',
        reason: 'bad_token',
      });
    });
  });

  it('puts an ordinary caller through to the queue, then throttles the same caller', async () => {
    const sim = new FlowSimulator(load('caller-screening'));
    const caller = { caller: '+14155550161', dialed: '+18005550100' };

    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await sim.run({ contact: caller, functions }));

    expect(runs[0]?.ending).toMatchObject({ kind: 'queue', queue: VALUES.QueueArn });
    expect(runs[0]?.attributes).toMatchObject({ screeningDecision: 'ALLOW', screeningReason: 'ok' });
    expect(runs[2]?.ending.kind).toBe('disconnect');
    expect(runs[2]?.heard[0]).toMatch(
      /^We are receiving a lot of calls from your number\. Please call back in \d+ seconds\.$/,
    );
  });

  it('turns a caller an agent flagged away', async () => {
    const caller = { caller: '+14155550162', attributes: { agentLogin: 'agent-7' } };

    const flag = await new FlowSimulator(load('agent-flag-caller')).run({ contact: caller, functions });
    const call = await new FlowSimulator(load('caller-screening')).run({ contact: caller, functions });

    expect(flag.heard[0]).toMatch(/^The caller has been blocked until \d{4}-\d\d-\d\dT/);
    expect(call.heard).toEqual(['We are unable to take your call.']);
    expect(call.attributes.screeningReason).toBe('blocklisted');
  });

  it('tells an agent a withheld caller cannot be flagged', async () => {
    const flag = await new FlowSimulator(load('agent-flag-caller')).run({
      contact: { caller: 'anonymous' },
      functions,
    });

    expect(flag.heard).toEqual(['The caller withheld their number, so they cannot be blocked.']);
  });

  it('fails open to the queue when screening cannot answer', async () => {
    const trace = await new FlowSimulator(load('caller-screening')).run({
      contact: { caller: '+14155550163' },
      functions: {},
    });

    expect(trace.ending.kind).toBe('queue');
    expect(trace.attributes.screeningReason).toBe('screening_unavailable');
  });

  it('takes a card after one invalid try, with logging off, leaving only derived facts', async () => {
    const trace = await new FlowSimulator(load('secure-payment')).run({
      contact: { caller: '+14155550164' },
      functions,
      inputs: ['4111111111111112#', '4111111111111111#'],
      encrypt,
    });
    const collecting = trace.logging.filter((l) => l.action === 'collect-card');

    expect(trace.heard).toEqual([
      'Please enter your card number, followed by the pound key.',
      'That card number is not valid.',
      'Please enter your card number, followed by the pound key.',
      'Thank you. Your card ending in 1111 has been accepted.',
    ]);
    expect(collecting.every((l) => !l.enabled)).toBe(true);
    expect(trace.attributes).toMatchObject({ cardLast4: '1111', cardBrand: 'visa', cardAttempts: '' });
    expect(trace.attributes.cardToken).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(JSON.stringify(trace)).not.toContain('4111111111111111');
    expect(trace.ending.kind).toBe('queue');
  });

  it('gives up on the card after three bad tries and still turns logging back on', async () => {
    const trace = await new FlowSimulator(load('secure-payment')).run({
      contact: { caller: '+14155550165' },
      functions,
      inputs: ['1234#', { timeout: true }, '4111111111111112#'],
      encrypt,
    });

    expect(trace.heard.at(-1)).toBe(
      'Sorry, we could not take your card number. Let me put you through to an agent.',
    );
    expect(trace.logging.at(-1)?.enabled).toBe(true);
    expect(trace.steps.some((s) => s.action === 'logging-on')).toBe(true);
  });

  it('validates an account number and a date of birth, re-prompting on a too-short account', async () => {
    const trace = await new FlowSimulator(load('validate-account')).run({
      contact: { caller: '+14155550166' },
      functions,
      inputs: ['12#', '12345678#', '07041990#'],
    });

    expect(trace.heard).toContain('That account number is too short.');
    expect(trace.attributes).toMatchObject({ accountMasked: '******78', dobVerified: 'true' });
    // The validated date of birth never reaches the contact attributes (and so the contact record).
    expect(JSON.stringify(trace.attributes)).not.toContain('1990');
    expect(trace.ending.kind).toBe('queue');
  });

  it('would keep the date of birth in the contact record if the account flow copied it, and lint says so', async () => {
    const shipped = load('validate-account');
    // The account flow as a designer might change it: the answer itself instead of dobVerified=true.
    const changed = {
      ...shipped,
      Actions: shipped.Actions.map((a) =>
        a.Identifier === 'keep-dob'
          ? { ...a, Parameters: { Attributes: { dob: '$.External.dateOfBirth' } } }
          : a,
      ),
    };

    const trace = await new FlowSimulator(changed).run({
      contact: { caller: '+14155550167' },
      functions,
      inputs: ['12345678#', '07041990#'],
    });
    const findings = lintFlow(changed, {
      contracts: contracts(),
      secureInputArns: [VALUES.SecureInputFunctionArn ?? ''],
    });

    expect(trace.attributes).toMatchObject({ accountMasked: '******78', dob: '1990-07-04' });
    expect(VALIDATE_INPUT_SENSITIVE_OUTPUTS).toContain('dateOfBirth');
    expect(VALIDATE_INPUT_SENSITIVE_OUTPUTS).not.toContain('accountNumber');
    // keep-dob is found; keep-account, which copies the masked account number, is not.
    expect(findings.filter((f) => f.rule === 'sensitive-external-kept')).toEqual([
      expect.objectContaining({
        severity: 'warning',
        action: 'keep-dob',
        message: expect.stringContaining('attribute dob keeps $.External.dateOfBirth'),
      }),
    ]);
  });
  describe('caller-screening in a surge: CHALLENGE runs the challenge module', () => {
    // The real screen-caller and challenge functions, on their own (in-memory) store so this surge
    // reaches no other test. The surge is a manual one, written in the shared aggregate item as
    // `flowguard surge` would (`m`: until when): a fresh instance reads it at its first call, so
    // no test here depends on when the aggregates are flushed.
    const store = new MemoryScreeningStore();
    const screener = new Screener({
      store,
      config: readScreeningConfig({ FLOWGUARD_LIMITS: '2/10m,10/1d', FLOWGUARD_AUTO_BLOCK_FACTOR: '0' }),
    });
    beforeAll(async () => {
      await store.updateAggregates({
        shard: 0,
        set: { m: Math.floor(Date.now() / 1000) + 3600, mby: 'flows.test' },
      });
    });
    const testKey = randomBytes(48).toString('base64');
    const quiet = { env: {}, config: { logLevel: 'silent' as const, metrics: false } };
    const surgeScreenCaller = flowHandler(screenCaller(screener), quiet);
    const challenge = flowHandler(
      challengeFunction({
        screener,
        store,
        keys: new SigningKeys({ get: async () => ({ value: testKey }) }, 'challenge'),
        config: readChallengeConfig({ FLOWGUARD_CHALLENGE_SECRET_ID: 'challenge' }),
      }),
      quiet,
    ) as (event: unknown) => Promise<Record<string, unknown>>;

    /** One call through caller-screening; `press` turns the digit spoken into the caller's keys (null: nothing). */
    async function surgeCall(
      caller: string,
      press: (digits: string) => string | null,
      screen: LambdaHandler = surgeScreenCaller,
      outcomes: Record<string, string> = {},
    ) {
      const inputs: string[] = [];
      const trace = await new FlowSimulator(load('caller-screening')).run({
        contact: { caller, dialed: '+18005550100' },
        functions: {
          [VALUES.ScreenCallerFunctionArn as string]: screen,
          [VALUES.ChallengeFunctionArn as string]: async (event: unknown) => {
            const answer = await challenge(event);
            if (answer.reason === 'issued') {
              const keys = press(String(answer.digits));
              if (keys !== null) inputs.push(keys);
            }
            return answer;
          },
        },
        inputs,
        outcomes,
        resolveFlow: (reference) => (reference.id === CHALLENGE_MODULE_ARN ? load('challenge') : undefined),
      });
      return trace;
    }
    // Steps in the module carry the name the designer shows for it (the block's metadata).
    const inModule = (trace: { steps: { flow?: string }[] }) =>
      trace.steps.filter((s) => s.flow === 'flowguard challenge').length;

    it('puts a caller who presses the digit spoken through to the queue, and not again the next time', async () => {
      const first = await surgeCall('+14155550181', (digits) => digits);
      const again = await surgeCall('+14155550181', () => null);

      expect(first.invocations[0]?.response).toMatchObject({
        decision: 'CHALLENGE',
        reason: 'surge',
        rule: 'surge:manual',
      });
      expect(first.heard).toEqual([
        expect.stringMatching(/^To continue, please press \d( \d)? on your keypad\.$/),
      ]);
      expect(first.invocations.map((i) => i.response?.reason)).toEqual(['surge', 'issued', 'ok']);
      expect(first.ending).toMatchObject({ kind: 'queue', queue: VALUES.QueueArn });
      expect(first.attributes).toMatchObject({ screeningDecision: 'CHALLENGE', screeningReason: 'surge' });
      expect(inModule(first)).toBeGreaterThan(0);
      expect(first.steps.at(-2)).toMatchObject({ action: 'set-queue', branch: 'next' });
      // Verified: the surge lets the caller straight through, no challenge asked.
      expect(again.invocations[0]?.response).toMatchObject({ decision: 'ALLOW', reason: 'ok' });
      expect(again.heard).toEqual([]);
      expect(again.ending.kind).toBe('queue');
      expect(inModule(again)).toBe(0);
    });

    it('disconnects a caller who presses a wrong digit, or nothing; neither reaches the queue', async () => {
      const wrong = await surgeCall('+14155550182', (digits) => (digits === '5' ? '6' : '5'));
      const silent = await surgeCall('+14155550183', () => null);

      for (const [name, trace] of Object.entries({ wrong, silent })) {
        expect(trace.invocations[0]?.response, name).toMatchObject({ decision: 'CHALLENGE' });
        expect(trace.ending, name).toMatchObject({ kind: 'disconnect', action: 'hang-up' });
        expect(trace.heard.at(-1), name).toBe('Sorry, we could not verify this call. Goodbye.');
        expect(
          trace.steps.map((s) => s.type),
          name,
        ).not.toContain('TransferContactToQueue');
        expect(
          trace.steps.map((s) => s.action),
          name,
        ).not.toContain('set-queue');
      }
      expect(wrong.invocations.at(-1)?.response).toMatchObject({ passed: 'false', reason: 'wrong_input' });
      expect(silent.invocations.at(-1)?.response).toMatchObject({ passed: 'false', reason: 'no_input' });
      expect((await store.getState('tel:+14155550182'))?.verifiedUntil ?? 0).toBe(0);
    });

    it('blocks a repeat offender in the surge (surge_repeat) without a challenge', async () => {
      const traces = [];
      for (let i = 0; i < 3; i++) traces.push(await surgeCall('+14155550184', () => null));

      expect(traces.map((t) => t.invocations[0]?.response?.decision)).toEqual([
        'CHALLENGE',
        'CHALLENGE',
        'BLOCK',
      ]);
      expect(traces[2]?.invocations[0]?.response).toMatchObject({ reason: 'surge_repeat' });
      expect(traces[2]?.heard).toEqual(['We are unable to take your call.']);
      expect(inModule(traces[2] ?? { steps: [] })).toBe(0);
    });

    it('fails safe when Connect cannot run the module: the call ends with a message, never the queue', async () => {
      const trace = await surgeCall('+14155550185', (digits) => digits, surgeScreenCaller, {
        challenge: 'NoMatchingError',
      });

      expect(trace.invocations.map((i) => i.response?.decision)).toEqual(['CHALLENGE']);
      expect(trace.heard).toEqual([
        'We are receiving an unusually high number of calls and cannot take yours right now. Please call again later.',
      ]);
      expect(trace.ending).toEqual({ kind: 'disconnect', action: 'goodbye' });
    });

    it.each([
      ['ALLOW', 'ok', 'queue', []],
      [
        'THROTTLE',
        'rate_limited',
        'disconnect',
        ['We are receiving a lot of calls from your number. Please call back in 30 seconds.'],
      ],
      ['BLOCK', 'blocklisted', 'disconnect', ['We are unable to take your call.']],
    ] as const)('routes %s as before, the module never invoked', async (decision, reason, ending, heard) => {
      const standIn: LambdaHandler = async () => ({
        decision,
        reason,
        callerType: 'phone',
        retryAfterSeconds: decision === 'THROTTLE' ? '30' : '0',
      });

      const trace = await surgeCall('+14155550186', (digits) => digits, standIn);

      expect(trace.ending.kind).toBe(ending);
      expect(trace.heard).toEqual(heard);
      expect(trace.attributes).toMatchObject({ screeningDecision: decision, screeningReason: reason });
      expect(trace.steps.map((s) => s.type)).not.toContain('InvokeFlowModule');
      expect(trace.invocations).toHaveLength(1);
    });
  });

  describe('web-chat (chats start-contact started)', () => {
    /** The edge signing key start-contact would use, read from (local) Secrets Manager. */
    let signingKey: Uint8Array;
    let address = 0;

    beforeAll(async () => {
      const secretsManager = new SecretsManagerClient({
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
        endpoint: center.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '',
      });
      try {
        const secret = await secretsManager.send(
          new GetSecretValueCommand({ SecretId: center.env.FLOWGUARD_EDGE_SIGNING_SECRET_ID ?? '' }),
        );
        signingKey = signingKeyOf(secret.SecretString ?? '');
      } finally {
        secretsManager.destroy();
      }
    });

    /** A chat as start-contact starts it: the address it counted, signed, in the contact attributes. */
    const edgeChat = (key: Uint8Array = signingKey) => {
      address += 1;
      const ip = `203.0.113.${address}`;
      const attributes = signIdentity(key, {
        key: `ip:${ip}`,
        customerId: '',
        issuedAt: Math.floor(Date.now() / 1000),
        nonce: newNonce(),
      });
      return { ip, contact: { caller: null, channel: 'CHAT', initiationMethod: 'API', attributes } };
    };
    const countsOf = async (ip: string) => [...((await center.store.getState(`ip:${ip}`))?.counts ?? [])];

    it('queues a signed chat as edge_screened without counting it again', async () => {
      const { ip, contact } = edgeChat();

      const trace = await new FlowSimulator(load('web-chat')).run({ contact, functions });

      expect(trace.invocations[0]?.response).toMatchObject({ decision: 'ALLOW', reason: 'edge_screened' });
      expect(trace.ending).toMatchObject({ kind: 'queue', queue: VALUES.QueueArn });
      expect(trace.attributes).toMatchObject({
        screeningDecision: 'ALLOW',
        screeningReason: 'edge_screened',
      });
      expect(trace.heard).toEqual([]);
      // The edge counted the chat (not done here); screen-caller did not count it a second time.
      expect(await countsOf(ip)).toEqual([]);
    });

    it('refuses a chat with no signature, a forged one, or a signature another chat used', async () => {
      const replayed = edgeChat();
      const first = await new FlowSimulator(load('web-chat')).run({ contact: replayed.contact, functions });
      const runs = {
        unsigned: await new FlowSimulator(load('web-chat')).run({
          contact: {
            caller: null,
            channel: 'CHAT',
            initiationMethod: 'API',
            attributes: { topic: 'billing' },
          },
          functions,
        }),
        forged: await new FlowSimulator(load('web-chat')).run({
          contact: edgeChat(Buffer.alloc(32, 7)).contact,
          functions,
        }),
        replayed: await new FlowSimulator(load('web-chat')).run({
          contact: { ...replayed.contact, contactId: randomUUID() },
          functions,
        }),
      };

      expect(first.ending.kind).toBe('queue');
      for (const [name, trace] of Object.entries(runs)) {
        expect(trace.ending.kind, name).toBe('disconnect');
        expect(trace.heard, name).toEqual(['We are unable to take your chat.']);
        expect(trace.attributes, name).toMatchObject({
          screeningDecision: 'BLOCK',
          screeningReason: 'no_identity',
        });
      }
    });

    it('fails open to the queue when screening cannot answer', async () => {
      const trace = await new FlowSimulator(load('web-chat')).run({
        contact: edgeChat().contact,
        functions: {},
      });

      expect(trace.ending.kind).toBe('queue');
      expect(trace.attributes.screeningReason).toBe('screening_unavailable');
    });
  });
});
