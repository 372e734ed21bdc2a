// A stand-in for Secrets Manager's GetSecretValue: the one call SecretCache makes.
import type { SecretsClient } from '@flowguard/secrets';

type Command = Parameters<SecretsClient['send']>[0];
type Output = Awaited<ReturnType<SecretsClient['send']>>;

export function fakeSecrets(values: Readonly<Record<string, string>>): SecretsClient & { calls: number } {
  const client = {
    calls: 0,
    async send(command: Command): Promise<Output> {
      client.calls += 1;
      const id = command.input.SecretId ?? '';
      const value = values[id];
      if (value === undefined)
        throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
      return { SecretString: value, VersionId: 'v1', $metadata: {} };
    },
  };
  return client;
}

/** A 32-byte signing key as the edge's secret holds it (base64). */
export const SIGNING_KEY_BASE64 = Buffer.alloc(32, 7).toString('base64');
export const HMAC_SECRET = 'a-shared-hmac-secret-of-at-least-32-bytes!';
