// The deployable validate-input bundle, built here into a temp dir: it carries the compiled
// validators and no schema compiler, and answers as the handler does.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { voiceEvent } from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @flowguard/scripts is not a dependency of this package (nothing depends on scripts but the
// functions package and the suites), so its bundler is imported by path.
import { type BundleResult, bundleFunction } from '../../../../scripts/lib/bundle.js';

type Handler = (event: unknown) => Promise<Record<string, string>>;

describe('validate-input bundle', () => {
  let outDir: string;
  let bundle: BundleResult;
  let code: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'flowguard-validate-input-'));
    bundle = await bundleFunction('validate-input', { outDir });
    code = await readFile(bundle.file, 'utf8');
  });

  afterAll(async () => {
    process.env = saved;
    await rm(outDir, { recursive: true, force: true });
  });

  it('holds no schema compiler', () => {
    expect(code.length).toBeGreaterThan(0);
    for (const text of [
      'ajv/dist/compile',
      'addKeyword(',
      'standaloneCode',
      'new Function',
      'safe-regex',
      'ajv-formats',
    ]) {
      expect(code.includes(text), text).toBe(false);
    }
  });

  it('holds the compiled validators and the checks', () => {
    expect(code).toContain('must pass its check');
    expect(code).toContain('weak_pin');
  });

  it('answers like the handler', async () => {
    Object.assign(process.env, { FLOWGUARD_LOG_LEVEL: 'silent', FLOWGUARD_METRICS: 'false' });
    const { handler } = (await import(pathToFileURL(bundle.file).href)) as { handler: Handler };

    const valid = await handler(
      voiceEvent('+14155550123', { parameters: { schema: 'card', cardNumber: '4111111111111111' } }),
    );
    const invalid = await handler(voiceEvent('+14155550123', { parameters: { schema: 'pin', pin: '1234' } }));
    const bad = await handler({ nonsense: true });

    expect(valid).toEqual({
      valid: 'true',
      errorField: '',
      errorCode: '',
      errorMessageKey: '',
      cardNumber: '************1111',
      error: '',
    });
    expect(invalid).toMatchObject({
      valid: 'false',
      errorField: 'pin',
      errorCode: 'weak_pin',
      errorMessageKey: 'pin_weak_pin',
    });
    expect(bad).toMatchObject({ valid: 'false', error: 'bad_event' });
  });
});
