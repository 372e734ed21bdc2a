// The deploy smoke test's cases, run against the real functions wired to local AWS: every case
// passes on a healthy deployment, and the failures it exists for are recognised.
import { type LocalContactCenter, startLocalContactCenter } from '@flowguard/cli';
import { flowHandler } from '@flowguard/contact';
import { FLOW_FUNCTION_NAMES } from '@flowguard/functions/registry';
import { HANDLERS_DIR, listFunctions } from '@flowguard/scripts/bundle';
import {
  checkAnswer,
  type Invocation,
  runSmoke,
  SMOKE_SPECS,
  type SmokeCase,
  type SmokeSpec,
  smokeEvent,
} from '@flowguard/scripts/smoke';
import { ConnectDecryptor, secureInput } from '@flowguard/secure-input';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const arn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:flowguard-${name}`;
const answer = (fields: Record<string, unknown>): Invocation => ({ payload: JSON.stringify(fields) });
const spec: SmokeSpec = { outputs: ['decision', 'reason'], required: ['decision', 'reason'], cases: [] };
const plain: SmokeCase = { event: 'voice-inbound', proves: 'a caller is screened' };

describe('smoke cases against the real functions', () => {
  let center: LocalContactCenter;

  beforeAll(async () => {
    center = await startLocalContactCenter();
  });

  afterAll(async () => {
    await center?.stop();
  });

  it('has cases for every function there is', async () => {
    // Every function a flow invokes; the stream functions answer no flow (docs/deploy.md).
    expect(Object.keys(SMOKE_SPECS).sort()).toEqual([...FLOW_FUNCTION_NAMES].sort());
    expect(await listFunctions(HANDLERS_DIR)).toEqual(expect.arrayContaining([...FLOW_FUNCTION_NAMES]));
  });

  it.each(FLOW_FUNCTION_NAMES)('%s passes every case on a healthy deployment', async (name) => {
    const handler = center.functions[arn(name)];
    const smoke = SMOKE_SPECS[name];
    if (!handler || !smoke) throw new Error(`no local ${name}`);

    const failures = await runSmoke(
      async (event) => ({ payload: JSON.stringify(await handler(event)) }),
      smoke,
    );

    expect(failures).toEqual([]);
  });

  it('recognises secure-input whose keys secret holds no keys (key_unavailable)', async () => {
    const secrets = {
      getJson: async () => 'a generated random string',
      refresh: async () => 'a generated random string',
    };
    const handler = flowHandler(secureInput(new ConnectDecryptor({ secrets, secretId: 'keys' }), {}), {
      env: {},
      config: { logLevel: 'silent', metrics: false },
    });
    const smoke = SMOKE_SPECS['secure-input'];
    if (!smoke) throw new Error('no secure-input cases');

    const failures = await runSmoke(
      async (event) => ({ payload: JSON.stringify(await handler(event)) }),
      smoke,
    );

    expect(failures).toHaveLength(1);
    expect(failures[0]?.event).toBe('voice-inbound.json');
    expect(failures[0]?.problems.join('\n')).toMatch(
      /error=key_unavailable \(a key or secret could not be read.*\) where error=unknown_key was expected/,
    );
  });
});

describe('checkAnswer', () => {
  it('passes a flat answer with the declared keys', () => {
    expect(checkAnswer(answer({ decision: 'ALLOW', reason: 'ok', error: '' }), spec, plain)).toEqual([]);
  });

  it.each([
    ['a nested value', { decision: { value: 'ALLOW' }, reason: '', error: '' }, /decision not a string/],
    ['an array', ['ALLOW'], /not a map of strings/],
    ['an undeclared key', { decision: 'ALLOW', reason: '', error: '', pan: '4111' }, /contract: pan/],
    ['a missing key', { decision: 'ALLOW', error: '' }, /missing keys: reason/],
    [
      'a fail-mode answer',
      { decision: 'ALLOW', reason: '', error: 'timeout' },
      /fail-mode answer: error=timeout/,
    ],
    [
      'an unavailable store under reason',
      { decision: 'ALLOW', reason: 'store_unavailable', error: '' },
      /reason=store_unavailable \(the screening table/,
    ],
    [
      'an illegal key',
      { decision: 'ALLOW', reason: '', error: '', 'a-b': '' },
      /1 key\(s\) Connect cannot read/,
    ],
  ])('refuses %s', (_, fields, problem) => {
    expect(checkAnswer(answer(fields as Record<string, unknown>), spec, plain).join('\n')).toMatch(problem);
  });

  it('refuses an answer over 32 KB and one that is not JSON', () => {
    expect(checkAnswer({ payload: `"${'x'.repeat(33_000)}"` }, spec, plain)).toEqual([
      expect.stringMatching(/at most 32 KB/),
    ]);
    expect(checkAnswer({ payload: 'not json' }, spec, plain)).toEqual(['the answer is not JSON']);
  });

  it('names what a throw was, with a configuration error naming its variable', () => {
    const thrown = {
      functionError: 'Unhandled',
      payload: JSON.stringify({ errorType: 'ConfigError', errorMessage: 'FLOWGUARD_LIMITS: must be limits' }),
    };

    expect(checkAnswer(thrown, spec, plain)).toEqual([
      'the function threw (ConfigError: FLOWGUARD_LIMITS: must be limits) instead of answering',
    ]);
  });

  it('never repeats a value from the answer', () => {
    const fields = { decision: '+14155550123', reason: '4111111111111111', error: 'sk-4111 1111' };
    const problems = checkAnswer(answer(fields), spec, {
      ...plain,
      expect: { decision: ['ALLOW'] },
      nonEmpty: ['reason'],
    }).join('\n');

    expect(problems).toMatch(/error=\(not a code\)/);
    expect(problems).toMatch(/decision is not ALLOW/);
    expect(problems).not.toMatch(/4155550123|4111/);
  });

  it('checks a probe answers exactly the error it expects', () => {
    const probe = { ...plain, expectError: 'unknown_key' };

    expect(checkAnswer(answer({ decision: '', reason: '', error: 'unknown_key' }), spec, probe)).toEqual([]);
    expect(checkAnswer(answer({ decision: '', reason: '', error: '' }), spec, probe)).toEqual([
      'answered without error where error=unknown_key was expected',
    ]);
  });

  it('gives a case its own parameters in place of the recorded ones, from a fresh copy of the event', async () => {
    const event = (await smokeEvent({ ...plain, parameters: { schema: 'amount' } })) as {
      Details: { Parameters: unknown };
    };
    const recorded = (await smokeEvent(plain)) as { Details: { Parameters: Record<string, unknown> } };

    expect(event.Details.Parameters).toEqual({ schema: 'amount' });
    expect(recorded.Details.Parameters.policy).toBe('default');
  });
});
