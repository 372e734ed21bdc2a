// The function handlers the fuzz suites drive: the real logic behind the real wrapper, with
// in-memory stores and test-only keys, logs and metrics captured for the leak scan.
import {
  challengeFunction,
  flagCaller,
  MemoryScreeningStore,
  readChallengeConfig,
  readScreeningConfig,
  Screener,
  SigningKeys,
  screenCaller,
} from '@flowguard/caller-screening';
import { type FlowFunction, type FlowLambdaHandler, flowHandler } from '@flowguard/contact';
import { FLOW_FUNCTIONS, type FlowFunctionName } from '@flowguard/functions/registry';
import { validateInputFunction } from '@flowguard/input-validation';
import { ConnectDecryptor, encryptInput, rsaTokenKeyring, secureInput } from '@flowguard/secure-input';
import { type TestKeyPart, testKeyPem } from '@flowguard/testing/test-keys';

export const testKey = (part: TestKeyPart) => testKeyPem(1, part);

export interface FuzzTarget {
  readonly name: string;
  readonly handler: FlowLambdaHandler;
  readonly outputs: readonly string[];
  readonly budgetMs: number;
}

export function fuzzTargets(lines: string[]): FuzzTarget[] {
  const options = {
    env: {},
    config: { logLevel: 'debug' as const, logEvent: true, metrics: true, budgetMs: 1000 },
    logSink: (line: string) => lines.push(line),
    metricSink: (line: string) => lines.push(line),
  };
  const wrap = (fn: FlowFunction) => flowHandler(fn, options);
  const store = new MemoryScreeningStore();
  const screener = new Screener({ store, config: readScreeningConfig({}) });
  // A fixed test-only challenge key: 32 bytes, base64.
  const challengeKeys = new SigningKeys(
    { get: async () => ({ value: Buffer.alloc(32, 7).toString('base64') }) },
    'challenge',
  );
  const secret = { keys: [{ keyId: 'test-only-key-1', privateKey: testKey('private') }] };
  const secrets = { getJson: async () => secret, refresh: async () => secret };
  const tokenKeyring = async () => rsaTokenKeyring('downstream', testKey('public'));
  const handlers: Record<FlowFunctionName, FlowLambdaHandler> = {
    'screen-caller': wrap(screenCaller(screener)),
    'flag-caller': wrap(flagCaller(screener)),
    'validate-input': wrap(validateInputFunction()),
    'secure-input': wrap(secureInput(new ConnectDecryptor({ secrets, secretId: 'keys' }), { tokenKeyring })),
    'encrypt-input': wrap(encryptInput({ tokenKeyring })),
    challenge: wrap(
      challengeFunction({
        screener,
        store,
        keys: challengeKeys,
        config: readChallengeConfig({ FLOWGUARD_CHALLENGE_SECRET_ID: 'challenge' }),
      }),
    ),
  };
  // Every function of the registry, with the answers it declares there.
  return FLOW_FUNCTIONS.map((f) => ({
    name: f.name,
    handler: handlers[f.name],
    outputs: f.outputs,
    budgetMs: 1000,
  }));
}
