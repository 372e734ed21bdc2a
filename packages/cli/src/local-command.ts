import { chmod, mkdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type LocalConnect, startLocalConnect } from '@flowguard/local';
import type { Context } from './context.js';
import { CommandError, UsageError } from './errors.js';
import {
  LOCAL_CONNECT,
  type LocalKeys,
  type LocalServicesWithStreams,
  seedLocalKeys,
  startLocalServices,
} from './local-environment.js';

export const DEFAULT_ENV_FILE = '.flowguard-local.env';
/** Where `--seed-keys` writes the certificate and public key, next to the env file by default. */
export const DEFAULT_KEYS_DIR = '.flowguard-local-keys';

/** The env file's first line; it names the process, so a live run's file is never taken over. */
const MARKER = /^# flowguard local \(pid (\d+)\)/;

/** The services in port order: with `--port n`, the first listens on n, the next on n+1, ... */
const SERVICES = ['DynamoDB', 'Secrets Manager', 'KMS', 'Kinesis', 'S3', 'Connect'] as const;
const MAX_BASE_PORT = 65_535 - (SERVICES.length - 1);

/**
 * Unset by the env file: with AWS_PROFILE set the SDK takes the profile's credentials over the
 * local ones, a session token would be sent along with them, and the last would make the SDK
 * ignore the endpoint variables.
 */
export const UNSET_VARIABLES = ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'];

/** A value as one shell word: as is when it is plainly safe, else single-quoted. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The `unset` line, then `export NAME=value` lines, values quoted for sh, bash and zsh. */
export function exportLines(env: Readonly<Record<string, string>>): string {
  const exports = Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}\n`);
  return `unset ${UNSET_VARIABLES.join(' ')}\n${exports.join('')}`;
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > MAX_BASE_PORT)
    throw new UsageError(
      `--port must be a whole number from 1 to ${MAX_BASE_PORT}, not '${text.slice(0, 20)}'`,
    );
  return port;
}

const code = (error: unknown) =>
  error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'error';

/** Env files of the runs going on in this process (`run` may be called more than once in one). */
const ACTIVE = new Set<string>();

/** Whether the run that wrote a file with this pid is going on (EPERM: a process of another user). */
function running(pid: number, file: string): boolean {
  if (pid === process.pid) return ACTIVE.has(file);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return code(error) === 'EPERM';
  }
}

async function readIfThere(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return undefined;
    throw new CommandError(`cannot read the env file ${file} (${code(error)})`);
  }
}

/**
 * Takes the env file before anything starts, so a path that cannot be written fails with nothing
 * running. Only a file this command wrote, for a run that has ended, is replaced.
 */
async function claimEnvFile(file: string, header: string): Promise<void> {
  const existing = await readIfThere(file);
  if (existing !== undefined) {
    const pid = MARKER.exec(existing)?.[1];
    if (pid === undefined)
      throw new CommandError(
        `${file} exists and was not written by flowguard local; remove it or pick another --out`,
      );
    if (running(Number(pid), file))
      throw new CommandError(
        `${file} belongs to a running flowguard local (pid ${pid}); stop it or pick another --out`,
      );
  }
  ACTIVE.add(file);
  try {
    // A new file is created exclusively: two runs starting at once cannot both take it.
    await writeFile(file, header, { mode: 0o600, flag: existing === undefined ? 'wx' : 'w' });
    await chmod(file, 0o600);
  } catch (error) {
    ACTIVE.delete(file);
    throw new CommandError(`cannot write the env file ${file} (${code(error)})`);
  }
}

/** Removes a file this run wrote, unless someone changed it since; says whether it did. */
async function removeIfUnchanged(file: string, content: string): Promise<boolean> {
  if ((await readFile(file, 'utf8').catch(() => undefined)) !== content) return false;
  await rm(file, { force: true });
  return true;
}

function startError(error: unknown, ports: readonly number[]): Error {
  const failed = code(error);
  const port = (error as { port?: unknown }).port;
  const service = typeof port === 'number' ? SERVICES[ports.indexOf(port)] : undefined;
  const which = `port ${String(port)}${service ? ` (${service})` : ''}`;
  if (failed === 'EADDRINUSE')
    return new CommandError(`${which} is in use on 127.0.0.1; pick another --port, or leave it out`);
  if (failed === 'EACCES')
    return new CommandError(`not allowed to listen on ${which}; pick a --port above 1023`);
  return new CommandError(`the local servers did not start (${failed})`);
}

interface Written {
  readonly file: string;
  readonly content: string;
}

/**
 * `flowguard local`: local DynamoDB (dynalite, with the table), Secrets Manager, KMS, Kinesis
 * (kinesalite), S3 (s3rver) and Connect's start APIs (local-connect) on 127.0.0.1; optionally a Connect key pair, a fingerprint key and
 * a token key seeded the way the functions read them. Writes the `export` lines to the env file (mode 600) and prints them, then
 * runs until interrupted: then every server stops, the files it wrote are removed, and it exits 0.
 * The private key goes only into local Secrets Manager: never to stdout or a file.
 */
export async function runLocal(
  ctx: Context,
  options: { envFile?: string; seedKeys: boolean; keysDir?: string; port?: string },
): Promise<number> {
  const base = parsePort(options.port);
  if (options.keysDir !== undefined && !options.seedKeys)
    throw new UsageError('--keys-dir is only used with --seed-keys');
  const tableName = ctx.table();
  const envFile = resolve(options.envFile ?? DEFAULT_ENV_FILE);
  const keysDir = resolve(options.keysDir ?? join(dirname(envFile), DEFAULT_KEYS_DIR));
  const ports = base === undefined ? undefined : SERVICES.map((_, i) => base + i);
  const header = `# flowguard local (pid ${process.pid}), started ${new Date(ctx.nowMs()).toISOString()}: source this file.\n# Removed when flowguard local stops.\n`;

  // Subscribed first: a stop request during start-up ends the run as soon as it is up.
  const interrupt = ctx.interrupt();
  const written: Written[] = [];
  let createdKeysDir = false;
  let claimed = false;
  let services: LocalServicesWithStreams | undefined;
  let connect: LocalConnect | undefined;
  /** Stops what runs and removes what this run wrote (unless changed since); safe to call twice. */
  const cleanup = async () => {
    const started = services;
    const startedConnect = connect;
    services = undefined;
    connect = undefined;
    await Promise.all([started?.stop(), startedConnect?.stop()]);
    const removed: string[] = [];
    const kept: string[] = [];
    for (const { file, content } of written.splice(0))
      ((await removeIfUnchanged(file, content)) ? removed : kept).push(file);
    if (createdKeysDir) await rmdir(keysDir).catch(() => undefined);
    createdKeysDir = false;
    if (claimed) ACTIVE.delete(envFile);
    claimed = false;
    return { removed, kept };
  };
  try {
    await claimEnvFile(envFile, header);
    claimed = true;
    written.push({ file: envFile, content: header });
    if (options.seedKeys) {
      const existed = await stat(keysDir).then(
        () => true,
        () => false,
      );
      try {
        await mkdir(keysDir, { recursive: true });
      } catch (error) {
        throw new CommandError(`cannot make the keys directory ${keysDir} (${code(error)})`);
      }
      createdKeysDir = !existed;
    }

    services = await startLocalServices({
      tableName,
      streams: true,
      ports: ports && {
        dynamodb: ports[0],
        secretsManager: ports[1],
        kms: ports[2],
        kinesis: ports[3],
        s3: ports[4],
      },
    }).catch((error: unknown) => {
      throw startError(error, ports ?? []);
    });
    // Connect's start APIs (StartChatContact, StartWebRTCContact, StartTaskContact) for start-contact.
    connect = await startLocalConnect({
      instanceId: LOCAL_CONNECT.instanceId,
      contactFlowIds: Object.values(LOCAL_CONNECT.flows),
      ...(ports ? { port: ports[5] } : {}),
    }).catch((error: unknown) => {
      throw startError(error, ports ?? []);
    });
    const keys: LocalKeys | undefined = options.seedKeys ? await seedLocalKeys(services) : undefined;
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL_DYNAMODB: services.dynamodb.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: services.secretsManager.endpoint,
      AWS_ENDPOINT_URL_KMS: services.kms.endpoint,
      AWS_ENDPOINT_URL_KINESIS: services.kinesis.endpoint,
      AWS_ENDPOINT_URL_S3: services.s3.endpoint,
      AWS_ENDPOINT_URL_CONNECT: connect.endpoint,
      AWS_REGION: services.env.AWS_REGION ?? '',
      AWS_ACCESS_KEY_ID: services.env.AWS_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: services.env.AWS_SECRET_ACCESS_KEY ?? '',
      FLOWGUARD_TABLE_NAME: services.dynamodb.tableName,
      // start-contact's instance and flows, as the local Connect knows them.
      FLOWGUARD_CONNECT_INSTANCE_ID: connect.instanceId,
      FLOWGUARD_EDGE_FLOWS: Object.entries(LOCAL_CONNECT.flows)
        .map(([name, id]) => `${name}=${id}`)
        .join(','),
      ...keys?.env,
    };

    const files = keys && {
      certificate: join(keysDir, `${keys.keyId}.cert.pem`),
      publicKey: join(keysDir, `${keys.keyId}.public.pem`),
    };
    const writes: Written[] = [
      { file: envFile, content: `${header}${exportLines(env)}` },
      ...(keys && files
        ? [
            { file: files.certificate, content: keys.certificatePem },
            { file: files.publicKey, content: keys.publicKeyPem },
          ]
        : []),
    ];
    for (const write of writes) {
      try {
        await writeFile(write.file, write.content);
      } catch (error) {
        throw new CommandError(`cannot write ${write.file} (${code(error)})`);
      }
      const index = written.findIndex((w) => w.file === write.file);
      written.splice(index < 0 ? written.length : index, 1, write);
    }

    if (ctx.json) {
      const key = keys && files && { keyId: keys.keyId, notAfter: keys.notAfter.toISOString(), files };
      ctx.out(`${JSON.stringify({ envFile, env, unset: UNSET_VARIABLES, ...(key ? { key } : {}) })}\n`);
    } else {
      ctx.out(
        `flowguard local: DynamoDB (table ${services.dynamodb.tableName}), Secrets Manager, KMS, Kinesis, S3 and Connect (StartChatContact, StartWebRTCContact, StartTaskContact) on 127.0.0.1\n\n`,
      );
      ctx.out(exportLines(env));
      if (keys && files) {
        const width = Math.max(files.certificate.length, files.publicKey.length);
        ctx.out(`
Connect key ${keys.keyId}, certificate valid until ${keys.notAfter.toISOString()}. Its private key is
only in the keys secret ${keys.connectKeysSecretId} (local Secrets Manager); the fingerprint key is
in ${keys.fingerprintSecretId}; start-contact's signing key in ${keys.edgeSigningSecretId};
tokens are made under ${keys.tokenKeyArn}.
  ${files.certificate.padEnd(width)}  the flows' InputEncryption.Key
  ${files.publicKey.padEnd(width)}  the public key (what Connect would be given)
Render a flow with them:
  flowguard flows render <flow.json> --set ConnectKeyId=${keys.keyId} --set "ConnectCertificate=$(cat ${shellQuote(files.certificate)})" ...
`);
      }
      ctx.out(`
Written to ${envFile} (mode 600). In another shell:
  source ${shellQuote(envFile)}
Running until Ctrl-C or SIGTERM; then the servers stop and the files above are removed.
`);
    }

    const reason = await interrupt.reason;
    const { removed, kept } = await cleanup();
    if (!ctx.json) {
      ctx.out(
        `\nstopped (${reason}): servers closed${removed.length > 0 ? `; removed ${removed.join(', ')}` : ''}\n`,
      );
      if (kept.length > 0) ctx.out(`kept ${kept.join(', ')} (changed since written)\n`);
    }
    return 0;
  } finally {
    interrupt.dispose();
    // Start-up failed part way: nothing is left running, no file of this run is left behind.
    await cleanup().catch(() => undefined);
  }
}
