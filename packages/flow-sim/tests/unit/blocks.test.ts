// Blocks as the flow-language reference defines them, on real-shaped actions (parameters and
// transitions as Connect's flow designer exports them; see test/fixtures/real-flows).
import { describe, expect, it } from 'vitest';
import { BLOCKS } from '../../src/blocks.js';
import type { Flow } from '../../src/flow.js';
import { FlowSimulator, MAX_ATTRIBUTES_BYTES, storedKeys } from '../../src/simulator.js';
import { action, flowOf, hangUp, say } from './build.js';

const FLOW_ARN = 'arn:aws:connect:us-east-1:111122223333:instance/abc/contact-flow/5e138191-aaaa';
const MODULE_ID = '1bc263e9-09cf-432c-971c-32da62c784af';

const loop = (id: string, count: string, body: string, done: string) =>
  action(
    id,
    'Loop',
    { LoopCount: count },
    {
      next: done,
      conditions: [
        ['Equals', 'ContinueLooping', body],
        ['Equals', 'DoneLooping', done],
      ],
    },
  );

const hours = (id: string, open: string, closed: string, error: string) =>
  action(
    id,
    'CheckHoursOfOperation',
    {},
    {
      next: error,
      conditions: [
        ['Equals', 'True', open],
        ['Equals', 'False', closed],
      ],
      errors: { NoMatchingError: error },
    },
  );

describe('block catalogue', () => {
  it('gives every block a reference page, and outcome blocks a default among their branches', () => {
    for (const [type, spec] of Object.entries(BLOCKS)) {
      expect(spec.reference, type).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/connect\/latest\//);
      if (spec.kind !== 'outcome') continue;
      const branches = [
        ...(spec.next ? ['next'] : []),
        ...(spec.conditions === 'any' ? [] : spec.conditions),
        ...spec.errors,
      ];
      if (spec.conditions !== 'any' || spec.defaultOutcome !== undefined)
        expect(branches, type).toContain(spec.defaultOutcome ?? 'next');
    }
  });
});

describe('flow control', () => {
  it('loops LoopCount times, then is done once, and starts again the next time', async () => {
    const flow = flowOf(
      'outer',
      loop('outer', '2', 'inner', 'bye'),
      loop('inner', '2', 'say', 'outer'),
      say('say', 'again', 'inner'),
      hangUp('bye'),
    );

    const trace = await new FlowSimulator(flow).run();

    // The inner loop runs twice for each of the outer loop's two rounds: its count resets.
    expect(trace.heard).toHaveLength(4);
    expect(trace.steps.filter((s) => s.action === 'outer').map((s) => s.branch)).toEqual([
      'ContinueLooping',
      'ContinueLooping',
      'DoneLooping',
    ]);
    expect(trace.ending).toEqual({ kind: 'disconnect', action: 'bye' });
  });

  it('takes DoneLooping at once for a LoopCount of 0', async () => {
    const trace = await new FlowSimulator(
      flowOf('l', loop('l', '0', 'say', 'bye'), say('say', 'never', 'l'), hangUp('bye')),
    ).run();

    expect(trace.heard).toEqual([]);
    expect(trace.steps[0]).toMatchObject({ branch: 'DoneLooping' });
  });

  it('takes the in-hours branch by default, and the scripted one by action id or by type', async () => {
    const flow = flowOf(
      'hours',
      hours('hours', 'open', 'closed', 'error'),
      say('open', 'open', 'bye'),
      say('closed', 'closed', 'bye'),
      say('error', 'error', 'bye'),
      hangUp('bye'),
    );
    const sim = new FlowSimulator(flow);

    const byDefault = await sim.run();
    const byId = await sim.run({ outcomes: { hours: 'False' } });
    const byType = await sim.run({ outcomes: { CheckHoursOfOperation: 'NoMatchingError' } });

    expect(byDefault.heard).toEqual(['open']);
    expect(byDefault.steps[0]?.note).toContain('default outcome');
    expect(byId.heard).toEqual(['closed']);
    expect(byId.steps[0]?.note).toContain('scripted');
    expect(byType.heard).toEqual(['error']);
  });

  it('ends with an error naming the branches when a scripted outcome is not one of them', async () => {
    const flow = flowOf('hours', hours('hours', 'bye', 'bye', 'bye'), hangUp('bye'));

    const trace = await new FlowSimulator(flow).run({ outcomes: { hours: 'Maybe' } });

    expect(trace.ending).toMatchObject({ kind: 'error', action: 'hours' });
    expect(trace.ending.note).toBe(
      'the outcome Maybe is not a branch of this CheckHoursOfOperation block (it has next, True, False, NoMatchingError)',
    );
  });

  it('distributes by percentage to the default branch unless a share is scripted', async () => {
    const flow = flowOf(
      'split',
      action(
        'split',
        'DistributeByPercentage',
        {},
        {
          next: 'rest',
          conditions: [['NumberLessThan', '21', 'a']],
          errors: { NoMatchingCondition: 'rest' },
        },
      ),
      say('a', 'a', 'bye'),
      say('rest', 'rest', 'bye'),
      hangUp('bye'),
    );

    expect((await new FlowSimulator(flow).run()).heard).toEqual(['rest']);
    expect((await new FlowSimulator(flow).run({ outcomes: { split: '21' } })).heard).toEqual(['a']);
  });

  it('ends the run with the error an unknown block type gets, saying how to script it', async () => {
    const flow = flowOf('x', action('x', 'InvokeSomethingNew', {}, { next: 'bye' }), hangUp('bye'));

    const plain = await new FlowSimulator(flow).run();
    const scripted = await new FlowSimulator(flow).run({ outcomes: { x: 'next' } });

    expect(plain.ending).toEqual({
      kind: 'error',
      action: 'x',
      note: 'InvokeSomethingNew is not a block type flow-sim knows: give its branch with --outcome x=<branch>',
    });
    expect(scripted.ending).toEqual({ kind: 'disconnect', action: 'bye' });
  });
});

describe('settings and interactions', () => {
  it('passes setting blocks on, recording the setting in the trace', async () => {
    const flow = flowOf(
      'voice',
      action(
        'voice',
        'UpdateContactTextToSpeechVoice',
        { TextToSpeechVoice: 'Joanna', TextToSpeechEngine: 'Neural' },
        { next: 'record', errors: { NoMatchingError: 'bye' } },
      ),
      action(
        'record',
        'UpdateContactRecordingBehavior',
        { RecordingBehavior: { RecordedParticipants: ['Agent', 'Customer'] } },
        { next: 'priority' },
      ),
      action('priority', 'UpdateContactRoutingBehavior', { QueuePriority: '1' }, { next: 'bye' }),
      hangUp('bye'),
    );

    const trace = await new FlowSimulator(flow).run();

    expect(trace.steps.map((s) => [s.type, s.branch, s.note])).toEqual([
      ['UpdateContactTextToSpeechVoice', 'next', expect.stringContaining('TextToSpeechVoice=Joanna')],
      ['UpdateContactRecordingBehavior', 'next', expect.stringContaining('"Agent","Customer"')],
      ['UpdateContactRoutingBehavior', 'next', 'QueuePriority=1'],
      ['DisconnectParticipant', 'end', undefined],
    ]);
  });

  it('keeps flow attributes in $.FlowAttributes and checks a callback number', async () => {
    const flow = flowOf(
      'flow-attrs',
      action(
        'flow-attrs',
        'UpdateFlowAttributes',
        {
          FlowAttributes: {
            greeting: { Value: 'Hello $.CustomerEndpoint.Address' },
            who: { Value: '$.CustomerEndpoint.Address' },
          },
        },
        { next: 'callback', errors: { NoMatchingError: 'bye' } },
      ),
      action(
        'callback',
        'UpdateContactCallbackNumber',
        { CallbackNumber: '$.FlowAttributes.who' },
        { next: 'say', errors: { InvalidCallbackNumber: 'invalid', CallbackNumberNotDialable: 'invalid' } },
      ),
      say('say', 'Calling back $.CustomerCallbackNumber', 'bye'),
      say('invalid', 'invalid', 'bye'),
      hangUp('bye'),
    );

    const good = await new FlowSimulator(flow).run({ contact: { caller: '+14155550123' } });
    const bad = await new FlowSimulator(flow).run({ contact: { caller: 'anonymous' } });

    expect(good.heard).toEqual(['Calling back +14155550123']);
    expect(bad.heard).toEqual(['invalid']);
  });

  it('plays queue messages and ends where they would repeat until an agent answers', async () => {
    const messages = {
      Messages: [{ Text: 'Please hold.' }, { PromptId: 'arn:prompt/music' }],
      InterruptFrequencySeconds: '60',
    };
    const repeat = flowOf('hold', action('hold', 'MessageParticipantIteratively', messages, {}));
    const interrupted = flowOf(
      'hold',
      action('hold', 'MessageParticipantIteratively', messages, {
        conditions: [['Equals', 'MessagesInterrupted', 'offer']],
        errors: { NoMatchingError: 'bye' },
      }),
      say('offer', 'Press 1 for a callback.', 'bye'),
      hangUp('bye'),
    );

    const ended = await new FlowSimulator(repeat).run();
    const offered = await new FlowSimulator(interrupted).run();

    expect(ended.heard).toEqual(['Please hold.', '[prompt arn:prompt/music]']);
    expect(ended.ending).toMatchObject({ kind: 'end', action: 'hold' });
    expect(ended.ending.note).toBe('2 messages repeat until an agent takes the contact');
    expect(offered.heard.at(-1)).toBe('Press 1 for a callback.');
  });

  it('asks Lex, takes no intent by default and the scripted intent otherwise', async () => {
    const flow = flowOf(
      'lex',
      action(
        'lex',
        'ConnectParticipantWithLexBot',
        {
          Text: 'How can I help?',
          LexV2Bot: { AliasArn: 'arn:aws:lex:us-east-1:111122223333:bot-alias/B/A' },
        },
        {
          next: 'error',
          conditions: [['Equals', 'Billing', 'billing']],
          errors: { NoMatchingCondition: 'fallback', NoMatchingError: 'error' },
        },
      ),
      say('billing', 'billing', 'bye'),
      say('fallback', 'fallback', 'bye'),
      say('error', 'error', 'bye'),
      hangUp('bye'),
    );

    expect((await new FlowSimulator(flow).run()).heard).toEqual(['How can I help?', 'fallback']);
    expect((await new FlowSimulator(flow).run({ outcomes: { lex: 'Billing' } })).heard).toEqual(['billing']);
  });

  it('hangs the caller up once the script is used up and the flow keeps asking', async () => {
    const flow = flowOf(
      'menu',
      action(
        'menu',
        'GetParticipantInput',
        { Text: 'Press 1.', StoreInput: 'False', InputTimeLimitSeconds: '5' },
        {
          next: 'again',
          conditions: [['Equals', '1', 'bye']],
          errors: { InputTimeLimitExceeded: 'again', NoMatchingCondition: 'again', NoMatchingError: 'again' },
        },
      ),
      say('again', 'Sorry.', 'menu'),
      hangUp('bye'),
    );

    const silent = await new FlowSimulator(flow).run({ inputs: ['5'], patience: 2 });
    const pressed = await new FlowSimulator(flow).run({ inputs: ['5', '1'], patience: 0 });

    // One scripted key, two silent prompts, then the caller hangs up at the next.
    expect(silent.heard.filter((h) => h === 'Press 1.')).toHaveLength(3);
    expect(silent.ending).toMatchObject({ kind: 'hang-up', action: 'menu' });
    expect(pressed.ending).toEqual({ kind: 'disconnect', action: 'bye' });
  });
});

describe('contact attributes', () => {
  it(`takes the Error branch and sets none past ${MAX_ATTRIBUTES_BYTES} bytes in all`, async () => {
    const big = 'x'.repeat(20_000);
    const set = (id: string, attributes: Record<string, string>, next: string) =>
      action(
        id,
        'UpdateContactAttributes',
        { Attributes: attributes },
        { next, errors: { NoMatchingError: 'error' } },
      );
    const flow = flowOf(
      'one',
      set('one', { first: big }, 'two'),
      set('two', { second: big, small: 'y' }, 'bye'),
      say('error', 'too big', 'bye'),
      hangUp('bye'),
    );

    const trace = await new FlowSimulator(flow).run();

    expect(trace.heard).toEqual(['too big']);
    expect(Object.keys(trace.attributes)).toEqual(['first']);
    expect(trace.steps[1]?.note).toMatch(/over 32 KB/);
  });
});

describe('stored input keys', () => {
  it.each([
    ['1234#', {}, '1234'],
    ['12*34#', {}, '34'],
    ['12*34#', { DTMFConfiguration: { DisableCancelKey: 'True' } }, '12*34'],
    [
      '1#2#3*4###',
      { DTMFConfiguration: { InputTerminationSequence: '##', DisableCancelKey: 'True' } },
      '1#2#3*4',
    ],
    ['12##', { DTMFConfiguration: { InputTerminationSequence: '##' } }, '12'],
    ['#', {}, '#'],
    ['', {}, 'Timeout'],
    ['123456', { InputValidation: { CustomValidation: { MaximumLength: '4' } } }, '1234'],
  ])('%j with %j stores %j', (typed, parameters, stored) => {
    expect(storedKeys(typed, parameters)).toBe(stored);
  });
});

describe('functions', () => {
  const ARN = 'arn:aws:lambda:us-east-1:111122223333:function:lookup-customer';
  const flow = flowOf(
    'call',
    action(
      'call',
      'InvokeLambdaFunction',
      {
        LambdaFunctionARN: ARN,
        InvocationTimeLimitSeconds: '1',
        ResponseValidation: { ResponseType: 'JSON' },
      },
      { next: 'ok', errors: { NoMatchingError: 'failed' } },
    ),
    say('ok', 'tier $.External.tier', 'bye'),
    say('failed', 'failed', 'bye'),
    hangUp('bye'),
  );

  it('finds a stand-in by function name and otherwise takes the Error branch, saying so', async () => {
    const byName = await new FlowSimulator(flow).run({
      functions: { 'lookup-customer': async () => ({ tier: 'gold' }) },
    });
    const none = await new FlowSimulator(flow).run();

    expect(byName.heard).toEqual(['tier gold']);
    expect(none.heard).toEqual(['failed']);
    expect(none.steps[0]?.note).toBe('no stand-in for lookup-customer: script its answer with --lambda');
    expect(none.invocations[0]).toMatchObject({ attempts: 0, error: 'no_stand_in' });
  });

  it('retries within the block’s time limit, not for each attempt', async () => {
    let calls = 0;
    const slowFailure = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 400));
      throw new Error('boom');
    };

    const trace = await new FlowSimulator(flow).run({ functions: { [ARN]: slowFailure } });

    // 1 s for the block: the third attempt would end after it, so it is cut off.
    expect(trace.heard).toEqual(['failed']);
    expect(calls).toBeLessThanOrEqual(3);
    expect(trace.invocations[0]?.error).toMatch(/timeout|function_error/);
  });
});

describe('transfers and modules', () => {
  const main: Flow = {
    ...flowOf(
      'set',
      action(
        'set',
        'UpdateContactAttributes',
        { Attributes: { from: 'main' } },
        { next: 'module', errors: { NoMatchingError: 'bye' } },
      ),
      action(
        'module',
        'InvokeFlowModule',
        { FlowModuleId: MODULE_ID },
        { next: 'after', errors: { NoMatchingError: 'bye' } },
      ),
      say('after', 'back with $.Attributes.fromModule and [$.FlowAttributes.local]', 'transfer'),
      action(
        'transfer',
        'TransferToFlow',
        { ContactFlowId: FLOW_ARN },
        { errors: { NoMatchingError: 'bye' } },
      ),
      hangUp('bye'),
    ),
    Metadata: { ActionMetadata: { transfer: { ContactFlow: { id: FLOW_ARN, text: 'Next steps' } } } },
  };
  const module = flowOf(
    'm1',
    action(
      'm1',
      'UpdateFlowAttributes',
      { FlowAttributes: { local: { Value: 'module-only' } } },
      { next: 'm2', errors: { NoMatchingError: 'm3' } },
    ),
    action(
      'm2',
      'UpdateContactAttributes',
      { Attributes: { fromModule: '$.FlowAttributes.local' } },
      { next: 'm3', errors: { NoMatchingError: 'm3' } },
    ),
    action('m3', 'EndFlowModuleExecution', {}, {}),
  );
  const next = flowOf('n1', say('n1', 'in the next flow, from $.Attributes.from', 'n2'), hangUp('n2'));

  it('ends at the first module or transfer when no flows are at hand', async () => {
    const trace = await new FlowSimulator(main).run();

    expect(trace.ending).toMatchObject({ kind: 'transfer-to-flow', action: 'module', flow: MODULE_ID });
  });

  it('follows a module and a transfer when it can find them, by id, ARN or designer label', async () => {
    const asked: unknown[] = [];
    const trace = await new FlowSimulator(main).run({
      resolveFlow: (reference) => {
        asked.push(reference);
        return reference.kind === 'module' ? module : reference.name === 'Next steps' ? next : undefined;
      },
    });

    expect(asked).toEqual([
      { kind: 'module', id: MODULE_ID },
      { kind: 'flow', id: FLOW_ARN, name: 'Next steps' },
    ]);
    // Contact attributes cross into the module and back; its flow attributes stay in it.
    expect(trace.heard).toEqual(['back with module-only and []', 'in the next flow, from main']);
    expect(trace.steps.map((s) => s.flow ?? '')).toEqual([
      '',
      '',
      MODULE_ID,
      MODULE_ID,
      MODULE_ID,
      '',
      '',
      'Next steps',
      'Next steps',
    ]);
    expect(trace.ending).toEqual({ kind: 'disconnect', action: 'n2' });
  });

  it('names a module by the label its Invoke module block exports (contactFlowModuleName)', async () => {
    const labelled: Flow = {
      ...main,
      Metadata: { ActionMetadata: { module: { contactFlowModuleName: 'Contact Survey' } } },
    };
    const asked: unknown[] = [];

    const trace = await new FlowSimulator(labelled).run({
      resolveFlow: (reference) => {
        asked.push(reference);
        return reference.kind === 'module' ? module : undefined;
      },
    });

    expect(asked[0]).toEqual({ kind: 'module', id: MODULE_ID, name: 'Contact Survey' });
    expect(trace.steps.filter((s) => s.flow === 'Contact Survey').map((s) => s.action)).toEqual([
      'm1',
      'm2',
      'm3',
    ]);
  });

  it("takes a module's Error branch, or its Success one, when the script says, without running it", async () => {
    const failed = await new FlowSimulator(main).run({
      outcomes: { module: 'NoMatchingError' },
      resolveFlow: () => module,
    });
    const returned = await new FlowSimulator(main).run({ outcomes: { InvokeFlowModule: 'next' } });

    expect(failed.steps.find((s) => s.action === 'module')).toMatchObject({
      branch: 'NoMatchingError',
      note: 'module not run; scripted',
    });
    expect(failed.ending).toEqual({ kind: 'disconnect', action: 'bye' });
    expect(failed.steps.some((s) => s.flow !== undefined)).toBe(false);
    expect(returned.heard).toEqual(['back with  and []']);
  });
});
