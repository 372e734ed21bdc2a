// The deployable bundles, imported as Lambda would, reaching local DynamoDB through the SDK's
// standard AWS_ENDPOINT_URL_DYNAMODB: the production code path, end to end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleFunction, HANDLERS_DIR, listFunctions } from '@flowguard/scripts/bundle';
import { type LocalDynamoDB, startLocalDynamoDB, voiceEvent } from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Handler = (event: unknown, context?: unknown) => Promise<Record<string, string>>;

describe('function bundles', () => {
  let local: LocalDynamoDB;
  let outDir: string;
  const saved = { ...process.env };

  async function load(name: string): Promise<Handler> {
    const bundle = await bundleFunction(name, { outDir });
    return ((await import(pathToFileURL(bundle.file).href)) as { handler: Handler }).handler;
  }

  beforeAll(async () => {
    local = await startLocalDynamoDB({ tableName: 'flowguard-bundles' });
    outDir = await mkdtemp(join(tmpdir(), 'flowguard-functions-'));
    Object.assign(process.env, local.env, {
      FLOWGUARD_LIMITS: '2/10m',
      FLOWGUARD_LOG_LEVEL: 'silent',
      FLOWGUARD_METRICS: 'false',
    });
  });

  afterAll(async () => {
    process.env = saved;
    await local.stop();
    await rm(outDir, { recursive: true, force: true });
  });

  it('has a bundle for screen-caller and flag-caller', async () => {
    expect(await listFunctions(HANDLERS_DIR)).toEqual(
      expect.arrayContaining(['flag-caller', 'screen-caller']),
    );
  });

  it('screens, throttles and, once flagged, blocks a caller through the real bundles', async () => {
    const screen = await load('screen-caller');
    const flag = await load('flag-caller');
    const caller = '+14155550170';

    const first = await screen(voiceEvent(caller));
    await screen(voiceEvent(caller));
    const third = await screen(voiceEvent(caller));
    const flagged = await flag(voiceEvent(caller, { parameters: { reason: 'abusive', duration: '1h' } }));
    const after = await screen(voiceEvent(caller));

    expect(first).toMatchObject({ decision: 'ALLOW', reason: 'ok', error: '' });
    expect(third).toMatchObject({ decision: 'THROTTLE', reason: 'rate_limited' });
    expect(flagged).toMatchObject({ flagged: 'true', error: '' });
    expect(after).toMatchObject({
      decision: 'BLOCK',
      reason: 'blocklisted',
      blockedUntil: flagged.blockedUntil,
    });
  });

  it('answers a malformed event without throwing', async () => {
    const screen = await load('screen-caller');

    await expect(screen({ nonsense: true })).resolves.toMatchObject({
      decision: 'ALLOW',
      error: 'bad_event',
    });
  });
});
