import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { startLocalAws } from '../../src/local-aws.js';

describe('startLocalAws', () => {
  it('starts the services asked for, with one merged env and one stop', async () => {
    const local = await startLocalAws({ dynamodb: true, secretsManager: true, kms: true });
    try {
      const ports = [local.dynamodb.port, local.secretsManager.port, local.kms.port];

      expect(new Set(ports).size).toBe(3);
      expect(local.env).toMatchObject({
        AWS_ENDPOINT_URL_DYNAMODB: local.dynamodb.endpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: local.secretsManager.endpoint,
        AWS_ENDPOINT_URL_KMS: local.kms.endpoint,
        AWS_REGION: 'us-east-1',
        FLOWGUARD_TABLE_NAME: 'flowguard',
      });

      const { TableNames } = await local.dynamodb.client.send(new ListTablesCommand({}));
      await local.secretsManager.client.send(new CreateSecretCommand({ Name: 'all', SecretString: 's' }));
      local.kms.createKey('all');

      expect(TableNames).toEqual(['flowguard']);
    } finally {
      await local.stop();
    }
  });

  it('starts only what is asked for', async () => {
    const local = await startLocalAws({ kms: true });
    try {
      expect(local.dynamodb).toBeUndefined();
      expect(local.secretsManager).toBeUndefined();
      expect(Object.keys(local.env).sort()).toEqual([
        'AWS_ACCESS_KEY_ID',
        'AWS_ENDPOINT_URL_KMS',
        'AWS_REGION',
        'AWS_SECRET_ACCESS_KEY',
      ]);
    } finally {
      await local.stop();
    }
  });

  it('serves default clients configured by env alone', async () => {
    const local = await startLocalAws({ secretsManager: true, kms: true });
    const saved = { ...process.env };
    Object.assign(process.env, local.env);
    try {
      await local.secretsManager.client.send(
        new CreateSecretCommand({ Name: 'from-env', SecretString: 'ok' }),
      );
      const { arn } = local.kms.createKey('from-env');
      const secrets = new SecretsManagerClient({});
      const kms = new KMSClient({});

      const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: 'from-env' }));
      const { KeyId } = await kms.send(
        new GenerateDataKeyCommand({ KeyId: 'alias/from-env', KeySpec: 'AES_256' }),
      );
      secrets.destroy();
      kms.destroy();

      expect(SecretString).toBe('ok');
      expect(KeyId).toBe(arn);
    } finally {
      for (const key of Object.keys(local.env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
      await local.stop();
    }
  });

  it('starts Kinesis and S3 too, reached by clients configured by env alone', async () => {
    const local = await startLocalAws({ kinesis: true, s3: true, s3Options: { buckets: ['recordings'] } });
    const saved = { ...process.env };
    Object.assign(process.env, local.env);
    try {
      expect(Object.keys(local.env).sort()).toEqual([
        'AWS_ACCESS_KEY_ID',
        'AWS_ENDPOINT_URL_KINESIS',
        'AWS_ENDPOINT_URL_S3',
        'AWS_REGION',
        'AWS_SECRET_ACCESS_KEY',
      ]);
      expect(local.env.AWS_ENDPOINT_URL_KINESIS).toBe(local.kinesis.endpoint);
      expect(local.env.AWS_ENDPOINT_URL_S3).toBe(local.s3.endpoint);
      await local.kinesis.createStream('contact-records');
      // What a handler does: clients with no endpoint, region or credentials of their own.
      const kinesis = new KinesisClient({});
      const s3 = new S3Client({});

      const put = await kinesis.send(
        new PutRecordCommand({ StreamName: 'contact-records', PartitionKey: 'c', Data: Buffer.from('ctr') }),
      );
      const { ShardIterator } = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: 'contact-records',
          ShardId: put.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      await s3.send(new PutObjectCommand({ Bucket: 'recordings', Key: 'a.wav', Body: 'wav' }));
      const object = await s3.send(new GetObjectCommand({ Bucket: 'recordings', Key: 'a.wav' }));
      const body = await object.Body?.transformToString();
      kinesis.destroy();
      s3.destroy();

      expect(Records.map((record) => Buffer.from(record.Data ?? []).toString('utf8'))).toEqual(['ctr']);
      expect(body).toBe('wav');
    } finally {
      for (const key of Object.keys(local.env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
      await local.stop();
    }
  });

  it('listens on the ports asked for; a taken one rejects with EADDRINUSE and stops the others', async () => {
    const first = await startLocalAws({ dynamodb: true, secretsManager: true, kms: true });
    const ports = [first.dynamodb.port, first.secretsManager.port, first.kms.port] as const;
    await first.stop();
    // Closed servers' handles go at the next turn of the event loop: count after it.
    const listening = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    };
    const baseline = await listening();

    const again = await startLocalAws({
      dynamodb: true,
      secretsManager: true,
      kms: true,
      dynamodbOptions: { port: ports[0] },
      secretsManagerOptions: { port: ports[1] },
      kmsOptions: { port: ports[2] },
    });
    try {
      expect([again.dynamodb.endpoint, again.secretsManager.endpoint, again.kms.endpoint]).toEqual(
        ports.map((port) => `http://127.0.0.1:${port}`),
      );
      // dynalite behind the front door takes a free port of its own: four servers in all.
      expect(await listening()).toBe(baseline + 4);
      for (const options of [
        { dynamodb: true, dynamodbOptions: { port: ports[0] } },
        { secretsManager: true, kms: true, kmsOptions: { port: ports[2] } },
      ]) {
        await expect(startLocalAws(options)).rejects.toMatchObject({ code: 'EADDRINUSE' });
        expect(await listening()).toBe(baseline + 4);
      }
    } finally {
      await again.stop();
    }
    expect(await listening()).toBe(baseline);
  });

  it('rejects when one service fails to start', async () => {
    await expect(
      startLocalAws({ dynamodb: true, kms: true, dynamodbOptions: { tableName: 'x' } }),
    ).rejects.toThrow(/FLOWGUARD_TABLE_NAME/);
  });
});
