// Screening tried as an attacker would, through the built screen-caller bundle on dynalite with
// the production time budget and client settings (FLOWGUARD_STORE_TIMEOUT_MS 600, 2 attempts,
// 2 s budget): a caller who keeps calling, a burst from one number. ATTACK=full runs the
// persistent caller at 20,000 contacts; the default tier at 3,000 (the item is flat from the
// first hundred on either way).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleFunction } from '@flowguard/scripts/bundle';
import {
  itemSize,
  type LocalDynamoDB,
  startLocalDynamoDBProcess,
  storedItem,
  voiceEvent,
  writeUnits,
} from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Handler = (event: unknown) => Promise<Record<string, string>>;

const PERSISTENT_CONTACTS = process.env.ATTACK === 'full' ? 20_000 : 3_000;

describe('screen-caller bundle under attack, on dynalite with the production budget', () => {
  let local: LocalDynamoDB;
  let outDir: string;
  let bundleFile: string;
  const saved = { ...process.env };
  let loads = 0;

  /** The bundle loaded afresh (a new instance) with these settings on top of the production defaults. */
  async function instance(env: Record<string, string>): Promise<Handler> {
    process.env = {
      ...saved,
      ...local.env,
      FLOWGUARD_LOG_LEVEL: 'silent',
      FLOWGUARD_METRICS: 'false',
      ...env,
    };
    loads += 1;
    const module = (await import(`${pathToFileURL(bundleFile).href}?instance=${loads}`)) as {
      handler: Handler;
    };
    return module.handler;
  }

  const rawItem = (number: string) =>
    storedItem(local.client, local.tableName, { pk: `tel:${number}`, sk: 'state' });

  beforeAll(async () => {
    // The store in its own process: the burst's 500 invocations use this process's core.
    local = await startLocalDynamoDBProcess({ tableName: 'flowguard-attacks' });
    outDir = await mkdtemp(join(tmpdir(), 'flowguard-attacks-'));
    bundleFile = (await bundleFunction('screen-caller', { outDir })).file;
  });

  afterAll(async () => {
    process.env = saved;
    await local.stop();
    await rm(outDir, { recursive: true, force: true });
  });

  it(`keeps a persistent caller's item and write units flat over ${PERSISTENT_CONTACTS} contacts, every one refused past the limit`, {
    timeout: 180_000,
  }, async () => {
    const screen = await instance({ FLOWGUARD_LIMITS: '5/10m,20/1d', FLOWGUARD_AUTO_BLOCK_FACTOR: '0' });
    const caller = '+14155550301';
    const answers = new Map<string, number>();
    const sizes: number[] = [];
    for (let i = 0; i < PERSISTENT_CONTACTS; i++) {
      const response = await screen(voiceEvent(caller));
      const answer = `${response.decision}/${response.reason}`;
      answers.set(answer, (answers.get(answer) ?? 0) + 1);
      if ((i + 1) % 100 === 0) sizes.push(itemSize(await rawItem(caller)));
    }
    const fromHundred = sizes.slice(1);

    // Admitted: 5 in the caller's 10-minute bucket (one more bucket may start during the run).
    expect(answers.get('ALLOW/ok') ?? 0).toBeGreaterThanOrEqual(5);
    expect(answers.get('ALLOW/ok') ?? 0).toBeLessThanOrEqual(10);
    expect((answers.get('ALLOW/ok') ?? 0) + (answers.get('THROTTLE/rate_limited') ?? 0)).toBe(
      PERSISTENT_CONTACTS,
    );
    // Flat: nothing grows with the contacts but the counts' digits (DynamoDB stores a number in
    // about one byte per two digits: one byte more per number, 50 numbers here, from 200 to
    // 20,000 contacts) and, rarely, a contact slot still empty at 200 (31 bytes).
    expect(Math.max(...fromHundred) - Math.min(...fromHundred)).toBeLessThanOrEqual(96);
    expect(Math.max(...sizes)).toBeLessThan(1024);
    expect(writeUnits(Math.max(...sizes))).toBe(1);
  });

  it('admits exactly the limit among 500 concurrent contacts of one caller and refuses the rest, none failing open', {
    timeout: 60_000,
  }, async () => {
    const screen = await instance({ FLOWGUARD_LIMITS: '5/10m,20/1d' });
    const caller = '+14155550302';

    const responses = await Promise.all(Array.from({ length: 500 }, () => screen(voiceEvent(caller))));
    const answers = new Map<string, number>();
    for (const r of responses) {
      const answer = `${r.decision}/${r.reason}/${r.error}`;
      answers.set(answer, (answers.get(answer) ?? 0) + 1);
    }

    expect(answers.get('ALLOW/ok/')).toBe(5);
    expect((answers.get('THROTTLE/rate_limited/') ?? 0) + (answers.get('BLOCK/auto_blocked/') ?? 0)).toBe(
      495,
    );
    // The caller reached three times its 10-minute limit: blocked, once.
    expect(answers.get('BLOCK/auto_blocked/') ?? 0).toBeGreaterThanOrEqual(1);
  });
});
