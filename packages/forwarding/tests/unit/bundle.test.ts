// What a forwarding Lambda's bundle carries: the fingerprint key format comes from
// @flowguard/secure-input, whose index also exports the Encryption SDK decrypt; tree shaking must
// leave the SDK out. And the policy validator is the generated one: no ajv compiler.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

describe('the forwarding bundle', () => {
  it('holds neither the Encryption SDK nor the ajv compiler', async () => {
    const result = await build({
      stdin: {
        contents: `import { forwardContactRecords, forwardRecordings } from ${JSON.stringify(entry)};
          export const handlers = [forwardContactRecords, forwardRecordings];`,
        resolveDir: fileURLToPath(new URL('.', import.meta.url)),
        loader: 'ts',
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      minify: true,
      metafile: true,
      logLevel: 'silent',
    });
    // What reached the output: a file read but shaken out entirely contributes no bytes.
    const [output] = Object.values(result.metafile.outputs);
    const inputs = Object.entries(output?.inputs ?? {})
      .filter(([, use]) => use.bytesInOutput > 0)
      .map(([path]) => path);
    expect(inputs.filter((path) => path.includes('@aws-crypto'))).toEqual([]);
    expect(inputs.filter((path) => /ajv\/dist\/(compile|core|vocabularies)/.test(path))).toEqual([]);
    expect(inputs.some((path) => path.includes('ajv/dist/runtime/equal'))).toBe(true);
    expect(inputs.some((path) => path.includes('secure-input/src/fingerprint.ts'))).toBe(true);
  }, 60_000);
});
