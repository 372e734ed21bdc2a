import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { KMS, type KMSClientConfig } from '@aws-sdk/client-kms';
import {
  AwsJsonError,
  type Handler,
  type JsonInput,
  type JsonObject,
  LOCAL_ACCOUNT_ID,
  type RequestCounter,
  type ServiceFaults,
  startJsonService,
} from './local-aws-json.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-dynamodb.js';

export interface LocalKmsKey {
  /** The key's id (a UUID). */
  readonly keyId: string;
  /** `arn:aws:kms:us-east-1:000000000000:key/<id>`: what the Encryption SDK's keyring wants. */
  readonly arn: string;
  /** `alias/<name>`, when one was given. */
  readonly aliasName?: string;
  readonly aliasArn?: string;
}

export interface LocalKms {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /**
   * A client pointed at the server, with local credentials. It is the aggregated `KMS` client (a
   * `KMSClient` with a method per operation): the Encryption SDK's KMS keyring calls
   * `client.generateDataKey(...)`, which a bare `KMSClient` does not have.
   */
  readonly client: KMS;
  /** `AWS_ENDPOINT_URL_KMS` and local credentials/region: any default SDK client reaches the server. */
  readonly env: Readonly<Record<string, string>>;
  /** Requests received by operation (`Decrypt`, ...), faulted ones included. */
  readonly requests: RequestCounter;
  readonly faults: ServiceFaults;
  /**
   * Creates a symmetric key at once, in this process (the server has no CreateKey), with `alias`
   * (`alias/x` or `x`) if given. A taken or invalid alias throws as CreateAlias would answer.
   */
  createKey(alias?: string): LocalKmsKey;
  stop(): Promise<void>;
}

export interface LocalKmsOptions {
  /** Extra client configuration. */
  clientConfig?: KMSClientConfig;
  /** The 127.0.0.1 port; default 0, a free one. A taken port rejects with `EADDRINUSE`. */
  port?: number;
}

interface Key {
  readonly id: string;
  readonly arn: string;
  /** The AES-256 key that never leaves this process. */
  readonly material: Buffer;
}

const ARN_PREFIX = `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:`;
const MAX_KEYS = 10_000;
const MAX_ALIASES = 10_000;
const MAX_PLAINTEXT = 4096;
const MAX_CIPHERTEXT = 6144;
const BLOB_VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const DATA_KEY_BYTES: Readonly<Record<string, number>> = { AES_256: 32, AES_128: 16 };

const notFound = (message: string) => new AwsJsonError('NotFoundException', message);
const validation = (message: string) => new AwsJsonError('ValidationException', message);
const invalidCiphertext = () => new AwsJsonError('InvalidCiphertextException', '');

/**
 * The encryption context as authenticated data: entries sorted by key, so the order a caller
 * lists them in does not matter, as in KMS.
 */
function contextBytes(context: Record<string, string> | undefined): Buffer {
  const entries = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), 'utf8');
}

/**
 * A ciphertext blob: version, key id (so Decrypt needs no KeyId), IV, GCM tag, ciphertext. The
 * header and the encryption context are the GCM additional data: changing either fails Decrypt.
 */
function seal(key: Key, plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
  const header = Buffer.concat([Buffer.from([BLOB_VERSION, key.id.length]), Buffer.from(key.id, 'latin1')]);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.material, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.concat([header, contextBytes(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
}

function parse(blob: Buffer): { keyId: string; header: Buffer; iv: Buffer; tag: Buffer; body: Buffer } {
  if (blob.length < 2 || blob[0] !== BLOB_VERSION) throw invalidCiphertext();
  const idLength = blob[1] ?? 0;
  const headerLength = 2 + idLength;
  if (idLength === 0 || blob.length < headerLength + IV_BYTES + TAG_BYTES + 1) throw invalidCiphertext();
  return {
    keyId: blob.subarray(2, headerLength).toString('latin1'),
    header: blob.subarray(0, headerLength),
    iv: blob.subarray(headerLength, headerLength + IV_BYTES),
    tag: blob.subarray(headerLength + IV_BYTES, headerLength + IV_BYTES + TAG_BYTES),
    body: blob.subarray(headerLength + IV_BYTES + TAG_BYTES),
  };
}

function open(key: Key, blob: ReturnType<typeof parse>, context: Record<string, string> | undefined): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.material, blob.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.concat([blob.header, contextBytes(context)]));
    decipher.setAuthTag(blob.tag);
    return Buffer.concat([decipher.update(blob.body), decipher.final()]);
  } catch {
    throw invalidCiphertext();
  }
}

function checkAlgorithm(input: JsonInput): void {
  const algorithm = input.string('EncryptionAlgorithm');
  if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT')
    throw new AwsJsonError(
      'InvalidKeyUsageException',
      `The encryption algorithm ${algorithm} is not compatible with the type of the specified KMS key.`,
    );
}

/**
 * Starts a KMS (AWS JSON 1.1, `TrentService.<Operation>`) on a free 127.0.0.1 port, in memory. It
 * answers what the Encryption SDK's KMS keyring calls for flowguard's tokens: GenerateDataKey,
 * Encrypt and Decrypt; any other operation is UnknownOperationException. Keys (and their aliases)
 * are made in this process with `createKey`. Encryption is real AES-256-GCM under a random key per
 * KMS key, bound to the encryption context; KeyId in answers is the key ARN.
 */
export async function startLocalKms(options: LocalKmsOptions = {}): Promise<LocalKms> {
  const keys = new Map<string, Key>();
  /** Alias name (`alias/x`) to key id. */
  const aliases = new Map<string, string>();

  const addKey = (): Key => {
    if (keys.size >= MAX_KEYS) throw new AwsJsonError('LimitExceededException', 'Too many keys.');
    const id = randomUUID();
    const key: Key = { id, arn: `${ARN_PREFIX}key/${id}`, material: randomBytes(32) };
    keys.set(id, key);
    return key;
  };

  const checkAlias = (name: string): void => {
    if (!ALIAS_NAME.test(name) || name.startsWith('alias/aws/'))
      throw new AwsJsonError('InvalidAliasNameException', `Alias name ${name} is not valid.`);
    if (aliases.has(name))
      throw new AwsJsonError(
        'AlreadyExistsException',
        `An alias with the name ${ARN_PREFIX}${name} already exists`,
      );
    if (aliases.size >= MAX_ALIASES) throw new AwsJsonError('LimitExceededException', 'Too many aliases.');
  };

  /** A key by id, key ARN, `alias/<name>` or alias ARN. */
  const resolve = (keyId: string): Key => {
    let id = keyId;
    if (id.startsWith('arn:')) {
      const rest = id.startsWith(ARN_PREFIX) ? id.slice(ARN_PREFIX.length) : '';
      if (rest.startsWith('key/')) id = rest.slice('key/'.length);
      else if (rest.startsWith('alias/')) id = rest;
      else throw notFound(`Invalid arn ${keyId}`);
    }
    if (id.startsWith('alias/')) {
      const target = aliases.get(id);
      const key = target === undefined ? undefined : keys.get(target);
      if (!key) throw notFound(`Alias ${ARN_PREFIX}${id} is not found.`);
      return key;
    }
    const key = keys.get(id);
    if (!key) throw notFound(`Key '${ARN_PREFIX}key/${id}' does not exist`);
    return key;
  };

  const dataKey = (input: JsonInput): JsonObject => {
    const key = resolve(input.requiredString('KeyId'));
    const spec = input.string('KeySpec');
    const count = input.integer('NumberOfBytes');
    if ((spec === undefined) === (count === undefined))
      throw validation('Please specify either number of bytes or key spec.');
    let size = count ?? 0;
    if (spec !== undefined) {
      const bytes = DATA_KEY_BYTES[spec];
      if (bytes === undefined)
        throw validation(
          `1 validation error detected: Value '${spec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`,
        );
      size = bytes;
    }
    if (size < 1 || size > 1024)
      throw validation(
        `1 validation error detected: Value '${size}' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024`,
      );
    const plaintext = randomBytes(size);
    const blob = seal(key, plaintext, input.stringMap('EncryptionContext'));
    return {
      KeyId: key.arn,
      CiphertextBlob: blob.toString('base64'),
      Plaintext: plaintext.toString('base64'),
    };
  };

  const handlers = new Map<string, Handler>([
    [
      'Encrypt',
      (input) => {
        const key = resolve(input.requiredString('KeyId'));
        checkAlgorithm(input);
        const plaintext = input.blob('Plaintext');
        if (!plaintext || plaintext.length < 1 || plaintext.length > MAX_PLAINTEXT)
          throw validation(
            `1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and ${MAX_PLAINTEXT}`,
          );
        const blob = seal(key, plaintext, input.stringMap('EncryptionContext'));
        return {
          KeyId: key.arn,
          CiphertextBlob: blob.toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      },
    ],
    [
      'Decrypt',
      (input) => {
        const requested = input.string('KeyId');
        const wanted = requested === undefined ? undefined : resolve(requested);
        checkAlgorithm(input);
        const raw = input.blob('CiphertextBlob');
        if (!raw || raw.length < 1 || raw.length > MAX_CIPHERTEXT)
          throw validation(
            `1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length between 1 and ${MAX_CIPHERTEXT}`,
          );
        const blob = parse(raw);
        const key = keys.get(blob.keyId);
        if (!key) throw invalidCiphertext();
        if (wanted && wanted !== key)
          throw new AwsJsonError(
            'IncorrectKeyException',
            'The key ID in the request does not identify a KMS key that can perform this operation.',
          );
        const plaintext = open(key, blob, input.stringMap('EncryptionContext'));
        return {
          KeyId: key.arn,
          Plaintext: plaintext.toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      },
    ],
    ['GenerateDataKey', dataKey],
  ]);

  const service = await startJsonService({
    port: options.port,
    serviceName: 'KMS',
    targetPrefix: 'TrentService',
    messageField: 'message',
    invalidInput: 'ValidationException',
    internalError: { type: 'KMSInternalException', message: 'An internal error occurred.' },
    handlers,
  });

  const client = new KMS({
    region: LOCAL_REGION,
    endpoint: service.endpoint,
    credentials: LOCAL_CREDENTIALS,
    ...options.clientConfig,
  });
  let stopped = false;
  return {
    endpoint: service.endpoint,
    port: service.port,
    client,
    env: {
      AWS_ENDPOINT_URL_KMS: service.endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    },
    requests: service.requests,
    faults: service.faults,
    createKey(alias) {
      const name = alias === undefined || alias.startsWith('alias/') ? alias : `alias/${alias}`;
      if (name !== undefined) checkAlias(name);
      const key = addKey();
      if (name === undefined) return { keyId: key.id, arn: key.arn };
      aliases.set(name, key.id);
      return { keyId: key.id, arn: key.arn, aliasName: name, aliasArn: `${ARN_PREFIX}${name}` };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      client.destroy();
      await service.stop();
    },
  };
}
