/**
 * The Encryption SDK fence: the code imports a few `@aws-crypto` files by path
 * (`@aws-crypto/<package>/build/main/src/<file>.js`) that the packages do not export. A new SDK
 * version may move or change them without a major version. `pnpm build` runs this check first: every
 * such import must resolve, in the CommonJS build Node runs and in the ES module build the bundler
 * takes, to a file that exports each function the code imports from it, and the package must be
 * pinned to the exact version installed. See docs/secure-input.md for moving to a new version.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';

export interface DeepImport {
  /** The importing file. */
  readonly file: string;
  /** e.g. `@aws-crypto/encrypt-node/build/main/src/encrypt_stream.js` */
  readonly specifier: string;
  /** e.g. `@aws-crypto/encrypt-node` */
  readonly packageName: string;
  /** The values imported (type-only names are for the type checker). */
  readonly names: readonly string[];
}

const DEEP_IMPORT =
  /import\s+(type\s+)?\{([^}]*)\}\s+from\s+['"](@aws-crypto\/[^/'"]+)\/(build\/[^'"]+)['"]/g;
const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** The deep `@aws-crypto` imports in one source text. */
export function deepImportsIn(file: string, source: string): DeepImport[] {
  const found: DeepImport[] = [];
  for (const match of source.matchAll(DEEP_IMPORT)) {
    const [, typeOnly, list = '', packageName = '', path = ''] = match;
    const names = typeOnly
      ? []
      : list
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== '' && !name.startsWith('type '))
          .map((name) => name.split(/\s+as\s+/)[0] ?? name);
    found.push({ file, specifier: `${packageName}/${path}`, packageName, names });
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(c|m)?ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The deep imports in the `src/` of each package directory given. */
export function findDeepImports(packageDirs: readonly string[]): DeepImport[] {
  return packageDirs.flatMap((dir) =>
    sourceFiles(join(dir, 'src')).flatMap((file) => deepImportsIn(file, readFileSync(file, 'utf8'))),
  );
}

function nearestPackageJson(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function exportsStatically(source: string, name: string): boolean {
  const declared = new RegExp(`export\\s+(?:async\\s+)?(?:function\\*?|const|let|var|class)\\s+${name}\\b`);
  const listed = new RegExp(`export\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`);
  return declared.test(source) || listed.test(source);
}

/**
 * What is wrong with one deep import, as messages naming the importing file (relative to `root`),
 * the SDK file and the pinned version; empty when nothing is.
 */
export function checkDeepImport(deep: DeepImport, root: string): string[] {
  const where = relative(root, deep.file).split(sep).join('/');
  const manifestPath = nearestPackageJson(deep.file);
  const manifest = manifestPath
    ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as {
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      })
    : {};
  const manifestName = manifestPath ? relative(root, manifestPath).split(sep).join('/') : 'package.json';
  const pinned = manifest.dependencies?.[deep.packageName] ?? manifest.devDependencies?.[deep.packageName];
  const require = createRequire(deep.file);
  let installed = 'not installed';
  try {
    installed = (require(`${deep.packageName}/package.json`) as { version: string }).version;
  } catch {
    // reported below, with the version the manifest asks for
  }
  const what = `${deep.packageName} ${installed} (${pinned ?? 'not a dependency'} in ${manifestName})`;
  const problems: string[] = [];
  if (pinned === undefined || !EXACT_VERSION.test(pinned)) {
    problems.push(
      `${where}: ${deep.specifier} is an internal SDK file, so ${what} must be pinned to an exact version`,
    );
  } else if (pinned !== installed) {
    problems.push(`${where}: ${what}: the installed version is not the pinned one (run pnpm install)`);
  }

  // The CommonJS build, as Node (and the tests) load it.
  let loaded: Record<string, unknown> | undefined;
  try {
    loaded = require(deep.specifier) as Record<string, unknown>;
  } catch {
    problems.push(`${where}: ${deep.specifier} does not resolve in ${what}`);
  }
  for (const name of loaded ? deep.names : []) {
    if (typeof loaded?.[name] !== 'function') {
      problems.push(`${where}: ${deep.specifier} does not export the function ${name} in ${what}`);
    }
  }

  // The ES module build, which the bundler takes the same file from (scripts/lib/bundle.ts).
  const moduleSpecifier = deep.specifier.replace('/build/main/', '/build/module/');
  if (moduleSpecifier !== deep.specifier) {
    let source: string | undefined;
    try {
      source = readFileSync(require.resolve(moduleSpecifier), 'utf8');
    } catch {
      problems.push(`${where}: ${moduleSpecifier} (bundled) does not resolve in ${what}`);
    }
    for (const name of source === undefined ? [] : deep.names) {
      if (!exportsStatically(source ?? '', name)) {
        problems.push(`${where}: ${moduleSpecifier} (bundled) does not export ${name} in ${what}`);
      }
    }
  }
  return problems;
}

/** Every problem with every deep `@aws-crypto` import under the packages given; empty when none. */
export function checkSdkDeepImports(packageDirs: readonly string[], root: string): string[] {
  return findDeepImports(packageDirs).flatMap((deep) => checkDeepImport(deep, root));
}
