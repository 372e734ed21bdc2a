import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../src/local-secrets-manager.js';
import { portAcceptsConnections } from '../support.js';

/** The rejection of `promise`, for asserting on its name and fields. */
async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

let counter = 0;
const uniqueName = (base: string) => `${base}-${++counter}`;

describe('startLocalSecretsManager', () => {
  let local: LocalSecretsManager;

  beforeAll(async () => {
    local = await startLocalSecretsManager();
  });

  afterEach(() => {
    local.faults.reset();
    local.requests.reset();
  });

  afterAll(async () => {
    await local.stop();
  });

  it('listens on a loopback port and names a realistic ARN', async () => {
    const name = uniqueName('flowguard/api-key');
    const created = await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));

    expect(local.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(created.Name).toBe(name);
    expect(created.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-[A-Za-z0-9]{6}$`),
    );
    expect(created.VersionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gets AWSCURRENT by name and by ARN, with the version, stages and creation date', async () => {
    const name = uniqueName('by-arn');
    const before = Date.now();
    const created = await local.client.send(new CreateSecretCommand({ Name: name, SecretString: '{"a":1}' }));

    const byName = await local.client.send(new GetSecretValueCommand({ SecretId: name }));
    const byArn = await local.client.send(new GetSecretValueCommand({ SecretId: created.ARN }));

    expect(byName.SecretString).toBe('{"a":1}');
    expect(byName.ARN).toBe(created.ARN);
    expect(byName.VersionId).toBe(created.VersionId);
    expect(byName.VersionStages).toEqual(['AWSCURRENT']);
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    expect(byName.CreatedDate?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(byArn.SecretString).toBe('{"a":1}');
    expect(byArn.Name).toBe(name);
  });

  it('moves AWSCURRENT to a new version and AWSPREVIOUS to the old one', async () => {
    const name = uniqueName('rotate');
    const first = await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'one' }));
    const second = await local.client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'two' }),
    );
    const third = await local.client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'three' }),
    );

    const current = await local.client.send(new GetSecretValueCommand({ SecretId: name }));
    const previous = await local.client.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }),
    );
    const oldest = await local.client.send(
      new GetSecretValueCommand({ SecretId: name, VersionId: first.VersionId }),
    );

    expect(second.VersionStages).toEqual(['AWSCURRENT']);
    expect(current.SecretString).toBe('three');
    expect(current.VersionId).toBe(third.VersionId);
    expect(previous.SecretString).toBe('two');
    expect(previous.VersionStages).toEqual(['AWSPREVIOUS']);
    expect(oldest.SecretString).toBe('one');
    expect(oldest.VersionStages).toEqual([]);
  });

  it('puts a version under the stages asked for, leaving AWSCURRENT where it was', async () => {
    const name = uniqueName('pending');
    await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'old' }));
    const token = '7f0b2c1e-3a44-4b6f-9c1d-5e8a2b3c4d5e';

    const pending = await local.client.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: 'new',
        ClientRequestToken: token,
        VersionStages: ['AWSPENDING'],
      }),
    );
    const current = await local.client.send(new GetSecretValueCommand({ SecretId: name }));
    const staged = await local.client.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPENDING' }),
    );

    expect(pending).toMatchObject({ VersionId: token, VersionStages: ['AWSPENDING'] });
    expect(current.SecretString).toBe('old');
    expect(staged).toMatchObject({ SecretString: 'new', VersionId: token });
  });

  it('round-trips a binary secret', async () => {
    const name = uniqueName('binary');
    const bytes = Uint8Array.from([0, 1, 2, 250, 255, 128]);
    await local.client.send(new CreateSecretCommand({ Name: name, SecretBinary: bytes }));

    const { SecretBinary, SecretString } = await local.client.send(
      new GetSecretValueCommand({ SecretId: name }),
    );

    expect(SecretString).toBeUndefined();
    expect(Buffer.from(SecretBinary ?? new Uint8Array())).toEqual(Buffer.from(bytes));
  });

  it('answers ResourceNotFoundException for a missing secret, version or stage', async () => {
    const missing = await failure(
      local.client.send(new GetSecretValueCommand({ SecretId: 'no-such-secret' })),
    );

    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.message).toBe("Secrets Manager can't find the specified secret.");
    expect(missing.$metadata?.httpStatusCode).toBe(400);

    const name = uniqueName('stages');
    await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'x' }));
    const noStage = await failure(
      local.client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' })),
    );
    const noVersion = await failure(
      local.client.send(
        new GetSecretValueCommand({ SecretId: name, VersionId: '00000000-0000-0000-0000-000000000000' }),
      ),
    );

    expect(noStage.name).toBe('ResourceNotFoundException');
    expect(noStage.message).toContain('staging label: AWSPREVIOUS');
    expect(noVersion.name).toBe('ResourceNotFoundException');
  });

  it('answers ResourceExistsException for a duplicate name', async () => {
    const name = uniqueName('duplicate');
    await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'a' }));

    const duplicate = await failure(
      local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'b' })),
    );

    expect(duplicate).toBeInstanceOf(ResourceExistsException);
    expect(duplicate.message).toBe(`The operation failed because the secret ${name} already exists.`);
  });

  it('refuses bad input with InvalidParameterException or InvalidRequestException', async () => {
    const both = await failure(
      local.client.send(
        new CreateSecretCommand({
          Name: uniqueName('both'),
          SecretString: 'a',
          SecretBinary: Uint8Array.of(1),
        }),
      ),
    );
    const badName = await failure(local.client.send(new CreateSecretCommand({ Name: 'bad name!' })));
    const name = uniqueName('empty-put');
    await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'a' }));
    const noValue = await failure(local.client.send(new PutSecretValueCommand({ SecretId: name })));

    expect(both.name).toBe('InvalidParameterException');
    expect(badName.name).toBe('InvalidParameterException');
    expect(noValue.name).toBe('InvalidRequestException');
  });

  it('deletes at once with ForceDeleteWithoutRecovery, and refuses a recovery window', async () => {
    const name = uniqueName('delete');
    await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'a' }));

    const windowed = await failure(
      local.client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 })),
    );
    const both = await failure(
      local.client.send(
        new DeleteSecretCommand({
          SecretId: name,
          ForceDeleteWithoutRecovery: true,
          RecoveryWindowInDays: 7,
        }),
      ),
    );
    const kept = await local.client.send(new GetSecretValueCommand({ SecretId: name }));
    const deleted = await local.client.send(
      new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }),
    );
    const gone = await failure(local.client.send(new GetSecretValueCommand({ SecretId: name })));
    const recreated = await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'b' }));

    expect(windowed.name).toBe('InvalidRequestException');
    expect(windowed.message).toContain('ForceDeleteWithoutRecovery');
    expect(both.name).toBe('InvalidParameterException');
    expect(kept.SecretString).toBe('a');
    expect(deleted.Name).toBe(name);
    expect(deleted.DeletionDate).toBeInstanceOf(Date);
    expect(gone.name).toBe('ResourceNotFoundException');
    expect(recreated.Name).toBe(name);
  });

  it('answers UnknownOperationException, naming what it serves, for an operation flowguard does not call', async () => {
    const name = uniqueName('unknown');
    const { VersionId } = await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'a' }));
    local.requests.reset();

    const refused = [
      await failure(local.client.send(new DescribeSecretCommand({ SecretId: name }))),
      await failure(local.client.send(new RestoreSecretCommand({ SecretId: name }))),
      await failure(
        local.client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: 'X',
            MoveToVersionId: VersionId,
          }),
        ),
      ),
    ];

    for (const error of refused) {
      expect(error.name).toBe('UnknownOperationException');
      expect(error.$metadata?.httpStatusCode).toBe(400);
    }
    expect(refused[0]?.message).toBe(
      'Unknown operation secretsmanager.DescribeSecret: the local Secrets Manager answers only CreateSecret, DeleteSecret, GetSecretValue, PutSecretValue.',
    );
    expect(local.requests.total()).toBe(0);
  });

  it('answers AccessDeniedException for a denied secret, by name or ARN, until reset', async () => {
    const name = uniqueName('denied');
    const { ARN } = await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'a' }));
    local.faults.deny(name);

    const byName = await failure(local.client.send(new GetSecretValueCommand({ SecretId: name })));
    const byArn = await failure(local.client.send(new GetSecretValueCommand({ SecretId: ARN })));

    expect(byName.name).toBe('AccessDeniedException');
    expect(byName.message).toContain('secretsmanager:GetSecretValue');
    expect(byName.$metadata?.httpStatusCode).toBe(400);
    expect(byArn.name).toBe('AccessDeniedException');

    local.faults.reset();
    expect((await local.client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('a');
  });

  it('answers a throttle the SDK retries, then succeeds', async () => {
    const name = uniqueName('throttle');
    await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'a' }));
    local.requests.reset();
    local.faults.failNext(1, 'throttle');

    const { SecretString } = await local.client.send(new GetSecretValueCommand({ SecretId: name }));

    expect(SecretString).toBe('a');
    expect(local.requests.byOperation.get('GetSecretValue')).toBe(2);
  });

  it('shows the throttle itself to a client that does not retry', async () => {
    const client = new SecretsManagerClient({
      region: 'us-east-1',
      endpoint: local.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    local.faults.failNext(1, 'throttle');
    try {
      const throttled = await failure(client.send(new GetSecretValueCommand({ SecretId: 'anything' })));

      expect(throttled.name).toBe('ThrottlingException');
      expect(throttled.$metadata?.httpStatusCode).toBe(400);
    } finally {
      client.destroy();
    }
  });

  it('answers HTTP 500 InternalServiceError, retried by the SDK, and surfaced when it persists', async () => {
    const name = uniqueName('internal');
    await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'a' }));
    local.requests.reset();

    local.faults.failNext(1, 'internal');
    const retried = await local.client.send(new GetSecretValueCommand({ SecretId: name }));
    local.faults.failNext(3, 'internal');
    const persistent = await failure(local.client.send(new GetSecretValueCommand({ SecretId: name })));

    expect(retried.SecretString).toBe('a');
    expect(persistent.name).toBe('InternalServiceError');
    expect(persistent.$metadata?.httpStatusCode).toBe(500);
    expect(local.requests.byOperation.get('GetSecretValue')).toBe(5);
  });

  it('delays every answer', async () => {
    const name = uniqueName('slow');
    await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'a' }));
    local.faults.delay(150);

    const started = performance.now();
    await local.client.send(new GetSecretValueCommand({ SecretId: name }));

    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('counts requests by operation', async () => {
    const name = uniqueName('count');
    await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'a' }));
    await Promise.all([1, 2, 3].map(() => local.client.send(new GetSecretValueCommand({ SecretId: name }))));

    expect(local.requests.byOperation.get('CreateSecret')).toBe(1);
    expect(local.requests.byOperation.get('GetSecretValue')).toBe(3);
    expect(local.requests.total()).toBe(4);
  });

  it('is reached by a default SDK client through AWS_ENDPOINT_URL_SECRETS_MANAGER', async () => {
    const name = uniqueName('from-env');
    await local.client.send(new CreateSecretCommand({ Name: name, SecretString: 'env' }));
    const saved = { ...process.env };
    Object.assign(process.env, local.env);
    try {
      const client = new SecretsManagerClient({});
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: name }));
      client.destroy();

      expect(SecretString).toBe('env');
    } finally {
      for (const key of Object.keys(local.env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});

describe('stopping', () => {
  it('closes the port, also with a request held by a delay', async () => {
    const local = await startLocalSecretsManager();
    local.faults.delay(30_000);
    const held = local.client
      .send(new GetSecretValueCommand({ SecretId: 'x' }))
      .catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));

    await local.stop();

    expect(await held).toBeInstanceOf(Error);
    expect(await portAcceptsConnections(local.port)).toBe(false);
  });
});
