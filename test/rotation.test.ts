// Key rotation end to end: the keys secret in (local) Secrets Manager gains a second key, flows
// start encrypting with it, old messages still decrypt, then the first key is removed.
import { readFileSync } from 'node:fs';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { flowHandler } from '@flowguard/contact';
import { FlowSimulator, parseFlow, renderFlow } from '@flowguard/flow-sim';
import { SecretCache } from '@flowguard/secrets';
import { ConnectDecryptor, jsonSecretsFrom, secureInput } from '@flowguard/secure-input';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import { startLocalAws, testKeyPem } from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const key = testKeyPem;
const entry = (n: 1 | 2) => ({ keyId: `test-only-key-${n}`, privateKey: key(n, 'private') });
const encrypt = (digits: string, n: 1 | 2) =>
  encryptLikeConnect(digits, { keyId: `test-only-key-${n}`, publicKey: key(n, 'cert') });

describe('Connect key rotation through Secrets Manager', () => {
  let aws: Awaited<ReturnType<typeof startLocalAws<{ secretsManager: true }>>>;

  beforeAll(async () => {
    aws = await startLocalAws({ secretsManager: true });
    await aws.secretsManager.client.send(
      new CreateSecretCommand({ Name: 'connect-keys', SecretString: JSON.stringify({ keys: [entry(1)] }) }),
    );
  });

  afterAll(async () => {
    await aws.stop();
  });

  it('keeps every message decryptable while a second key is added and the first retired', async () => {
    let now = Date.UTC(2026, 0, 1);
    const cache = new SecretCache({ client: aws.secretsManager.client, clock: () => now });
    const decryptor = new ConnectDecryptor({ secrets: jsonSecretsFrom(cache), secretId: 'connect-keys' });
    const oldMessage = await encrypt('4111111111111111', 1);
    const put = (keys: unknown[]) =>
      aws.secretsManager.client.send(
        new PutSecretValueCommand({ SecretId: 'connect-keys', SecretString: JSON.stringify({ keys }) }),
      );

    const before = (await decryptor.decrypt(oldMessage)).toString();
    await put([entry(1), entry(2)]);
    const newMessage = await encrypt('5555555555554444', 2);
    // The cached secret has no key 2: one forced refresh fetches the new version.
    const withNewKey = (await decryptor.decrypt(newMessage)).toString();
    const oldStillWorks = (await decryptor.decrypt(oldMessage)).toString();
    await put([entry(2)]);
    now += 10 * 60_000; // past the cache TTL: the next read sees the first key gone
    const retired = await decryptor.decrypt(oldMessage).catch((error: { code?: string }) => error.code);
    const current = (await decryptor.decrypt(newMessage)).toString();

    expect([before, withNewKey, oldStillWorks, current]).toEqual([
      '4111111111111111',
      '5555555555554444',
      '4111111111111111',
      '5555555555554444',
    ]);
    expect(retired).toBe('unknown_key');
  });

  it('runs the payment flow through a rotation: re-rendered with the new key, it works; with the old, it stops', async () => {
    await aws.secretsManager.client.send(
      new PutSecretValueCommand({
        SecretId: 'connect-keys',
        SecretString: JSON.stringify({ keys: [entry(1)] }),
      }),
    );
    let now = Date.UTC(2026, 0, 1);
    const cache = new SecretCache({ client: aws.secretsManager.client, clock: () => now });
    const decryptor = new ConnectDecryptor({ secrets: jsonSecretsFrom(cache), secretId: 'connect-keys' });
    const secure = flowHandler(secureInput(decryptor, {}), {
      env: {},
      config: { logLevel: 'silent', metrics: false },
    });
    const flowJson = JSON.parse(
      readFileSync(new URL('../flows/secure-payment.json', import.meta.url), 'utf8'),
    );
    /** The card's last four as the flow stored them, or '' when the flow gave up on the input. */
    const pay = async (n: 1 | 2, card: string) => {
      const flow = renderFlow(parseFlow(flowJson), {
        SecureInputFunctionArn: 'secure',
        QueueArn: 'queue',
        ConnectKeyId: `test-only-key-${n}`,
        ConnectCertificate: key(n, 'cert'),
      });
      const trace = await new FlowSimulator(flow).run({
        functions: { secure },
        inputs: [`${card}#`, `${card}#`, `${card}#`],
        encrypt: (digits, keyId, certificate) =>
          encryptLikeConnect(digits, { keyId, publicKey: certificate }),
      });
      return trace.attributes.cardLast4 ?? '';
    };
    const put = (keys: unknown[]) =>
      aws.secretsManager.client.send(
        new PutSecretValueCommand({ SecretId: 'connect-keys', SecretString: JSON.stringify({ keys }) }),
      );

    const withFirstKey = await pay(1, '4111111111111111');
    const newFlowTooEarly = await pay(2, '5555555555554444'); // key 2 not in the secret yet
    await put([entry(1), entry(2)]);
    now += 10_000; // past the refresh backoff of the failed lookups
    const bothLive = [await pay(1, '4111111111111111'), await pay(2, '5555555555554444')];
    await put([entry(2)]);
    now += 10 * 60_000; // past the cache TTL
    const afterRetirement = [await pay(1, '4111111111111111'), await pay(2, '5555555555554444')];

    expect(withFirstKey).toBe('1111');
    expect(newFlowTooEarly).toBe('');
    expect(bothLive).toEqual(['1111', '4444']);
    expect(afterRetirement).toEqual(['', '4444']);
  });
});
