import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BundleError,
  bundleFunction,
  bundleFunctions,
  listFunctions,
  REPO_ROOT,
  sizeTable,
} from '@flowguard/scripts/bundle';
import { voiceEvent } from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const handlersDir = join(import.meta.dirname, 'fixtures/handlers');

describe('bundler', () => {
  let outDir: string;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'flowguard-bundle-'));
  });

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('finds one function per handler file with a legal name', async () => {
    expect(await listFunctions(handlersDir)).toEqual(['echo-caller']);
  });

  it('finds no functions in a folder that does not exist', async () => {
    expect(await listFunctions(join(outDir, 'missing'))).toEqual([]);
    expect(sizeTable([])).toMatch(/no functions/);
  });

  it('bundles a handler into an ESM file that exports a working handler', async () => {
    const result = await bundleFunction('echo-caller', { handlersDir, outDir });
    const bundle = (await import(pathToFileURL(result.file).href)) as {
      handler: (event: unknown) => Promise<Record<string, string>>;
    };

    const response = await bundle.handler(voiceEvent('+14155550123'));

    expect(response).toEqual({ caller: '+14155550123', channel: 'VOICE', error: '' });
    expect(result.file).toBe(join(outDir, 'echo-caller', 'index.mjs'));
  });

  it('minifies, links a source map, and keeps no absolute path of this machine in the code or the map', async () => {
    const result = await bundleFunction('echo-caller', { handlersDir, outDir });
    const code = await readFile(result.file, 'utf8');
    const map = JSON.parse(await readFile(`${result.file}.map`, 'utf8')) as { sources: string[] };

    expect(code).toContain('//# sourceMappingURL=index.mjs.map');
    expect(code.split('\n').length).toBeLessThan(10);
    expect(map.sources.some((source) => source.endsWith('test/fixtures/handlers/echo-caller.ts'))).toBe(true);
    expect(code).not.toContain(REPO_ROOT);
    expect(map.sources.filter((source) => source.startsWith('/'))).toEqual([]);
  });

  it('writes a zip holding index.mjs and its map, byte-identical on every build', async () => {
    const first = await bundleFunction('echo-caller', { handlersDir, outDir });
    const second = await bundleFunction('echo-caller', { handlersDir, outDir });
    const zip = await readFile(first.zip);

    expect(second.sha256).toBe(first.sha256);
    expect(zip.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    expect(zip.includes(Buffer.from('index.mjs'))).toBe(true);
    expect(zip.includes(Buffer.from('index.mjs.map'))).toBe(true);
    expect(first.zipBytes).toBe(zip.length);
  });

  it('bundles every function and reports sizes in a table', async () => {
    const results = await bundleFunctions({ handlersDir, outDir });
    const table = sizeTable(results);

    expect(results.map((r) => r.name)).toEqual(['echo-caller']);
    expect(table.split('\n')[0]).toMatch(/^function\s+index\.mjs\s+zip\s+sha256$/);
    expect(table).toMatch(/echo-caller\s+\d+\.\d KiB\s+\d+\.\d KiB\s+[0-9a-f]{12}/);
  });

  it('refuses an unknown function, naming the ones that exist', async () => {
    await expect(bundleFunction('no-such-function', { handlersDir, outDir })).rejects.toThrow(BundleError);
    await expect(bundleFunction('../escape', { handlersDir, outDir })).rejects.toThrow(
      /functions: echo-caller/,
    );
  });
});
