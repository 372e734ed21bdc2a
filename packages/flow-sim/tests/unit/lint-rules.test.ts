// One case per lint rule, each on blocks shaped as Connect's flow designer exports them (the
// parameters and transitions of test/fixtures/real-flows), and a check that no rule goes untested.
import { describe, expect, it } from 'vitest';
import type { Action, Flow } from '../../src/flow.js';
import { LINT_RULES, type LintOptions, lintFlow, type RuleId } from '../../src/lint.js';

const LAMBDA = 'arn:aws:lambda:us-east-1:111122223333:function:lookup-customer';
const QUEUE = 'arn:aws:connect:us-east-1:111122223333:instance/abc/queue/def';

const disconnect = (id: string): Action => ({
  Identifier: id,
  Type: 'DisconnectParticipant',
  Parameters: {},
  Transitions: {},
});
const prompt = (id: string, next: string, text = 'Thank you for calling.'): Action => ({
  Identifier: id,
  Type: 'MessageParticipant',
  Parameters: { Text: text },
  Transitions: { NextAction: next, Errors: [], Conditions: [] },
});
const lambda = (id: string, next: string, arn = LAMBDA, limit = '8'): Action => ({
  Identifier: id,
  Type: 'InvokeLambdaFunction',
  Parameters: {
    LambdaFunctionARN: arn,
    InvocationTimeLimitSeconds: limit,
    LambdaInvocationAttributes: { caller: '$.CustomerEndpoint.Address' },
    ResponseValidation: { ResponseType: 'STRING_MAP' },
  },
  Transitions: { NextAction: next, Errors: [{ NextAction: next, ErrorType: 'NoMatchingError' }] },
});
const storeInput = (id: string, next: string, extra: Partial<Action['Transitions']> = {}): Action => ({
  Identifier: id,
  Type: 'GetParticipantInput',
  Parameters: {
    StoreInput: 'True',
    InputTimeLimitSeconds: '5',
    Text: 'Enter your card number, then press pound.',
    DTMFConfiguration: { DisableCancelKey: 'False' },
    InputValidation: { CustomValidation: { MaximumLength: '19' } },
    InputEncryption: { EncryptionKeyId: 'key-1', Key: '-----BEGIN CERTIFICATE-----' },
  },
  Transitions: { NextAction: next, Errors: [{ NextAction: next, ErrorType: 'NoMatchingError' }], ...extra },
});
const logging = (id: string, next: string, behaviour: 'Enabled' | 'Disabled'): Action => ({
  Identifier: id,
  Type: 'UpdateFlowLoggingBehavior',
  Parameters: { FlowLoggingBehavior: behaviour },
  Transitions: { NextAction: next },
});
const flow = (...actions: Action[]): Flow => ({
  Version: '2019-10-30',
  StartAction: actions[0]?.Identifier ?? '',
  Metadata: { entryPointPosition: { x: 40, y: 40 }, ActionMetadata: {} },
  Actions: actions,
});

const CASES: Record<RuleId, { flow: Flow; action: string; options?: LintOptions }> = {
  'duplicate-id': {
    flow: flow(prompt('a', 'b'), prompt('b', 'end'), prompt('b', 'end'), disconnect('end')),
    action: 'b',
  },
  'missing-start': { flow: { ...flow(disconnect('end')), StartAction: 'gone' }, action: 'gone' },
  'dangling-transition': { flow: flow(prompt('a', 'deleted-block')), action: 'a' },
  'branch-not-allowed': {
    flow: flow(
      {
        Identifier: 'loop',
        Type: 'Loop',
        Parameters: { LoopCount: '3' },
        Transitions: {
          NextAction: 'end',
          Conditions: [
            { NextAction: 'say', Condition: { Operator: 'Equals', Operands: ['ContinueLooping'] } },
            { NextAction: 'end', Condition: { Operator: 'Equals', Operands: ['DoneLooping'] } },
            { NextAction: 'end', Condition: { Operator: 'Equals', Operands: ['Sometimes'] } },
          ],
        },
      },
      prompt('say', 'loop'),
      disconnect('end'),
    ),
    action: 'loop',
  },
  'time-limit': { flow: flow(lambda('call', 'end', LAMBDA, '10'), disconnect('end')), action: 'call' },
  'logging-during-secure-input': { flow: flow(storeInput('card', 'end'), disconnect('end')), action: 'card' },
  'stored-input-leak': {
    flow: flow(
      logging('off', 'card', 'Disabled'),
      storeInput('card', 'call'),
      {
        ...lambda('call', 'end'),
        Parameters: {
          ...lambda('call', 'end').Parameters,
          LambdaInvocationAttributes: { card: '$.StoredCustomerInput' },
        },
      },
      disconnect('end'),
    ),
    action: 'call',
  },
  'sensitive-attribute-kept': {
    flow: flow(
      logging('off', 'card', 'Disabled'),
      storeInput('card', 'keep'),
      {
        Identifier: 'keep',
        Type: 'UpdateContactAttributes',
        Parameters: { Attributes: { card: '$.StoredCustomerInput' }, TargetContact: 'Current' },
        Transitions: { NextAction: 'end', Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }] },
      },
      disconnect('end'),
    ),
    action: 'keep',
  },
  'unknown-output': {
    flow: flow(
      lambda('call', 'say'),
      prompt('say', 'end', 'Your tier is $.External.tier.'),
      disconnect('end'),
    ),
    action: 'say',
    options: { contracts: { [LAMBDA]: ['name'] } },
  },
  'missing-error-branch': {
    flow: flow(
      {
        Identifier: 'to-queue',
        Type: 'TransferContactToQueue',
        Parameters: {},
        Transitions: {
          NextAction: 'end',
          Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }],
          Conditions: [],
        },
      },
      disconnect('end'),
    ),
    action: 'to-queue',
  },
  'missing-next': {
    flow: flow({
      Identifier: 'queue',
      Type: 'UpdateContactTargetQueue',
      Parameters: { QueueId: QUEUE },
      Transitions: {},
    }),
    action: 'queue',
  },
  unreachable: {
    flow: flow(prompt('a', 'end'), prompt('orphan', 'end'), disconnect('end')),
    action: 'orphan',
  },
  'unknown-type': {
    flow: flow(
      { Identifier: 'x', Type: 'RouteContactToAgent', Parameters: {}, Transitions: { NextAction: 'end' } },
      disconnect('end'),
    ),
    action: 'x',
  },
  'external-before-invoke': {
    flow: flow(prompt('say', 'end', 'Your rule set is $.External.CurrentRule_name.'), disconnect('end')),
    action: 'say',
  },
  'sensitive-external-kept': {
    flow: flow(
      lambda('call', 'keep'),
      {
        Identifier: 'keep',
        Type: 'UpdateContactAttributes',
        Parameters: { Attributes: { dob: '$.External.dateOfBirth' }, TargetContact: 'Current' },
        Transitions: { NextAction: 'end', Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }] },
      },
      disconnect('end'),
    ),
    action: 'keep',
    options: { contracts: { [LAMBDA]: { outputs: ['dateOfBirth'], sensitiveOutputs: ['dateOfBirth'] } } },
  },
  'unchecked-function': {
    flow: flow(lambda('call', 'end'), disconnect('end')),
    action: 'call',
    options: { contracts: {} },
  },
  'instance-arn': {
    flow: flow(
      {
        Identifier: 'queue',
        Type: 'UpdateContactTargetQueue',
        Parameters: { QueueId: QUEUE },
        Transitions: { NextAction: 'end', Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }] },
      },
      disconnect('end'),
    ),
    action: 'queue',
  },
};

describe('lint rules', () => {
  it('has a case for every rule, and every rule a one-line summary', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(LINT_RULES).sort());
    for (const rule of Object.values(LINT_RULES)) expect(rule.summary).not.toMatch(/\n/);
  });

  it.each(Object.entries(CASES))(
    '%s: reported with its severity at the action',
    (rule, { flow, action, options }) => {
      const findings = lintFlow(flow, options);

      expect(findings).toContainEqual(
        expect.objectContaining({ rule, action, severity: LINT_RULES[rule as RuleId].severity }),
      );
    },
  );

  it('uses all three severities, errors only for what breaks in Connect or leaks', () => {
    const bySeverity = (severity: string) =>
      Object.entries(LINT_RULES)
        .filter(([, r]) => r.severity === severity)
        .map(([id]) => id);

    expect(bySeverity('info')).toEqual(['unchecked-function', 'instance-arn']);
    expect(bySeverity('warning')).toEqual([
      'missing-error-branch',
      'missing-next',
      'unreachable',
      'unknown-type',
      'external-before-invoke',
      'sensitive-external-kept',
    ]);
  });

  it('accepts the NextAction every export gives blocks that branch on results', () => {
    const compare: Action = {
      Identifier: 'check',
      Type: 'Compare',
      Parameters: { ComparisonValue: '$.Channel' },
      Transitions: {
        NextAction: 'end',
        Conditions: [{ NextAction: 'end', Condition: { Operator: 'Equals', Operands: ['CHAT'] } }],
        Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingCondition' }],
      },
    };

    expect(lintFlow(flow(compare, disconnect('end')))).toEqual([]);
  });

  it('refuses a menu error branch on a block that has none, and an error type a block does not have', () => {
    const findings = lintFlow(
      flow(
        {
          Identifier: 'menu',
          Type: 'GetParticipantInput',
          Parameters: { StoreInput: 'False', Text: 'Press 1.', InputTimeLimitSeconds: '5' },
          Transitions: {
            NextAction: 'end',
            Conditions: [{ NextAction: 'end', Condition: { Operator: 'Equals', Operands: ['1'] } }],
            Errors: [
              { NextAction: 'end', ErrorType: 'NoMatchingError' },
              { NextAction: 'end', ErrorType: 'NoMatchingCondition' },
              { NextAction: 'end', ErrorType: 'InputTimeLimitExceeded' },
              { NextAction: 'end', ErrorType: 'InvalidPhoneNumber' },
            ],
          },
        },
        {
          ...prompt('say', 'end'),
          Transitions: { NextAction: 'end', Errors: [{ NextAction: 'end', ErrorType: 'QueueAtCapacity' }] },
        },
        disconnect('end'),
      ),
    );

    expect(findings.filter((f) => f.rule === 'branch-not-allowed').map((f) => f.message)).toEqual([
      'GetParticipantInput has no InvalidPhoneNumber branch in Connect',
      'MessageParticipant has no QueueAtCapacity branch in Connect',
    ]);
  });
});
