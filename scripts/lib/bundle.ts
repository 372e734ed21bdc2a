import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTION_NAMES, functionDefinition, isFunctionName } from '@flowguard/functions/registry';
import { build, type Plugin } from 'esbuild';
import yazl from 'yazl';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FUNCTIONS_DIR = join(REPO_ROOT, 'packages/functions');
export const HANDLERS_DIR = join(FUNCTIONS_DIR, 'src/handlers');
export const DIST_DIR = join(FUNCTIONS_DIR, 'dist');

/** Lambda's Node.js 22 runtime. */
export const NODE_TARGET = 'node22';
/** Zip entries get this time, so the same source always gives the same bytes. */
const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');
const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,63}$/;

export interface BundleOptions {
  handlersDir?: string;
  outDir?: string;
  /** Only these functions (default: every handler). */
  names?: readonly string[];
}

export interface BundleResult {
  name: string;
  /** `<outDir>/<name>/index.mjs` */
  file: string;
  zip: string;
  bytes: number;
  zipBytes: number;
  /** sha256 of the zip, hex: the same source gives the same hash. */
  sha256: string;
}

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

/** The handler files in a directory: one per `<name>.ts`. */
async function handlerFiles(handlersDir: string): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(handlersDir);
  } catch {
    return [];
  }
  return files
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.test.ts'))
    .map((file) => basename(file, '.ts'))
    .filter((name) => FUNCTION_NAME.test(name))
    .sort();
}

const isDefaultDir = (handlersDir: string | undefined) =>
  handlersDir === undefined || resolve(handlersDir) === resolve(HANDLERS_DIR);

/**
 * The functions: the function registry's (packages/functions/src/registry.ts) for the product's
 * handlers, else one per `<name>.ts` in the directory given (the bench's floors).
 */
export async function listFunctions(handlersDir?: string): Promise<string[]> {
  if (isDefaultDir(handlersDir)) return [...FUNCTION_NAMES].sort();
  return handlerFiles(handlersDir ?? HANDLERS_DIR);
}

/**
 * Handler files and the registry must agree: a handler the registry does not name would be
 * bundled and deployed with no variables, placeholder or grants; a registered function with no
 * handler cannot be built.
 */
export async function registryMismatches(): Promise<string[]> {
  const files = await handlerFiles(HANDLERS_DIR);
  const problems: string[] = [];
  for (const file of files) {
    if (!isFunctionName(file))
      problems.push(
        `src/handlers/${file}.ts is not in the function registry (packages/functions/src/registry.ts)`,
      );
  }
  for (const name of FUNCTION_NAMES) {
    const entry = functionDefinition(name).entry;
    if (!files.includes(name) || entry !== `src/handlers/${name}.ts`)
      problems.push(`${name}: the registry names ${entry}, which is not a handler file in src/handlers/`);
  }
  return problems;
}

/**
 * Large JSON (libphonenumber's metadata) loads faster through `JSON.parse` of a string than as the
 * object literal esbuild writes by default: V8 parses JSON in a fast path.
 */
/**
 * The code imports a few Encryption SDK files by path (`@aws-crypto/<pkg>/build/main/src/...`, the
 * CommonJS build Node runs). The bundle takes every other `@aws-crypto` import from the ES module
 * build (`mainFields`), so the same files are taken from there too: one copy of each SDK module,
 * one set of classes for `instanceof`.
 */
const sdkModuleBuild: Plugin = {
  name: 'aws-crypto-module-build',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^@aws-crypto\/[^/]+\/build\/main\// }, (args) =>
      pluginBuild.resolve(args.path.replace('/build/main/', '/build/module/'), {
        kind: args.kind,
        resolveDir: args.resolveDir,
      }),
    );
  },
};

const jsonAsString: Plugin = {
  name: 'json-as-string',
  setup(pluginBuild) {
    // libphonenumber-js ships its metadata as `metadata.<set>.json.js` (an object literal) next to
    // the same data as `metadata.<set>.json`.
    pluginBuild.onLoad({ filter: /[\\/]metadata\.\w+\.json(\.js)?$/ }, async (args) => {
      const text = await readFile(args.path.replace(/\.js$/, ''), 'utf8');
      if (text.length < 10_000) return undefined;
      return {
        contents: `export default JSON.parse(${JSON.stringify(JSON.stringify(JSON.parse(text)))});`,
        loader: 'js',
      };
    });
  },
};

/** A zip whose bytes depend only on the files' names and contents. */
function deterministicZip(entries: readonly { name: string; data: Buffer }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    zip.addBuffer(entry.data, entry.name, { mtime: FIXED_MTIME, mode: 0o100644, compressionLevel: 9 });
  }
  zip.end();
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolvePromise(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** Bundles one handler file into `<outDir>/<name>/index.mjs` (+ map) and `<outDir>/<name>.zip`. */
export async function bundleFunction(name: string, options: BundleOptions = {}): Promise<BundleResult> {
  const handlersDir = resolve(options.handlersDir ?? HANDLERS_DIR);
  const outDir = resolve(options.outDir ?? DIST_DIR);
  const registered = isDefaultDir(options.handlersDir);
  const entry =
    registered && isFunctionName(name)
      ? join(FUNCTIONS_DIR, functionDefinition(name).entry)
      : join(handlersDir, `${name}.ts`);
  const exists =
    (!registered || isFunctionName(name)) &&
    (await stat(entry).then(
      (s) => s.isFile(),
      () => false,
    ));
  if (!FUNCTION_NAME.test(name) || !exists) {
    const known = await listFunctions(options.handlersDir);
    throw new BundleError(
      `unknown function '${name}'; functions: ${known.length > 0 ? known.join(', ') : '(none yet)'}`,
    );
  }

  const dir = join(outDir, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'index.mjs');
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: NODE_TARGET,
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    // Paths in the map relative to the repo, not to this machine: the same bytes everywhere.
    sourceRoot: '',
    absWorkingDir: REPO_ROOT,
    mainFields: ['module', 'main'],
    legalComments: 'none',
    metafile: false,
    logLevel: 'silent',
    plugins: [sdkModuleBuild, jsonAsString],
    // CommonJS dependencies may call require() for Node built-ins; ESM output has no require.
    banner: {
      js: "import{createRequire as __flowguardRequire}from'node:module';const require=__flowguardRequire(import.meta.url);",
    },
  });

  const code = await readFile(file);
  const map = await readFile(`${file}.map`);
  const archive = await deterministicZip([
    { name: 'index.mjs', data: code },
    { name: 'index.mjs.map', data: map },
  ]);
  const zip = join(outDir, `${name}.zip`);
  await writeFile(zip, archive);
  return {
    name,
    file,
    zip,
    bytes: code.length,
    zipBytes: archive.length,
    sha256: createHash('sha256').update(archive).digest('hex'),
  };
}

/** Bundles every function (or the named ones), one after the other. */
export async function bundleFunctions(options: BundleOptions = {}): Promise<BundleResult[]> {
  if (isDefaultDir(options.handlersDir)) {
    const problems = await registryMismatches();
    if (problems.length > 0) throw new BundleError(problems.join('; '));
  }
  const names = options.names ?? (await listFunctions(options.handlersDir));
  const results: BundleResult[] = [];
  for (const name of names) results.push(await bundleFunction(name, options));
  return results;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** A plain-text table of bundle sizes. */
export function sizeTable(results: readonly BundleResult[]): string {
  if (results.length === 0) return 'no functions to bundle (add packages/functions/src/handlers/<name>.ts)';
  const rows = [
    ['function', 'index.mjs', 'zip', 'sha256'],
    ...results.map((r) => [r.name, kib(r.bytes), kib(r.zipBytes), r.sha256.slice(0, 12)]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
