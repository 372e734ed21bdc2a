// The function registry against the code it describes: each handler, imported as Lambda imports it,
// reads exactly the variables the registry lists for it (docs/configuration.md is generated from
// those lists), and the page is fresh.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLOW_FUNCTIONS, FUNCTION_NAMES, FUNCTIONS } from '@flowguard/functions/registry';
import { REPO_ROOT, registryMismatches } from '@flowguard/scripts/bundle';
import { CONFIGURATION_FILE, configurationWithFunctions } from '@flowguard/scripts/configuration-docs';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** Values that let every reader succeed: the required variables and one named policy. */
const GIVEN: Record<string, string> = {
  FLOWGUARD_CONNECT_KEYS_SECRET_ID: 'flowguard/connect-keys',
  FLOWGUARD_TOKEN_KMS_KEY_ID: 'alias/flowguard-tokens',
  FLOWGUARD_LIMITS_VIP: '50/1d',
  FLOWGUARD_FORWARD_POLICY: JSON.stringify({
    version: 1,
    policies: [
      {
        name: 'cards',
        match: { queues: ['Cards'] },
        fields: ['ContactId'],
        destination: { type: 'kinesis', stream: 'cards-records' },
      },
    ],
  }),
  FLOWGUARD_FORWARD_DEAD_LETTER_BUCKET: 'flowguard-dead-letters',
  FLOWGUARD_CONNECT_INSTANCE_ID: '00000000-0000-4000-8000-000000000000',
  FLOWGUARD_EDGE_FLOWS: 'support=00000000-0000-4000-8000-000000000001',
  FLOWGUARD_EDGE_ALLOWED_ORIGINS: 'https://www.example.com',
  FLOWGUARD_EDGE_SIGNING_SECRET_ID: 'flowguard/edge-signing',
  AWS_REGION: 'us-east-1',
};

/** `FLOWGUARD_LIMITS_VIP` is read as a member of the `FLOWGUARD_LIMITS_<NAME>` family. */
const family = (name: string) => (name === 'FLOWGUARD_LIMITS_VIP' ? 'FLOWGUARD_LIMITS_<NAME>' : name);

const originalEnv = process.env;
afterEach(() => {
  process.env = originalEnv;
});

/** The FLOWGUARD_ variables a handler module reads while it initialises. */
async function variablesReadAtInit(entry: string): Promise<Set<string>> {
  const read = new Set<string>();
  const base: Record<string, string | undefined> = { ...originalEnv, ...GIVEN };
  for (const name of Object.keys(base))
    if (name.startsWith('FLOWGUARD_') && !(name in GIVEN)) delete base[name];
  process.env = new Proxy(base, {
    get(target, name, receiver) {
      if (typeof name === 'string' && name.startsWith('FLOWGUARD_')) read.add(family(name));
      return Reflect.get(target, name, receiver);
    },
  }) as NodeJS.ProcessEnv;
  vi.resetModules();
  const module = (await import(join(REPO_ROOT, 'packages/functions', entry))) as { handler?: unknown };
  process.env = originalEnv;
  expect(typeof module.handler).toBe('function');
  return read;
}

describe('the function registry', () => {
  it('names each handler file once, and each registered function has its handler', async () => {
    expect(await registryMismatches()).toEqual([]);
    expect(FUNCTIONS.map((f) => f.name)).toEqual([...FUNCTION_NAMES]);
    expect(new Set(FLOW_FUNCTIONS.map((f) => f.placeholder)).size).toBe(FLOW_FUNCTIONS.length);
  });

  it.each(FUNCTIONS.map((f) => [f.name, f] as const))(
    '%s reads at init exactly the variables the registry lists',
    { timeout: 60_000 },
    async (_name, f) => {
      const read = await variablesReadAtInit(f.entry);

      expect([...read].sort()).toEqual(f.variables.map((v) => v.name).sort());
    },
  );

  it('lists each variable once per function, with values, a default and a meaning', () => {
    for (const f of FUNCTIONS) {
      const names = f.variables.map((v) => v.name);
      expect(new Set(names).size, f.name).toBe(names.length);
      for (const v of f.variables) {
        expect(v.name, f.name).toMatch(/^FLOWGUARD_[A-Z0-9_]+(<NAME>)?$/);
        expect(v.values.length * v.default.length * v.meaning.length, v.name).toBeGreaterThan(0);
      }
    }
  });
});

describe('docs/configuration.md', () => {
  it('lists every function and variable as the registry has them (run `tsx scripts/flow-docs.ts` after changing one)', () => {
    const text = readFileSync(CONFIGURATION_FILE, 'utf8');

    expect(text).toBe(configurationWithFunctions(text));
    for (const f of FUNCTIONS) for (const v of f.variables) expect(text).toContain(`\`${v.name}\``);
  });
});
