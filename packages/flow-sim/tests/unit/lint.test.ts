import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFlow } from '../../src/flow.js';
import { flowGraph, layoutFlow } from '../../src/graph.js';
import { lintFlow } from '../../src/lint.js';
import { placeholders, RenderError, renderFlow } from '../../src/render.js';
import { action, flowOf, hangUp, invoke, say } from './build.js';

const FLOWS = new URL('../../../../flows/', import.meta.url);
const shipped = readdirSync(FLOWS).filter((f) => f.endsWith('.json'));
const load = (file: string) => parseFlow(JSON.parse(readFileSync(new URL(file, FLOWS), 'utf8')));
const rules = (findings: { rule: string }[]) => findings.map((f) => f.rule);
const SECURE = '${SecureInputFunctionArn}';
const OTHER = '${ValidateInputFunctionArn}';

const encryptedInput = (next: string) =>
  action(
    'collect',
    'GetParticipantInput',
    { Text: 'Card?', StoreInput: 'True', InputEncryption: { EncryptionKeyId: 'k', Key: 'c' } },
    { next, errors: { NoMatchingError: 'end' } },
  );
const loggingOff = (next: string) =>
  action('off', 'UpdateFlowLoggingBehavior', { FlowLoggingBehavior: 'Disabled' }, { next });

describe('lintFlow', () => {
  it.each(shipped)('finds nothing wrong with flows/%s', (file) => {
    expect(lintFlow(load(file))).toEqual([]);
  });

  // The flow-language reference, GetParticipantInput: with StoreInput "True" the only error is
  // NoMatchingError (InvalidPhoneNumber with phone validation); NoMatchingCondition only when
  // StoreInput is "False"; no input takes the success branch with the value Timeout.
  it.each([
    ['InputTimeLimitExceeded', {}, { NoMatchingError: 'end', InputTimeLimitExceeded: 'end' }],
    ['NoMatchingCondition', {}, { NoMatchingError: 'end', NoMatchingCondition: 'end' }],
    [
      'InvalidPhoneNumber without phone validation',
      {},
      { NoMatchingError: 'end', InvalidPhoneNumber: 'end' },
    ],
  ])('refuses a stored-input block with a %s branch Connect does not have', (_, extra, errors) => {
    const flow = flowOf(
      'collect',
      action(
        'collect',
        'GetParticipantInput',
        { Text: 'x', StoreInput: 'True', ...extra },
        { next: 'end', errors },
      ),
      hangUp('end'),
    );

    expect(lintFlow(flow).filter((f) => f.rule === 'branch-not-allowed')).toEqual([
      expect.objectContaining({ action: 'collect', severity: 'error' }),
    ]);
  });

  it('accepts a stored-input block with only NoMatchingError, and InvalidPhoneNumber under phone validation', () => {
    const flow = flowOf(
      'collect',
      action(
        'collect',
        'GetParticipantInput',
        {
          Text: 'x',
          StoreInput: 'True',
          InputValidation: { PhoneNumberValidation: { NumberFormat: 'Local', CountryCode: 'US' } },
        },
        { next: 'end', errors: { NoMatchingError: 'end', InvalidPhoneNumber: 'end' } },
      ),
      hangUp('end'),
    );

    expect(rules(lintFlow(flow))).toEqual([]);
  });

  it('still asks a menu (StoreInput not True) for its timeout branch', () => {
    const flow = flowOf(
      'menu',
      action(
        'menu',
        'GetParticipantInput',
        { Text: '1?' },
        { conditions: [['Equals', '1', 'end']], errors: { NoMatchingError: 'end' } },
      ),
      hangUp('end'),
    );

    expect(lintFlow(flow)).toEqual([
      expect.objectContaining({
        rule: 'missing-error-branch',
        message: 'the InputTimeLimitExceeded branch goes nowhere',
      }),
    ]);
  });

  it('names a dangling transition, a duplicate id and a missing start', () => {
    const flow = flowOf('nowhere', say('a', 'x', 'ghost'), say('a', 'y', 'end'), hangUp('end'));

    const findings = lintFlow(flow);

    expect(rules(findings)).toEqual(
      expect.arrayContaining(['dangling-transition', 'duplicate-id', 'missing-start']),
    );
    expect(findings.find((f) => f.rule === 'dangling-transition')).toMatchObject({
      action: 'a',
      message: expect.stringContaining('ghost'),
    });
  });

  it('finds unreachable actions and unknown types', () => {
    const flow = flowOf(
      'a',
      say('a', 'x', 'end'),
      action('lost', 'Teleport', {}, { next: 'end' }),
      hangUp('end'),
    );

    const findings = lintFlow(flow);

    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'unreachable', action: 'lost' }),
        expect.objectContaining({ rule: 'unknown-type', action: 'lost' }),
      ]),
    );
  });

  it('finds error branches that go nowhere and a missing NextAction', () => {
    const flow = flowOf(
      'call',
      action(
        'call',
        'InvokeLambdaFunction',
        { LambdaFunctionARN: 'x', InvocationTimeLimitSeconds: '3' },
        { next: 'cmp' },
      ),
      action('cmp', 'Compare', { ComparisonValue: '$.External.a' }, { conditions: [['Equals', 'b', 'end']] }),
      action('set', 'UpdateContactAttributes', { Attributes: {} }, { errors: { NoMatchingError: 'end' } }),
      hangUp('end'),
    );

    const findings = lintFlow(flow).filter((f) => f.rule !== 'unreachable');

    expect(findings.filter((f) => f.rule === 'missing-error-branch').map((f) => f.action)).toEqual([
      'call',
      'cmp',
    ]);
    expect(findings.find((f) => f.rule === 'missing-next')?.action).toBe('set');
  });

  it('refuses time limits outside 1..8 seconds', () => {
    const flow = flowOf('call', invoke('call', 'x', {}, 'end', 'end', '9'), hangUp('end'));

    expect(rules(lintFlow(flow))).toContain('time-limit');
  });

  it('flags encrypted input collected while logging may be on', () => {
    const flow = flowOf(
      'collect',
      encryptedInput('check'),
      invoke('check', SECURE, { encryptedInput: '$.StoredCustomerInput' }, 'end', 'end'),
      hangUp('end'),
    );

    const findings = lintFlow(flow);

    expect(findings).toEqual([
      expect.objectContaining({ rule: 'logging-during-secure-input', action: 'collect' }),
    ]);
  });

  it('flags logging that is only off on some paths', () => {
    const flow = flowOf(
      'menu',
      action(
        'menu',
        'GetParticipantInput',
        { Text: '1 or 2' },
        {
          conditions: [['Equals', '1', 'off']],
          errors: { NoMatchingCondition: 'collect', NoMatchingError: 'end', InputTimeLimitExceeded: 'end' },
        },
      ),
      loggingOff('collect'),
      encryptedInput('check'),
      invoke('check', SECURE, { encryptedInput: '$.StoredCustomerInput' }, 'end', 'end'),
      hangUp('end'),
    );

    expect(rules(lintFlow(flow))).toContain('logging-during-secure-input');
  });

  it('flags stored encrypted input going to anything but secure-input', () => {
    const flow = flowOf(
      'off',
      loggingOff('collect'),
      encryptedInput('check'),
      invoke('check', OTHER, { value: '$.StoredCustomerInput' }, 'copy', 'end'),
      action(
        'copy',
        'UpdateContactAttributes',
        { Attributes: { card: '$.StoredCustomerInput' } },
        { next: 'end', errors: { NoMatchingError: 'end' } },
      ),
      hangUp('end'),
    );

    const findings = lintFlow(flow);

    expect(findings.filter((f) => f.rule === 'stored-input-leak').map((f) => f.action)).toEqual([
      'check',
      'copy',
    ]);
    expect(rules(findings)).toContain('sensitive-attribute-kept');
  });

  it('accepts a sensitive attribute that is overwritten later', () => {
    const flow = flowOf(
      'collect',
      action(
        'collect',
        'GetParticipantInput',
        { Text: 'x', StoreInput: 'True' },
        { next: 'copy', errors: { NoMatchingError: 'end' } },
      ),
      action(
        'copy',
        'UpdateContactAttributes',
        { Attributes: { account: '$.StoredCustomerInput' } },
        { next: 'wipe', errors: { NoMatchingError: 'wipe' } },
      ),
      action(
        'wipe',
        'UpdateContactAttributes',
        { Attributes: { account: '' } },
        { next: 'end', errors: { NoMatchingError: 'end' } },
      ),
      hangUp('end'),
    );

    expect(lintFlow(flow)).toEqual([]);
  });

  it('flags $.External keys the function before never returns, and reads before any function', () => {
    const flow = flowOf(
      'early',
      say('early', 'too soon: $.External.decision', 'call'),
      invoke('call', '${ScreenCallerFunctionArn}', {}, 'use', 'end'),
      say('use', 'you are $.External.decision and $.External.colour', 'end'),
      hangUp('end'),
    );

    const findings = lintFlow(flow, { contracts: { '${ScreenCallerFunctionArn}': ['decision', 'reason'] } });

    expect(findings).toEqual([
      expect.objectContaining({ rule: 'external-before-invoke', action: 'early' }),
      expect.objectContaining({
        rule: 'unknown-output',
        action: 'use',
        message: expect.stringContaining('colour'),
      }),
    ]);
  });
});

describe('lintFlow: sensitive answers kept in the contact record', () => {
  const VALIDATE = '${ValidateInputFunctionArn}';
  const SCREEN = '${ScreenCallerFunctionArn}';
  const contracts = {
    [VALIDATE]: {
      outputs: ['valid', 'errorCode', 'accountNumber', 'dateOfBirth'],
      sensitiveOutputs: ['dateOfBirth'],
    },
    [SCREEN]: ['decision', 'reason'],
  };
  const setAttributes = (id: string, attributes: Record<string, string>, next = 'end') =>
    action(
      id,
      'UpdateContactAttributes',
      { Attributes: attributes },
      { next, errors: { NoMatchingError: next } },
    );
  const kept = (flow: ReturnType<typeof flowOf>) =>
    lintFlow(flow, { contracts }).filter((f) => f.rule === 'sensitive-external-kept');

  it('warns when an attribute keeps an answer the function marks sensitive, not its mask', () => {
    const flow = flowOf(
      'check',
      invoke('check', VALIDATE, { schema: 'dob', dateOfBirth: '$.StoredCustomerInput' }, 'keep', 'end'),
      setAttributes('keep', {
        dob: '$.External.dateOfBirth',
        accountMasked: '$.External.accountNumber',
        dobVerified: 'true',
      }),
      hangUp('end'),
    );

    expect(kept(flow)).toEqual([
      {
        rule: 'sensitive-external-kept',
        severity: 'warning',
        action: 'keep',
        message: expect.stringMatching(
          /^attribute dob keeps \$\.External\.dateOfBirth, which \$\{ValidateInputFunctionArn\} marks sensitive/,
        ),
      },
    ]);
  });

  it('follows which function answered last, on any path', () => {
    const flow = flowOf(
      'check',
      invoke('check', VALIDATE, { schema: 'dob' }, 'screen', 'end'),
      // screen-caller's answer replaces validate-input's; its failure leaves it in $.External.
      invoke('screen', SCREEN, {}, 'after-screen', 'after-failure'),
      setAttributes('after-screen', { dob: '$.External.dateOfBirth' }),
      setAttributes('after-failure', { dob: '$.External.dateOfBirth' }),
      hangUp('end'),
    );

    expect(kept(flow).map((f) => f.action)).toEqual(['after-failure']);
  });

  it('looks inside text and at contact tags, not at flow attributes or prompts', () => {
    const flow = flowOf(
      'check',
      invoke('check', VALIDATE, { schema: 'dob' }, 'note', 'end'),
      setAttributes('note', { note: 'born on $.External.dateOfBirth.' }, 'tag'),
      action('tag', 'TagContact', { Tags: { dob: '$.External.dateOfBirth' } }, { next: 'flow-only' }),
      action(
        'flow-only',
        'UpdateFlowAttributes',
        { FlowAttributes: { dob: { Value: '$.External.dateOfBirth' } } },
        { next: 'say', errors: { NoMatchingError: 'say' } },
      ),
      say('say', 'We have $.External.dateOfBirth.', 'end'),
      hangUp('end'),
    );

    expect(kept(flow).map((f) => [f.action, f.message.split(',')[0]])).toEqual([
      ['note', 'attribute note keeps $.External.dateOfBirth'],
      ['tag', 'tag dob keeps $.External.dateOfBirth'],
    ]);
  });

  it('says nothing for functions without a contract, or contracts of output keys alone', () => {
    const flow = flowOf(
      'check',
      invoke('check', VALIDATE, { schema: 'dob' }, 'keep', 'end'),
      setAttributes('keep', { dob: '$.External.dateOfBirth' }),
      hangUp('end'),
    );

    expect(rules(lintFlow(flow))).toEqual([]);
    expect(rules(lintFlow(flow, { contracts: { [VALIDATE]: ['dateOfBirth'] } }))).toEqual([]);
  });
});

describe('renderFlow', () => {
  it('fills placeholders, keeping a certificate valid JSON', () => {
    const flow = load('secure-payment.json');
    const values = {
      ConnectCertificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      ConnectKeyId: 'key-1',
      QueueArn: 'arn:aws:connect:us-east-1:1:instance/i/queue/q',
      SecureInputFunctionArn: 'arn:aws:lambda:us-east-1:1:function:secure-input',
    };

    const rendered = renderFlow(flow, values);
    const text = JSON.stringify(rendered);

    expect(placeholders(flow)).toEqual(Object.keys(values).sort());
    expect(placeholders(rendered)).toEqual([]);
    expect(
      JSON.parse(text).Actions.find((a: { Identifier: string }) => a.Identifier === 'collect-card').Parameters
        .InputEncryption.Key,
    ).toBe(values.ConnectCertificate);
  });

  it('refuses to leave a placeholder unfilled, naming all of them', () => {
    try {
      renderFlow(load('secure-payment.json'), { QueueArn: 'q' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RenderError);
      expect((error as RenderError).missing).toEqual([
        'ConnectCertificate',
        'ConnectKeyId',
        'SecureInputFunctionArn',
      ]);
    }
  });
});

describe('flowGraph', () => {
  it('draws every action and branch of a flow as Mermaid', () => {
    const flow = load('caller-screening.json');

    const graph = flowGraph(flow);

    expect(graph.startsWith('flowchart TD\n')).toBe(true);
    expect(graph).toContain('screen<br/>λ: ScreenCaller');
    expect(graph).toMatch(/a2 -->\|THROTTLE\| a3/);
    expect(graph).toContain('challenge<br/>module: Challenge');
    expect(graph).toMatch(/a2 -->\|CHALLENGE\| a\d+/);
    expect(graph.match(/-->/g)?.length).toBeGreaterThan(flow.Actions.length);
  });
});

describe("layoutFlow and the shipped flows' designer metadata", () => {
  it('puts each block in the column of its distance from the start, one row each', () => {
    const flow = flowOf(
      'a',
      action('a', 'MessageParticipant', { Text: 'x' }, { next: 'b', errors: { NoMatchingError: 'c' } }),
      action('b', 'MessageParticipant', { Text: 'y' }, { next: 'c', errors: { NoMatchingError: 'c' } }),
      hangUp('c'),
      hangUp('orphan'),
    );

    const layout = layoutFlow(flow);

    expect(layout.ActionMetadata).toEqual({
      a: { position: { x: 240, y: 40 } },
      b: { position: { x: 560, y: 40 } },
      c: { position: { x: 560, y: 240 } },
      orphan: { position: { x: 880, y: 40 } },
    });
  });

  // The shape Connect's exports carry (DescribeContactFlow Content): Metadata.entryPointPosition
  // and Metadata.ActionMetadata.<id>.position {x, y}.
  it.each(shipped)('gives every block of flows/%s its own position for the flow designer', (file) => {
    const document = JSON.parse(readFileSync(new URL(file, FLOWS), 'utf8')) as {
      Metadata: {
        entryPointPosition?: unknown;
        ActionMetadata?: Record<string, { position?: { x: number; y: number } }>;
      };
      Actions: { Identifier: string }[];
    };
    const positions = document.Actions.map((a) => document.Metadata.ActionMetadata?.[a.Identifier]?.position);

    expect(document.Metadata.entryPointPosition).toMatchObject({
      x: expect.any(Number),
      y: expect.any(Number),
    });
    expect(positions.every((p) => p && Number.isFinite(p.x) && Number.isFinite(p.y))).toBe(true);
    expect(new Set(positions.map((p) => `${p?.x},${p?.y}`)).size).toBe(positions.length);
  });
});
