// Leak scan: the demo and every path of the functions that see sensitive input, run with known
// card numbers, CVVs, PINs and account numbers; stdout, stderr, logs, metrics, answers, flow
// traces and thrown errors are scanned for them, also as spelled with separators. The demo's
// output is also scanned for the personal data of its forwarding scenario's contact records.
import { readFileSync } from 'node:fs';
import { type FlowFunction, flowHandler } from '@flowguard/contact';
import { FlowSimulator, parseFlow, renderFlow } from '@flowguard/flow-sim';
import { validateInputFunction } from '@flowguard/input-validation';
import { FORWARDING_DEMO, runDemo } from '@flowguard/scripts/demo';
import { ConnectDecryptor, encryptInput, rsaTokenKeyring, secureInput } from '@flowguard/secure-input';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import { type TestKeyPart, testKeyPem, voiceEvent } from '@flowguard/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const testKey = (part: TestKeyPart) => testKeyPem(1, part);

const SECRETS = [
  '4111111111111111',
  '5555555555554444',
  '378282246310005',
  '4111111111111112',
  '40293871651',
  '5821',
  '739',
];
function spellings(digits: string): string[] {
  const groups = digits.match(/.{1,4}/g) ?? [digits];
  return [digits, groups.join(' '), groups.join('-'), groups.join('.')];
}

describe('leak scan', () => {
  const captured: string[] = [];
  beforeEach(() => {
    captured.length = 0;
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      captured.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      captured.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function expectClean(text: string) {
    for (const secret of SECRETS) {
      for (const spelled of spellings(secret)) {
        // Short values (PIN, CVV) only count when they stand alone: not inside longer digit runs,
        // ids, base64, or a decimal such as a logged latency (`"latencyMs":12.739`).
        const pattern =
          secret.length < 6 ? new RegExp(`(?<![0-9A-Za-z+/._-])${spelled}(?![0-9A-Za-z+/=._-])`) : undefined;
        if (pattern) expect(text).not.toMatch(pattern);
        else expect(text).not.toContain(spelled);
      }
    }
  }

  it('the scan finds a short value standing alone, not inside ids, base64 or latencies', () => {
    expect(() => expectClean('{"cvv":"739"}')).toThrow();
    expect(() => expectClean('pin 5821 entered')).toThrow();
    expectClean('{"latencyMs":12.739,"contactId":"a739-5821b","token":"x5821/739="}');
  });

  it('finds no sensitive value in anything the demo prints', async () => {
    let output = '';

    await runDemo({ write: (text) => (output += text) });

    expectClean(`${output}${captured.join('')}`);
    // The forwarding scenario's contact records: phone numbers, dates of birth, customer ids.
    expect(FORWARDING_DEMO.personalData.length).toBeGreaterThan(10);
    for (const value of FORWARDING_DEMO.personalData) {
      expect(output).not.toContain(value);
      expect(captured.join('')).not.toContain(value);
    }
  }, 60_000);

  it('finds no sensitive value in answers, logs, metrics, traces or errors of any path', async () => {
    const lines: string[] = [];
    const options = {
      env: {},
      config: { logLevel: 'debug' as const, logEvent: true, metrics: true },
      logSink: (line: string) => lines.push(line),
      metricSink: (line: string) => lines.push(line),
    };
    const wrap = (fn: FlowFunction) => flowHandler(fn, options);
    const secret = { keys: [{ keyId: 'test-only-key-1', privateKey: testKey('private') }] };
    const secrets = { getJson: async () => secret, refresh: async () => secret };
    const tokenKeyring = async () => rsaTokenKeyring('downstream', testKey('public'));
    const validate = wrap(validateInputFunction());
    const secure = wrap(secureInput(new ConnectDecryptor({ secrets, secretId: 'keys' }), { tokenKeyring }));
    const encrypt = wrap(encryptInput({ tokenKeyring }));
    const outputs: unknown[] = [];
    const errors: unknown[] = [];
    const record = async (run: () => Promise<unknown>) => {
      try {
        outputs.push(await run());
      } catch (error) {
        errors.push(error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : error);
      }
    };

    for (const value of SECRETS) {
      for (const spelled of spellings(value)) {
        for (const [schema, field] of [
          ['card', 'cardNumber'],
          ['cvv', 'cvv'],
          ['pin', 'pin'],
          ['account', 'accountNumber'],
        ] as const) {
          await record(() =>
            validate(voiceEvent('+14155550123', { parameters: { schema, [field]: spelled } })),
          );
          await record(() =>
            validate(voiceEvent('+14155550123', { parameters: { schema, [field]: `${spelled}x` } })),
          );
        }
        const ciphertext = await encryptLikeConnect(spelled, {
          keyId: 'test-only-key-1',
          publicKey: testKey('cert'),
        });
        for (const format of ['card', 'pin', 'account', 'cvv', 'nope']) {
          await record(() =>
            secure(voiceEvent('+14155550123', { parameters: { encryptedInput: ciphertext, format } })),
          );
          await record(() => encrypt(voiceEvent('+14155550123', { parameters: { input: spelled, format } })));
        }
        await record(() =>
          secure(
            voiceEvent('+14155550123', {
              parameters: { encryptedInput: `${ciphertext.slice(0, 200)}AA==`, format: 'card' },
            }),
          ),
        );
      }
    }
    const flow = renderFlow(
      parseFlow(JSON.parse(readFileSync(new URL('../flows/secure-payment.json', import.meta.url), 'utf8'))),
      {
        SecureInputFunctionArn: 'secure',
        QueueArn: 'queue',
        ConnectKeyId: 'test-only-key-1',
        ConnectCertificate: testKey('cert'),
      },
    );
    const trace = await new FlowSimulator(flow).run({
      functions: { secure },
      inputs: ['4111111111111112#', '5555555555554444#'],
      encrypt: (digits, keyId, certificate) => encryptLikeConnect(digits, { keyId, publicKey: certificate }),
    });

    expect(lines.length).toBeGreaterThan(500);
    expect(trace.attributes.cardLast4).toBe('4444');
    expectClean(
      [
        JSON.stringify(outputs),
        JSON.stringify(trace),
        lines.join('\n'),
        errors.join('\n'),
        captured.join(''),
      ].join('\n'),
    );
  }, 120_000);
});
