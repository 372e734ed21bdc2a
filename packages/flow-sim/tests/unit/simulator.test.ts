import { describe, expect, it } from 'vitest';
import { FlowFormatError, parseFlow, unwrapFlow } from '../../src/flow.js';
import { lintFlow } from '../../src/lint.js';
import { FlowSimulator, validateResponse } from '../../src/simulator.js';
import { action, flowOf, hangUp, invoke, say } from './build.js';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:test';

describe('FlowSimulator', () => {
  it('plays prompts with $. references filled in and ends at a disconnect', async () => {
    const flow = flowOf(
      'set',
      action(
        'set',
        'UpdateContactAttributes',
        { Attributes: { name: 'Ada', caller: '$.CustomerEndpoint.Address' } },
        { next: 'hi', errors: { NoMatchingError: 'bye' } },
      ),
      say('hi', 'Hello $.Attributes.name, calling from $.CustomerEndpoint.Address.', 'bye'),
      hangUp('bye'),
    );

    const trace = await new FlowSimulator(flow).run({ contact: { caller: '+14155550123' } });

    expect(trace.heard).toEqual(['Hello Ada, calling from +14155550123.']);
    expect(trace.attributes).toEqual({ name: 'Ada', caller: '+14155550123' });
    expect(trace.ending).toEqual({ kind: 'disconnect', action: 'bye' });
    expect(trace.steps.map((s) => s.action)).toEqual(['set', 'hi', 'bye']);
  });

  it('replaces $.External with each function answer and passes parameters and contact data', async () => {
    const events: unknown[] = [];
    const flow = flowOf(
      'first',
      invoke('first', ARN, { n: '1', from: '$.CustomerEndpoint.Address' }, 'second', 'bye'),
      invoke('second', ARN, { n: '2', previous: '$.External.answer' }, 'say', 'bye'),
      say('say', 'got $.External.answer and [$.External.only1]', 'bye'),
      hangUp('bye'),
    );
    const fn = async (event: unknown) => {
      events.push(event);
      const n = (event as { Details: { Parameters: { n: string } } }).Details.Parameters.n;
      return n === '1' ? { answer: 'one', only1: 'x' } : { answer: 'two' };
    };

    const trace = await new FlowSimulator(flow).run({
      contact: { caller: '+14155550123' },
      functions: { [ARN]: fn },
    });

    expect(trace.heard).toEqual(['got two and []']);
    expect(events[1]).toMatchObject({ Details: { Parameters: { n: '2', previous: 'one' } } });
    expect(events[0]).toMatchObject({
      Name: 'ContactFlowEvent',
      Details: {
        ContactData: { Channel: 'VOICE', CustomerEndpoint: { Address: '+14155550123' } },
        Parameters: { from: '+14155550123' },
      },
    });
  });

  it.each([
    ['Equals', 'abc', 'abc', true],
    ['Equals', 'abc', 'ABC', false],
    ['TextStartsWith', 'abc', 'ab', true],
    ['TextEndsWith', 'abc', 'bc', true],
    ['TextContains', 'abc', 'x', false],
    ['NumberGreaterThan', '10', '9', true],
    ['NumberGreaterOrEqualTo', '9', '9', true],
    ['NumberLessThan', '10', '9', false],
    ['NumberLessOrEqualTo', '', '9', false],
  ])('Compare %s on %j with %j matches: %s', async (operator, value, operand, expected) => {
    const flow = flowOf(
      'set',
      action(
        'set',
        'UpdateContactAttributes',
        { Attributes: { v: value } },
        { next: 'cmp', errors: { NoMatchingError: 'no' } },
      ),
      action(
        'cmp',
        'Compare',
        { ComparisonValue: '$.Attributes.v' },
        { conditions: [[operator, operand, 'yes']], errors: { NoMatchingCondition: 'no' } },
      ),
      say('yes', 'yes', 'end'),
      say('no', 'no', 'end'),
      hangUp('end'),
    );

    const trace = await new FlowSimulator(flow).run();

    expect(trace.heard).toEqual([expected ? 'yes' : 'no']);
  });

  it('takes the Error branch when a function throws, after Connect-style retries', async () => {
    let calls = 0;
    const flow = flowOf(
      'call',
      invoke('call', ARN, {}, 'ok', 'failed'),
      say('ok', 'ok', 'end'),
      say('failed', 'failed', 'end'),
      hangUp('end'),
    );

    const trace = await new FlowSimulator(flow).run({
      functions: {
        [ARN]: async () => {
          calls++;
          throw new Error('boom');
        },
      },
    });

    expect(trace.heard).toEqual(['failed']);
    expect(calls).toBe(4);
    expect(trace.invocations[0]).toMatchObject({ attempts: 4, error: 'function_error' });
  });

  it('succeeds on a retry when the function recovers', async () => {
    let calls = 0;
    const flow = flowOf(
      'call',
      invoke('call', ARN, {}, 'ok', 'failed'),
      say('ok', 'ok $.External.v', 'end'),
      say('failed', 'failed', 'end'),
      hangUp('end'),
    );

    const trace = await new FlowSimulator(flow).run({
      functions: {
        [ARN]: async () => {
          calls++;
          if (calls < 3) throw new Error('flaky');
          return { v: 'done' };
        },
      },
    });

    expect(trace.heard).toEqual(['ok done']);
    expect(trace.invocations[0]?.attempts).toBe(3);
  });

  it('takes the Error branch when a function outlives its time limit', async () => {
    const flow = flowOf(
      'call',
      invoke('call', ARN, {}, 'ok', 'failed', '1'),
      say('ok', 'ok', 'end'),
      say('failed', 'failed', 'end'),
      hangUp('end'),
    );

    const trace = await new FlowSimulator(flow).run({
      functions: { [ARN]: () => new Promise((resolve) => setTimeout(() => resolve({}), 1500)) },
    });

    expect(trace.heard).toEqual(['failed']);
    expect(trace.invocations[0]).toMatchObject({ error: 'timeout', attempts: 1 });
  });

  it('refuses a time limit over 8 seconds', async () => {
    const flow = flowOf(
      'call',
      invoke('call', ARN, {}, 'ok', 'failed', '9'),
      say('ok', 'ok', 'end'),
      say('failed', 'failed', 'end'),
      hangUp('end'),
    );

    const trace = await new FlowSimulator(flow).run({ functions: { [ARN]: async () => ({}) } });

    expect(trace.heard).toEqual(['failed']);
  });

  it('takes the Error branch when a STRING_MAP answer is not a flat map of strings', async () => {
    const flow = flowOf(
      'call',
      invoke('call', ARN, {}, 'ok', 'failed'),
      say('ok', 'ok', 'end'),
      say('failed', 'failed', 'end'),
      hangUp('end'),
    );

    const trace = await new FlowSimulator(flow).run({
      functions: { [ARN]: async () => ({ nested: { a: 'b' } }) },
    });

    expect(trace.heard).toEqual(['failed']);
    expect(trace.invocations[0]?.error).toBe('not_a_string_map');
  });

  it('takes the Error branch when the function cannot be reached', async () => {
    const flow = flowOf(
      'call',
      invoke('call', 'arn:unknown', {}, 'ok', 'failed'),
      say('ok', 'ok', 'end'),
      say('failed', 'failed', 'end'),
      hangUp('end'),
    );

    expect((await new FlowSimulator(flow).run()).heard).toEqual(['failed']);
  });

  it('matches a menu key, and takes the timeout and no-match branches', async () => {
    const menu = flowOf(
      'menu',
      action(
        'menu',
        'GetParticipantInput',
        { Text: 'Press 1 or 2.', InputTimeLimitSeconds: '5' },
        {
          conditions: [['Equals', '1', 'one']],
          errors: {
            NoMatchingCondition: 'other',
            InputTimeLimitExceeded: 'silent',
            NoMatchingError: 'other',
          },
        },
      ),
      say('one', 'one', 'end'),
      say('other', 'other', 'end'),
      say('silent', 'silent', 'end'),
      hangUp('end'),
    );
    const sim = new FlowSimulator(menu);

    const heard = [
      (await sim.run({ inputs: ['1'] })).heard[1],
      (await sim.run({ inputs: ['7'] })).heard[1],
      (await sim.run({ inputs: [{ timeout: true }] })).heard[1],
      (await sim.run({ inputs: [] })).heard[1],
    ];

    expect(heard).toEqual(['one', 'other', 'silent', 'silent']);
  });

  it('stores input up to the terminator or the maximum length, encrypting it when asked', async () => {
    const store = (encryption?: Record<string, string>) =>
      flowOf(
        'collect',
        action(
          'collect',
          'GetParticipantInput',
          {
            Text: 'Enter digits.',
            StoreInput: 'True',
            InputValidation: { CustomValidation: { MaximumLength: '4' } },
            ...(encryption ? { InputEncryption: encryption } : {}),
          },
          { next: 'echo', errors: { NoMatchingError: 'end' } },
        ),
        action(
          'echo',
          'UpdateContactAttributes',
          { Attributes: { got: '$.StoredCustomerInput' } },
          { next: 'end', errors: { NoMatchingError: 'end' } },
        ),
        hangUp('end'),
      );
    const encrypt = async (digits: string, keyId: string) => `enc(${keyId}:${digits.length})`;

    const plain = await new FlowSimulator(store()).run({ inputs: ['12#'] });
    const capped = await new FlowSimulator(store()).run({ inputs: ['123456'] });
    const encrypted = await new FlowSimulator(store({ EncryptionKeyId: 'k1', Key: 'cert' })).run({
      inputs: ['4111#'],
      encrypt,
    });
    const terminatorOnly = await new FlowSimulator(store()).run({ inputs: ['#'] });
    // No input: the success branch, with the literal Timeout stored (never a timeout branch).
    const nothing = await new FlowSimulator(store()).run({ inputs: [{ timeout: true }] });

    expect(plain.attributes.got).toBe('12');
    expect(capped.attributes.got).toBe('1234');
    expect(encrypted.attributes.got).toBe('enc(k1:4)');
    expect(encrypted.steps[0]?.note).toBe('stored 4 keys, encrypted');
    expect(terminatorOnly.attributes.got).toBe('#');
    expect(nothing.attributes.got).toBe('Timeout');
    expect(nothing.steps[0]).toMatchObject({ branch: 'next', note: 'no input: stored Timeout' });
  });

  it('sends stored input on chat down the Error branch (voice only)', async () => {
    const flow = flowOf(
      'collect',
      action(
        'collect',
        'GetParticipantInput',
        { Text: 'x', StoreInput: 'True' },
        { next: 'ok', errors: { NoMatchingError: 'error' } },
      ),
      say('ok', 'ok', 'end'),
      say('error', 'error', 'end'),
      hangUp('end'),
    );

    const trace = await new FlowSimulator(flow).run({ contact: { channel: 'CHAT' }, inputs: ['1#'] });

    expect(trace.heard).toEqual(['error']);
  });

  it('reads SIP headers, tracks flow logging and ends in a queue', async () => {
    const flow = flowOf(
      'off',
      action('off', 'UpdateFlowLoggingBehavior', { FlowLoggingBehavior: 'Disabled' }, { next: 'set' }),
      action(
        'set',
        'UpdateContactAttributes',
        { Attributes: { oli: '$.Media.Sip.Headers.ISUP-OLI' } },
        { next: 'queue', errors: { NoMatchingError: 'queue' } },
      ),
      action(
        'queue',
        'UpdateContactTargetQueue',
        { QueueId: 'arn:queue/basic' },
        { next: 'transfer', errors: { NoMatchingError: 'transfer' } },
      ),
      action(
        'transfer',
        'TransferContactToQueue',
        {},
        { errors: { QueueAtCapacity: 'end', NoMatchingError: 'end' } },
      ),
      hangUp('end'),
    );

    const trace = await new FlowSimulator(flow).run({ contact: { sipHeaders: { 'ISUP-OLI': '29' } } });

    expect(trace.attributes.oli).toBe('29');
    expect(trace.logging.map((l) => l.enabled)).toEqual([true, false, false, false]);
    expect(trace.ending).toEqual({ kind: 'queue', action: 'transfer', queue: 'arn:queue/basic' });
  });

  it('stops a looping flow at the step limit', async () => {
    const flow = flowOf('a', say('a', 'again', 'a'));

    const trace = await new FlowSimulator(flow).run({ maxSteps: 10 });

    expect(trace.ending.kind).toBe('step_limit');
    expect(trace.heard).toHaveLength(10);
  });

  it('ends with an error at a transition that goes nowhere', async () => {
    const flow = flowOf('a', say('a', 'x', 'missing'));

    expect((await new FlowSimulator(flow).run()).ending).toMatchObject({ kind: 'error', action: 'missing' });
  });
});

describe('validateResponse', () => {
  it('accepts flat string maps under STRING_MAP and nested JSON under JSON', () => {
    expect(validateResponse({ a: 'b' }, 'STRING_MAP')).toBeUndefined();
    expect(validateResponse({ a: 1 }, 'STRING_MAP')).toBe('not_a_string_map');
    expect(validateResponse({ a: { b: 'c' } }, 'JSON')).toBeUndefined();
    expect(validateResponse(['a'], 'JSON')).toBe('not_an_object');
    expect(validateResponse({ a: 'x'.repeat(40_000) }, 'JSON')).toBe('too_large');
  });
});

describe('blocks from the flow-language reference', () => {
  // TransferToFlow: "Execution jumps to a different flow"; UpdateContactEventHooks: a setting,
  // no results, NoMatchingError (Connect flow-language reference).
  it('records an event hook and ends the run at a Transfer to flow, naming the flow, not as an error', async () => {
    const target = 'arn:aws:connect:us-east-1:111122223333:instance/i/contact-flow/next';
    const flow = flowOf(
      'hooks',
      action(
        'hooks',
        'UpdateContactEventHooks',
        {
          EventHooks: {
            CustomerQueue: 'arn:aws:connect:us-east-1:111122223333:instance/i/contact-flow/queue',
          },
        },
        { next: 'transfer', errors: { NoMatchingError: 'end' } },
      ),
      action('transfer', 'TransferToFlow', { ContactFlowId: target }, { errors: { NoMatchingError: 'end' } }),
      hangUp('end'),
    );

    const trace = await new FlowSimulator(flow).run({});

    expect(trace.steps.map((s) => `${s.action}:${s.branch}`)).toEqual(['hooks:next', 'transfer:transfer']);
    expect(trace.steps[0]?.note).toMatch(/^EventHooks=\{"CustomerQueue":"arn:aws:connect:/);
    expect(trace.ending).toEqual({ kind: 'transfer-to-flow', action: 'transfer', flow: target });
    expect(lintFlow(flow).map((f) => f.rule)).toEqual(['instance-arn', 'instance-arn']);
  });
});

describe('parseFlow', () => {
  it.each([
    ['not an object', 'flow'],
    ['a wrong version', { Version: '2020', StartAction: 'a', Actions: [] }],
    ['no actions list', { Version: '2019-10-30', StartAction: 'a' }],
    [
      'an action without Transitions',
      { Version: '2019-10-30', StartAction: 'a', Actions: [{ Identifier: 'a', Type: 'X' }] },
    ],
    [
      'an identifier over 50 characters',
      {
        Version: '2019-10-30',
        StartAction: 'a',
        Actions: [{ Identifier: 'x'.repeat(51), Type: 'X', Transitions: {} }],
      },
    ],
  ])('refuses %s', (_, document) => {
    expect(() => parseFlow(document)).toThrow(FlowFormatError);
  });

  const bare = {
    Version: '2019-10-30',
    StartAction: 'hello',
    Metadata: {},
    Actions: [
      {
        Identifier: 'hello',
        Type: 'MessageParticipant',
        Parameters: { Text: 'Hi' },
        Transitions: { NextAction: 'bye' },
      },
      { Identifier: 'bye', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
    ],
  };

  // Shapes from the Connect API reference (DescribeContactFlow, DescribeContactFlowModule: Content
  // is "the JSON string that represents the content of the flow") and CloudFormation's
  // AWS::Connect::ContactFlow properties ({Name, Type, Content}).
  it.each([
    ['the flow language itself', bare],
    ['the flow language as a JSON string', JSON.stringify(bare)],
    [
      'DescribeContactFlow output',
      {
        ContactFlow: {
          Arn: 'arn:aws:connect:us-east-1:111122223333:instance/abc/contact-flow/def',
          Id: 'def',
          Name: 'Main',
          Type: 'CONTACT_FLOW',
          State: 'ACTIVE',
          Status: 'PUBLISHED',
          Content: JSON.stringify(bare),
          Tags: {},
        },
      },
    ],
    [
      'DescribeContactFlowModule output',
      { ContactFlowModule: { Id: 'm', Name: 'Module', Content: JSON.stringify(bare) } },
    ],
    [
      'a {Name, Type, Content} envelope with Content as a string',
      { Name: 'Main', Type: 'CONTACT_FLOW', Content: JSON.stringify(bare) },
    ],
    [
      'a {Name, Type, Content} envelope with Content as an object',
      { Name: 'Main', Type: 'CONTACT_FLOW', Content: bare },
    ],
  ])('reads %s', (_, document) => {
    const flow = parseFlow(document);

    expect(flow.StartAction).toBe('hello');
    expect(flow.Actions.map((a) => a.Identifier)).toEqual(['hello', 'bye']);
  });

  it('names the legacy modules format and how to get the flow language', () => {
    const legacy = {
      modules: [{ id: 'x', type: 'PlayPrompt', branches: [] }],
      version: '1',
      type: 'contactFlow',
      start: 'x',
    };

    expect(() => parseFlow(legacy)).toThrow(/legacy flow format \(modules\).*export it again/);
  });

  it.each([
    [
      'Errors that are not a list',
      { NextAction: 'bye', Errors: { ErrorType: 'NoMatchingError' } },
      /\(hello\)\.Transitions\.Errors must be a list/,
    ],
    [
      'an error branch without a NextAction',
      { Errors: [{ ErrorType: 'NoMatchingError' }] },
      /Errors\[0\]\.NextAction must name an action/,
    ],
    [
      'a condition without operands',
      { Conditions: [{ NextAction: 'bye', Condition: { Operator: 'Equals' } }] },
      /Conditions\[0\]\.Condition\.Operands/,
    ],
    [
      'a condition with an empty operand list',
      { Conditions: [{ NextAction: 'bye', Condition: { Operator: 'Equals', Operands: [] } }] },
      /Operands must be a non-empty list/,
    ],
    ['a numeric NextAction', { NextAction: 7 }, /\(hello\)\.Transitions\.NextAction must name an action/],
    ['a condition that is a string', { Conditions: ['bye'] }, /Conditions\[0\] is not an object/],
  ])('refuses %s, naming the action and the path', (_, transitions, message) => {
    const document = {
      ...bare,
      Actions: [{ ...bare.Actions[0], Transitions: transitions }, bare.Actions[1]],
    };

    expect(() => parseFlow(document)).toThrow(message);
    expect(() => parseFlow(document)).toThrow(FlowFormatError);
  });

  it("refuses Content that is not JSON or is over Connect's 256,000 characters", () => {
    expect(() => unwrapFlow({ ContactFlow: { Content: '{not json' } })).toThrow(/not valid JSON/);
    expect(() => unwrapFlow({ Name: 'x', Content: 'x'.repeat(256_001) })).toThrow(/256000 characters/);
    expect(() => unwrapFlow({ ContactFlow: { Name: 'no content' } })).toThrow(/no Content/);
  });
});
