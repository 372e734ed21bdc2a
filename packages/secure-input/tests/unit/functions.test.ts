import { RawRsaKeyringNode } from '@aws-crypto/raw-rsa-keyring-node';
import { type FlowFunction, flowHandler } from '@flowguard/contact';
import { voiceEvent } from '@flowguard/testing';
import { describe, expect, it } from 'vitest';
import { encryptLikeConnect } from '../../src/connect-encrypt.js';
import { ConnectDecryptor } from '../../src/decrypt.js';
import { fingerprint, versionedFingerprint } from '../../src/fingerprint.js';
import { encryptInput, type SecureInputDeps, secureInput } from '../../src/functions.js';
import { openToken } from '../../src/open-token.js';
import { rsaTokenKeyring, TOKEN_KEY_NAMESPACE, tokenContext } from '../../src/token.js';
import { FakeSecrets, keysSecret, knownAnswer, leaks, spellings, testKey } from './helpers.js';

const FINGERPRINT_KEY = Buffer.alloc(32, 0x5a).toString('base64');
const downstream = rsaTokenKeyring('downstream-test-only', testKey(2, 'public'));
const downstreamPrivate = new RawRsaKeyringNode({
  keyNamespace: TOKEN_KEY_NAMESPACE,
  keyName: 'downstream-test-only',
  rsaKey: { privateKey: testKey(2, 'private') },
  oaepHash: 'sha512',
});

function setup() {
  const secrets = new FakeSecrets({
    'connect-keys': keysSecret(1, 2),
    fingerprint: { key: FINGERPRINT_KEY },
  });
  const deps: SecureInputDeps & { tokenKeyring: () => Promise<typeof downstream> } = {
    secrets,
    fingerprintSecretId: 'fingerprint',
    tokenKeyring: async () => downstream,
  };
  const lines: string[] = [];
  const wrap = (fn: FlowFunction) =>
    flowHandler(fn, {
      env: {},
      config: { logLevel: 'debug', logEvent: true, metrics: true },
      logSink: (line) => lines.push(line),
      metricSink: (line) => lines.push(line),
    });
  const decryptor = new ConnectDecryptor({ secrets, secretId: 'connect-keys' });
  return { secrets, lines, secure: wrap(secureInput(decryptor, deps)), encrypt: wrap(encryptInput(deps)) };
}

function stored(plaintext: string, format: string, extra: Record<string, unknown> = {}) {
  return voiceEvent('+14155550123', { parameters: { encryptedInput: plaintext, format, ...extra } });
}

describe('secure-input', () => {
  it('answers derived facts for a valid card, never the number', async () => {
    const { secure } = setup();
    const event = stored(knownAnswer('4111111111111111').ciphertext, 'card');

    const response = await secure(event);

    expect(response).toMatchObject({
      valid: 'true',
      errorCode: '',
      last4: '1111',
      brand: 'visa',
      length: '16',
      error: '',
    });
    expect(response.fingerprint).toMatch(/^v1:[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(response)).not.toContain('4111111111111111');
  });

  it('tags a fingerprint under the original {"key"} secret as version 1, the HMAC unchanged', async () => {
    const { secure } = setup();

    const response = await secure(stored(knownAnswer('4111111111111111').ciphertext, 'card'));

    const hmac = fingerprint(Buffer.from(FINGERPRINT_KEY, 'base64'), 'card', Buffer.from('4111111111111111'));
    expect(response.fingerprint).toBe(`v1:${hmac}`);
  });

  it('makes fingerprints with the current key of a versioned secret, tagged with its version', async () => {
    const { secrets, secure } = setup();
    const next = Buffer.alloc(32, 0x6b);
    secrets.rotate('fingerprint', {
      current: 2,
      keys: [
        { version: 1, key: FINGERPRINT_KEY },
        { version: 2, key: next.toString('base64') },
      ],
    });
    await secrets.refresh('fingerprint');

    const response = await secure(stored(knownAnswer('4111111111111111').ciphertext, 'card'));

    const expected = versionedFingerprint({ version: 2, key: next }, 'card', Buffer.from('4111111111111111'));
    expect(response.fingerprint).toBe(expected);
    expect(expected.startsWith('v2:')).toBe(true);
  });

  it.each([
    ['pin', '5821'],
    ['cvv', '737'],
  ])(
    'gives no fingerprint for a %s, and does not read the fingerprint key for it',
    async (format, digits) => {
      const { secrets, secure } = setup();
      const ciphertext = await encryptLikeConnect(digits, {
        keyId: 'test-only-key-1',
        publicKey: testKey(1, 'cert'),
      });

      const response = await secure(stored(ciphertext, format));

      expect(response).toMatchObject({ valid: 'true', fingerprint: '', length: String(digits.length) });
      expect(secrets.gets).toBe(1); // the Connect keys only
    },
  );

  it('answers key_unavailable when the fingerprint secret is malformed, naming no key', async () => {
    const { secrets, secure } = setup();
    secrets.rotate('fingerprint', { current: 3, keys: [{ version: 1, key: FINGERPRINT_KEY }] });
    await secrets.refresh('fingerprint');

    const response = await secure(stored(knownAnswer('4111111111111111').ciphertext, 'card'));

    expect(response).toMatchObject({ valid: 'false', errorCode: 'key_unavailable' });
    expect(response.fingerprint ?? '').toBe('');
    expect(JSON.stringify(response)).not.toContain(FINGERPRINT_KEY);
  });

  it('gives one card the same fingerprint across contacts, and another card another', async () => {
    const { secure } = setup();
    const again = await encryptLikeConnect('4111 1111 1111 1111', {
      keyId: 'test-only-key-1',
      publicKey: testKey(1, 'cert'),
    });

    const a = await secure(stored(knownAnswer('4111111111111111').ciphertext, 'card'));
    const b = await secure(stored(again, 'card'));
    const c = await secure(stored(knownAnswer('378282246310005').ciphertext, 'card'));

    expect(a.fingerprint).toBe(b.fingerprint);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });

  it('issues a token that opens only for its contact and purpose', async () => {
    const { secure } = setup();
    const event = stored(knownAnswer('4111111111111111').ciphertext, 'card');
    const contactId = event.Details.ContactData.ContactId;

    const { token = '' } = await secure(event);
    const opened = await openToken(downstreamPrivate, token, tokenContext(contactId, 'card'));
    const wrongContact = await openToken(
      downstreamPrivate,
      token,
      tokenContext('another-contact', 'card'),
    ).catch((error: { code?: string }) => error.code);
    const wrongPurpose = await openToken(downstreamPrivate, token, tokenContext(contactId, 'account')).catch(
      (error: { code?: string }) => error.code,
    );

    expect(opened.toString()).toBe('4111111111111111');
    expect(wrongContact).toBe('token_context');
    expect(wrongPurpose).toBe('token_context');
  });

  it('answers valid=false with the validation code for a number that fails Luhn', async () => {
    const { secure } = setup();

    const response = await secure(stored(knownAnswer('4111111111111112').ciphertext, 'card'));

    expect(response).toMatchObject({
      valid: 'false',
      errorCode: 'luhn',
      last4: '',
      token: '',
      fingerprint: '',
    });
  });

  it('reveals no last four digits of a value too short to keep six hidden', async () => {
    const { secure } = setup();
    const ciphertext = await encryptLikeConnect('58210', {
      keyId: 'test-only-key-1',
      publicKey: testKey(1, 'cert'),
    });

    const response = await secure(stored(ciphertext, 'account'));

    expect(response).toMatchObject({ valid: 'true', last4: '', length: '5' });
  });

  it('reveals no last four digits for a PIN', async () => {
    const { secure } = setup();

    const response = await secure(stored(knownAnswer('5821').ciphertext, 'pin'));

    expect(response).toMatchObject({ valid: 'true', last4: '', brand: '', length: '4' });
  });

  it.each([
    ['Timeout', 'no_input'],
    ['#', 'no_input'],
    ['%%%', 'bad_ciphertext'],
  ])('answers %s with valid=false and error=%s', async (input, code) => {
    const { secure } = setup();

    const response = await secure(stored(input, 'card'));

    expect(response).toMatchObject({ valid: 'false', errorCode: code, error: code });
  });

  it('refuses an unknown format and a missing one', async () => {
    const { secure } = setup();

    const unknown = await secure(stored(knownAnswer('4111111111111111').ciphertext, 'passport'));
    const missing = await secure(voiceEvent('+14155550123', { parameters: { encryptedInput: 'x' } }));

    expect(unknown).toMatchObject({ valid: 'false', error: 'unknown_format' });
    expect(missing).toMatchObject({ valid: 'false', error: 'missing_parameter' });
  });

  it('answers bad_event for a malformed event', async () => {
    const { secure } = setup();

    expect(await secure({ Details: 'no' })).toMatchObject({ valid: 'false', error: 'bad_event' });
  });
});

describe('encrypt-input', () => {
  it('validates plaintext and returns a mask and a token, never the value', async () => {
    const { encrypt } = setup();
    const event = voiceEvent('+14155550123', {
      parameters: { input: '4111-1111-1111-1111', format: 'card' },
    });

    const response = await encrypt(event);
    const opened = await openToken(
      downstreamPrivate,
      response.token ?? '',
      tokenContext(event.Details.ContactData.ContactId, 'card'),
    );

    expect(response).toMatchObject({ valid: 'true', errorCode: '', masked: '************1111', error: '' });
    expect(opened.toString()).toBe('4111111111111111');
  });

  it('answers invalid input with its code and no token', async () => {
    const { encrypt } = setup();

    const response = await encrypt(
      voiceEvent('+14155550123', { parameters: { input: '1234', format: 'pin' } }),
    );

    expect(response).toEqual({ valid: 'false', errorCode: 'weak_pin', masked: '', token: '', error: '' });
  });

  it('masks a PIN entirely', async () => {
    const { encrypt } = setup();

    const response = await encrypt(
      voiceEvent('+14155550123', { parameters: { input: '5821', format: 'pin' } }),
    );

    expect(response.masked).toBe('****');
  });

  it('answers no_input when there is nothing to encrypt', async () => {
    const { encrypt } = setup();

    const response = await encrypt(voiceEvent('+14155550123', { parameters: { format: 'card' } }));

    expect(response).toMatchObject({ valid: 'false', error: 'no_input' });
  });
});

describe('leaks', () => {
  it('never logs, returns or throws a card number, PIN or account number on any path', async () => {
    const { secure, encrypt, lines } = setup();
    const secrets = [
      ['4111111111111111', 'card'],
      ['4111111111111112', 'card'],
      ['5821', 'pin'],
      ['12345678901', 'account'],
    ] as const;
    const outputs: unknown[] = [];
    for (const [value, format] of secrets) {
      for (const spelled of spellings(value)) {
        const ciphertext = await encryptLikeConnect(spelled, {
          keyId: 'test-only-key-1',
          publicKey: testKey(1, 'cert'),
        });
        outputs.push(await secure(stored(ciphertext, format)));
        outputs.push(await secure(stored(ciphertext, format, { keyId: 'test-only-key-2' })));
        outputs.push(await secure(stored(`${ciphertext.slice(0, -8)}AAAAAAA=`, format)));
        outputs.push(await secure(stored(ciphertext, 'no-such-format')));
        outputs.push(await encrypt(voiceEvent('+14155550123', { parameters: { input: spelled, format } })));
        outputs.push(
          await encrypt(voiceEvent('+14155550123', { parameters: { input: `${spelled}x`, format } })),
        );
      }
    }
    const text = `${JSON.stringify(outputs)}\n${lines.join('\n')}`;

    expect(lines.length).toBeGreaterThan(20);
    for (const [value] of secrets) expect(leaks(text, value)).toBeUndefined();
    // The scan itself finds a value that stands alone, as a leak would.
    expect(leaks(`${text} pin "5821"`, '5821')).toBe('5821');
  });
});
