import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkSdkDeepImports, deepImportsIn, findDeepImports } from '../../scripts/sdk-fence.js';

const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
const REPO_ROOT = join(PACKAGE_DIR, '../..');

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * A workspace with one consumer package importing `@aws-crypto/fake-sdk/build/main/src/<file>.js`,
 * and a fake SDK at `version` that exports `present` from `thing.js` in both builds.
 */
function workspace(options: { pinned: string; imports: string; version?: string }): string {
  const root = mkdtempSync(join(tmpdir(), 'sdk-fence-'));
  dirs.push(root);
  const sdk = join(root, 'consumer/node_modules/@aws-crypto/fake-sdk');
  write(
    join(sdk, 'package.json'),
    JSON.stringify({ name: '@aws-crypto/fake-sdk', version: options.version ?? '1.2.3' }),
  );
  write(
    join(sdk, 'build/main/src/thing.js'),
    'exports.present = function present() {};\nexports.value = 1;\n',
  );
  write(join(sdk, 'build/module/src/thing.js'), 'export function present() {}\nexport const value = 1;\n');
  write(
    join(root, 'consumer/package.json'),
    JSON.stringify({ name: 'consumer', dependencies: { '@aws-crypto/fake-sdk': options.pinned } }),
  );
  write(join(root, 'consumer/src/use.ts'), options.imports);
  return root;
}

describe('deepImportsIn', () => {
  it('finds value imports by path, leaving out type-only names and renames', () => {
    const source = [
      "import { a, type B, c as d } from '@aws-crypto/x-node/build/main/src/one.js';",
      "import type { E } from '@aws-crypto/x-node/build/main/src/two.js';",
      "import { f } from '@aws-crypto/x-node';",
    ].join('\n');

    const found = deepImportsIn('f.ts', source);

    expect(found.map((d) => [d.specifier, d.packageName, d.names])).toEqual([
      ['@aws-crypto/x-node/build/main/src/one.js', '@aws-crypto/x-node', ['a', 'c']],
      ['@aws-crypto/x-node/build/main/src/two.js', '@aws-crypto/x-node', []],
    ]);
  });
});

describe('checkSdkDeepImports', () => {
  it("passes this package's own deep imports against the pinned SDK", () => {
    const found = findDeepImports([PACKAGE_DIR]);

    const problems = checkSdkDeepImports([PACKAGE_DIR], REPO_ROOT);

    expect(found.map((d) => d.specifier).sort()).toEqual([
      '@aws-crypto/encrypt-node/build/main/src/encrypt_stream.js',
      '@aws-crypto/encrypt-node/build/main/src/framed_encrypt_stream.js',
      '@aws-crypto/kms-keyring-node/build/main/src/kms_keyring_node.js',
    ]);
    expect(problems).toEqual([]);
  });

  it('passes an import that resolves and exports the function, pinned exactly', () => {
    const root = workspace({
      pinned: '1.2.3',
      imports: "import { present } from '@aws-crypto/fake-sdk/build/main/src/thing.js';\n",
    });

    expect(checkSdkDeepImports([join(root, 'consumer')], root)).toEqual([]);
  });

  it('names the file, the SDK file and the pinned version when a file is missing', () => {
    const root = workspace({
      pinned: '1.2.3',
      imports: "import { present } from '@aws-crypto/fake-sdk/build/main/src/moved.js';\n",
    });

    const problems = checkSdkDeepImports([join(root, 'consumer')], root);

    expect(problems).toContain(
      'consumer/src/use.ts: @aws-crypto/fake-sdk/build/main/src/moved.js does not resolve in @aws-crypto/fake-sdk 1.2.3 (1.2.3 in consumer/package.json)',
    );
    expect(problems).toContain(
      'consumer/src/use.ts: @aws-crypto/fake-sdk/build/module/src/moved.js (bundled) does not resolve in @aws-crypto/fake-sdk 1.2.3 (1.2.3 in consumer/package.json)',
    );
  });

  it('names the missing export, and an export that is not a function', () => {
    const root = workspace({
      pinned: '1.2.3',
      imports: "import { gone, value } from '@aws-crypto/fake-sdk/build/main/src/thing.js';\n",
    });

    const problems = checkSdkDeepImports([join(root, 'consumer')], root);

    expect(problems).toEqual([
      'consumer/src/use.ts: @aws-crypto/fake-sdk/build/main/src/thing.js does not export the function gone in @aws-crypto/fake-sdk 1.2.3 (1.2.3 in consumer/package.json)',
      'consumer/src/use.ts: @aws-crypto/fake-sdk/build/main/src/thing.js does not export the function value in @aws-crypto/fake-sdk 1.2.3 (1.2.3 in consumer/package.json)',
      'consumer/src/use.ts: @aws-crypto/fake-sdk/build/module/src/thing.js (bundled) does not export gone in @aws-crypto/fake-sdk 1.2.3 (1.2.3 in consumer/package.json)',
    ]);
  });

  it('asks for an exact pin, and for the installed version to be the pinned one', () => {
    const imports = "import { present } from '@aws-crypto/fake-sdk/build/main/src/thing.js';\n";
    const range = workspace({ pinned: '^1.2.3', imports });
    const drifted = workspace({ pinned: '1.2.3', imports, version: '1.3.0' });

    const [rangeProblem] = checkSdkDeepImports([join(range, 'consumer')], range);
    const [driftProblem] = checkSdkDeepImports([join(drifted, 'consumer')], drifted);

    expect(rangeProblem).toBe(
      'consumer/src/use.ts: @aws-crypto/fake-sdk/build/main/src/thing.js is an internal SDK file, so @aws-crypto/fake-sdk 1.2.3 (^1.2.3 in consumer/package.json) must be pinned to an exact version',
    );
    expect(driftProblem).toBe(
      'consumer/src/use.ts: @aws-crypto/fake-sdk 1.3.0 (1.2.3 in consumer/package.json): the installed version is not the pinned one (run pnpm install)',
    );
  });
});
