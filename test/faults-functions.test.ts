// Every function but screen-caller (test/faults.test.ts) under faults of what it depends on, each
// dependency a real local server behind the fault-injecting proxy: an answer inside the budget
// with the function's fail mode and a stable reason, recovery on the next call once the fault
// clears, no flag recorded twice, and the secrets cache serving a stale value while Secrets
// Manager is down, then refreshing once it is back.
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  DynamoScreeningStore,
  flagCaller,
  readScreeningConfig,
  Screener,
  screeningDynamoClient,
} from '@flowguard/caller-screening';
import { type FlowFunction, flowHandler } from '@flowguard/contact';
import { readValidationConfig, validateInputFunction } from '@flowguard/input-validation';
import { SecretCache } from '@flowguard/secrets';
import {
  ConnectDecryptor,
  encryptInput,
  jsonSecretsFrom,
  kmsTokenKeyring,
  SECURE_INPUT_CLIENT_OPTIONS,
  secureInput,
  versionedFingerprint,
} from '@flowguard/secure-input';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import {
  type Fault,
  type FaultProxy,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalAws,
  type LocalDynamoDB,
  type LocalKms,
  startFaultProxy,
  startLocalAws,
  startLocalDynamoDB,
  type TestKeyPart,
  testKeyPem,
  voiceEvent,
} from '@flowguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/**
 * What the budget may be overrun by on two shared cores: a generous bound that tells an answer
 * given at the budget from one that waited for the fault (the injected latency is far longer).
 */
const SLACK_MS = 4000;
/** Latency far past every client timeout and budget + slack: waiting it out cannot pass. */
const LATENCY_MS = 15_000;
const CARD = '4111111111111111';
const connectKey = (part: TestKeyPart) => testKeyPem(1, part);

/** Every fault the proxy makes, with the latency past what the client waits for. */
function faultsBeyond(latencyMs: number): [string, Fault][] {
  return [
    [`latency (${latencyMs} ms)`, { kind: 'latency', ms: latencyMs }],
    ['a dropped connection', { kind: 'drop' }],
    ['a lost answer (dropped after the request reached the server)', { kind: 'drop-after' }],
    ['HTTP 500', { kind: 'status', status: 500 }],
    ['throttling (the service’s own error)', { kind: 'throttle' }],
    ['throttling (ThrottlingException)', { kind: 'status', status: 400, errorType: 'ThrottlingException' }],
    ['a malformed body', { kind: 'malformed' }],
  ];
}

async function timed<T>(run: () => Promise<T>): Promise<{ answer: T; ms: number }> {
  const started = performance.now();
  const answer = await run();
  return { answer, ms: performance.now() - started };
}

const quiet = (fn: FlowFunction, lines?: string[]) =>
  flowHandler(fn, {
    env: {},
    config: { logLevel: lines ? 'info' : 'silent', metrics: false },
    logSink: (line) => lines?.push(line),
  });

describe('flag-caller under store faults', () => {
  const BUDGET = 2000; // flag-caller's own; the store client's defaults: 600 ms × 2 attempts
  let local: LocalDynamoDB;
  let proxy: FaultProxy;
  let direct: DynamoScreeningStore;
  let flag: ReturnType<typeof flowHandler>;
  // One second for a whole test: a retry lands in the same second as the write it repeats, the
  // case where a repeated block is hardest to tell from a new one.
  const clock = { ms: 0 };
  let caller = 0;
  const nextCaller = () => `+1415557${String(1000 + ++caller).slice(-4)}`;
  const flagEvent = (number: string) =>
    voiceEvent(number, { parameters: { reason: 'abusive', duration: '1h' } });

  beforeAll(async () => {
    local = await startLocalDynamoDB();
    proxy = await startFaultProxy(local.endpoint);
    const config = readScreeningConfig({});
    const client = screeningDynamoClient(config, {
      region: LOCAL_REGION,
      endpoint: proxy.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    const store = new DynamoScreeningStore({ client, tableName: local.tableName });
    flag = quiet(flagCaller(new Screener({ store, config, clock: () => clock.ms })));
    // Straight to dynalite, past the proxy: what the table really holds.
    direct = new DynamoScreeningStore({ client: local.client, tableName: local.tableName });
  });

  afterAll(async () => {
    await proxy.stop();
    await local.stop();
  });

  beforeEach(() => {
    proxy.clear();
    clock.ms = Math.floor(Date.now() / 1000) * 1000;
  });

  it.each(faultsBeyond(LATENCY_MS))(
    'answers %s inside the budget with flagged=false, error store_unavailable, then flags on the next call',
    async (_, fault) => {
      const number = nextCaller();
      proxy.inject(fault);

      const during = await timed(() => flag(flagEvent(number)));
      proxy.clear();
      const after = await flag(flagEvent(number));
      const state = await direct.getState(`tel:${number}`);
      const history = await direct.history(`tel:${number}`);

      expect(during.answer).toEqual({
        flagged: 'false',
        blockedUntil: '',
        callerType: '',
        error: 'store_unavailable',
      });
      expect(during.ms).toBeLessThan(BUDGET + SLACK_MS);
      expect(after).toMatchObject({ flagged: 'true', callerType: 'phone', error: '' });
      expect(after.blockedUntil).toBe(
        new Date((state?.blockedUntil ?? 0) * 1000).toISOString().replace('.000Z', 'Z'),
      );
      expect(history.map((entry) => [entry.action, entry.reason])).toEqual([['block', 'abusive']]);
    },
  );

  it('records a flag once when its write landed but the answer was lost and the client sent it again', async () => {
    const number = nextCaller();
    proxy.inject({ kind: 'drop-after' }, 1);
    const before = proxy.seen.get('UpdateItem') ?? 0;

    const first = await flag(flagEvent(number));
    const sent = (proxy.seen.get('UpdateItem') ?? 0) - before;
    const state = await direct.getState(`tel:${number}`);
    const history = await direct.history(`tel:${number}`);

    expect(sent).toBe(2);
    expect(first).toMatchObject({ flagged: 'true', error: '' });
    expect(state?.blockReason).toBe('abusive');
    expect(history).toHaveLength(1);
  });

  it('records a flag once when the flow sends it again after it was applied', async () => {
    const number = nextCaller();

    const first = await flag(flagEvent(number));
    const again = await flag(flagEvent(number));
    const history = await direct.history(`tel:${number}`);

    expect(first).toMatchObject({ flagged: 'true', error: '' });
    expect(again).toMatchObject({ flagged: 'true', error: '' });
    expect(history).toHaveLength(1);
  });
});

describe('secure-input and encrypt-input under Secrets Manager and KMS faults', () => {
  const BUDGET = 2500; // both functions' own
  const T0 = Date.UTC(2026, 0, 1);
  let aws: LocalAws<{ secretsManager: true; kms: true }>;
  let smProxy: FaultProxy;
  let kmsProxy: FaultProxy;
  let tokenKeyArn: string;
  let message: string;
  const lines: string[] = [];
  const clients: { destroy(): void }[] = [];
  let secretCount = 0;

  /** A fingerprint secret of its own for a test: `{"key": base64 of 32 bytes of `fill`}`. */
  async function fingerprintSecret(fill: number): Promise<string> {
    const name = `fingerprint-${++secretCount}`;
    await aws.secretsManager.client.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({ key: Buffer.alloc(32, fill).toString('base64') }),
      }),
    );
    return name;
  }

  // A `{"key": ...}` secret is version 1 of the fingerprint key.
  const expectedFingerprint = (fill: number) =>
    versionedFingerprint({ version: 1, key: Buffer.alloc(32, fill) }, 'card', Buffer.from(CARD));

  /**
   * A fresh Lambda instance wired as packages/functions/src/handlers does: its own Secrets
   * Manager and KMS clients (pointed at the proxies), one secrets cache on a clock the test moves.
   */
  function instance(fingerprintSecretId: string) {
    const clock = { now: T0 };
    const sm = new SecretsManagerClient({
      ...SECURE_INPUT_CLIENT_OPTIONS,
      region: LOCAL_REGION,
      endpoint: smProxy.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    const Kms = aws.kms.client.constructor as new (
      config: typeof SECURE_INPUT_CLIENT_OPTIONS & {
        region: string;
        endpoint: string;
        credentials: typeof LOCAL_CREDENTIALS;
      },
    ) => LocalKms['client'];
    const kms = new Kms({
      ...SECURE_INPUT_CLIENT_OPTIONS,
      region: LOCAL_REGION,
      endpoint: kmsProxy.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    clients.push(sm, kms);
    const secrets = jsonSecretsFrom(new SecretCache({ client: sm, clock: () => clock.now }));
    const keyring = kmsTokenKeyring(tokenKeyArn, kms);
    const tokenKeyring = async () => keyring;
    const secure = quiet(
      secureInput(new ConnectDecryptor({ secrets, secretId: 'connect-keys' }), {
        secrets,
        fingerprintSecretId,
        tokenKeyring,
      }),
      lines,
    );
    const encrypt = quiet(encryptInput({ tokenKeyring }), lines);
    return {
      clock,
      secure: () =>
        secure(voiceEvent('+14155550123', { parameters: { encryptedInput: message, format: 'card' } })),
      encrypt: () => encrypt(voiceEvent('+14155550123', { parameters: { input: CARD, format: 'card' } })),
    };
  }

  beforeAll(async () => {
    aws = await startLocalAws({ secretsManager: true, kms: true });
    smProxy = await startFaultProxy(aws.secretsManager.endpoint);
    kmsProxy = await startFaultProxy(aws.kms.endpoint);
    await aws.secretsManager.client.send(
      new CreateSecretCommand({
        Name: 'connect-keys',
        SecretString: JSON.stringify({
          keys: [{ keyId: 'test-only-key-1', privateKey: connectKey('private') }],
        }),
      }),
    );
    tokenKeyArn = aws.kms.createKey('flowguard-tokens').arn;
    message = await encryptLikeConnect(CARD, { keyId: 'test-only-key-1', publicKey: connectKey('cert') });
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await smProxy.stop();
    await kmsProxy.stop();
    await aws.stop();
    // Nothing the functions logged, under any fault, holds the card number.
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(CARD);
  });

  beforeEach(() => {
    smProxy.clear();
    kmsProxy.clear();
  });

  describe('cold cache, Secrets Manager down', () => {
    it.each(faultsBeyond(LATENCY_MS))(
      'secure-input answers %s fail-closed inside the budget, then decrypts once the backoff has passed',
      async (_, fault) => {
        const app = instance(await fingerprintSecret(1));
        smProxy.inject(fault);

        const during = await timed(app.secure);
        smProxy.clear();
        // Inside the backoff the failure is served again without a fetch: one per interval.
        const fetched = smProxy.seen.get('GetSecretValue') ?? 0;
        const inBackoff = await app.secure();
        const fetchedInBackoff = (smProxy.seen.get('GetSecretValue') ?? 0) - fetched;
        app.clock.now += 60_000; // past the backoff after one failed fetch
        const after = await app.secure();

        expect(during.answer).toEqual({
          valid: 'false',
          errorCode: 'key_unavailable',
          error: 'key_unavailable',
        });
        expect(during.ms).toBeLessThan(BUDGET + SLACK_MS);
        expect(inBackoff).toEqual(during.answer);
        expect(fetchedInBackoff).toBe(0);
        expect(after).toMatchObject({
          valid: 'true',
          last4: '1111',
          fingerprint: expectedFingerprint(1),
          error: '',
        });
        expect(after.token).toMatch(/^[A-Za-z0-9+/]+=*$/);
      },
    );
  });

  describe('warm cache, Secrets Manager down past the TTL', () => {
    it.each(faultsBeyond(LATENCY_MS))(
      'secure-input answers %s from the stale keys, and sees the rotated fingerprint key once it is back',
      async (_, fault) => {
        const secretId = await fingerprintSecret(2);
        const app = instance(secretId);
        const warm = await app.secure();
        const fetches = () => smProxy.seen.get('GetSecretValue') ?? 0;
        // Rotated while Secrets Manager is unreachable for the function.
        await aws.secretsManager.client.send(
          new PutSecretValueCommand({
            SecretId: secretId,
            SecretString: JSON.stringify({ key: Buffer.alloc(32, 3).toString('base64') }),
          }),
        );
        smProxy.inject(fault);
        app.clock.now += 10 * 60_000; // past the 5 min TTL (± 10 %)

        const during = await timed(app.secure);
        const afterFailure = fetches();
        const inBackoff = await app.secure(); // inside the backoff: the stale value, no fetch
        const fetchedInBackoff = fetches() - afterFailure;
        smProxy.clear();
        app.clock.now += 60_000; // past the backoff after one failed refresh (10 s)
        const recovered = await app.secure();

        expect(warm).toMatchObject({ valid: 'true', fingerprint: expectedFingerprint(2), error: '' });
        expect(during.answer).toMatchObject({
          valid: 'true',
          fingerprint: expectedFingerprint(2),
          error: '',
        });
        expect(during.ms).toBeLessThan(BUDGET + SLACK_MS);
        expect(inBackoff).toMatchObject({ valid: 'true', fingerprint: expectedFingerprint(2), error: '' });
        expect(fetchedInBackoff).toBe(0);
        expect(recovered).toMatchObject({ valid: 'true', fingerprint: expectedFingerprint(3), error: '' });
      },
    );
  });

  describe('KMS down while a token is made', () => {
    it.each(faultsBeyond(LATENCY_MS))(
      'secure-input and encrypt-input answer %s fail-closed inside the budget, then tokenize on the next call',
      async (_name, fault) => {
        const app = instance(await fingerprintSecret(4));
        await app.secure(); // keys cached: only KMS is in the way
        kmsProxy.inject(fault);

        const secure = await timed(app.secure);
        const encrypt = await timed(app.encrypt);
        kmsProxy.clear();
        const secureAfter = await app.secure();
        const encryptAfter = await app.encrypt();

        // The clients' timeouts and single retry (SECURE_INPUT_CLIENT_OPTIONS) end every fault,
        // a hang included, inside the budget with the same code.
        const code = secure.answer.error ?? '';
        expect(code).toBe('token_failed');
        expect(encrypt.answer.error).toBe('token_failed');
        expect(secure.answer).toEqual({ valid: 'false', errorCode: code, error: code });
        expect(encrypt.answer).toEqual({
          valid: 'false',
          errorCode: encrypt.answer.error,
          masked: '',
          token: '',
          error: encrypt.answer.error,
        });
        expect(secure.ms).toBeLessThan(BUDGET + SLACK_MS);
        expect(encrypt.ms).toBeLessThan(BUDGET + SLACK_MS);
        expect(secureAfter).toMatchObject({ valid: 'true', fingerprint: expectedFingerprint(4), error: '' });
        expect(secureAfter.token).toMatch(/^[A-Za-z0-9+/]+=*$/);
        expect(encryptAfter).toMatchObject({ valid: 'true', masked: '************1111', error: '' });
        expect(encryptAfter.token).toMatch(/^[A-Za-z0-9+/]+=*$/);
      },
    );
  });
});

describe('validate-input with every AWS endpoint down', () => {
  const BUDGET = 1000; // validate-input's own
  const SERVICES = ['DYNAMODB', 'SECRETS_MANAGER', 'KMS'] as const;
  let proxies: FaultProxy[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    // Proxies with nothing behind them that drop every connection: a request would fail loudly.
    proxies = await Promise.all(SERVICES.map(() => startFaultProxy('http://127.0.0.1:9')));
    proxies.forEach((proxy, i) => {
      proxy.inject({ kind: 'drop' });
      process.env[`AWS_ENDPOINT_URL_${SERVICES[i]}`] = proxy.endpoint;
    });
    process.env.AWS_REGION = LOCAL_REGION;
  });

  afterAll(async () => {
    process.env = saved;
    await Promise.all(proxies.map((proxy) => proxy.stop()));
  });

  it('answers normally and in time, hostile inputs included, without a single request', async () => {
    const validate = quiet(validateInputFunction(readValidationConfig()));
    const call = (parameters: Record<string, unknown>) =>
      timed(() => validate(voiceEvent('+14155550123', { parameters })));
    const hostile = Array.from({ length: 40 }, (_, i) => ({
      schema: 'card',
      cardNumber: i % 2 ? '9'.repeat(100_000) : `${'4'.repeat(5000)}\u0000\u202e<script>`,
      ['__proto__']: 'x',
    }));

    const good = await call({ schema: 'card', cardNumber: '4111 1111 1111 1111' });
    const bad = await call({ schema: 'card', cardNumber: '4111111111111112' });
    const flood = await Promise.all(hostile.map(call));
    const requests = proxies.reduce(
      (sum, proxy) => sum + [...proxy.seen.values()].reduce((a, b) => a + b, 0),
      0,
    );

    expect(good.answer).toMatchObject({ valid: 'true', error: '' });
    expect(bad.answer).toMatchObject({
      valid: 'false',
      errorField: 'cardNumber',
      errorCode: 'luhn',
      error: '',
    });
    for (const { ms } of [good, bad, ...flood]) expect(ms).toBeLessThan(BUDGET + SLACK_MS);
    for (const { answer } of flood)
      expect(answer).toMatchObject({
        valid: 'false',
        errorField: 'cardNumber',
        errorCode: 'too_long',
        error: '',
      });
    expect(proxies).toHaveLength(3);
    expect(requests).toBe(0);
  });
});
