import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConnectClient, StartChatContactCommand } from '@aws-sdk/client-connect';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LocalKms } from '@flowguard/local';
import { SecretCache } from '@flowguard/secrets';
import { ConnectDecryptor, jsonSecretsFrom } from '@flowguard/secure-input';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/index.js';
import { shellQuote, UNSET_VARIABLES } from '../../src/local-command.js';
import { cli } from './support/cli.js';

// @aws-sdk/client-kms, client-kinesis and client-s3 are dependencies of @flowguard/local, not of
// the CLI: they are loaded from there rather than added here.
const fromLocal = createRequire(join(import.meta.dirname, '../../../local/package.json'));
const { KMS } = fromLocal('@aws-sdk/client-kms') as {
  KMS: new (config: Record<string, unknown>) => LocalKms['client'];
};
const { Kinesis } = fromLocal('@aws-sdk/client-kinesis') as {
  Kinesis: new (
    config: Record<string, unknown>,
  ) => {
    createStream(input: { StreamName: string; ShardCount: number }): Promise<unknown>;
    describeStreamSummary(input: {
      StreamName: string;
    }): Promise<{ StreamDescriptionSummary?: { StreamName?: string } }>;
    destroy(): void;
  };
};
const { S3 } = fromLocal('@aws-sdk/client-s3') as {
  S3: new (
    config: Record<string, unknown>,
  ) => {
    createBucket(input: { Bucket: string }): Promise<unknown>;
    putObject(input: { Bucket: string; Key: string; Body: string }): Promise<unknown>;
    getObject(input: {
      Bucket: string;
      Key: string;
    }): Promise<{ Body?: { transformToString(): Promise<string> } }>;
    destroy(): void;
  };
};

const sh = promisify(execFile);

interface Running {
  /** Resolves once the command says it is running (or has ended). */
  readonly ready: Promise<void>;
  readonly done: Promise<number>;
  output(): { out: string; err: string };
  /** What SIGINT or SIGTERM does in the real process. */
  stop(): void;
}

/** Starts `flowguard local ...` in this process, with a stop request the test controls. */
function startLocal(args: readonly string[], env: Record<string, string> = {}): Running {
  const controller = new AbortController();
  let out = '';
  let err = '';
  let up: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    up = resolve;
  });
  const done = run(['local', ...args], {
    env,
    stdout: (text) => {
      out += text;
      if (out.includes('Running until') || out.trimStart().startsWith('{')) up();
    },
    stderr: (text) => {
      err += text;
    },
    onInterrupt: (listener) => {
      const stop = () => listener('stop requested');
      controller.signal.addEventListener('abort', stop);
      return () => controller.signal.removeEventListener('abort', stop);
    },
  });
  return {
    ready: Promise.race([ready, done.then(() => undefined)]),
    done,
    output: () => ({ out, err }),
    stop: () => controller.abort(),
  };
}

/** The variables a POSIX shell started with `env` has after sourcing `file`. */
async function sourced(file: string, env: Record<string, string> = {}): Promise<Record<string, string>> {
  const { stdout } = await sh('sh', ['-c', '. "$1" && env -0', 'sh', file], { env });
  return Object.fromEntries(
    stdout
      .split('\0')
      .filter((entry) => entry.includes('='))
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

const portOf = (endpoint: string | undefined) => Number(new URL(endpoint ?? '').port);

/** `ECONNREFUSED` when nothing listens on the port, `connected` when something does. */
function probe(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

/**
 * Listening servers in this process: a failed start must leave the count where it was. A server's
 * 'close' comes before its handle is gone, which can take to the end of the next turn of the event
 * loop: counted after two.
 */
async function listening(): Promise<number> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** The ports `--port n` takes: DynamoDB, Secrets Manager, KMS, Kinesis, S3 and Connect. */
const PORTS = 6;

/** A port n such that n to n+5 are free on 127.0.0.1 right now. */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probeServer = await listenOn(0);
    const base = (probeServer.address() as { port: number }).port;
    await closeServer(probeServer);
    if (base > 65_535 - (PORTS - 1)) continue;
    const held: Server[] = [];
    try {
      for (let i = 0; i < PORTS; i++) held.push(await listenOn(base + i));
      return base;
    } catch {
      // one of them is taken: try another
    } finally {
      await Promise.all(held.map(closeServer));
    }
  }
  throw new Error(`no ${PORTS} consecutive free ports`);
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowguard-local-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('flowguard local', () => {
  it('serves a table, the seeded keys and a token key to default SDK clients, then stops and cleans up', async () => {
    const envFile = join(dir, 'seeded.env');
    const keysDir = join(dir, '.flowguard-local-keys');
    const baseline = await listening();
    const local = startLocal(['--seed-keys', '--out', envFile], { FLOWGUARD_TABLE_NAME: 'flowguard-dev' });
    await local.ready;

    expect(local.output().err).toBe('');
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    const envText = await readFile(envFile, 'utf8');
    // A developer's shell may name a real profile: sourcing the file puts the local credentials first.
    const env = await sourced(envFile, { AWS_PROFILE: 'prod', AWS_SESSION_TOKEN: 'real-token', KEEP: 'me' });
    expect(env.KEEP).toBe('me');
    expect(env).not.toHaveProperty('AWS_PROFILE');
    expect(env).not.toHaveProperty('AWS_SESSION_TOKEN');
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL_DYNAMODB: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_ENDPOINT_URL_SECRETS_MANAGER: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_ENDPOINT_URL_KMS: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_ENDPOINT_URL_KINESIS: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_ENDPOINT_URL_S3: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_ENDPOINT_URL_CONNECT: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'flowguard-local',
      AWS_SECRET_ACCESS_KEY: 'flowguard-local',
      FLOWGUARD_TABLE_NAME: 'flowguard-dev',
      FLOWGUARD_CONNECT_KEYS_SECRET_ID: 'flowguard/connect-keys',
      FLOWGUARD_FINGERPRINT_SECRET_ID: 'flowguard/fingerprint',
      FLOWGUARD_TOKEN_KMS_KEY_ID: expect.stringMatching(
        /^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36}$/,
      ),
      FLOWGUARD_EDGE_SIGNING_SECRET_ID: 'flowguard/edge-signing',
      FLOWGUARD_CONNECT_INSTANCE_ID: '00000000-0000-4000-8000-00000000c0c0',
      FLOWGUARD_EDGE_FLOWS: 'web-chat=00000000-0000-4000-8000-0000000000c1',
    });
    // What is printed is what is in the file; neither holds key material.
    const { out } = local.output();
    for (const line of envText.split('\n').filter((l) => l.startsWith('export ')))
      expect(out).toContain(line);
    expect(out).toContain(`source ${envFile}`);
    expect(out).toContain('Connect key local-key-1');
    expect(`${out}${envText}`).not.toMatch(/PRIVATE KEY|MII[A-Za-z0-9+/]{20}/);
    const certificateFile = join(keysDir, 'local-key-1.cert.pem');
    const certificate = await readFile(certificateFile, 'utf8');
    expect(certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(await readFile(join(keysDir, 'local-key-1.public.pem'), 'utf8')).toMatch(
      /^-----BEGIN PUBLIC KEY-----/,
    );

    // Default clients, configured by the sourced variables alone: as a developer's shell would be.
    for (const name of UNSET_VARIABLES) vi.stubEnv(name, undefined);
    for (const [name, value] of Object.entries(env))
      if (/^(AWS|FLOWGUARD)_/.test(name)) vi.stubEnv(name, value);
    const dynamodb = new DynamoDBClient({});
    const secretsManager = new SecretsManagerClient({});
    const kms = new KMS({});
    const kinesis = new Kinesis({});
    const s3 = new S3({});
    const connect = new ConnectClient({});
    try {
      const { Table } = await dynamodb.send(
        new DescribeTableCommand({ TableName: env.FLOWGUARD_TABLE_NAME }),
      );
      expect(Table).toMatchObject({ TableName: 'flowguard-dev', TableStatus: 'ACTIVE' });

      const keysSecret = await secretsManager.send(
        new GetSecretValueCommand({ SecretId: env.FLOWGUARD_CONNECT_KEYS_SECRET_ID }),
      );
      const { keys } = JSON.parse(keysSecret.SecretString ?? '{}') as {
        keys: { keyId: string; privateKey: string }[];
      };
      expect(keys).toEqual([
        { keyId: 'local-key-1', privateKey: expect.stringMatching(/BEGIN PRIVATE KEY/) },
      ]);
      // The secret's key opens what Connect would encrypt with the written certificate.
      const decryptor = new ConnectDecryptor({
        secrets: jsonSecretsFrom(new SecretCache({ client: secretsManager })),
        secretId: env.FLOWGUARD_CONNECT_KEYS_SECRET_ID ?? '',
      });
      const ciphertext = await encryptLikeConnect('4111111111111111', {
        keyId: 'local-key-1',
        publicKey: certificate,
      });
      const plaintext = await decryptor.decrypt(ciphertext, { keyId: 'local-key-1' });
      expect(plaintext.toString('utf8')).toBe('4111111111111111');

      const fingerprint = await secretsManager.send(
        new GetSecretValueCommand({ SecretId: env.FLOWGUARD_FINGERPRINT_SECRET_ID }),
      );
      const { key } = JSON.parse(fingerprint.SecretString ?? '{}') as { key: string };
      expect(Buffer.from(key, 'base64')).toHaveLength(32);

      const dataKey = await kms.generateDataKey({
        KeyId: env.FLOWGUARD_TOKEN_KMS_KEY_ID,
        KeySpec: 'AES_256',
      });
      expect(dataKey.KeyId).toBe(env.FLOWGUARD_TOKEN_KMS_KEY_ID);
      expect(dataKey.Plaintext).toHaveLength(32);
      const opened = await kms.decrypt({ CiphertextBlob: dataKey.CiphertextBlob });
      expect(Buffer.from(opened.Plaintext ?? []).equals(Buffer.from(dataKey.Plaintext ?? []))).toBe(true);

      await kinesis.createStream({ StreamName: 'contact-records', ShardCount: 1 });
      const stream = await kinesis.describeStreamSummary({ StreamName: 'contact-records' });
      expect(stream.StreamDescriptionSummary?.StreamName).toBe('contact-records');

      await s3.createBucket({ Bucket: 'recordings' });
      await s3.putObject({ Bucket: 'recordings', Key: 'a.wav', Body: 'wav' });
      const object = await s3.getObject({ Bucket: 'recordings', Key: 'a.wav' });
      expect(await object.Body?.transformToString()).toBe('wav');

      const signing = await secretsManager.send(
        new GetSecretValueCommand({ SecretId: env.FLOWGUARD_EDGE_SIGNING_SECRET_ID }),
      );
      expect(Buffer.from(signing.SecretString ?? '', 'base64')).toHaveLength(32);
      expect(out).not.toContain(signing.SecretString ?? 'unreachable');

      // start-contact's Connect client, found by AWS_ENDPOINT_URL_CONNECT alone.
      const flowId = (env.FLOWGUARD_EDGE_FLOWS ?? '').split('=')[1];
      const chat = await connect.send(
        new StartChatContactCommand({
          InstanceId: env.FLOWGUARD_CONNECT_INSTANCE_ID,
          ContactFlowId: flowId,
          ParticipantDetails: { DisplayName: 'Ada' },
        }),
      );
      expect(chat.ContactId).toMatch(/^[0-9a-f-]{36}$/);
      expect(chat.ParticipantToken).toMatch(/^LOCAL-participant-/);
    } finally {
      connect.destroy();
      dynamodb.destroy();
      secretsManager.destroy();
      kms.destroy();
      kinesis.destroy();
      s3.destroy();
    }

    local.stop();
    expect(await local.done).toBe(0);

    expect(local.output().out).toMatch(/\nstopped \(stop requested\): servers closed; removed /);
    for (const name of [
      'AWS_ENDPOINT_URL_DYNAMODB',
      'AWS_ENDPOINT_URL_SECRETS_MANAGER',
      'AWS_ENDPOINT_URL_KMS',
      'AWS_ENDPOINT_URL_KINESIS',
      'AWS_ENDPOINT_URL_S3',
      'AWS_ENDPOINT_URL_CONNECT',
    ])
      expect(await probe(portOf(env[name]))).toBe('ECONNREFUSED');
    expect(await listening()).toBe(baseline);
    expect(await exists(envFile)).toBe(false);
    expect(await exists(keysDir)).toBe(false);
  }, 60_000);

  it('listens on --port and the five ports after it and, without --seed-keys, seeds nothing', async () => {
    const envFile = join(dir, 'ports.env');
    const base = await freePortBase();
    const local = startLocal(['--port', String(base), '--out', envFile]);
    await local.ready;
    const env = await sourced(envFile);
    local.stop();
    expect(await local.done).toBe(0);

    expect(local.output().err).toBe('');
    expect(env.AWS_ENDPOINT_URL_DYNAMODB).toBe(`http://127.0.0.1:${base}`);
    expect(env.AWS_ENDPOINT_URL_SECRETS_MANAGER).toBe(`http://127.0.0.1:${base + 1}`);
    expect(env.AWS_ENDPOINT_URL_KMS).toBe(`http://127.0.0.1:${base + 2}`);
    expect(env.AWS_ENDPOINT_URL_KINESIS).toBe(`http://127.0.0.1:${base + 3}`);
    expect(env.AWS_ENDPOINT_URL_S3).toBe(`http://127.0.0.1:${base + 4}`);
    expect(env.AWS_ENDPOINT_URL_CONNECT).toBe(`http://127.0.0.1:${base + 5}`);
    expect(env.FLOWGUARD_TABLE_NAME).toBe('flowguard');
    expect(Object.keys(env).filter((name) => /KEY_ID|SECRET_ID/.test(name))).toEqual(['AWS_ACCESS_KEY_ID']);
    expect(local.output().out).not.toContain('Connect key');
    expect(await exists(join(dir, '.flowguard-local-keys'))).toBe(false);
    for (let i = 0; i < PORTS; i++) expect(await probe(base + i)).toBe('ECONNREFUSED');
  });

  it('prints one JSON object with --json', async () => {
    const envFile = join(dir, 'json.env');
    const local = startLocal(['--json', '--out', envFile]);
    await local.ready;
    local.stop();
    expect(await local.done).toBe(0);

    const printed = JSON.parse(local.output().out) as {
      envFile: string;
      env: Record<string, string>;
      unset: string[];
    };
    expect(printed.envFile).toBe(envFile);
    expect(printed.unset).toEqual([
      'AWS_PROFILE',
      'AWS_SESSION_TOKEN',
      'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
    ]);
    expect(Object.keys(printed.env)).toEqual([
      'AWS_ENDPOINT_URL_DYNAMODB',
      'AWS_ENDPOINT_URL_SECRETS_MANAGER',
      'AWS_ENDPOINT_URL_KMS',
      'AWS_ENDPOINT_URL_KINESIS',
      'AWS_ENDPOINT_URL_S3',
      'AWS_ENDPOINT_URL_CONNECT',
      'AWS_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'FLOWGUARD_TABLE_NAME',
      'FLOWGUARD_CONNECT_INSTANCE_ID',
      'FLOWGUARD_EDGE_FLOWS',
    ]);
  });

  it('a port in use: exit 1 naming it, nothing left running, no env file', async () => {
    const blocker = await listenOn(0);
    const port = (blocker.address() as { port: number }).port;
    const envFile = join(dir, 'busy.env');
    const baseline = await listening();
    try {
      const local = startLocal(['--port', String(port), '--out', envFile]);
      expect(await local.done).toBe(1);
      expect(local.output()).toEqual({
        out: '',
        err: `flowguard: port ${port} (DynamoDB) is in use on 127.0.0.1; pick another --port, or leave it out\n`,
      });
      expect(await listening()).toBe(baseline);
      expect(await exists(envFile)).toBe(false);
    } finally {
      await closeServer(blocker);
    }
  });

  it('names the service whose port is in use: Connect on --port + 5', async () => {
    const base = await freePortBase();
    const blocker = await listenOn(base + 5);
    const baseline = await listening();
    try {
      const local = startLocal(['--port', String(base), '--out', join(dir, 'busy-connect.env')]);
      expect(await local.done).toBe(1);
      expect(local.output().err).toBe(
        `flowguard: port ${base + 5} (Connect) is in use on 127.0.0.1; pick another --port, or leave it out\n`,
      );
      expect(await listening()).toBe(baseline);
      for (let i = 0; i < PORTS - 1; i++) expect(await probe(base + i)).toBe('ECONNREFUSED');
    } finally {
      await closeServer(blocker);
    }
  });

  it('names the service whose port is in use: S3 on --port + 4', async () => {
    const base = await freePortBase();
    const blocker = await listenOn(base + 4);
    const baseline = await listening();
    try {
      const local = startLocal(['--port', String(base), '--out', join(dir, 'busy-s3.env')]);
      expect(await local.done).toBe(1);
      expect(local.output().err).toBe(
        `flowguard: port ${base + 4} (S3) is in use on 127.0.0.1; pick another --port, or leave it out\n`,
      );
      expect(await listening()).toBe(baseline);
      for (let i = 0; i < PORTS; i++) if (i !== 4) expect(await probe(base + i)).toBe('ECONNREFUSED');
    } finally {
      await closeServer(blocker);
    }
  });

  it('an env file that cannot be written: exit 1 before anything starts', async () => {
    const notADir = join(dir, 'plain-file');
    await writeFile(notADir, 'x');
    const envFile = join(notADir, 'local.env');
    const baseline = await listening();

    const local = startLocal(['--seed-keys', '--out', envFile]);

    expect(await local.done).toBe(1);
    expect(local.output()).toEqual({
      out: '',
      err: `flowguard: cannot write the env file ${envFile} (ENOTDIR)\n`,
    });
    expect(await listening()).toBe(baseline);
  });

  it('never replaces a file it did not write, nor the file of a run still going; keeps a file changed since', async () => {
    const theirs = join(dir, 'theirs.env');
    await writeFile(theirs, 'export IMPORTANT=1\n');
    const refused = await cli(['local', '--out', theirs]);
    expect(refused).toEqual({
      code: 1,
      out: '',
      err: `flowguard: ${theirs} exists and was not written by flowguard local; remove it or pick another --out\n`,
    });
    expect(await readFile(theirs, 'utf8')).toBe('export IMPORTANT=1\n');

    const envFile = join(dir, 'shared.env');
    const first = startLocal(['--out', envFile]);
    await first.ready;
    const second = await cli(['local', '--out', envFile]);
    expect(second.code).toBe(1);
    expect(second.err).toBe(
      `flowguard: ${envFile} belongs to a running flowguard local (pid ${process.pid}); stop it or pick another --out\n`,
    );
    const env = await sourced(envFile);
    expect(await probe(portOf(env.AWS_ENDPOINT_URL_DYNAMODB))).toBe('connected');

    await writeFile(envFile, `${await readFile(envFile, 'utf8')}export MINE=1\n`);
    first.stop();
    expect(await first.done).toBe(0);
    expect(first.output().out).toContain(`kept ${envFile} (changed since written)\n`);
    expect(await readFile(envFile, 'utf8')).toContain('export MINE=1\n');

    // That run has ended: its file may be taken over by the next one.
    const next = startLocal(['--out', envFile]);
    await next.ready;
    next.stop();
    expect(await next.done).toBe(0);
    expect(await exists(envFile)).toBe(false);
  });

  it('a stop requested during start-up ends the run once it is up, exit 0', async () => {
    const envFile = join(dir, 'early.env');
    const keysDir = join(dir, 'early-keys');
    await mkdir(keysDir);
    await writeFile(join(keysDir, 'keep.txt'), 'mine');
    const local = startLocal(['--seed-keys', '--keys-dir', keysDir, '--out', envFile]);
    local.stop();

    expect(await local.done).toBe(0);
    expect(local.output().out).toContain('stopped (stop requested)');
    expect(await exists(envFile)).toBe(false);
    // The directory was there before: only the files this run wrote are gone.
    expect(await readFile(join(keysDir, 'keep.txt'), 'utf8')).toBe('mine');
    expect(await exists(join(keysDir, 'local-key-1.cert.pem'))).toBe(false);
  }, 30_000);

  it.each([
    [['--env-file', 'x.env'], "flowguard: unknown option '--env-file'"],
    [['--port', '0'], "flowguard: --port must be a whole number from 1 to 65530, not '0'"],
    [['--port', '65531'], "flowguard: --port must be a whole number from 1 to 65530, not '65531'"],
    [['--port', '80a'], "flowguard: --port must be a whole number from 1 to 65530, not '80a'"],
    [['--keys-dir', 'k'], 'flowguard: --keys-dir is only used with --seed-keys'],
    [['extra'], "flowguard: unexpected argument 'extra'"],
  ])('exits 2 for %j, starting nothing', async (args, message) => {
    const baseline = await listening();
    const r = await cli(['local', ...args]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')[0]).toBe(message);
    expect(await listening()).toBe(baseline);
  });

  it('documents itself in --help and the main help', async () => {
    const help = await cli(['local', '--help']);
    expect(help.code).toBe(0);
    expect(help.out.split('\n')[0]).toBe('usage: flowguard local [options]');
    for (const option of ['--out <file>', '--seed-keys', '--keys-dir <dir>', '--port <n>'])
      expect(help.out).toContain(`  ${option} `);
    expect(help.out).toContain('Runs until Ctrl-C (SIGINT) or SIGTERM');
    expect((await cli(['--help'])).out).toContain('  local              run local DynamoDB');
  });
});

describe('shellQuote', () => {
  it.each([
    'http://127.0.0.1:8000',
    'arn:aws:kms:us-east-1:000000000000:key/1',
    "it's",
    'two words',
    '$HOME `id` "x" \\n',
    '',
    "'",
  ])('%j survives a POSIX shell', async (value) => {
    const { stdout } = await sh('sh', ['-c', `printf %s ${shellQuote(value)}`], { env: {} });
    expect(stdout).toBe(value);
  });

  it('leaves plain values unquoted', () => {
    expect(shellQuote('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
