// The public packages as a Connect team gets them (docs/publishing.md): built, packed by pnpm
// (publishConfig's dist exports, workspace ranges made real versions), installed from the tarballs
// into a project outside the repo, then run by Node and type-checked by tsc with nothing but what
// was packed. Nothing of the repo (sources, node_modules) is visible from that project.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../', import.meta.url));
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly exports?: Readonly<Record<string, string>>;
  readonly dependencies?: Readonly<Record<string, string>>;
}

interface Packed {
  readonly name: string;
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

// Public is whatever is not `private`: a package made public by mistake shows up here too.
const PUBLIC = readdirSync(join(REPO, 'packages'))
  .map((dir) => ({
    dir: join(REPO, 'packages', dir),
    manifest: readJson(join(REPO, 'packages', dir, 'package.json')) as Manifest,
  }))
  .filter(({ manifest }) => manifest.private !== true);
const NAMES = PUBLIC.map(({ manifest }) => manifest.name).sort();

// The workspace's own `exports` that point at sources; `./sdk-fence` (under scripts/) is a build tool.
const sourceSubpaths = (manifest: Manifest) =>
  Object.entries(manifest.exports ?? {})
    .filter(([, target]) => target.startsWith('./src/'))
    .map(([subpath]) => subpath);

// Child processes get no npm_* variables: `pnpm exec vitest` sets them for the repo's own config.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
const sh = (file: string, args: readonly string[], cwd: string) =>
  run(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });

/** What a Connect team's code does with each package, run by Node from the installed tarballs. */
const CHECK_MJS = `
import { flatResponse, flowHandler } from '@flowguard/contact';
import { createTableRequest } from '@flowguard/table';
import { SecretCache } from '@flowguard/secrets';
import { callerKey } from '@flowguard/caller-screening';
import { SCREEN_CALLER_OUTPUTS } from '@flowguard/caller-screening/contract';
import { validateInput, validateInputFunction } from '@flowguard/input-validation';
import { luhn } from '@flowguard/input-validation/checks';
import { VALIDATE_INPUT_OUTPUTS } from '@flowguard/input-validation/contract';
import { ConnectDecryptor, fingerprint } from '@flowguard/secure-input';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import { SECURE_INPUT_OUTPUTS } from '@flowguard/secure-input/contract';
import { checkCertificate, createConnectKey, keysSecretJson } from '@flowguard/secure-input/keys';
import { openToken } from '@flowguard/secure-input/open-token';
import { FlowSimulator, parseFlow } from '@flowguard/flow-sim';

const silent = { logSink: () => {}, metricSink: () => {} };
const event = (parameters) => ({
  Name: 'ContactFlowEvent',
  Details: {
    ContactData: {
      Attributes: {},
      Channel: 'VOICE',
      ContactId: '5ca32fbd-8f92-46af-92a5-6b0f970f0efe',
      InitialContactId: '5ca32fbd-8f92-46af-92a5-6b0f970f0efe',
      InitiationMethod: 'INBOUND',
      CustomerEndpoint: { Address: '+14155550123', Type: 'TELEPHONE_NUMBER' },
      SystemEndpoint: { Address: '+18005550100', Type: 'TELEPHONE_NUMBER' },
    },
    Parameters: parameters,
  },
});

const secretsClient = { send: async () => ({ SecretString: 'hush', VersionId: 'v1' }) };
const key = await createConnectKey({ commonName: 'pack-test', days: 30 });
const keysSecret = JSON.parse(keysSecretJson([{ keyId: 'pack-key', privateKeyPem: key.privateKeyPem }]));
const ciphertext = await encryptLikeConnect('4111111111111111', { keyId: 'pack-key', publicKey: key.certificatePem });
const decryptor = new ConnectDecryptor({
  secrets: { getJson: async () => keysSecret, refresh: async () => keysSecret },
  secretId: 'connect-keys',
});
const flow = parseFlow({
  Version: '2019-10-30',
  StartAction: 'bye',
  Actions: [{ Identifier: 'bye', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} }],
});

const results = {
  contact: flatResponse({ decision: 'ALLOW', retryAfterSeconds: 30, flagged: false }),
  table: createTableRequest('flowguard').KeySchema.map((k) => k.AttributeName),
  secrets: (await new SecretCache({ client: secretsClient }).get('flowguard/hmac-key')).value,
  callerScreening: [callerKey('(415) 555-0123', 'US'), SCREEN_CALLER_OUTPUTS[0]],
  inputValidation: [validateInput('zip', { zip: '94105-1234' }).values, luhn('4111111111111111'), VALIDATE_INPUT_OUTPUTS[0]],
  handler: await flowHandler(validateInputFunction(), silent)(event({ schema: 'zip', zip: 'nope' })),
  secureInput: {
    decrypted: (await decryptor.decrypt(ciphertext, { keyId: 'pack-key' })).toString('utf8'),
    fingerprint: fingerprint(Buffer.alloc(32, 7), 'card', Buffer.from('4111111111111111')),
    certificate: checkCertificate(key.certificatePem, { source: 'pack', warnDays: 60 }).status,
    openToken: typeof openToken,
    outputs: SECURE_INPUT_OUTPUTS.slice(0, 2),
  },
  flowSim: (await new FlowSimulator(flow).run()).ending.kind,
};
console.log(JSON.stringify(results));
`;

/**
 * The same uses under tsc, strict, from the published declarations only. Each @ts-expect-error
 * fails the check if a type degraded to `any` (a declaration file missing or not resolved).
 */
const CHECK_TS = `
import { type FlatResponse, flatResponse, type FlowFunction } from '@flowguard/contact';
import { createTableRequest } from '@flowguard/table';
import { SecretCache, type SecretsClient } from '@flowguard/secrets';
import { callerKey, type Decision, type ScreeningStore } from '@flowguard/caller-screening';
import { SCREEN_CALLER_OUTPUTS } from '@flowguard/caller-screening/contract';
import { type ValidationResult, validateInput, validateInputFunction } from '@flowguard/input-validation';
import { type CardBrand, luhn } from '@flowguard/input-validation/checks';
import { VALIDATE_INPUT_BUDGET_MS } from '@flowguard/input-validation/contract';
import { ConnectDecryptor, fingerprint } from '@flowguard/secure-input';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import { SECURE_INPUT_OUTPUTS } from '@flowguard/secure-input/contract';
import { type ConnectKeyMaterial, createConnectKey } from '@flowguard/secure-input/keys';
import { openToken } from '@flowguard/secure-input/open-token';
import { type Flow, FlowSimulator, parseFlow, type Trace } from '@flowguard/flow-sim';

export const response: FlatResponse = flatResponse({ decision: 'ALLOW' });
// @ts-expect-error: a response is flat, no objects
flatResponse({ nested: { no: 1 } });
export const billing: 'PAY_PER_REQUEST' = createTableRequest('flowguard').BillingMode;
export const client: SecretsClient = {
  send: async () => ({ $metadata: {}, SecretString: 'hush', VersionId: 'v1' }),
};
export const value: Promise<string | Uint8Array> = new SecretCache({ client }).get('id').then((s) => s.value);
export const key: string = callerKey('+14155550123', 'US');
// @ts-expect-error: not a country code libphonenumber knows
callerKey('+14155550123', 'XX');
export const decision: Decision = 'THROTTLE';
// @ts-expect-error: not a decision
export const wrong: Decision = 'MAYBE';
export let store: ScreeningStore | undefined;
export const output: (typeof SCREEN_CALLER_OUTPUTS)[number] = 'decision';
export const result: ValidationResult = validateInput('zip', { zip: '94105' });
export const fn: FlowFunction = validateInputFunction();
// @ts-expect-error: luhn takes the digits as a string
luhn(4111111111111111);
export const brand: CardBrand = 'visa';
export const budget: number = VALIDATE_INPUT_BUDGET_MS;
export const decryptor = new ConnectDecryptor({
  secrets: { getJson: async () => ({}), refresh: async () => ({}) },
  secretId: 'keys',
});
export const plaintext: Promise<Buffer> = decryptor.decrypt('...');
export const tag: string = fingerprint(Buffer.alloc(32), 'card', Buffer.from('4111'));
export const message: Promise<string> = encryptLikeConnect('1234', { keyId: 'k', publicKey: 'pem' });
export const material: Promise<ConnectKeyMaterial> = createConnectKey({ commonName: 'x', days: 30 });
export const open: typeof openToken = openToken;
export const secureOutput: (typeof SECURE_INPUT_OUTPUTS)[number] = 'last4';
export const flow: Flow = parseFlow({});
export const trace: Promise<Trace> = new FlowSimulator(flow).run();
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    types: ['node'],
  },
  files: ['check.ts'],
};

describe('the public packages, packed and installed in a clean project', () => {
  let root: string;
  let project: string;
  const packed = new Map<string, Packed>();
  const installed = (name: string) => join(project, 'node_modules', name);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'flowguard-pack-'));
    project = join(root, 'project');

    // turbo builds each package's dependencies first (and restores unchanged ones from its cache).
    const filters = NAMES.map((name) => `--filter=${name}`);
    await sh(
      join(REPO, 'node_modules/.bin/turbo'),
      ['run', 'build', '--output-logs=errors-only', ...filters],
      REPO,
    );

    for (const { dir, manifest } of PUBLIC) {
      const { stdout } = await sh(
        'pnpm',
        ['pack', '--json', '--pack-destination', join(root, 'tarballs')],
        dir,
      );
      packed.set(manifest.name, JSON.parse(stdout) as Packed);
    }

    // Every @flowguard package, direct or transitive, comes from its tarball, never the registry.
    const tarballs = Object.fromEntries(NAMES.map((name) => [name, `file:${packed.get(name)?.filename}`]));
    const typesNode = (readJson(join(REPO, 'node_modules/@types/node/package.json')) as Manifest).version;
    await mkdir(project);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'connect-team-app',
        private: true,
        type: 'module',
        dependencies: { ...tarballs, '@types/node': typesNode },
        pnpm: { overrides: tarballs },
      }),
    );
    // --prefer-offline: third-party packages from pnpm's store and metadata cache, which the repo's
    // install filled; the registry only for what they lack. (--offline fails as soon as the cached
    // metadata names a version newer than the store holds.)
    await sh('pnpm', ['install', '--prefer-offline', '--reporter=silent'], project);
    await writeFile(join(project, 'check.mjs'), CHECK_MJS);
    await writeFile(join(project, 'check.ts'), CHECK_TS);
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  }, 300_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('are the seven libraries docs/publishing.md lists, and no other', () => {
    expect(NAMES).toEqual([
      '@flowguard/caller-screening',
      '@flowguard/contact',
      '@flowguard/flow-sim',
      '@flowguard/input-validation',
      '@flowguard/secrets',
      '@flowguard/secure-input',
      '@flowguard/table',
    ]);
    const doc = readFileSync(join(REPO, 'docs/publishing.md'), 'utf8');
    for (const name of NAMES) expect(doc).toContain(`\`${name}\``);
  });

  it.each(NAMES)('%s ships its built code and declarations, no sources or tests', (name) => {
    const files = packed.get(name)?.files.map((f) => f.path) ?? [];

    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files.filter((f) => !f.startsWith('dist/') && f !== 'package.json' && f !== 'README.md')).toEqual(
      [],
    );
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /(^|\/)tests?\/|\.test\./.test(f))).toEqual([]);
    expect(existsSync(join(installed(name), 'LICENSE'))).toBe(true);
    expect(existsSync(join(installed(name), 'README.md'))).toBe(true);
  });

  it.each(NAMES)(
    '%s is packed with dist exports for every source subpath and real versions',
    async (name) => {
      const source = PUBLIC.find((p) => p.manifest.name === name)?.manifest as Manifest;
      const manifest = JSON.parse(await readFile(join(installed(name), 'package.json'), 'utf8')) as Omit<
        Manifest,
        'exports'
      > & { exports: Record<string, { types: string; import: string }>; engines?: { node?: string } };

      expect(manifest.private).toBeUndefined();
      expect(manifest.license).toBe('Apache-2.0');
      expect(manifest.engines?.node).toBe('>=20.11');
      expect(Object.keys(manifest.exports).sort()).toEqual(sourceSubpaths(source).sort());
      for (const target of Object.values(manifest.exports)) {
        expect(target.types).toMatch(/^\.\/dist\/.+\.d\.ts$/);
        expect(target.import).toMatch(/^\.\/dist\/.+\.js$/);
        expect(existsSync(join(installed(name), target.types))).toBe(true);
        expect(existsSync(join(installed(name), target.import))).toBe(true);
      }
      for (const range of Object.values(manifest.dependencies ?? {}))
        expect(range).not.toMatch(/^workspace:/);
      for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
        if (dependency.startsWith('@flowguard/')) expect(range).toBe(source.version);
      }
    },
  );

  it('run under Node from the tarballs: every subpath imports, and does its job', async () => {
    const { stdout } = await sh(process.execPath, ['check.mjs'], project);
    const results = JSON.parse(stdout);

    expect(results.contact).toEqual({ decision: 'ALLOW', retryAfterSeconds: '30', flagged: 'false' });
    expect(results.table).toEqual(['pk', 'sk']);
    expect(results.secrets).toBe('hush');
    expect(results.callerScreening).toEqual(['tel:+14155550123', 'decision']);
    expect(results.inputValidation).toEqual([{ zip: '941051234' }, true, 'valid']);
    expect(results.handler).toMatchObject({ valid: 'false', errorField: 'zip', error: '' });
    expect(results.secureInput).toEqual({
      decrypted: '4111111111111111',
      fingerprint: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      certificate: 'expiring',
      openToken: 'function',
      outputs: ['valid', 'errorCode'],
    });
    expect(results.flowSim).toBe('disconnect');
  });

  it('type-check under strict NodeNext with the published declarations alone', async () => {
    // tsc reports on stdout and exits non-zero: the report is what the test shows.
    const report = await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], project).then(
      ({ stdout }) => stdout,
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );

    expect(report).toBe('');
  });
});
