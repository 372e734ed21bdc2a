import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach } from 'vitest';
import { settings } from '../../src/checks.js';
import { type CompiledSchemas, exportName } from '../../src/compiler.js';
import { SCHEMAS } from '../../src/generated/schemas.js';
import type { CompiledValidator } from '../../src/manifest-types.js';

/** 15 March 2026, noon UTC: the clock every date test runs at. */
export const NOW = Date.UTC(2026, 2, 15, 12, 0, 0);

/** Freezes `settings.now` at {@link NOW} (and the default country at US) around each test. */
export function useFixedClock(now = NOW): void {
  const saved = { now: settings.now, defaultCountry: settings.defaultCountry };
  beforeEach(() => {
    settings.now = () => now;
    settings.defaultCountry = 'US';
  });
  afterEach(() => {
    settings.now = saved.now;
    settings.defaultCountry = saved.defaultCountry;
  });
}

/** One valid set of parameters per compiled schema (valid at {@link NOW}). */
export const VALID: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  account: { accountNumber: '12345678' },
  amount: { amount: '12.50' },
  attributes: { attributes: { tier: 'gold', 'last-intent': 'billing' } },
  card: { cardNumber: '4111111111111111' },
  cvv: { cvv: '737' },
  digits: { digits: '1234' },
  dob: { dateOfBirth: '07041990' },
  expiry: { expiry: '1228' },
  phone: { phoneNumber: '(415) 555-0123' },
  pin: { pin: '5821' },
  postcode: { postcode: 'SW1A 1AA' },
  routing: { routingNumber: '021000021' },
  sortcode: { sortCode: '12-34-56' },
  zip: { zip: '94105' },
  'example-member': { memberNumber: '12345674', memberPin: '5821' },
};

/** Every compiled schema with each of its properties. */
export function schemaProperties(): { schema: string; property: string; type: 'string' | 'object' }[] {
  return Object.values(SCHEMAS).flatMap((schema) =>
    schema.properties.map((p) => ({ schema: schema.name, property: p.name, type: p.type })),
  );
}

/** The modules the generated validators import, as the tests load them from a temp folder. */
const RUNTIME_MODULES: Readonly<Record<string, URL>> = {
  '"../checks.js"': new URL('../../src/checks.ts', import.meta.url),
  '"../regexp.js"': new URL('../../src/regexp.ts', import.meta.url),
};

/** Writes compiled validators into `dir`, pointing their imports at src/, and loads one. */
export async function loadValidator(
  compiled: CompiledSchemas,
  dir: string,
  name: string,
): Promise<CompiledValidator> {
  let source = compiled.validators;
  for (const [module, url] of Object.entries(RUNTIME_MODULES))
    source = source.replaceAll(module, JSON.stringify(url.href));
  const file = join(dir, 'validators.ts');
  await writeFile(file, `// @ts-nocheck\n${source}`);
  const module = (await import(pathToFileURL(file).href)) as Record<string, CompiledValidator | undefined>;
  const validate = module[exportName(name)];
  if (!validate) throw new Error(`no ${exportName(name)} in the compiled source`);
  return validate;
}
