/// <reference path="./types/s3rver-account.d.ts" />
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { close, LOCAL_ACCOUNT_ID, listen } from './local-aws-json.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-dynamodb.js';

export interface LocalS3 {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** A client pointed at the server, with local credentials and `forcePathStyle: true`. */
  readonly client: S3Client;
  /**
   * `AWS_ENDPOINT_URL_S3` and local credentials/region. A default SDK client reaches the server
   * with path-style addressing and nothing else: the SDK puts the bucket in the path whenever the
   * endpoint's host is an IP address.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Where s3rver keeps the objects; removed by `stop()`. */
  readonly directory: string;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalS3Options {
  /** Extra client configuration. */
  clientConfig?: S3ClientConfig;
  /** The 127.0.0.1 port; default 0, a free one. A taken port rejects with `EADDRINUSE`. */
  port?: number;
  /** Buckets to create at start. */
  buckets?: readonly string[];
}

/** What `startLocalS3` remembers of an object's encryption, answered in its headers. */
interface Encryption {
  readonly algorithm: string;
  readonly kmsKeyId?: string;
  readonly bucketKey: boolean;
}

/** The parts of s3rver's store used here (a public property of the server, untyped). */
interface TaggingStore {
  getSubresource(bucket: string, key: string, type: 'tagging'): Promise<{ toXML(): string } | null>;
  putSubresource(bucket: string, key: string, resource: { type: 'tagging'; toXML(): string }): Promise<void>;
  deleteSubresource(bucket: string, key: string, type: 'tagging'): Promise<void>;
}

const SSE = 'x-amz-server-side-encryption';
const SSE_KMS_KEY = 'x-amz-server-side-encryption-aws-kms-key-id';
const SSE_BUCKET_KEY = 'x-amz-server-side-encryption-bucket-key-enabled';
const ALGORITHMS = new Set(['AES256', 'aws:kms', 'aws:kms:dsse']);
/** What S3 names when aws:kms is asked for without a key: the account's AWS managed key. */
const AWS_MANAGED_KEY = `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:alias/aws/s3`;
/** Query parameters that make a request about something other than the object's bytes. */
const SUBRESOURCES = [
  'acl',
  'attributes',
  'legal-hold',
  'restore',
  'retention',
  'tagging',
  'torrent',
  'uploads',
];

class S3Failure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function sendError(res: ServerResponse, failure: S3Failure): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${failure.code}</Code><Message>${escapeXml(failure.message)}</Message></Error>`;
  res.writeHead(failure.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(xml),
  });
  res.end(xml);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/** The encryption a PutObject or CopyObject asks for; none asked for is S3's default, SSE-S3. */
function requestedEncryption(req: IncomingMessage): Encryption {
  const algorithm = header(req, SSE) ?? 'AES256';
  const kmsKeyId = header(req, SSE_KMS_KEY);
  if (!ALGORITHMS.has(algorithm))
    throw new S3Failure('InvalidArgument', `The encryption method specified is not supported: ${algorithm}`);
  const kms = algorithm.startsWith('aws:kms');
  if (kmsKeyId !== undefined && !kms)
    throw new S3Failure(
      'InvalidArgument',
      'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms',
    );
  return {
    algorithm,
    ...(kms ? { kmsKeyId: kmsKeyId ?? AWS_MANAGED_KEY } : {}),
    bucketKey: header(req, SSE_BUCKET_KEY) === 'true',
  };
}

/** `x-amz-tagging` (`k1=v1&k2=v2`) as S3 checks it, or undefined when absent. */
function requestedTags(req: IncomingMessage): [string, string][] | undefined {
  const text = header(req, 'x-amz-tagging');
  if (text === undefined) return undefined;
  const tags = [...new URLSearchParams(text)];
  if (tags.length > 10) throw new S3Failure('BadRequest', 'Object tags cannot be greater than 10');
  const keys = new Set<string>();
  for (const [key, value] of tags) {
    if (key.length < 1 || key.length > 128 || value.length > 256 || key.startsWith('aws:'))
      throw new S3Failure('InvalidTag', 'The TagKey or TagValue you have provided is invalid');
    if (keys.has(key)) throw new S3Failure('InvalidTag', 'Cannot provide multiple Tags with the same key');
    keys.add(key);
  }
  return tags;
}

function taggingXml(tags: readonly [string, string][]): string {
  const set = tags
    .map(([key, value]) => `<Tag><Key>${escapeXml(key)}</Key><Value>${escapeXml(value)}</Value></Tag>`)
    .join('');
  return `<Tagging><TagSet>${set}</TagSet></Tagging>`;
}

/**
 * `x-amz-copy-source` the way S3 reads it (`bucket/key`, URL-encoded, either whole or per
 * segment), as the bucket and key. s3rver itself only `decodeURI`s it, so `%2F` and a fully
 * encoded source (what `encodeURIComponent` gives) would not be found.
 */
function copySource(value: string): { bucket: string; key: string } {
  if (value.includes('?'))
    throw new S3Failure('NotImplemented', 'The local S3 keeps no object versions: copy the current one', 501);
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw new S3Failure('InvalidArgument', 'Invalid copy source encoding');
  }
  const path = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1)
    throw new S3Failure(
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
    );
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

/** The bucket and key of a path-style request, `/bucket/key`. */
function target(url: URL): { bucket: string; key: string } {
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
  return { bucket: decodeURIComponent(bucket), key: decodeURIComponent(rest.join('/')) };
}

const objectKey = (bucket: string, key: string) => `${bucket}/${key}`;

/**
 * Starts s3rver in this process on a free (or the given) 127.0.0.1 port, with its objects in a
 * fresh temporary directory that `stop()` removes. Path-style addressing only (the SDK uses it for
 * an IP endpoint). s3rver checks the access key id (the local one) but no signature.
 *
 * In front of s3rver, so that what flowguard's recordings copy relies on can be asserted:
 * - PutObject and CopyObject keep the encryption asked for (`ServerSideEncryption`, `SSEKMSKeyId`,
 *   `BucketKeyEnabled`; none is SSE-S3, `AES256`, as S3 does by default) and answer it, as do
 *   GetObject and HeadObject. Nothing is encrypted and no KMS key is checked.
 * - PutObject's `Tagging` is stored, and CopyObject's per `TaggingDirective` (COPY, the default,
 *   takes the source's tags; REPLACE takes `Tagging`): GetObjectTagging answers them. s3rver
 *   itself ignores both, and keeps an overwritten object's old tags.
 * - `CopySource` is decoded the way S3 decodes it.
 */
export async function startLocalS3(options: LocalS3Options = {}): Promise<LocalS3> {
  // Loaded when first started, so that importing @flowguard/local (every `flowguard` command) does not pay for them.
  const [{ default: S3rver }, { default: AWSAccount }, { CreateBucketCommand, S3Client }] = await Promise.all(
    [import('s3rver'), import('s3rver/lib/models/account.js'), import('@aws-sdk/client-s3')],
  );
  new AWSAccount(LOCAL_ACCOUNT_ID, 'flowguard-local').createKeyPair(
    LOCAL_CREDENTIALS.accessKeyId,
    LOCAL_CREDENTIALS.secretAccessKey,
  );
  const directory = await mkdtemp(join(tmpdir(), 'flowguard-s3-'));
  const s3rver = new S3rver({ silent: true, directory, vhostBuckets: false });
  const store = (s3rver as unknown as { store: TaggingStore }).store;
  const s3 = s3rver.callback();
  const encryption = new Map<string, Encryption | undefined>();

  const answerEncryption = (res: ServerResponse, found: Encryption | undefined) => {
    if (!found) return;
    res.setHeader(SSE, found.algorithm);
    if (found.kmsKeyId !== undefined) res.setHeader(SSE_KMS_KEY, found.kmsKeyId);
    if (found.bucketKey) res.setHeader(SSE_BUCKET_KEY, 'true');
  };

  /**
   * Runs `then` once s3rver has answered 200 and before the answer goes out: s3rver answers with
   * one `end`, when the object is written.
   */
  const afterSuccess = (res: ServerResponse, then: () => Promise<void>) => {
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      if (res.statusCode !== 200) return end(...args);
      then().then(
        () => end(...args),
        () => {
          res.removeHeader('content-length');
          sendError(
            res,
            new S3Failure('InternalError', 'We encountered an internal error. Please try again.', 500),
          );
        },
      );
      return res;
    }) as ServerResponse['end'];
  };

  /** PutObject or CopyObject: checked here, written by s3rver, then tags and encryption kept. */
  const write = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const { bucket, key } = target(url);
    const sourceHeader = header(req, 'x-amz-copy-source');
    const source = sourceHeader === undefined ? undefined : copySource(sourceHeader);
    const sse = requestedEncryption(req);
    const tags = requestedTags(req);
    const directive = header(req, 'x-amz-tagging-directive') ?? 'COPY';
    if (directive !== 'COPY' && directive !== 'REPLACE')
      throw new S3Failure('InvalidArgument', 'Unknown tagging directive.');
    if (source) req.headers['x-amz-copy-source'] = encodeURI(`${source.bucket}/${source.key}`);

    const keepTags = async () => {
      const copied =
        source && directive === 'COPY'
          ? (await store.getSubresource(source.bucket, source.key, 'tagging'))?.toXML()
          : undefined;
      const xml = copied ?? (tags && tags.length > 0 ? taggingXml(tags) : undefined);
      if (xml === undefined) await store.deleteSubresource(bucket, key, 'tagging');
      else await store.putSubresource(bucket, key, { type: 'tagging', toXML: () => xml });
    };
    afterSuccess(res, async () => {
      await keepTags();
      encryption.set(objectKey(bucket, key), sse);
      answerEncryption(res, sse);
    });
    s3(req, res);
  };

  /** GetObject or HeadObject: answered by s3rver, with the object's encryption added. */
  const read = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const { bucket, key } = target(url);
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    // Called for the headers however the answer is sent (a stream's first write, or `end`).
    res.writeHead = ((...args: unknown[]) => {
      const status = typeof args[0] === 'number' ? args[0] : res.statusCode;
      if (status >= 200 && status < 300) answerEncryption(res, encryption.get(objectKey(bucket, key)));
      return writeHead(...args);
    }) as ServerResponse['writeHead'];
    s3(req, res);
  };

  const server = createServer((req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://s3.local');
      const onObject = target(url).key !== '' && !SUBRESOURCES.some((name) => url.searchParams.has(name));
      if (onObject && req.method === 'PUT' && !url.searchParams.has('uploadId')) write(req, res, url);
      else if (onObject && (req.method === 'GET' || req.method === 'HEAD')) read(req, res, url);
      else {
        // A multipart upload's object (CompleteMultipartUpload): no encryption or tags are modelled.
        if (onObject && req.method === 'POST' && url.searchParams.has('uploadId')) {
          const { bucket, key } = target(url);
          afterSuccess(res, async () => {
            encryption.delete(objectKey(bucket, key));
            await store.deleteSubresource(bucket, key, 'tagging');
          });
        }
        s3(req, res);
      }
    } catch (error) {
      req.resume();
      sendError(
        res,
        error instanceof S3Failure
          ? error
          : new S3Failure('InternalError', 'We encountered an internal error. Please try again.', 500),
      );
    }
  });

  let port: number;
  try {
    port = await listen(server, options.port);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: LOCAL_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    ...options.clientConfig,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.destroy();
    await close(server);
    await rm(directory, { recursive: true, force: true });
  };
  const createBucket = async (name: string) => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  };
  try {
    for (const bucket of options.buckets ?? []) await createBucket(bucket);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoint,
    port,
    client,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    },
    directory,
    createBucket,
    stop,
  };
}
