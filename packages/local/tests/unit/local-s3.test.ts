import { stat } from 'node:fs/promises';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../../src/local-s3.js';
import { listening, portAcceptsConnections } from '../support.js';

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

const KEY_ARN = 'arn:aws:kms:us-east-1:000000000000:key/1b7d4c2e-0000-4000-8000-000000000001';
const RECORDING = 'connect/instance/CallRecordings/2026/12/06/contact-1_20261206T10:00_UTC.wav';

describe('startLocalS3', () => {
  let local: LocalS3;

  beforeAll(async () => {
    local = await startLocalS3({ buckets: ['recordings', 'archive'] });
  });

  afterAll(async () => {
    await local.stop();
  });

  it('listens on a loopback port and round-trips PutObject, GetObject, HeadObject and ListObjectsV2', async () => {
    await local.client.send(
      new PutObjectCommand({
        Bucket: 'recordings',
        Key: RECORDING,
        Body: 'RIFF....WAVE',
        ContentType: 'audio/wav',
        Metadata: { contact: 'contact-1' },
      }),
    );

    const got = await local.client.send(new GetObjectCommand({ Bucket: 'recordings', Key: RECORDING }));
    const head = await local.client.send(new HeadObjectCommand({ Bucket: 'recordings', Key: RECORDING }));
    const listed = await local.client.send(
      new ListObjectsV2Command({ Bucket: 'recordings', Prefix: 'connect/instance/' }),
    );

    expect(local.endpoint).toBe(`http://127.0.0.1:${local.port}`);
    expect(await got.Body?.transformToString()).toBe('RIFF....WAVE');
    expect(got).toMatchObject({ ContentType: 'audio/wav', Metadata: { contact: 'contact-1' } });
    expect(head).toMatchObject({ ContentLength: 12, ContentType: 'audio/wav', ETag: got.ETag });
    expect(listed.Contents?.map((object) => object.Key)).toEqual([RECORDING]);
  });

  it('copies server-side with SSE-KMS and replaced tags, and answers both as S3 does', async () => {
    await local.client.send(
      new PutObjectCommand({
        Bucket: 'recordings',
        Key: 'copy/source.wav',
        Body: 'audio',
        Tagging: 'kept=no',
      }),
    );

    const copied = await local.client.send(
      new CopyObjectCommand({
        Bucket: 'archive',
        Key: 'copy/target.wav',
        CopySource: 'recordings/copy/source.wav',
        TaggingDirective: 'REPLACE',
        Tagging: 'contactId=contact-1&classification=call recording',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KEY_ARN,
        BucketKeyEnabled: true,
      }),
    );
    const head = await local.client.send(
      new HeadObjectCommand({ Bucket: 'archive', Key: 'copy/target.wav' }),
    );
    const got = await local.client.send(new GetObjectCommand({ Bucket: 'archive', Key: 'copy/target.wav' }));
    const { TagSet } = await local.client.send(
      new GetObjectTaggingCommand({ Bucket: 'archive', Key: 'copy/target.wav' }),
    );

    expect(copied).toMatchObject({
      CopyObjectResult: { ETag: expect.any(String) },
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY_ARN,
      BucketKeyEnabled: true,
    });
    expect(head).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY_ARN,
      BucketKeyEnabled: true,
    });
    expect(got).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN });
    expect(await got.Body?.transformToString()).toBe('audio');
    expect(TagSet).toEqual([
      { Key: 'contactId', Value: 'contact-1' },
      { Key: 'classification', Value: 'call recording' },
    ]);
  });

  it("copies the source's tags by default, and gives an unencrypted request SSE-S3 like S3's default", async () => {
    await local.client.send(
      new PutObjectCommand({
        Bucket: 'recordings',
        Key: 'copy/tagged.wav',
        Body: 'a',
        Tagging: 'a=1&b=x%26y',
        ServerSideEncryption: 'aws:kms',
      }),
    );

    const copied = await local.client.send(
      new CopyObjectCommand({
        Bucket: 'archive',
        Key: 'copy/tagged.wav',
        CopySource: 'recordings/copy/tagged.wav',
      }),
    );
    const source = await local.client.send(
      new HeadObjectCommand({ Bucket: 'recordings', Key: 'copy/tagged.wav' }),
    );
    const { TagSet } = await local.client.send(
      new GetObjectTaggingCommand({ Bucket: 'archive', Key: 'copy/tagged.wav' }),
    );

    expect(source).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:us-east-1:000000000000:alias/aws/s3',
    });
    expect(copied.ServerSideEncryption).toBe('AES256');
    expect(copied.SSEKMSKeyId).toBeUndefined();
    expect(TagSet).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: 'x&y' },
    ]);
  });

  it('finds a copy source however it is URL-encoded, as S3 does', async () => {
    const key = 'odd keys/a+b & c.wav';
    await local.client.send(new PutObjectCommand({ Bucket: 'recordings', Key: key, Body: 'odd' }));

    for (const [i, source] of [
      `recordings/${key}`,
      `recordings/${key.split('/').map(encodeURIComponent).join('/')}`,
      encodeURIComponent(`recordings/${key}`),
    ].entries()) {
      await local.client.send(
        new CopyObjectCommand({ Bucket: 'archive', Key: `encoded/${i}`, CopySource: source }),
      );
      const got = await local.client.send(new GetObjectCommand({ Bucket: 'archive', Key: `encoded/${i}` }));
      expect(await got.Body?.transformToString()).toBe('odd');
    }
  });

  it('drops the tags of an object written again without them, and takes PutObjectTagging', async () => {
    await local.client.send(
      new PutObjectCommand({ Bucket: 'recordings', Key: 'again', Body: '1', Tagging: 'a=1' }),
    );
    await local.client.send(new PutObjectCommand({ Bucket: 'recordings', Key: 'again', Body: '2' }));
    const untagged = await local.client.send(
      new GetObjectTaggingCommand({ Bucket: 'recordings', Key: 'again' }),
    );
    await local.client.send(
      new PutObjectTaggingCommand({
        Bucket: 'recordings',
        Key: 'again',
        Tagging: { TagSet: [{ Key: 'later', Value: 'yes' }] },
      }),
    );
    const tagged = await local.client.send(
      new GetObjectTaggingCommand({ Bucket: 'recordings', Key: 'again' }),
    );

    expect(untagged.TagSet).toEqual([]);
    expect(tagged.TagSet).toEqual([{ Key: 'later', Value: 'yes' }]);
  });

  it('gives an object written by a multipart upload no encryption and no tags (not modelled)', async () => {
    const Key = 'multipart.wav';
    await local.client.send(
      new PutObjectCommand({
        Bucket: 'recordings',
        Key,
        Body: 'old',
        Tagging: 'a=1',
        ServerSideEncryption: 'aws:kms',
      }),
    );

    const { UploadId } = await local.client.send(
      new CreateMultipartUploadCommand({
        Bucket: 'recordings',
        Key,
        ServerSideEncryption: 'aws:kms',
        Tagging: 'b=2',
      }),
    );
    const part = await local.client.send(
      new UploadPartCommand({ Bucket: 'recordings', Key, UploadId, PartNumber: 1, Body: 'new' }),
    );
    await local.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'recordings',
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    const head = await local.client.send(new HeadObjectCommand({ Bucket: 'recordings', Key }));
    const { TagSet } = await local.client.send(new GetObjectTaggingCommand({ Bucket: 'recordings', Key }));

    expect(head.ContentLength).toBe(3);
    expect(head.ServerSideEncryption).toBeUndefined();
    expect(TagSet).toEqual([]);
  });

  it('deletes an object: then NoSuchKey, NotFound and NoSuchBucket as S3 answers them', async () => {
    await local.client.send(new PutObjectCommand({ Bucket: 'recordings', Key: 'gone', Body: 'x' }));

    await local.client.send(new DeleteObjectCommand({ Bucket: 'recordings', Key: 'gone' }));

    await expect(
      local.client.send(new GetObjectCommand({ Bucket: 'recordings', Key: 'gone' })),
    ).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    await expect(
      local.client.send(new HeadObjectCommand({ Bucket: 'recordings', Key: 'gone' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
    await expect(
      local.client.send(
        new CopyObjectCommand({ Bucket: 'archive', Key: 'x', CopySource: 'recordings/gone' }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
    await expect(
      local.client.send(new GetObjectCommand({ Bucket: 'no-bucket', Key: 'x' })),
    ).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });

  it('refuses encryption and tags S3 would refuse', async () => {
    const put = (input: Partial<ConstructorParameters<typeof PutObjectCommand>[0]>) =>
      local.client.send(new PutObjectCommand({ Bucket: 'recordings', Key: 'refused', Body: 'x', ...input }));

    await expect(put({ SSEKMSKeyId: KEY_ARN })).rejects.toMatchObject({ name: 'InvalidArgument' });
    await expect(put({ ServerSideEncryption: 'aws:fsx' as 'AES256' })).rejects.toMatchObject({
      name: 'InvalidArgument',
    });
    await expect(put({ Tagging: 'a=1&a=2' })).rejects.toMatchObject({ name: 'InvalidTag' });
    await expect(
      put({ Tagging: Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&') }),
    ).rejects.toMatchObject({
      name: 'BadRequest',
    });
    await expect(
      local.client.send(new HeadObjectCommand({ Bucket: 'recordings', Key: 'refused' })),
    ).rejects.toThrow();
  });

  it('is reached by a default SDK client through AWS_ENDPOINT_URL_S3, path-style with no setting', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, local.env);
    try {
      const client = new S3Client({});
      await client.send(new PutObjectCommand({ Bucket: 'recordings', Key: 'from-env', Body: 'env' }));
      const got = await client.send(new GetObjectCommand({ Bucket: 'recordings', Key: 'from-env' }));
      expect(await got.Body?.transformToString()).toBe('env');
      client.destroy();
    } finally {
      for (const key of Object.keys(local.env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});

describe('starting and stopping', () => {
  it('listens on the port asked for; a second server there rejects with EADDRINUSE, leaving nothing listening', async () => {
    const baseline = await listening();
    const first = await startLocalS3();
    try {
      const before = await listening();
      await expect(startLocalS3({ port: first.port })).rejects.toMatchObject({
        code: 'EADDRINUSE',
        port: first.port,
      });
      expect(await listening()).toBe(before);
    } finally {
      await first.stop();
    }
    expect(await listening()).toBe(baseline);
  });

  it('removes its directory and closes the port, also with a client still connected; stop twice is fine', async () => {
    const local = await startLocalS3({ buckets: ['bucket'] });
    await local.client.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'k', Body: 'x' }));
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: local.endpoint,
      credentials: { accessKeyId: 'flowguard-local', secretAccessKey: 'flowguard-local' },
    });
    await client.send(new HeadObjectCommand({ Bucket: 'bucket', Key: 'k' }));
    expect(await exists(local.directory)).toBe(true);

    await local.stop();
    await local.stop();

    expect(await exists(local.directory)).toBe(false);
    expect(await portAcceptsConnections(local.port)).toBe(false);
    client.destroy();
  });
});
