// The function handlers the fuzz suites drive: the real logic behind the real wrapper, with
// in-memory stores and test-only keys, logs and metrics captured for the leak scan.
import {
  FLAG_CALLER_OUTPUTS,
  flagCaller,
  MemoryScreeningStore,
  readScreeningConfig,
  SCREEN_CALLER_OUTPUTS,
  Screener,
  screenCaller,
} from '@flowguard/caller-screening';
import { type FlowFunction, type FlowLambdaHandler, flowHandler } from '@flowguard/contact';
import { VALIDATE_INPUT_OUTPUTS, validateInputFunction } from '@flowguard/input-validation';
import {
  ConnectDecryptor,
  ENCRYPT_INPUT_OUTPUTS,
  encryptInput,
  rsaTokenKeyring,
  SECURE_INPUT_OUTPUTS,
  secureInput,
} from '@flowguard/secure-input';
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
  const screener = new Screener({ store: new MemoryScreeningStore(), config: readScreeningConfig({}) });
  const secret = { keys: [{ keyId: 'test-only-key-1', privateKey: testKey('private') }] };
  const secrets = { getJson: async () => secret, refresh: async () => secret };
  const tokenKeyring = async () => rsaTokenKeyring('downstream', testKey('public'));
  return [
    {
      name: 'screen-caller',
      handler: wrap(screenCaller(screener)),
      outputs: SCREEN_CALLER_OUTPUTS,
      budgetMs: 1000,
    },
    {
      name: 'flag-caller',
      handler: wrap(flagCaller(screener)),
      outputs: FLAG_CALLER_OUTPUTS,
      budgetMs: 1000,
    },
    {
      name: 'validate-input',
      handler: wrap(validateInputFunction()),
      outputs: VALIDATE_INPUT_OUTPUTS,
      budgetMs: 1000,
    },
    {
      name: 'secure-input',
      handler: wrap(secureInput(new ConnectDecryptor({ secrets, secretId: 'keys' }), { tokenKeyring })),
      outputs: SECURE_INPUT_OUTPUTS,
      budgetMs: 1000,
    },
    {
      name: 'encrypt-input',
      handler: wrap(encryptInput({ tokenKeyring })),
      outputs: ENCRYPT_INPUT_OUTPUTS,
      budgetMs: 1000,
    },
  ];
}
